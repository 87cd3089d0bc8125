"""The demonstration store: built from ``data/`` so a new user sees qaudit at work."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlmodel import col, select

from qaudit.errors import RuleError
from qaudit.paths import data_dir
from qaudit.services.cases import CaseImportSummary, import_cases
from qaudit.services.context import Context
from qaudit.services.staff import StaffImportSummary, import_staff
from qaudit.services.transaction import write_transaction
from qaudit.store.changelog import record_change
from qaudit.store.engine import Store
from qaudit.store.models import ChangeLog

DEMO_ACTION = "demo.build"


@dataclass
class DemoResult:
    path: Path
    staff: StaffImportSummary
    cases: CaseImportSummary


def _is_demo_store(path: Path) -> bool:
    store = Store(f"sqlite:///{path}")
    try:
        with store.reading() as session:
            found = session.connection().execute(
                select(col(ChangeLog.id)).where(ChangeLog.action == DEMO_ACTION).limit(1)
            )
            return found.first() is not None
    except Exception:
        return False
    finally:
        store.dispose()


def build_demo(*, path: Path, ctx: Context) -> DemoResult:
    """Build a fresh demo store at ``path``; an existing one is replaced only if it is a demo."""
    if path.exists():
        if not _is_demo_store(path):
            raise RuleError(
                f"{path} exists and is not a demo store: choose another path (qaudit demo PATH)"
            )
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = Store(f"sqlite:///{path}")
    try:
        with write_transaction(store, ctx) as session:
            record_change(
                session,
                actor=ctx.user,
                action=DEMO_ACTION,
                entity="store",
                entity_ref=path.name,
                recorded_at=ctx.recorded_at,
                as_of=ctx.now,
                detail={"data": "synthetic demo lists from data/"},
            )
        data = data_dir()
        staff = import_staff(store=store, path=data / "demo-staff.csv", ctx=ctx)
        cases = import_cases(store=store, path=data / "demo-cases.csv", ctx=ctx)
    finally:
        store.dispose()
    return DemoResult(path=path, staff=staff, cases=cases)
