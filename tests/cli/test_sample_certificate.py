"""The sampling certificate as users meet it: `sample --verify`, `--replace`, previews and
redraws counted, and a draw altered by hand found out (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import Cli, raw_sql, scalar_sql, snapshot, write_csv

STAFF = [
    ["name", "role", "team"],
    ["Ann Auditor", "auditor", "Quality Assurance"],
    ["Bob Auditor", "auditor", "Quality Assurance"],
    ["Tess Manager", "team_manager", "Team A"],
]
HEADER = ["case_ref", "team", "worker", "category", "open_date", "close_date"]


def _cases(n: int = 40) -> list[list[str]]:
    teams = ["Team A", "Team B", "Team C"]
    return [HEADER] + [
        [f"K{i:03d}", teams[i % 3], "", ["CIN", "CP", "CLA"][i % 3], "2025-01-01", ""]
        for i in range(n)
    ]


@pytest.fixture
def office(cli: Cli, tmp_path: Path) -> Cli:
    assert cli("staff", "import", str(write_csv(tmp_path / "staff.csv", STAFF))).exit_code == 0
    result = cli("cases", "import", str(write_csv(tmp_path / "cases.csv", _cases())))
    assert result.exit_code == 0, result.stderr
    return cli


def _sample(cli: Cli, *args: str) -> dict[str, Any]:
    result = cli("sample", "--month", "2026-12", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert isinstance(data, dict)
    return data


def _verify(cli: Cli, month: str = "2026-12") -> tuple[int, dict[str, Any], str]:
    result = cli("sample", "--verify", month, "--format", "json")
    return result.exit_code, json.loads(result.stdout or "{}"), result.stderr


def test_a_fresh_draw_verifies(office: Cli) -> None:
    drawn = _sample(office, "--size", "8")
    code, data, err = _verify(office)
    assert code == 0, err
    assert data["verified"] is True and data["picks_checked"] == 8 and data["problems"] == []
    cert = data["certificate"]
    assert (cert["picks"], cert["eligible"], cert["seed"]) == (8, 40, drawn["seed"])
    assert cert["seed_source"] == "generated" and cert["previews"] == 0
    assert "8 of 40 eligible cases, drawn on " in cert["text"]
    assert "with a generated seed" in cert["text"]
    assert "verify with `qaudit sample --verify 2026-12`" in cert["text"]
    assert "Verified: all 8 picks of the 2026-12 sample" in err


def test_a_pick_changed_by_hand_is_named(office: Cli) -> None:
    drawn = _sample(office, "--size", "8", "--seed", "5")
    picked = {c["case_ref"] for c in drawn["cases"]}
    outsider = next(f"K{i:03d}" for i in range(40) if f"K{i:03d}" not in picked)
    first = drawn["cases"][0]["case_ref"]
    raw_sql(
        office.url,
        "UPDATE sample_items SET case_id = (SELECT id FROM cases WHERE case_ref = "
        f"'{outsider}') WHERE case_id = (SELECT id FROM cases WHERE case_ref = '{first}')",
    )
    before = snapshot(office.url)
    code, data, err = _verify(office)
    assert code == 1
    assert f"{outsider} (position 1) is in the sample, but the draw of" in err
    assert f"picks {first}, which is not in the sample" in err
    assert data["verified"] is False and len(data["problems"]) == 2
    assert snapshot(office.url) == before  # checking writes nothing


def test_an_eligible_record_changed_by_hand_is_found(office: Cli) -> None:
    _sample(office, "--size", "8", "--seed", "5")
    # Someone drops a case from the record of what was eligible: the digest and the certificate
    # in the change log no longer agree with it, and the draw again gives other cases.
    from qaudit.services.sampling import pack_eligible, unpack_eligible

    packed = scalar_sql(office.url, "SELECT eligible_ids FROM sample_draws")
    ids = unpack_eligible(packed)
    refs = {i: f"x{i}" for i in ids}
    fewer = pack_eligible({"all": [(i, refs[i]) for i in ids[1:]]})
    raw_sql(
        office.url,
        f"UPDATE sample_draws SET eligible_ids = '{fewer}', strata = '[[\"all\", 39, 8]]'",
    )
    code, _, err = _verify(office)
    assert code == 1
    assert "are not the ones its certificate names" in err
    assert "are not the ones its change-log event names" in err


def test_a_seed_changed_by_hand_is_found(office: Cli) -> None:
    _sample(office, "--size", "8", "--seed", "5")
    raw_sql(office.url, "UPDATE sample_draws SET seed = 6")
    code, _, err = _verify(office)
    assert code == 1
    assert "recorded with seed 6, its change-log event with seed 5" in err
    assert "is in the sample, but the draw of" in err  # seed 6 draws other cases


def test_replacing_a_case_takes_the_next_in_the_draws_order(office: Cli) -> None:
    from qaudit.domain.sampling import draw

    drawn = _sample(office, "--size", "8", "--seed", "9")
    refs = [f"K{i:03d}" for i in range(40)]
    assert [c["case_ref"] for c in drawn["cases"]] == draw(refs, 9, 8)
    gone = drawn["cases"][2]["case_ref"]
    result = office(
        "sample", "--replace", gone, "--month", "2026-12", "--reason", "closed on 2 Dec",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = result.json()
    expected_next = draw(refs, 9, 9)[8]  # the ninth in the seed's order
    assert data["replaced"] == [gone] and data["added"] == [expected_next]
    now = [c["case_ref"] for c in data["cases"]]
    assert gone not in now and expected_next in now and len(now) == 8
    assert f"Replaced {gone} in the 2026-12 sample with {expected_next}" in result.stderr
    # Its auditor keeps the work, unless the new case is their own team's.
    team_of = {row[0]: row[1] for row in _cases()[1:]}
    before_auditor = drawn["cases"][2]["auditor"]
    after_auditor = next(c["auditor"] for c in data["cases"] if c["case_ref"] == expected_next)
    if not (before_auditor == "Tess Manager" and team_of[expected_next] == "Team A"):
        assert after_auditor == before_auditor
    else:
        assert after_auditor not in (None, "Tess Manager")
    # The replaced item stays in the record; the certificate lists the replacement.
    assert (
        scalar_sql(
            office.url,
            "SELECT i.status FROM sample_items i JOIN cases c ON c.id = i.case_id "
            f"WHERE c.case_ref = '{gone}'",
        )
        == "replaced"
    )
    code, verified, err = _verify(office)
    assert code == 0, err
    assert verified["picks_checked"] == 9  # eight drawn (one since replaced) and its replacement
    (replacement,) = verified["certificate"]["replacements"]
    assert replacement["replaced"] == gone and replacement["by"] == expected_next
    assert replacement["reason"] == "closed on 2 Dec"
    assert (
        f"replaced: {gone} by {expected_next} (closed on 2 Dec)" in verified["certificate"]["text"]
    )


def test_a_replacement_is_refused_without_a_reason_or_for_a_graded_case(office: Cli) -> None:
    drawn = _sample(office, "--size", "4", "--seed", "9")
    case = drawn["cases"][0]["case_ref"]
    before = snapshot(office.url)
    no_reason = office("sample", "--replace", case, "--month", "2026-12")
    assert no_reason.exit_code == 2 and "--reason" in no_reason.stderr
    blank = office("sample", "--replace", case, "--month", "2026-12", "--reason", "  ")
    assert blank.exit_code == 2
    stranger = office("sample", "--replace", "NOPE", "--month", "2026-12", "--reason", "x")
    assert stranger.exit_code == 1 and "NOPE is not in the 2026-12 sample" in stranger.stderr
    other_month = office("sample", "--replace", case, "--month", "2026-11", "--reason", "x")
    assert other_month.exit_code == 1 and "no sample has been drawn for 2026-11" in (
        other_month.stderr
    )
    assert snapshot(office.url) == before
    auditor = drawn["cases"][0]["auditor"]
    graded = office(
        "grade", case, "--grade", "good", "--auditor", auditor, "--date", "2026-12-02",
        today="2026-12-03",
    )  # fmt: skip
    assert graded.exit_code == 0, graded.stderr
    done = office("sample", "--replace", case, "--month", "2026-12", "--reason", "x")
    assert done.exit_code == 1 and "its audit is recorded" in done.stderr


def test_redraws_and_previews_before_the_kept_draw_are_counted(office: Cli) -> None:
    _sample(office, "--size", "6", "--dry-run")
    _sample(office, "--size", "6", "--seed", "1", "--dry-run")
    _sample(office, "--size", "6", "--seed", "2")
    _sample(office, "--redraw", "--dry-run")
    redrawn = _sample(office, "--redraw")
    code, data, err = _verify(office)
    assert code == 0, err
    cert = data["certificate"]
    assert (cert["previews"], cert["redraws"]) == (3, 1)
    assert cert["seed"] == redrawn["seed"] and cert["seed_source"] == "generated"
    assert "after 3 previews and 1 redraw" in cert["text"]
    assert data["steps"] == 2 and data["picks_checked"] == 12  # six replaced, six drawn again


def test_a_stratified_draw_and_its_top_up_verify(office: Cli) -> None:
    _sample(office, "--size", "6", "--seed", "4", "--stratify", "team")
    _sample(office, "--size", "9")
    code, data, err = _verify(office)
    assert code == 0, err
    assert data["steps"] == 2 and data["picks_checked"] == 9
    assert data["certificate"]["top_ups"] == 1


def test_verify_refuses_what_it_cannot_check(office: Cli) -> None:
    missing = office("sample", "--verify", "2026-11")
    assert missing.exit_code == 1 and "no sample has been drawn for 2026-11" in missing.stderr
    both = office("sample", "--verify", "2026-12", "--seed", "3")
    assert both.exit_code == 2 and "--verify takes no other option (--seed)" in both.stderr
    bad = office("sample", "--verify", "2026-13")
    assert bad.exit_code == 2
    neither = office("sample")
    assert neither.exit_code == 2 and "--month" in neither.stderr


def test_a_sample_drawn_before_the_record_was_kept_cannot_be_verified(office: Cli) -> None:
    _sample(office, "--size", "4", "--seed", "3")
    raw_sql(office.url, "UPDATE sample_items SET draw_id = NULL", "DELETE FROM sample_draws")
    code, data, err = _verify(office)
    assert code == 1
    assert "before qaudit kept a record of the eligible cases" in err
    assert "cannot be verified" in data["certificate"]["text"]


def test_a_replacement_reason_is_erased_with_its_case(office: Cli) -> None:
    """The reason is free text about the child: the change log keeps only where it is, and
    erasing the case erases it; the draw still verifies."""
    drawn = _sample(office, "--size", "4", "--seed", "9")
    gone = drawn["cases"][1]["case_ref"]
    why = "moved to Leeds with her aunt"
    result = office("sample", "--replace", gone, "--month", "2026-12", "--reason", why)
    assert result.exit_code == 0, result.stderr
    assert scalar_sql(office.url, "SELECT reason FROM sample_draws WHERE kind = 'replace'") == why
    logged = scalar_sql(
        office.url, "SELECT count(*) FROM change_log WHERE CAST(detail AS TEXT) LIKE '%Leeds%'"
    )
    assert logged == 0
    erased = office("db", "erase", gone, "--reason", "SAR-2026-031", "--yes")
    assert erased.exit_code == 0, erased.stderr
    assert scalar_sql(office.url, "SELECT reason FROM sample_draws WHERE kind = 'replace'") is None
    code, data, err = _verify(office)
    assert code == 0, err
    assert data["certificate"]["replacements"][0]["reason"] == "reason erased"
    assert office("db", "verify").exit_code == 0
