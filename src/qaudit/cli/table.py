"""qaudit's own table renderer: a box of columns laid out in terminal cells, as Rich draws one.

The list commands print up to a thousand rows at a time; laying them out with Rich's Table
cost most of a second. This draws the same thing (Rich's default HEAVY_HEAD box, one space of
padding either side of a cell, the title above) with plain string work. It decides nothing
about which columns to show or how narrow they may go: the caller (``output.emit_rows``) says,
per column, its width and how its cells may fold.

Cells arrive as plain text with control characters already escaped (``display.visible``); a
tab is expanded, a line break starts a new line in the cell.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum


class Fold(Enum):
    """How a column's cells may fold onto more lines when the column is narrower than they are."""

    NEVER = "never"  # a ref, a date, a number, a short word: one line, whole
    HYPHENS = "hyphens"  # a grade, a status: at spaces and after hyphens, never inside a word
    WORDS = "words"  # free text: at spaces; a word longer than the column is folded itself


@dataclass(frozen=True)
class Box:
    """The characters of a table's frame: (left, fill, between, right) for each rule, and the
    upright for the heading and body rows."""

    top: tuple[str, str, str, str]
    head: str
    under_head: tuple[str, str, str, str]
    body: str
    bottom: tuple[str, str, str, str]


# Rich's box.HEAVY_HEAD, its default for a Table.
HEAVY_HEAD = Box(
    top=("┏", "━", "┳", "┓"),
    head="┃",
    under_head=("┡", "━", "╇", "┩"),
    body="│",
    bottom=("└", "─", "┴", "┘"),
)
# What Rich draws instead when the output's encoding is not UTF (box.ASCII).
ASCII = Box(
    top=("+", "-", "-", "+"),
    head="|",
    under_head=("|", "-", "+", "|"),
    body="|",
    bottom=("+", "-", "-", "+"),
)

BOLD, ITALIC, RESET = "\x1b[1m", "\x1b[3m", "\x1b[0m"


def cells(text: str) -> int:
    """The width of ``text`` in terminal cells (a CJK character or an emoji takes two)."""
    if text.isascii():  # printable: control characters were escaped before they came here
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)


def table_width(widths: Sequence[int]) -> int:
    """A table's width in cells: each column padded by a space either side, with rules between."""
    return sum(widths) + 3 * len(widths) + 1


def text_width(text: str) -> int:
    """The cells the widest line of ``text`` takes (tabs expanded)."""
    if "\n" not in text and "\t" not in text:
        return cells(text)
    return max(cells(line.expandtabs()) for line in text.split("\n"))


def longest_piece(text: str, fold: Fold) -> int:
    """The narrowest a column may be for ``text`` to fold only where ``fold`` allows."""
    if fold is Fold.NEVER:
        return text_width(text)
    return max((cells(piece.rstrip()) for piece in _pieces(text.expandtabs(), fold)), default=0)


_WORDS_RE = re.compile(r"\S+\s*|\s+")
_HYPHENS_RE = re.compile(r"[^\s-]+-*\s*|-+\s*|\s+")


def _pieces(line: str, fold: Fold) -> list[str]:
    """``line`` cut where it may fold: each word (after a hyphen, too, with HYPHENS) with the
    spaces after it."""
    return (_HYPHENS_RE if fold is Fold.HYPHENS else _WORDS_RE).findall(line)


def _chop(word: str, width: int) -> list[str]:
    """A word too long for its column, cut into lines of at most ``width`` cells."""
    if word.isascii():
        return [word[i : i + width] for i in range(0, len(word), width)]
    from rich.cells import chop_cells

    return chop_cells(word, width)


def wrap(text: str, width: int, fold: Fold) -> list[str]:
    """``text`` as the lines of a cell ``width`` cells wide (none longer, unless ``fold`` is
    NEVER or a single character is wider than the column): greedy, at the places ``fold``
    allows; spaces at the end of a line dropped, those within it kept."""
    width = max(width, 1)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        paragraph = paragraph.expandtabs()
        if fold is Fold.NEVER or cells(paragraph) <= width:
            lines.append(paragraph.rstrip())
            continue
        line, used = "", 0
        for piece in _pieces(paragraph, fold):
            word = piece.rstrip()
            size = cells(word)
            if line and used + size <= width:
                line, used = line + piece, used + cells(piece)
                continue
            if line.strip():  # (an indent alone is dropped when the word does not fit beside it)
                lines.append(line.rstrip())
            if size > width:
                *whole, last = _chop(word, width)
                lines.extend(whole)
                word = last
            line = word + piece[len(piece.rstrip()) :]
            used = cells(line)
        lines.append(line.rstrip())
    return lines


def render(
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[int],
    folds: Sequence[Fold],
    *,
    title: str | None = None,
    box: Box = HEAVY_HEAD,
    styled: bool = False,
) -> str:
    """The table as text, every line ending in a newline: the title (folded to the table's
    width) above the frame, the headings, then a row per entry of ``rows``. ``styled``: the
    title in italic and the headings in bold (for a terminal with colour)."""
    out: list[str] = []
    if title is not None:
        for line in wrap(title, table_width(widths), Fold.WORDS):
            out.append(f"{ITALIC}{line}{RESET}" if styled and line else line)
    fills = [w + 2 for w in widths]
    left, fill, between, right = box.top
    out.append(left + between.join(fill * f for f in fills) + right)
    heading_cells = [wrap(h, w, fold) for h, w, fold in zip(headings, widths, folds, strict=True)]
    out.extend(_row_lines(heading_cells, widths, box.head, bold=styled, bottom=True))
    left, fill, between, right = box.under_head
    out.append(left + between.join(fill * f for f in fills) + right)

    upright = box.body
    joint, start, end = f" {upright} ", f"{upright} ", f" {upright}"
    for row in rows:
        parts = []
        for text, width in zip(row, widths, strict=True):
            if "\n" in text or "\t" in text:
                break
            pad = width - cells(text)
            if pad < 0:
                break
            parts.append(text + " " * pad)
        else:  # every cell on one line: the common case, kept quick
            out.append(start + joint.join(parts) + end)
            continue
        lines = [wrap(text, w, fold) for text, w, fold in zip(row, widths, folds, strict=True)]
        out.extend(_row_lines(lines, widths, upright, bold=False, bottom=False))
    left, fill, between, right = box.bottom
    out.append(left + between.join(fill * f for f in fills) + right)
    return "\n".join(out) + "\n"


def _row_lines(
    lines: Sequence[Sequence[str]],
    widths: Sequence[int],
    upright: str,
    *,
    bold: bool,
    bottom: bool,
) -> list[str]:
    """The text lines of one row whose cells have been folded into ``lines``: top aligned, or
    with ``bottom`` aligned on the last line (as Rich sets headings)."""
    height = max((len(cell) for cell in lines), default=1)
    out = []
    for n in range(height):
        parts = []
        for cell, width in zip(lines, widths, strict=True):
            k = n - (height - len(cell)) if bottom else n
            text = cell[k] if 0 <= k < len(cell) else ""
            pad = " " * max(width - cells(text), 0)
            parts.append(f"{BOLD}{text}{RESET}{pad}" if bold and text else text + pad)
        out.append(f"{upright} " + f" {upright} ".join(parts) + f" {upright}")
    return out


def layout(
    natural: Sequence[int], least: Sequence[int], foldable: Sequence[bool], width: int
) -> list[int]:
    """The columns' widths for a table at most ``width`` cells wide, where it can be: each
    column at its ``natural`` width (its widest cell), then the foldable ones narrowed, the
    widest first, but none below its ``least``."""
    widths = list(natural)
    excess = table_width(widths) - width
    while excess > 0:
        narrowable = [i for i, w in enumerate(widths) if foldable[i] and w > least[i]]
        if not narrowable:
            break
        widest = max(widths[i] for i in narrowable)
        # (Of columns as wide, the one with the most text first: it folds anyway.)
        tied = sorted((i for i in narrowable if widths[i] == widest), key=lambda i: -natural[i])
        # Down to the next width among them (or the least one of them allows), evenly.
        others = [widths[i] for i in narrowable if widths[i] < widest]
        floor = max([*others, *(least[i] for i in tied)])
        cut = min(widest - floor, max(1, excess // len(tied)))
        for i in tied:
            widths[i] -= cut
            excess -= cut
            if excess <= 0:
                break
    return widths


NARROWEST = 4  # the narrowest a column is folded to before any column is narrower still


def fit(
    natural: Sequence[int],
    least: Sequence[int],
    folds: Sequence[Fold],
    width: int,
    texts: Sequence[Sequence[str]],
) -> tuple[list[int], list[Fold]]:
    """Widths for columns to fit ``width`` cells, and how each then folds (``texts``: each
    column's heading and cells). In turn, until the table fits, the widest first each time:
    the foldable columns down to their ``least`` (free text to a few words, a grade at its
    hyphen); any column down to its longest word (a time under its date); the foldable
    columns inside words too; then every column, rather than a line running past the edge of
    the terminal."""
    n = len(natural)
    foldable = [fold is not Fold.NEVER for fold in folds]
    widths = layout(natural, least, foldable, width)
    if table_width(widths) > width:
        words = [
            min(w, max(longest_piece(t, Fold.HYPHENS if f is Fold.HYPHENS else Fold.WORDS)
                       for t in column))
            for w, f, column in zip(widths, folds, texts, strict=True)
        ]  # fmt: skip
        widths = layout(widths, words, [True] * n, width)
    if table_width(widths) > width:
        narrowest = [min(w, NARROWEST) if f else w for w, f in zip(widths, foldable, strict=True)]
        widths = layout(widths, narrowest, foldable, width)
    if table_width(widths) > width:
        widths = layout(widths, [min(w, NARROWEST) for w in widths], [True] * n, width)
    if table_width(widths) > width:  # a terminal narrower than any sense
        widths = layout(widths, [1] * n, [True] * n, width)
    shown = [
        Fold.WORDS if fold is Fold.NEVER and w < full else fold
        for fold, w, full in zip(folds, widths, natural, strict=True)
    ]
    return widths, shown
