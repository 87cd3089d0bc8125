"""Calling a domain rule from a service: its refusal becomes the service's ``RuleError``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from qaudit.domain.rules import RuleBroken
from qaudit.errors import RuleError

T = TypeVar("T")


def ruled(rule: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``rule(*args, **kwargs)``, or its refusal (``RuleBroken``, with its remedy) as a
    ``RuleError``: nothing has been written when a rule refuses."""
    try:
        return rule(*args, **kwargs)
    except RuleBroken as exc:
        raise refused(exc) from None


def refused(exc: RuleBroken, *, prefix: str = "") -> RuleError:
    """A domain rule's refusal as the service's error, its remedy kept (``prefix`` names the
    record when the rule's words do not, e.g. "action 4: ")."""
    return RuleError(prefix + str(exc), remedy=exc.remedy)
