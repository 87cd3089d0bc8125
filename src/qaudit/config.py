"""Reading the policy file (TOML) over the built-in defaults."""

from __future__ import annotations

import tomllib
from pathlib import Path

from qaudit.domain.policy import Policy, PolicyError, policy_from_mapping
from qaudit.errors import ConfigError
from qaudit.files import TooLarge, read_limited


def load_policy(path: Path | None) -> Policy:
    """The built-in policy, or the one in ``path`` over it."""
    if path is None:
        return Policy()
    try:
        text = read_limited(path).decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: policy file not found") from None
    except TooLarge as exc:
        raise ConfigError(f"{path}: not a policy file: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: cannot read the policy file ({exc.__class__.__name__})"
        ) from None
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message ends with "(at line L, column C)": exactly what a person needs.
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return policy_from_mapping(values)
    except PolicyError as exc:
        raise ConfigError(f"{path}: {exc}") from None
