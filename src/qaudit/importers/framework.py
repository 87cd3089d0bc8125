"""The audit framework (areas and their questions), the theme vocabulary, and an auditor's answers.

A council may replace the framework and themes files, so every problem names the file and line.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qaudit.errors import InputError
from qaudit.files import TooLarge, read_limited

ANSWER_VALUES = ("outstanding", "good", "requires-improvement", "inadequate", "not-applicable")
"""What a framework question may be answered: the Ofsted grade slugs, or not-applicable."""

ANSWER_SUFFIXES = (".toml", ".json", ".csv")

# Every spelling an auditor may use, once normalised by _norm: slugs, the Ofsted labels, the
# short "Requires improvement", and the usual ways of writing "not applicable".
_ANSWER_ALIASES: dict[str, str] = {
    **{slug: slug for slug in ANSWER_VALUES},
    "requires-improvement-to-be-good": "requires-improvement",
    "n/a": "not-applicable",
    "na": "not-applicable",
}

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_SEPARATORS = re.compile(r"[\s_-]+")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")
_ANY_HEADER = re.compile(r"\s*\[")
_TOML_AT = re.compile(r"(?P<problem>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)\Z", re.S)
_TOML_AT_END = re.compile(r"(?P<problem>.*) \(at end of document\)\Z", re.S)
_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Question:
    id: str
    area_id: str
    text: str
    guidance: str | None


@dataclass(frozen=True)
class Area:
    id: str
    title: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Framework:
    name: str
    version: str
    areas: tuple[Area, ...]

    @property
    def questions(self) -> tuple[Question, ...]:
        """Every question, area by area, in the framework's order."""
        return tuple(question for area in self.areas for question in area.questions)

    def question(self, qid: str) -> Question | None:
        """The question with this id, written in any case or spacing; None if there is none."""
        key = _norm(qid)
        return next((q for area in self.areas for q in area.questions if q.id == key), None)


@dataclass(frozen=True)
class Theme:
    id: str
    label: str


def _norm(text: str) -> str:
    """Lower case, with runs of spaces, hyphens and underscores as one hyphen."""
    return _SEPARATORS.sub("-", text.strip().lower()).strip("-")


def parse_answer(text: str) -> str:
    """The answer slug for a slug, an Ofsted label, "Requires improvement" or "n/a", any case."""
    slug = _ANSWER_ALIASES.get(_norm(text))
    if slug is None:
        raise ValueError(f"'{text.strip()}' is not an answer; answers: {', '.join(ANSWER_VALUES)}")
    return slug


def parse_theme(text: str, themes: Sequence[Theme]) -> Theme:
    """The theme whose id or label this is, in any case or spacing.

    A plain ValueError, not an InputError: the text usually comes from the command line.
    """
    key = _norm(text)
    for theme in themes:
        if key and key in (theme.id, _norm(theme.label)):
            return theme
    known = ", ".join(theme.id for theme in themes)
    raise ValueError(f"'{text.strip()}' is not a theme; known themes: {known}")


# ---------------------------------------------------------------------------------------------
# Reading files


def _read_text(path: Path, *, csv_fields: bool = False) -> str:
    """The file's text, refusing a missing, empty or non-UTF-8 file (a leading BOM is fine)."""
    file = str(path)
    try:
        raw = read_limited(path)
    except FileNotFoundError:
        raise InputError("not found", file=file) from None
    except IsADirectoryError:
        raise InputError("is not a file", file=file) from None
    except TooLarge as exc:
        raise InputError(str(exc), file=file) from None
    except OSError as exc:
        raise InputError(f"cannot read it ({exc.strerror})", file=file) from None
    body = raw.removeprefix(_UTF8_BOM)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _bad_byte_place(body, exc.start, csv_fields=csv_fields)
        hint = " (save it as 'CSV UTF-8')" if csv_fields else " (save it with UTF-8 encoding)"
        raise InputError(
            f"the file is not UTF-8 text{hint}", file=file, line=line, column=column
        ) from None
    if not text.strip():
        raise InputError("the file is empty", file=file)
    return text


def _bad_byte_place(raw: bytes, start: int, *, csv_fields: bool) -> tuple[int, int]:
    """Line and column of the byte at ``start``: for a CSV the column is the field's number."""
    line_start = raw.rfind(b"\n", 0, start) + 1
    before = raw[line_start:start]
    column = before.count(b",") + 1 if csv_fields else len(before.decode("utf-8")) + 1
    return raw.count(b"\n", 0, start) + 1, column


def _load_toml(path: Path) -> tuple[dict[str, Any], str]:
    text = _read_text(path)
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(exc, text, str(path)) from None


def _toml_error(exc: tomllib.TOMLDecodeError, text: str, file: str) -> InputError:
    message = str(exc)
    # tomllib puts the position only in its message: "... (at line L, column C)".
    if match := _TOML_AT.match(message):
        return InputError(
            f"not valid TOML: {match['problem']}",
            file=file,
            line=int(match["line"]),
            column=int(match["column"]),
        )
    if match := _TOML_AT_END.match(message):
        return InputError(
            f"not valid TOML: {match['problem']} at the end of the file",
            file=file,
            line=max(len(text.splitlines()), 1),
        )
    return InputError(f"not valid TOML: {message}", file=file)


class _TomlLines:
    """Where tables and keys are in a TOML text: tomllib gives the values but no positions.

    Found by matching lines, so a table written inline is not found and gets no line number.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def headers(self, pattern: str) -> list[int]:
        """Lines of the array-of-tables headers ``[[pattern]]`` (a regex for the dotted name)."""
        header = re.compile(rf"\s*\[\[\s*{pattern}\s*\]\]\s*(?:#.*)?\Z")
        return [n for n, line in enumerate(self.lines, start=1) if header.match(line)]

    def table_header(self, name: str) -> int | None:
        header = re.compile(rf"\s*\[\s*{re.escape(name)}\s*\]\s*(?:#.*)?\Z")
        return next((n for n, line in enumerate(self.lines, start=1) if header.match(line)), None)

    def table_end(self, header: int) -> int:
        """The last line of the table whose header is on line ``header``."""
        for number in range(header + 1, len(self.lines) + 1):
            if _ANY_HEADER.match(self.lines[number - 1]):
                return number - 1
        return len(self.lines)

    def key(self, key: str, first: int = 1, last: int | None = None) -> tuple[int, int] | None:
        """Line and column of ``key = …`` written bare or quoted, between two lines."""
        spellings = [json.dumps(key, ensure_ascii=False), f"'{key}'"]
        if _BARE_KEY.match(key):
            spellings.append(key)
        pattern = re.compile(rf"(\s*)(?:{'|'.join(map(re.escape, spellings))})\s*=")
        stop = len(self.lines) if last is None else last
        for number in range(max(first, 1), stop + 1):
            if match := pattern.match(self.lines[number - 1]):
                return number, len(match.group(1)) + 1
        return None

    def key_line(self, key: str, first: int | None, fallback: int | None = None) -> int | None:
        """The line of ``key`` in the table starting on line ``first``, else ``fallback``."""
        if first is None:
            return fallback
        place = self.key(key, first, self.table_end(first))
        return place[0] if place else (fallback if fallback is not None else first)

    def top_level(self, key: str) -> int | None:
        """The line where a top-level key or table is first written."""
        start = re.compile(rf"\s*\[{{1,2}}\s*{re.escape(key)}\s*[\].]")
        for number, line in enumerate(self.lines, start=1):
            if start.match(line):
                return number
        place = self.key(key)
        return place[0] if place else None


def _check_keys(
    table: dict[str, Any],
    allowed: Sequence[str],
    what: str,
    *,
    file: str,
    lines: _TomlLines,
    header: int | None,
) -> None:
    for key in table:
        if key not in allowed:
            expected = " and ".join(
                [", ".join(allowed[:-1]), allowed[-1]] if allowed[:-1] else allowed
            )
            raise InputError(
                f"unknown key '{key}' in {what} (expected {expected})",
                file=file,
                line=lines.key_line(key, header),
            )


def _text_value(
    table: dict[str, Any], key: str, what: str, *, file: str, line: int | None
) -> str | None:
    """A text value with its whitespace tidied (multi-line strings), or None when absent."""
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"the {key} of {what} must be text in quotes", file=file, line=line)
    return " ".join(value.split()) or None


def _slug_id(
    table: dict[str, Any], what: str, *, file: str, lines: _TomlLines, header: int | None
) -> str:
    value = _text_value(table, "id", what, file=file, line=lines.key_line("id", header))
    if value is None:
        raise InputError(f"{what} has no id", file=file, line=header)
    if not _SLUG.match(value):
        suggestion = _norm(value)
        example = f", e.g. '{suggestion}'" if _SLUG.match(suggestion) else ""
        raise InputError(
            f"the id '{value}' of {what} must be lower-case letters, digits and hyphens{example}",
            file=file,
            line=lines.key_line("id", header),
        )
    return value


def _tables(value: Any) -> list[dict[str, Any]] | None:
    """The tables of an array of tables, or None if it is something else."""
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return value
    return None


def _headers_for(found: list[int], count: int) -> list[int | None]:
    """Header lines matched to parsed tables one to one; none when they cannot be paired."""
    return list(found) if len(found) == count else [None] * count


# ---------------------------------------------------------------------------------------------
# The framework


def load_framework(path: Path) -> Framework:
    """The areas and questions of a framework file (``data/framework.toml`` or the council's)."""
    file = str(path)
    doc, text = _load_toml(path)
    lines = _TomlLines(text)
    for key in doc:
        if key not in ("framework", "area"):
            raise InputError(
                f"unknown top-level key '{key}' (expected [framework] and [[area]] tables)",
                file=file,
                line=lines.top_level(key),
            )
    head = doc.get("framework")
    if not isinstance(head, dict):
        raise InputError(
            "no [framework] table giving the framework's name and version",
            file=file,
            line=lines.top_level("framework"),
        )
    head_line = lines.table_header("framework")
    _check_keys(head, ("name", "version"), "[framework]", file=file, lines=lines, header=head_line)
    name = _text_value(
        head, "name", "the framework", file=file, line=lines.key_line("name", head_line)
    )
    if isinstance(head.get("version"), int) and not isinstance(head["version"], bool):
        # A council may number its versions: keep the number as written.
        head = {**head, "version": str(head["version"])}
    version = _text_value(
        head, "version", "the framework", file=file, line=lines.key_line("version", head_line)
    )
    if name is None or version is None:
        missing = "name" if name is None else "version"
        raise InputError(f"the [framework] table has no {missing}", file=file, line=head_line)

    area_tables = _tables(doc.get("area"))
    if not area_tables:
        raise InputError(
            "the framework has no areas: add an [[area]] table and its [[area.question]] tables",
            file=file,
            line=lines.top_level("area") if "area" in doc else None,
        )
    area_lines = _headers_for(lines.headers("area"), len(area_tables))
    question_lines = lines.headers(r"area\s*\.\s*question")
    areas: list[Area] = []
    area_ids: dict[str, int | None] = {}
    question_ids: dict[str, tuple[str, int | None]] = {}
    for index, table in enumerate(area_tables):
        header = area_lines[index]
        what = f"area {index + 1}"
        _check_keys(table, ("id", "title", "question"), what, file=file, lines=lines, header=header)
        area_id = _slug_id(table, what, file=file, lines=lines, header=header)
        what = f"area '{area_id}'"
        if area_id in area_ids:
            raise InputError(
                f"the area id '{area_id}' is used twice{_first_at(area_ids[area_id])}",
                file=file,
                line=lines.key_line("id", header),
            )
        area_ids[area_id] = lines.key_line("id", header)
        title = _text_value(table, "title", what, file=file, line=lines.key_line("title", header))
        if title is None:
            raise InputError(f"{what} has no title", file=file, line=header)
        question_tables = _tables(table.get("question"))
        if not question_tables:
            raise InputError(
                f"{what} has no questions: add [[area.question]] tables after it",
                file=file,
                line=header,
            )
        next_area = area_lines[index + 1] if index + 1 < len(area_lines) else None
        in_area = [
            n
            for n in question_lines
            if header is not None and n > header and (next_area is None or n < next_area)
        ]
        q_lines = _headers_for(in_area, len(question_tables))
        questions: list[Question] = []
        for number, q_table in enumerate(question_tables, start=1):
            q_header = q_lines[number - 1]
            q_what = f"question {number} of {what}"
            _check_keys(
                q_table,
                ("id", "text", "guidance"),
                q_what,
                file=file,
                lines=lines,
                header=q_header,
            )
            qid = _slug_id(q_table, q_what, file=file, lines=lines, header=q_header)
            q_what = f"question '{qid}'"
            if qid in question_ids:
                first_area, first_line = question_ids[qid]
                raise InputError(
                    f"the question id '{qid}' is used twice (first in area '{first_area}'"
                    f"{'' if first_line is None else f', line {first_line}'}); "
                    "question ids must be unique across the framework",
                    file=file,
                    line=lines.key_line("id", q_header),
                )
            question_ids[qid] = (area_id, lines.key_line("id", q_header))
            q_text = _text_value(
                q_table, "text", q_what, file=file, line=lines.key_line("text", q_header)
            )
            if q_text is None:
                raise InputError(f"{q_what} has no text", file=file, line=q_header)
            guidance = _text_value(
                q_table,
                "guidance",
                q_what,
                file=file,
                line=lines.key_line("guidance", q_header),
            )
            questions.append(Question(qid, area_id, q_text, guidance))
        areas.append(Area(area_id, title, tuple(questions)))
    return Framework(name, version, tuple(areas))


def _first_at(line: int | None) -> str:
    return "" if line is None else f" (first at line {line})"


# ---------------------------------------------------------------------------------------------
# Themes


def load_themes(path: Path) -> tuple[Theme, ...]:
    """The theme vocabulary of a themes file (``data/themes.toml`` or the council's)."""
    file = str(path)
    doc, text = _load_toml(path)
    lines = _TomlLines(text)
    for key in doc:
        if key != "theme":
            raise InputError(
                f"unknown top-level key '{key}' (expected [[theme]] tables)",
                file=file,
                line=lines.top_level(key),
            )
    tables = _tables(doc.get("theme"))
    if not tables:
        raise InputError(
            "the file has no themes: add [[theme]] tables, each with an id and a label",
            file=file,
            line=lines.top_level("theme") if "theme" in doc else None,
        )
    headers = _headers_for(lines.headers("theme"), len(tables))
    themes: list[Theme] = []
    # Both ids and labels are accepted as input, so each spelling must mean one theme.
    spellings: dict[str, tuple[str, int | None]] = {}
    for index, table in enumerate(tables):
        header = headers[index]
        what = f"theme {index + 1}"
        _check_keys(table, ("id", "label"), what, file=file, lines=lines, header=header)
        theme_id = _slug_id(table, what, file=file, lines=lines, header=header)
        label_line = lines.key_line("label", header)
        label = _text_value(table, "label", f"theme '{theme_id}'", file=file, line=label_line)
        if label is None:
            raise InputError(f"theme '{theme_id}' has no label", file=file, line=header)
        id_line = lines.key_line("id", header)
        for spelling, shown, line in (
            (theme_id, theme_id, id_line),
            (_norm(label), label, label_line),
        ):
            other = spellings.get(spelling)
            if other is None:
                spellings[spelling] = (theme_id, line)
            elif other[0] == theme_id and shown == theme_id:
                raise InputError(
                    f"the theme id '{theme_id}' is used twice{_first_at(other[1])}",
                    file=file,
                    line=line,
                )
            elif other[0] != theme_id:
                raise InputError(
                    f"'{shown}' of theme '{theme_id}' reads the same as theme "
                    f"'{other[0]}'{_first_at(other[1])}",
                    file=file,
                    line=line,
                )
        themes.append(Theme(theme_id, label))
    return tuple(themes)


# ---------------------------------------------------------------------------------------------
# Answers


@dataclass(frozen=True)
class _Entry:
    """One question-and-answer pair as written, with where to point at the key and the value."""

    key: str
    value: object
    line: int | None = None
    key_column: int | None = None
    value_column: int | None = None
    key_column_name: str | None = None
    value_column_name: str | None = None


def read_answers(path: Path, framework: Framework) -> dict[str, str]:
    """An auditor's answers to the framework's questions: question id → answer slug.

    TOML (an ``[answers]`` table), JSON (an object, bare or under ``"answers"``) or CSV (header
    ``question,answer``), by the file's extension. Questions may be left out; the result
    follows the framework's order.
    """
    file = str(path)
    suffix = path.suffix.lower()
    if suffix not in ANSWER_SUFFIXES:
        found = f"'{path.suffix}'" if path.suffix else "no extension"
        raise InputError(
            f"an answers file must end in .toml, .json or .csv (this one has {found})",
            file=file,
        )
    text = _read_text(path, csv_fields=suffix == ".csv")
    if suffix == ".toml":
        entries = _toml_answers(text, file)
    elif suffix == ".json":
        entries = _json_answers(text, file)
    else:
        entries = _csv_answers(text, file)
    return _check_answers(entries, framework, file)


def _check_answers(entries: list[_Entry], framework: Framework, file: str) -> dict[str, str]:
    if not entries:
        raise InputError("the file holds no answers", file=file)
    found: dict[str, tuple[str, int | None]] = {}
    for entry in entries:
        if not entry.key.strip():
            raise _entry_error(entry, file, "the question id is blank")
        question = framework.question(entry.key)
        if question is None:
            raise _entry_error(entry, file, _unknown_question(entry.key, framework))
        if question.id in found:
            first = found[question.id][1]
            where = "" if first is None else f" (the first is on line {first})"
            raise _entry_error(entry, file, f"a second answer to '{question.id}'{where}")
        if not isinstance(entry.value, str):
            problem = f"the answer to '{question.id}' must be text, such as \"good\""
            raise _entry_error(entry, file, problem, value=True)
        if not entry.value.strip():
            problem = (
                f"no answer to '{question.id}' (leave the question out, or answer not-applicable)"
            )
            raise _entry_error(entry, file, problem, value=True)
        try:
            slug = parse_answer(entry.value)
        except ValueError:
            problem = (
                f"'{entry.value.strip()}' is not an answer to '{question.id}'; "
                f"answers: {', '.join(ANSWER_VALUES)}"
            )
            raise _entry_error(entry, file, problem, value=True) from None
        found[question.id] = (slug, entry.line)
    return {q.id: found[q.id][0] for q in framework.questions if q.id in found}


def _entry_error(entry: _Entry, file: str, problem: str, *, value: bool = False) -> InputError:
    """An error pointing at the entry's question id, or at its answer when ``value``."""
    return InputError(
        problem,
        file=file,
        line=entry.line,
        column=entry.value_column if value else entry.key_column,
        column_name=entry.value_column_name if value else entry.key_column_name,
    )


def _unknown_question(key: str, framework: Framework) -> str:
    ids = [q.id for q in framework.questions]
    close = difflib.get_close_matches(_norm(key), ids, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    shown = ids[:5]
    more = f" and {len(ids) - len(shown)} more" if len(ids) > len(shown) else ""
    return (
        f"'{key.strip()}' is not a question of the audit framework{hint}; "
        f"known questions include {', '.join(shown)}{more}"
    )


def _toml_answers(text: str, file: str) -> list[_Entry]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        error = _toml_error(exc, text, file)
        if error.problem.startswith("not valid TOML: Invalid value"):
            # Nearly always an answer typed without quotes: good rather than "good".
            error = InputError(
                f'{error.problem} (put each answer in double quotes, e.g. plan-smart = "good")',
                file=file,
                line=error.line,
                column=error.column,
            )
        raise error from None
    lines = _TomlLines(text)
    for key in doc:
        if key != "answers":
            raise InputError(
                f"unexpected '{key}' outside the [answers] table "
                '(write [answers] and under it one line per question: id = "grade")',
                file=file,
                line=lines.top_level(key),
            )
    table = doc.get("answers")
    if not isinstance(table, dict):
        raise InputError(
            'no [answers] table (write [answers] and under it one line per question: id = "grade")',
            file=file,
            line=lines.top_level("answers") if "answers" in doc else None,
        )
    header = lines.table_header("answers")
    first, last = (1, None) if header is None else (header + 1, lines.table_end(header))
    entries = []
    for key, value in table.items():
        place = lines.key(key, first, last)
        line, column = place if place else (None, None)
        entries.append(_Entry(key, value, line, column, column))
    return entries


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as its key-value pairs in order, so a repeated key is seen, not dropped."""


def _json_answers(text: str, file: str) -> list[_Entry]:
    try:
        doc = json.loads(text, object_pairs_hook=_Pairs)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg}", file=file, line=exc.lineno, column=exc.colno
        ) from None
    shape = 'an object of question ids and answers, e.g. {"assessment-current": "good"}'
    if not isinstance(doc, _Pairs):
        raise InputError(f"the file must hold {shape}", file=file, line=1)
    pairs: list[tuple[str, Any]] = doc
    start = 0
    if any(key == "answers" for key, _ in doc):
        for key, _ in doc:
            if key != "answers":
                line, column = _json_key_place(text, key, 0, 1) or (None, None)
                raise InputError(
                    f'unexpected key "{key}" beside "answers"', file=file, line=line, column=column
                )
        if len(doc) > 1:
            line, column = _json_key_place(text, "answers", 0, 2) or (None, None)
            raise InputError('"answers" is given twice', file=file, line=line, column=column)
        inner = doc[0][1]
        anchor = re.search(r'"answers"\s*:', text)
        if not isinstance(inner, _Pairs):
            line, column = _offset_place(text, anchor.start()) if anchor else (None, None)
            raise InputError(f'"answers" must hold {shape}', file=file, line=line, column=column)
        pairs = inner
        start = anchor.end() if anchor else 0
    entries = []
    seen: dict[str, int] = {}
    for key, value in pairs:
        seen[key] = seen.get(key, 0) + 1
        line, column = _json_key_place(text, key, start, seen[key]) or (None, None)
        entries.append(_Entry(key, value, line, column, column))
    return entries


def _json_key_place(text: str, key: str, start: int, occurrence: int) -> tuple[int, int] | None:
    """Line and column of the ``occurrence``-th ``"key":`` after offset ``start``."""
    pattern = re.compile(re.escape(json.dumps(key, ensure_ascii=False)) + r"\s*:")
    matches = pattern.finditer(text, start)
    for count, match in enumerate(matches, start=1):
        if count == occurrence:
            return _offset_place(text, match.start())
    return None


def _offset_place(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _csv_answers(text: str, file: str) -> list[_Entry]:
    records = _csv_records(text, file)
    if not records:
        raise InputError("the file is empty", file=file)
    header_line, header = records[0]
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = _norm(cell)
        if name in ("question", "answer"):
            if name in positions:
                raise InputError(
                    f"two columns are named {name} (columns {positions[name] + 1} and {index + 1})",
                    file=file,
                    line=header_line,
                    column=index + 1,
                )
            positions[name] = index
    missing = [name for name in ("question", "answer") if name not in positions]
    if missing:
        raise InputError(
            f"the header has no {' or '.join(missing)} column (the header must be question,answer)",
            file=file,
            line=header_line,
        )
    q_col, a_col = positions["question"], positions["answer"]
    entries = []
    for line, row in records[1:]:
        if len(row) != len(header):
            raise InputError(
                f"expected {len(header)} fields as in the header, found {len(row)} "
                "(put a value that holds a comma in double quotes)",
                file=file,
                line=line,
            )
        entries.append(
            _Entry(
                key=row[q_col],
                value=row[a_col],
                line=line,
                key_column=q_col + 1,
                value_column=a_col + 1,
                key_column_name=header[q_col].strip(),
                value_column_name=header[a_col].strip(),
            )
        )
    return entries


def _csv_records(text: str, file: str) -> list[tuple[int, list[str]]]:
    """Every non-blank record with the line it starts on (a quoted value may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return records
        except csv.Error as exc:
            raise InputError(f"not a readable CSV ({exc})", file=file, line=start) from None
        if any(cell.strip() for cell in row):
            records.append((start, row))
