"""Keeps one store per released schema in ``tests/fixtures/stores/``, made by that release.

Each fixture is the demo store built by the code of the commit that last shipped the schema
(checked out with ``git worktree``), so the upgrade tests start from a store an earlier qaudit
really wrote, not one rebuilt by today's code. A kept fixture is never rebuilt: add the new
release's line to RELEASES and run this once when a migration lands.

Usage: python scripts/make_store_fixtures.py
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "stores"

# schema revision -> the last commit whose head was that revision (its "release")
RELEASES = {
    "0001": "64f98df",
    "0002": "52cb095",
    "0003": "d79ad1a",
    "0004": "4cb2499",
    "0005": "3ffd53b",
    "0006": "120b4db",
    "0007": "bc17a4e",
    "0008": "e18b4fe",
    "0009": "b80de63",
    "0010": "6dd1688",
}


def build(revision: str, commit: str, target: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / "tree"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), commit],
            check=True,
            capture_output=True,
        )
        try:
            built = Path(scratch) / "demo.db"
            env = {**os.environ, "PYTHONPATH": str(tree / "src"), "QAUDIT_USER": "fixture"}
            env.pop("QAUDIT_DATA_DIR", None)
            subprocess.run(
                [sys.executable, "-m", "qaudit", "--today", "2026-12-01", "demo", str(built)],
                check=True,
                cwd=scratch,
                env=env,
                stdout=subprocess.DEVNULL,
            )
            conn = sqlite3.connect(built)
            try:
                found = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
                if found != revision:
                    raise SystemExit(f"{commit} built schema {found}, not {revision}")
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                conn.execute("VACUUM INTO ?", (str(target),))
            finally:
                conn.close()
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                check=True,
                capture_output=True,
            )


def main() -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for revision, commit in RELEASES.items():
        target = FIXTURES / f"schema-{revision}.db"
        if target.exists():
            print(f"kept {target.relative_to(ROOT)}")
            continue
        build(revision, commit, target)
        print(f"made {target.relative_to(ROOT)} from {commit}")


if __name__ == "__main__":
    main()
