"""Writes the synthetic demo lists in src/qaudit/data/ (seeded: the same files every run).

Every name is made up from short lists of common names; no real child or worker is in them.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "src" / "qaudit" / "data"
FIRST = [
    "Alex",
    "Sam",
    "Jo",
    "Priya",
    "Tom",
    "Aisha",
    "Ben",
    "Chloe",
    "Dev",
    "Ella",
    "Femi",
    "Grace",
    "Hassan",
    "Isla",
    "Jack",
    "Kiran",
    "Leah",
    "Marek",
    "Nia",
    "Owen",
]
LAST = [
    "Adams",
    "Bennett",
    "Clarke",
    "Dixon",
    "Evans",
    "Foster",
    "Gill",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morgan",
    "Novak",
    "Okafor",
    "Patel",
    "Quinn",
    "Reid",
]
TEAMS = {
    "Assessment Team 1": "CIN",
    "Assessment Team 2": "CIN",
    "Child Protection North": "CP",
    "Child Protection South": "CP",
    "Children in Care": "CLA",
    "Care Leavers": "CL",
}


def main() -> None:
    rng = random.Random(20261126)
    names = iter(rng.sample([f"{f} {last}" for f in FIRST for last in LAST], 60))
    workers = {team: [next(names) for _ in range(3)] for team in TEAMS}
    staff = [("name", "role", "team")]
    staff.append((next(names), "qa_lead", "Quality Assurance"))
    for _ in range(3):
        staff.append((next(names), "auditor", "Quality Assurance"))
    for team in TEAMS:
        staff.append((next(names), "team_manager", team))
    teams = list(TEAMS)
    staff.append((next(names), "head_of_service", ";".join(teams[:4])))
    staff.append((next(names), "head_of_service", ";".join(teams[4:])))
    for team, people in workers.items():
        staff.extend((person, "social_worker", team) for person in people)

    cases = [("case_ref", "team", "worker", "category", "open_date", "close_date", "date_of_birth")]
    for number in range(1, 241):
        team = rng.choice(teams)
        category = TEAMS[team]
        opened = date(2023, 1, 1) + timedelta(days=rng.randrange(1400))
        closed = ""
        if rng.random() < 0.2:
            end = opened + timedelta(days=rng.randrange(30, 500))
            closed = end.isoformat() if end < date(2026, 11, 20) else ""
        age = {"CIN": 8, "CP": 6, "CLA": 11, "CL": 19}[category]
        born = opened - timedelta(days=365 * rng.randrange(max(1, age - 6), age + 6))
        unallocated = rng.random() < 0.03
        cases.append(
            (
                f"C{100000 + number}",
                "" if unallocated else team,
                "" if unallocated else rng.choice(workers[team]),
                category,
                opened.isoformat(),
                closed,
                born.isoformat(),
            )
        )
    comments = [
        "I like my foster carers",
        "I want to see my brother more",
        "",
        "My social worker keeps changing",
        "I feel safe where I live",
        "",
        "Nobody listens to me at school",
        "I get to choose what I do at weekends",
    ]
    bands = {"your-life-your-care": ["4-7", "8-11", "11-18"], "your-life-beyond-care": ["16-25"]}
    survey = [("response_id", "survey", "age_band", "received_at", "concern", "comment")]
    for number in range(1, 41):
        kind = "your-life-beyond-care" if number % 4 == 0 else "your-life-your-care"
        day = date(2026, 10, 1) + timedelta(days=rng.randrange(72))
        at = f"{day.isoformat()}T{rng.randrange(8, 20):02d}:{rng.choice(['00', '15', '30', '45'])}"
        concern = "yes" if number in (7, 19, 33) else "no"
        survey.append(
            (f"BS-{number:04d}", kind, rng.choice(bands[kind]), at, concern, rng.choice(comments))
        )
    for name, rows in (
        ("demo-staff.csv", staff),
        ("demo-cases.csv", cases),
        ("demo-survey.csv", survey),
    ):
        with (DATA / name).open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)


if __name__ == "__main__":
    main()
