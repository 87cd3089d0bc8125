"""Text qaudit stores: no NUL byte anywhere, and bounded references and names.

PostgreSQL cannot store a NUL in text at all, and refuses an indexed value over about 2,700
bytes (a B-tree row), which SQLite accepts: both databases get the same limits, checked before
anything is written (the columns themselves are unbounded ``VARCHAR``).
"""

from __future__ import annotations

REF_LIMIT = 64
"""Characters in a reference: case refs, survey response ids, complaint refs."""
NAME_LIMIT = 200
"""Characters in a name: staff, teams, workers."""

NUL = "\x00"


def nul_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored because of a NUL byte, or None."""
    at = text.find(NUL)
    if at < 0:
        return None
    return f"a NUL byte (\\x00) at character {at + 1}: qaudit does not store NUL bytes"


def length_problem(text: str, what: str, limit: int) -> str | None:
    """Why ``text`` is too long to be ``what`` (at most ``limit`` characters), or None."""
    if len(text) <= limit:
        return None
    return f"the {what} is {len(text):,} characters long; the limit is {limit}"


def ref_problem(text: str, what: str) -> str | None:
    """Why ``text`` cannot be a reference (``what``: "case ref", "response id"), or None: a
    reference is one line of visible characters, so that it can be typed, matched and shown; a
    control character (an escape, a tab), a non-breaking or zero-width space cannot."""
    if text.isprintable():
        return None
    at, char = next((i, c) for i, c in enumerate(text) if not c.isprintable())
    return (
        f"the {what} has a character that is not plain text ({ascii(char)[1:-1]}, at character "
        f"{at + 1}): a reference is letters, digits, spaces and punctuation"
    )


def matching_name(name: str, names: list[str]) -> str | None:
    """The one of ``names`` that ``name`` means (a person, a team): the name itself, else the
    one name equal to it in any letter case and spacing; None when there is none (or more)."""
    if name in names:
        return name
    folded = " ".join(name.split()).casefold()
    found = [n for n in names if " ".join(n.split()).casefold() == folded]
    return found[0] if len(found) == 1 else None


def nearest_names(name: str, names: list[str], n: int = 1) -> list[str]:
    """The ``n`` names a mistyped one most likely meant, the likeliest first (none if no name is
    close)."""
    import difflib

    folded = {known.casefold(): known for known in names}
    close = difflib.get_close_matches(name.strip().casefold(), list(folded), n=n, cutoff=0.6)
    return [folded[c] for c in close]


def check_text(text: str, *, what: str = "value", limit: int | None = None) -> str:
    """``text`` if it can be stored: a ValueError naming the problem otherwise."""
    problem = nul_problem(text)
    if problem is None and limit is not None:
        problem = length_problem(text, what, limit)
    if problem is not None:
        raise ValueError(problem)
    return text
