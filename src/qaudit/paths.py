"""Where qaudit's own data files are (framework, vocabularies, demo lists)."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """``data/`` of the source tree qaudit runs from, or ``QAUDIT_DATA_DIR``."""
    override = os.environ.get("QAUDIT_DATA_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "data"
