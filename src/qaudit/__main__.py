"""Lets ``python -m qaudit`` run the command line."""

from qaudit.cli import main

main()
