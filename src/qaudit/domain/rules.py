"""The one way a domain rule refuses a change: ``RuleBroken``, its message in the domain's words.

Services call rules through ``services.rules.ruled``, which turns the refusal into their
``RuleError`` (nothing written); ``remedy`` names the other way open, for the command line to
name its option (cli/app.py ``REMEDIES``, the complaints commands' hints).
"""

from __future__ import annotations


class RuleBroken(ValueError):
    """A rule refuses the change; the message says which, in the domain's words. ``remedy``
    names, for the command line, the other way that is open (e.g. "adhoc", "late")."""

    def __init__(self, message: str, *, remedy: str | None = None) -> None:
        super().__init__(message)
        self.remedy = remedy
