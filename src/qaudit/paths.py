"""Where qaudit's own data files are (framework, vocabularies, demo lists)."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from qaudit.errors import ConfigError


def data_dir() -> Path:
    """``QAUDIT_DATA_DIR`` if set, else the ``data/`` folder shipped inside the installed package
    (in a source tree, ``src/qaudit/data/``, which the top-level ``data/`` links to)."""
    override = os.environ.get("QAUDIT_DATA_DIR")
    if override:
        return Path(override)
    packaged = resources.files("qaudit") / "data"
    if not isinstance(packaged, Path):  # e.g. imported from a zip: the files are not on disk
        raise ConfigError(
            f"qaudit's data files are not on disk ({packaged}): "
            "install qaudit unpacked, or set QAUDIT_DATA_DIR"
        )
    return packaged
