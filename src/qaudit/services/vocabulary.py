"""The audit framework and theme vocabulary in force: the policy's files, or those shipped in
the package (``qaudit/data/``, or ``QAUDIT_DATA_DIR``)."""

from __future__ import annotations

from pathlib import Path

from qaudit.importers.framework import Framework, Theme, load_framework, load_themes
from qaudit.paths import data_dir
from qaudit.services.context import Context


def framework_in_force(ctx: Context) -> Framework:
    configured = ctx.policy.audit.framework
    return load_framework(Path(configured) if configured else data_dir() / "framework.toml")


def themes_in_force(ctx: Context) -> tuple[Theme, ...]:
    configured = ctx.policy.audit.themes
    return load_themes(Path(configured) if configured else data_dir() / "themes.toml")


def complaint_themes_in_force(ctx: Context) -> tuple[Theme, ...]:
    configured = ctx.policy.complaints.themes
    return load_themes(Path(configured) if configured else data_dir() / "complaint_themes.toml")


def theme_titles(ctx: Context) -> dict[str, str]:
    """Each audit theme's title by its id, for reports: a board reads names, not ids."""
    return {theme.id: theme.label for theme in themes_in_force(ctx)}


def complaint_theme_titles(ctx: Context) -> dict[str, str]:
    """Each complaint theme's title by its id, for reports."""
    return {theme.id: theme.label for theme in complaint_themes_in_force(ctx)}
