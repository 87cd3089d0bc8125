"""Showing text a person typed or imported, safely: in a spreadsheet and at a terminal.

Pure functions over strings; imported by the command line and by the report renderers, so it
imports nothing heavy.
"""

from __future__ import annotations

import re
from datetime import date

# A spreadsheet reads a cell starting with one of these as a formula (CSV/formula injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Characters that change what a terminal shows rather than showing themselves: the C0 and C1
# controls (ESC starts the sequences that clear a screen, move the cursor, retitle a window or
# hide text), DEL, the line and paragraph separators, and the marks and overrides that reorder
# text right to left (U+202E makes "cod.exe" look like "exe.doc").
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = frozenset(
    [chr(code) for code in range(0x20)]
    + [chr(code) for code in range(0x7F, 0xA0)]
    + ["\u2028", "\u2029"]
    + list(_BIDI)
)
_UNSAFE_RE = re.compile("[" + "".join(f"\\u{ord(c):04x}" for c in sorted(_UNSAFE)) + "]")
_BREAKS = re.compile("[ \t]*[\r\n\u2028\u2029\x0b\x0c\x85]+[ \t]*")


def neutralise(text: str) -> str:
    """``text`` with a leading quote when a spreadsheet would otherwise run it as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str, *, keep: str = "\t\n") -> str:
    """``text`` safe to show at a terminal: each control character (but those in ``keep``)
    shown as its escape, ``\\x1b`` for ESC, so it is seen rather than obeyed."""
    return _UNSAFE_RE.sub(lambda m: m[0] if m[0] in keep else _escaped(m[0]), text)


def one_line(text: str) -> str:
    """``text`` for a one-line message: line breaks (and the spaces around them) as one space,
    so no one can forge a second line; other control characters escaped."""
    return visible(_BREAKS.sub(" ", text), keep="\t")


def day(value: date) -> str:
    """A date as people write it: ``Tue 1 Dec 2026`` (no leading zero on the day)."""
    from qaudit.domain.dates import uk_day

    return uk_day(value)


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``1 row``, ``2 rows``, ``1,000 new teams``: a count and its noun, agreeing."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"
