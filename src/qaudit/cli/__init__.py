"""The command line. Imports nothing heavy: each command loads its services when it runs."""

from __future__ import annotations

from qaudit.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
