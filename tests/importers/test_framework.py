"""The audit framework, the theme vocabulary and answers files: the shipped data, then bad files."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from qaudit.errors import InputError
from qaudit.importers.framework import (
    ANSWER_VALUES,
    Framework,
    Question,
    Theme,
    load_framework,
    load_themes,
    parse_answer,
    parse_theme,
    read_answers,
)

DATA = Path(__file__).resolve().parents[2] / "data"

AREAS = [
    "statutory-documentation",
    "childs-journey",
    "voice-of-the-child",
    "family-feedback",
    "planning",
    "management-oversight",
    "multi-agency-working",
]
REQUIRED_THEMES = {
    "voice-of-the-child",
    "management-oversight",
    "planning",
    "timeliness",
    "multi-agency-working",
    "family-feedback",
    "statutory-visits",
    "assessment",
    "risk-and-safety",
    "permanence",
    "recording",
    "education-and-health",
    "transitions",
}

# A small framework whose line numbers the error tests below rely on.
SMALL = """\
[framework]
name = "Test framework"
version = "1"

[[area]]
id = "documents"
title = "Documents"

[[area.question]]
id = "assessment-current"
text = "Is the assessment up to date?"

[[area.question]]
id = "plan-on-file"
text = "Is the plan on file?"
guidance = "Any current plan."

[[area.question]]
id = "chronology"
text = "Is there a chronology?"

[[area]]
id = "planning"
title = "Planning"

[[area.question]]
id = "plan-smart"
text = "Is the plan SMART?"

[[area.question]]
id = "contingency-plan"
text = "Is there a contingency plan?"

[[area.question]]
id = "plan-reviewed"
text = "Is the plan reviewed?"
"""

KNOWN = (
    "known questions include assessment-current, plan-on-file, chronology, plan-smart, "
    "contingency-plan and 1 more"
)
ANSWERS = "answers: outstanding, good, requires-improvement, inadequate, not-applicable"


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def small(tmp_path: Path) -> Framework:
    return load_framework(write(tmp_path, "small.toml", SMALL))


def refusal(call: Callable[[], object]) -> str:
    with pytest.raises(InputError) as info:
        call()
    return str(info.value)


# --- the shipped data ----------------------------------------------------------------------


def test_shipped_framework_loads_with_every_area_in_order() -> None:
    framework = load_framework(DATA / "framework.toml")
    assert framework.name == "qaudit default case audit framework"
    assert framework.version == "2026-11"
    assert [area.id for area in framework.areas] == AREAS
    for area in framework.areas:
        assert 3 <= len(area.questions) <= 6, area.id
        assert area.title
        for question in area.questions:
            assert question.area_id == area.id
            assert question.text.endswith("?"), question.id
            assert question.guidance, question.id
    ids = [q.id for q in framework.questions]
    assert len(ids) == len(set(ids))
    assert len(ids) == sum(len(area.questions) for area in framework.areas)


def test_shipped_framework_covers_what_an_audit_must_look_at() -> None:
    framework = load_framework(DATA / "framework.toml")
    for qid in (
        "assessment-current",
        "plan-on-file",
        "statutory-visits",
        "chronology",
        "plan-smart",
        "contingency-plan",
        "supervision-recorded",
        "decisions-with-rationale",
        "family-views-sought",
    ):
        assert framework.question(qid) is not None, qid


def test_shipped_themes_load_with_the_required_vocabulary() -> None:
    themes = load_themes(DATA / "themes.toml")
    ids = [theme.id for theme in themes]
    assert len(ids) == len(set(ids))
    assert REQUIRED_THEMES - set(ids) == set()
    assert themes[0] == Theme("voice-of-the-child", "Voice of the child")
    for theme in themes:
        assert parse_theme(theme.label, themes) == theme
        assert parse_theme(theme.id.upper(), themes) == theme


def test_every_shipped_question_can_be_answered(tmp_path: Path) -> None:
    framework = load_framework(DATA / "framework.toml")
    rows = ["question,answer"] + [f"{q.id},good" for q in reversed(framework.questions)]
    answers = read_answers(write(tmp_path, "all.csv", "\n".join(rows) + "\n"), framework)
    assert list(answers) == [q.id for q in framework.questions]
    assert set(answers.values()) == {"good"}


# --- lookups and parsing --------------------------------------------------------------------


def test_question_lookup_ignores_case_and_spacing(small: Framework) -> None:
    assert small.question("plan-smart") == Question(
        "plan-smart", "planning", "Is the plan SMART?", None
    )
    assert small.question("  Plan_Smart ") == small.question("plan smart")
    assert small.question("plan-smarter") is None
    assert small.questions[2].guidance is None
    assert small.questions[1].guidance == "Any current plan."
    assert [q.id for q in small.questions][:3] == [
        "assessment-current",
        "plan-on-file",
        "chronology",
    ]


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("outstanding", "outstanding"),
        ("Good", "good"),
        ("requires-improvement", "requires-improvement"),
        ("Requires improvement to be good", "requires-improvement"),
        ("REQUIRES  IMPROVEMENT", "requires-improvement"),
        ("requires_improvement", "requires-improvement"),
        (" Inadequate ", "inadequate"),
        ("n/a", "not-applicable"),
        ("N/A", "not-applicable"),
        ("Not applicable", "not-applicable"),
        ("not-applicable", "not-applicable"),
    ],
)
def test_answers_accept_slugs_labels_and_any_spacing(text: str, slug: str) -> None:
    assert parse_answer(text) == slug
    assert slug in ANSWER_VALUES


def test_an_unknown_answer_is_refused() -> None:
    with pytest.raises(ValueError) as info:
        parse_answer("excellent")
    assert str(info.value) == f"'excellent' is not an answer; {ANSWERS}"


THEMES = (Theme("voice-of-the-child", "Voice of the child"), Theme("planning", "Planning"))


@pytest.mark.parametrize(
    "text",
    ["voice-of-the-child", "Voice of the child", "VOICE OF THE CHILD", " voice_of  the-child "],
)
def test_a_theme_is_matched_by_id_or_label(text: str) -> None:
    assert parse_theme(text, THEMES) == THEMES[0]


@pytest.mark.parametrize("text", ["voice", "", "  "])
def test_an_unknown_theme_is_a_value_error_listing_the_ids(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_theme(text, THEMES)
    assert not isinstance(info.value, InputError)
    assert str(info.value) == (
        f"'{text.strip()}' is not a theme; known themes: voice-of-the-child, planning"
    )


# --- answers: the three formats --------------------------------------------------------------


def test_answers_from_toml(tmp_path: Path, small: Framework) -> None:
    path = write(
        tmp_path,
        "answers.toml",
        """\
        # auditor's answers
        [answers]
        plan-smart = "Requires improvement to be good"
        "Assessment Current" = "GOOD"
        chronology = "n/a"
        """,
    )
    # In the framework's order, whatever the file's.
    assert read_answers(path, small) == {
        "assessment-current": "good",
        "chronology": "not-applicable",
        "plan-smart": "requires-improvement",
    }


@pytest.mark.parametrize("wrapped", [False, True])
def test_answers_from_json(tmp_path: Path, small: Framework, wrapped: bool) -> None:
    answers = {"plan-on-file": "Outstanding", "contingency_plan": "inadequate"}
    body = {"answers": answers} if wrapped else answers
    path = write(tmp_path, "answers.JSON", json.dumps(body, indent=2))
    assert read_answers(path, small) == {
        "plan-on-file": "outstanding",
        "contingency-plan": "inadequate",
    }


def test_answers_from_csv_with_bom_crlf_blank_lines_and_extra_columns(
    tmp_path: Path, small: Framework
) -> None:
    body = (
        "Question , Answer,notes\r\n"
        'plan-reviewed,Requires improvement,"late, twice"\r\n'
        "\r\n"
        "chronology,good,\r\n"
    )
    path = write(tmp_path, "answers.csv", b"\xef\xbb\xbf" + body.encode())
    assert read_answers(path, small) == {
        "chronology": "good",
        "plan-reviewed": "requires-improvement",
    }


# --- answers: refusals ----------------------------------------------------------------------


def test_answers_with_an_unsupported_extension(tmp_path: Path, small: Framework) -> None:
    txt = write(tmp_path, "answers.txt", "plan-smart = good\n")
    bare = write(tmp_path, "answers", "plan-smart = good\n")
    assert refusal(lambda: read_answers(txt, small)) == (
        f"{txt}: an answers file must end in .toml, .json or .csv (this one has '.txt')"
    )
    assert refusal(lambda: read_answers(bare, small)) == (
        f"{bare}: an answers file must end in .toml, .json or .csv (this one has no extension)"
    )


@pytest.mark.parametrize("name", ["a.toml", "a.json", "a.csv"])
@pytest.mark.parametrize("body", ["", "  \n\n"])
def test_an_empty_answers_file(tmp_path: Path, small: Framework, name: str, body: str) -> None:
    path = write(tmp_path, name, body)
    assert refusal(lambda: read_answers(path, small)) == f"{path}: the file is empty"


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("a.toml", "[answers]\n"),
        ("a.json", "{}"),
        ("a.json", '{"answers": {}}'),
        ("a.csv", "question,answer\n"),
    ],
)
def test_an_answers_file_with_no_answers(
    tmp_path: Path, small: Framework, name: str, body: str
) -> None:
    path = write(tmp_path, name, body)
    assert refusal(lambda: read_answers(path, small)) == f"{path}: the file holds no answers"


def test_a_missing_answers_file(tmp_path: Path, small: Framework) -> None:
    path = tmp_path / "nowhere.toml"
    assert refusal(lambda: read_answers(path, small)) == f"{path}: not found"


def test_toml_unknown_question(tmp_path: Path, small: Framework) -> None:
    path = write(
        tmp_path, "a.toml", '[answers]\nplan-smart = "good"\n  assesment-current = "good"\n'
    )
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 3, column 3: 'assesment-current' is not a question of the audit "
        f"framework (did you mean 'assessment-current'?); {KNOWN}"
    )


def test_toml_unknown_question_with_nothing_close(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.toml", '[answers]\nsafeguarding = "good"\n')
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 2, column 1: 'safeguarding' is not a question of the audit framework; "
        f"{KNOWN}"
    )


def test_toml_bad_value(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.toml", '[answers]\nplan-smart = "good"\n"chronology" = "excellent"\n')
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 3, column 1: 'excellent' is not an answer to 'chronology'; {ANSWERS}"
    )


def test_toml_value_that_is_not_text(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.toml", "[answers]\nplan-smart = 2\n")
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 2, column 1: the answer to 'plan-smart' must be text, such as \"good\""
    )


def test_toml_blank_value(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.toml", '[answers]\nplan-smart = " "\n')
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 2, column 1: no answer to 'plan-smart' "
        "(leave the question out, or answer not-applicable)"
    )


def test_toml_same_question_twice_in_different_spellings(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.toml", '[answers]\nplan-smart = "good"\n"Plan Smart" = "good"\n')
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 3, column 1: a second answer to 'plan-smart' (the first is on line 2)"
    )


def test_toml_same_key_twice(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.toml", '[answers]\nplan-smart = "good"\nplan-smart = "good"\n')
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 3, column 20: not valid TOML: Cannot overwrite a value"
    )


def test_toml_unquoted_answer(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.toml", "[answers]\nplan-smart = good\n")
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 2, column 14: not valid TOML: Invalid value "
        '(put each answer in double quotes, e.g. plan-smart = "good")'
    )


def test_toml_invalid_syntax(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.toml", '[answers\nplan-smart = "good"\n')
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 1, column 9: not valid TOML: Expected ']' at the end of a table declaration"
    )


def test_toml_answers_outside_the_answers_table(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.toml", '# answers\nplan-smart = "good"\n')
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 2: unexpected 'plan-smart' outside the [answers] table "
        '(write [answers] and under it one line per question: id = "grade")'
    )


def test_toml_answers_that_is_not_a_table(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.toml", 'answers = "good"\n')
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 1: no [answers] table "
        '(write [answers] and under it one line per question: id = "grade")'
    )


def test_toml_not_utf8(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.toml", b'[answers]\nplan-smart = "g\xe9od"\n')
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 2, column 16: the file is not UTF-8 text (save it with UTF-8 encoding)"
    )


def test_json_invalid(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.json", '{\n  "plan-smart": "good",\n}\n')
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 3, column 1: not valid JSON: "
        "Expecting property name enclosed in double quotes"
    )


def test_json_not_an_object(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.json", '["good"]')
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 1: the file must hold an object of question ids and answers, "
        'e.g. {"assessment-current": "good"}'
    )


def test_json_unknown_question(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.json", '{\n  "plan-smart": "good",\n  "plan-smrt": "good"\n}\n')
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 3, column 3: 'plan-smrt' is not a question of the audit framework "
        f"(did you mean 'plan-smart'?); {KNOWN}"
    )


def test_json_bad_value_in_the_wrapped_form(tmp_path: Path, small: Framework) -> None:
    body = '{"answers": {\n    "plan-smart": "good",\n    "chronology": "so-so"\n}}\n'
    path = write(tmp_path, "a.json", body)
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 3, column 5: 'so-so' is not an answer to 'chronology'; {ANSWERS}"
    )


def test_json_null_value(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.json", '{"plan-smart": null}')
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 1, column 2: the answer to 'plan-smart' must be text, such as \"good\""
    )


def test_json_duplicate_key(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.json", '{"plan-smart": "good",\n "plan-smart": "inadequate"}')
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 2, column 2: a second answer to 'plan-smart' (the first is on line 1)"
    )


def test_json_other_keys_beside_answers(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.json", '{"answers": {"plan-smart": "good"},\n "case": "X1"}')
    assert refusal(lambda: read_answers(path, small)) == (
        f'{path}, line 2, column 2: unexpected key "case" beside "answers"'
    )


def test_json_answers_that_is_not_an_object(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.json", '{\n "answers": ["good"]}')
    assert refusal(lambda: read_answers(path, small)) == (
        f'{path}, line 2, column 2: "answers" must hold an object of question ids and answers, '
        'e.g. {"assessment-current": "good"}'
    )


def test_json_not_utf8(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.json", b'{\n"plan-smart": "\xff"}')
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 2, column 16: the file is not UTF-8 text (save it with UTF-8 encoding)"
    )


def test_csv_missing_column(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.csv", "\nquestion,grade\nplan-smart,good\n")
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 2: the header has no answer column (the header must be question,answer)"
    )


def test_csv_column_named_twice(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.csv", "question,answer,Answer\nplan-smart,good,good\n")
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 1, column 3: two columns are named answer (columns 2 and 3)"
    )


def test_csv_unknown_question(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.csv", "answer,question\ngood,plan-smart\ngood,care plan\n")
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 3, column 2 (question): 'care plan' is not a question of the audit "
        f"framework; {KNOWN}"
    )


def test_csv_bad_value_counts_lines_of_a_multi_line_record(
    tmp_path: Path, small: Framework
) -> None:
    body = 'question,notes,answer\nplan-smart,"seen\nby two",good\nchronology,,Adequate\n'
    path = write(tmp_path, "a.csv", body)
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 4, column 3 (answer): 'Adequate' is not an answer to 'chronology'; {ANSWERS}"
    )


def test_csv_blank_answer(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.csv", "question,answer\nplan-smart,\n")
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 2, column 2 (answer): no answer to 'plan-smart' "
        "(leave the question out, or answer not-applicable)"
    )


def test_csv_blank_question(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.csv", "question,answer\n ,good\n")
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 2, column 1 (question): the question id is blank"
    )


def test_csv_duplicate(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.csv", "question,answer\nplan-smart,good\nPLAN_SMART,good\n")
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 3, column 1 (question): a second answer to 'plan-smart' "
        "(the first is on line 2)"
    )


def test_csv_wrong_number_of_fields(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.csv", "question,answer\nplan-smart,good, but late\n")
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 2: expected 2 fields as in the header, found 3 "
        "(put a value that holds a comma in double quotes)"
    )


def test_csv_not_utf8(tmp_path: Path, small: Framework) -> None:
    path = write(tmp_path, "a.csv", b"question,answer\nplan-smart,good\nchronology,g\x96od\n")
    assert refusal(lambda: read_answers(path, small)) == (
        f"{path}, line 3, column 2: the file is not UTF-8 text (save it as 'CSV UTF-8')"
    )


# --- framework files: refusals --------------------------------------------------------------


def framework_refusal(tmp_path: Path, body: str | bytes) -> str:
    path = write(tmp_path, "framework.toml", body)
    return refusal(lambda: load_framework(path)).replace(str(path), "F")


AREA = '[[area]]\nid = "planning"\ntitle = "Planning"\n'
QUESTION = '[[area.question]]\nid = "plan-smart"\ntext = "Is the plan SMART?"\n'
HEAD = '[framework]\nname = "Test"\nversion = "1"\n'


def test_framework_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    assert refusal(lambda: load_framework(path)) == f"{path}: not found"


def test_framework_that_never_ends_is_refused_unread(tmp_path: Path) -> None:
    path = Path("/dev/zero")  # named by mistake: read whole, it would fill the memory
    assert refusal(lambda: load_framework(path)) == (
        "/dev/zero: it holds more than 1 MiB, the most such a file may"
    )
    big = "# a comment\n" * 100_000  # 1.2 MB of valid TOML: no framework is that long
    assert framework_refusal(tmp_path, HEAD + big) == (
        "F: it holds more than 1 MiB, the most such a file may"
    )


def test_framework_empty_file(tmp_path: Path) -> None:
    assert framework_refusal(tmp_path, "\n") == "F: the file is empty"


def test_framework_invalid_toml(tmp_path: Path) -> None:
    body = HEAD + AREA + '[[area.question]]\nid = "plan-smart"\ntext = Is the plan SMART?\n'
    assert framework_refusal(tmp_path, body) == "F, line 9, column 8: not valid TOML: Invalid value"


def test_framework_invalid_toml_at_the_end(tmp_path: Path) -> None:
    assert framework_refusal(tmp_path, HEAD + "extra =") == (
        "F, line 4: not valid TOML: Invalid value at the end of the file"
    )


def test_framework_not_utf8(tmp_path: Path) -> None:
    assert framework_refusal(tmp_path, b'[framework]\nname = "\xa3"\n') == (
        "F, line 2, column 9: the file is not UTF-8 text (save it with UTF-8 encoding)"
    )


def test_framework_without_its_table(tmp_path: Path) -> None:
    assert framework_refusal(tmp_path, AREA + QUESTION) == (
        "F: no [framework] table giving the framework's name and version"
    )


def test_framework_without_a_version(tmp_path: Path) -> None:
    body = '[framework]\nname = "Test"\n\n' + AREA + QUESTION
    assert framework_refusal(tmp_path, body) == "F, line 1: the [framework] table has no version"


def test_framework_version_may_be_a_number(tmp_path: Path) -> None:
    path = write(tmp_path, "f.toml", '[framework]\nname = "Test"\nversion = 3\n' + AREA + QUESTION)
    assert load_framework(path).version == "3"


def test_framework_with_no_areas(tmp_path: Path) -> None:
    assert framework_refusal(tmp_path, HEAD) == (
        "F: the framework has no areas: add an [[area]] table and its [[area.question]] tables"
    )


def test_framework_unknown_top_level_table(tmp_path: Path) -> None:
    body = HEAD + AREA + QUESTION + "[meta]\nowner = 'QA'\n"
    assert framework_refusal(tmp_path, body) == (
        "F, line 10: unknown top-level key 'meta' (expected [framework] and [[area]] tables)"
    )


def test_framework_area_without_id(tmp_path: Path) -> None:
    body = HEAD + AREA + QUESTION + '\n[[area]]\ntitle = "Oversight"\n' + QUESTION
    assert framework_refusal(tmp_path, body) == "F, line 11: area 2 has no id"


def test_framework_area_without_title(tmp_path: Path) -> None:
    body = HEAD + '[[area]]\nid = "planning"\n' + QUESTION
    assert framework_refusal(tmp_path, body) == "F, line 4: area 'planning' has no title"


def test_framework_area_with_no_questions(tmp_path: Path) -> None:
    body = HEAD + AREA + QUESTION + '[[area]]\nid = "oversight"\ntitle = "Oversight"\n'
    assert framework_refusal(tmp_path, body) == (
        "F, line 10: area 'oversight' has no questions: add [[area.question]] tables after it"
    )


def test_framework_duplicate_area_id(tmp_path: Path) -> None:
    second = '[[area]]\nid = "planning"\ntitle = "More planning"\n'
    other = '[[area.question]]\nid = "plan-reviewed"\ntext = "Reviewed?"\n'
    body = HEAD + AREA + QUESTION + second + other
    assert framework_refusal(tmp_path, body) == (
        "F, line 11: the area id 'planning' is used twice (first at line 5)"
    )


def test_framework_question_without_id(tmp_path: Path) -> None:
    body = HEAD + AREA + QUESTION + '\n[[area.question]]\ntext = "Is there a contingency plan?"\n'
    assert framework_refusal(tmp_path, body) == (
        "F, line 11: question 2 of area 'planning' has no id"
    )


def test_framework_question_without_text(tmp_path: Path) -> None:
    body = HEAD + AREA + '[[area.question]]\nid = "plan-smart"\nguidance = "SMART"\n'
    assert framework_refusal(tmp_path, body) == "F, line 7: question 'plan-smart' has no text"


def test_framework_duplicate_question_id_across_areas(tmp_path: Path) -> None:
    second = '[[area]]\nid = "oversight"\ntitle = "Oversight"\n'
    body = HEAD + AREA + QUESTION + second + QUESTION
    assert framework_refusal(tmp_path, body) == (
        "F, line 14: the question id 'plan-smart' is used twice (first in area 'planning', "
        "line 8); question ids must be unique across the framework"
    )


def test_framework_question_id_that_is_not_a_slug(tmp_path: Path) -> None:
    body = HEAD + AREA + '[[area.question]]\ntext = "Is the plan SMART?"\nid = "Plan SMART"\n'
    assert framework_refusal(tmp_path, body) == (
        "F, line 9: the id 'Plan SMART' of question 1 of area 'planning' must be lower-case "
        "letters, digits and hyphens, e.g. 'plan-smart'"
    )


def test_framework_misspelt_key(tmp_path: Path) -> None:
    body = HEAD + AREA + QUESTION + 'guidence = "Who, what, by when"\n'
    assert framework_refusal(tmp_path, body) == (
        "F, line 10: unknown key 'guidence' in question 1 of area 'planning' "
        "(expected id, text and guidance)"
    )


def test_framework_text_that_is_not_text(tmp_path: Path) -> None:
    body = HEAD + AREA + '[[area.question]]\nid = "plan-smart"\ntext = 5\n'
    assert framework_refusal(tmp_path, body) == (
        "F, line 9: the text of question 'plan-smart' must be text in quotes"
    )


def test_framework_multi_line_text_is_tidied(tmp_path: Path) -> None:
    question = '[[area.question]]\nid = "plan-smart"\ntext = """\nIs the plan\n  SMART?"""\n'
    path = write(tmp_path, "f.toml", HEAD + AREA + question)
    assert load_framework(path).questions[0].text == "Is the plan SMART?"


# --- themes files: refusals -----------------------------------------------------------------


def themes_refusal(tmp_path: Path, body: str) -> str:
    path = write(tmp_path, "themes.toml", body)
    return refusal(lambda: load_themes(path)).replace(str(path), "T")


PLANNING = '[[theme]]\nid = "planning"\nlabel = "Planning"\n'


def test_themes_empty_file(tmp_path: Path) -> None:
    assert themes_refusal(tmp_path, "") == "T: the file is empty"


def test_themes_with_no_themes(tmp_path: Path) -> None:
    assert themes_refusal(tmp_path, "# nothing yet\n") == (
        "T: the file has no themes: add [[theme]] tables, each with an id and a label"
    )


def test_themes_invalid_toml(tmp_path: Path) -> None:
    assert themes_refusal(tmp_path, PLANNING + "[[theme]\n") == (
        "T, line 4, column 8: not valid TOML: Expected ']]' at the end of an array declaration"
    )


def test_themes_missing_id(tmp_path: Path) -> None:
    assert themes_refusal(tmp_path, PLANNING + '[[theme]]\nlabel = "Timeliness"\n') == (
        "T, line 4: theme 2 has no id"
    )


def test_themes_missing_label(tmp_path: Path) -> None:
    assert themes_refusal(tmp_path, PLANNING + '[[theme]]\nid = "timeliness"\n') == (
        "T, line 4: theme 'timeliness' has no label"
    )


def test_themes_duplicate_id(tmp_path: Path) -> None:
    body = PLANNING + '[[theme]]\nid = "planning"\nlabel = "Care planning"\n'
    assert themes_refusal(tmp_path, body) == (
        "T, line 5: the theme id 'planning' is used twice (first at line 2)"
    )


def test_themes_label_that_reads_as_another_theme(tmp_path: Path) -> None:
    body = PLANNING + '[[theme]]\nid = "care-planning"\nlabel = "planning"\n'
    assert themes_refusal(tmp_path, body) == (
        "T, line 6: 'planning' of theme 'care-planning' reads the same as theme 'planning' "
        "(first at line 2)"
    )


def test_themes_unknown_key(tmp_path: Path) -> None:
    body = PLANNING + 'lable = "Plans"\n'
    assert themes_refusal(tmp_path, body) == (
        "T, line 4: unknown key 'lable' in theme 1 (expected id and label)"
    )


def test_themes_unknown_top_level_table(tmp_path: Path) -> None:
    assert themes_refusal(tmp_path, '[themes]\nid = "planning"\n') == (
        "T, line 1: unknown top-level key 'themes' (expected [[theme]] tables)"
    )
