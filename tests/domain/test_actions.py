"""The rules for actions from audits, called without a store."""

from __future__ import annotations

from datetime import date

import pytest

from qaudit.domain.actions import (
    ActionInput,
    action_state,
    check_due,
    check_reassign,
    mark_done,
    parse_action,
)
from qaudit.domain.rules import RuleBroken

D = date.fromisoformat


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Update the plan;Kiran Evans;2027-01-15",
            ("Update the plan", "Kiran Evans", "2027-01-15"),
        ),
        (
            " Update  the plan ; Kiran Evans ;15/01/2027",
            ("Update the plan", "Kiran Evans", "2027-01-15"),
        ),
        (
            "Visit; then record;Jo Clarke;2027-02-01",
            ("Visit; then record", "Jo Clarke", "2027-02-01"),
        ),
    ],
)
def test_an_action_is_read_from_text_owner_and_due(text: str, expected: tuple[str, ...]) -> None:
    action = parse_action(text)
    assert (action.text, action.owner, action.due.isoformat()) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Update the plan", "separated by semicolons"),
        ("Update the plan;Kiran Evans", "separated by semicolons"),
        ("Update the plan;Kiran Evans;next week", "'next week' is not a date"),
        ("Update the plan;Kiran Evans;01/15/2027", "'01/15/2027' is not a date"),
        (" ;Kiran Evans;2027-01-15", "needs its text"),
        ("Update the plan; ;2027-01-15", "needs an owner"),
        ("Update\x00;Kiran Evans;2027-01-15", "NUL byte"),
        ("x" * 501 + ";Kiran Evans;2027-01-15", "the limit is 500"),
    ],
)
def test_a_wrong_action_is_refused_saying_which_part(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_action(text)


def test_an_action_is_due_on_or_after_the_day_it_is_set() -> None:
    check_due(ActionInput("a", "b", D("2026-12-01")), D("2026-12-01"))
    with pytest.raises(RuleBroken, match="before it is set on 2026-12-02"):
        check_due(ActionInput("a", "b", D("2026-12-01")), D("2026-12-02"))


@pytest.mark.parametrize(
    ("status", "due", "done_on", "on", "state"),
    [
        ("open", "2026-12-10", None, "2026-12-10", "open"),
        ("open", "2026-12-10", None, "2026-12-11", "overdue"),
        ("done", "2026-12-10", "2026-12-10", "2026-12-20", "done"),
        ("done", "2026-12-10", "2026-12-11", "2026-12-20", "done late"),
        # As it stood before it was done: still open then.
        ("done", "2026-12-10", "2026-12-11", "2026-12-09", "open"),
        ("done", "2026-12-10", "2026-12-15", "2026-12-12", "overdue"),
    ],
)
def test_where_an_action_stands_on_a_day(
    status: str, due: str, done_on: str | None, on: str, state: str
) -> None:
    assert action_state(status, D(due), D(done_on) if done_on else None, D(on)) == state


@pytest.mark.parametrize(
    ("status", "on", "message"),
    [
        ("done", "2026-12-05", "already done"),
        ("open", "2026-12-20", "after today"),
        ("open", "2026-11-30", "was set on 2026-12-01"),
    ],
)
def test_marking_done_refuses_twice_future_and_before_set(
    status: str, on: str, message: str
) -> None:
    with pytest.raises(RuleBroken, match=message):
        mark_done(
            status=status, set_on=D("2026-12-01"), on=D(on), today=D("2026-12-14"), by="x", text="t"
        )


def test_marking_done_on_a_good_day() -> None:
    set_on, today = D("2026-12-01"), D("2026-12-14")
    done = mark_done(status="open", set_on=set_on, on=set_on, today=today, by="Jo", text="t")
    assert (done.status, done.done_on, done.done_by) == ("done", D("2026-12-01"), "Jo")


def test_reassigning_only_an_open_action_to_someone_else() -> None:
    check_reassign(status="open", owner="A", new_owner="B", text="t")
    with pytest.raises(RuleBroken, match="is done"):
        check_reassign(status="done", owner="A", new_owner="B", text="t")
    with pytest.raises(RuleBroken, match="already A's"):
        check_reassign(status="open", owner="A", new_owner="A", text="t")


def test_the_states_as_a_command_line_gives_them() -> None:
    from qaudit.domain.actions import ACTION_STATE_CHOICES, ACTION_STATES, state_named

    assert ACTION_STATE_CHOICES == ("open", "overdue", "done", "done-late")
    assert [state_named(c) for c in ACTION_STATE_CHOICES] == list(ACTION_STATES)
    assert state_named("Done late") == "done late"
    with pytest.raises(ValueError, match="'late' is not an action's state: open, overdue"):
        state_named("late")


def test_how_many_of_an_audits_actions_were_done() -> None:
    from qaudit.domain.actions import done_of

    assert done_of([]) is None
    assert done_of(["done", "done late", "overdue"]) == "2 of 3 done"
    assert done_of(["open"]) == "0 of 1 done"


def test_an_owner_is_matched_in_any_case_and_a_typo_offered_the_nearest() -> None:
    from qaudit.domain.actions import nearest_staff, staff_match, unknown_owner

    names = ["Kiran Evans", "Tess Manager", "Tess Mangan"]
    assert staff_match("Kiran Evans", names) == "Kiran Evans"
    assert staff_match(" kiran  EVANS ", names) == "Kiran Evans"
    assert staff_match("Kiran", names) is None
    assert staff_match("kiran evans", ["Kiran Evans", "KIRAN EVANS"]) is None  # which one?
    assert nearest_staff("Kiran Evns", names) == "Kiran Evans"
    assert nearest_staff("Zed", names) is None
    assert unknown_owner("Kiran Evns", names) == (
        "no staff member named 'Kiran Evns' to own the action (did you mean Kiran Evans?)"
    )
    assert unknown_owner("Zed", names).endswith("(see qaudit staff list)")
