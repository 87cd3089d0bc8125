"""qaudit: the quality-assurance toolkit of a children's social care service."""

__version__ = "0.1.0"
