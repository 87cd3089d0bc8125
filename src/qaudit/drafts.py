"""Drafts of an audit typed at a terminal: the answers so far, kept in a private file until the
audit is saved, so that a refused save, a failed one or Ctrl-C loses nothing.

A draft holds the auditor's free text, so it is created 0600 in a 0700 folder: ``.qaudit-drafts``
beside a SQLite store, else (PostgreSQL, or a store folder qaudit may not write) the user's
state folder, ``$XDG_STATE_HOME/qaudit/drafts`` (``~/.local/state/qaudit/drafts``). Its name
says which store, case and month it is for, and nothing else: never a name or free text.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from qaudit.errors import QauditError
from qaudit.files import write_atomically

FORMAT = "qaudit-grade-draft"
VERSION = 1
FOLDER = ".qaudit-drafts"
MAX_BYTES = 1_000_000  # a draft is a few kilobytes; anything larger is not one of ours
_SAFE_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
TEXT_STEPS = ("strengths", "development", "family_feedback")


class DraftError(QauditError):
    """A draft cannot be kept or read where it should be."""


@dataclass
class Draft:
    """An audit being filled in: what is answered so far, and which steps were gone through
    (a question skipped with Enter is gone through, and not asked again on resuming)."""

    case_ref: str
    audit_date: date
    auditor: str | None = None
    answers: dict[str, str] = field(default_factory=dict)
    grade: str | None = None  # a grade slug
    strengths: str | None = None
    development: str | None = None
    themes: list[str] = field(default_factory=list)
    family_feedback: str | None = None
    views_gathered: bool | None = None
    actions: list[dict[str, str]] = field(default_factory=list)  # text, owner, due (ISO)
    done: list[str] = field(default_factory=list)  # "q:<question id>", "grade", "themes", …
    steps: int = 0  # how many steps the form has
    saved_at: datetime | None = None  # when the draft was last written (UTC)

    def as_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "version": VERSION,
                "case_ref": self.case_ref,
                "audit_date": self.audit_date.isoformat(),
                "auditor": self.auditor,
                "answers": self.answers,
                "grade": self.grade,
                "strengths": self.strengths,
                "development": self.development,
                "themes": self.themes,
                "family_feedback": self.family_feedback,
                "views_gathered": self.views_gathered,
                "actions": self.actions,
                "done": self.done,
                "steps": self.steps,
                "saved_at": self.saved_at.isoformat() if self.saved_at else None,
            },
            ensure_ascii=False,
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> Draft:
        """A draft from its file's text; ValueError when it is not one."""
        doc = json.loads(text)
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError("not a qaudit draft")
        if doc.get("version") != VERSION:
            raise ValueError(f"a draft of another version ({doc.get('version')})")
        answers = doc.get("answers") or {}
        themes = doc.get("themes") or []
        done = doc.get("done") or []
        actions = doc.get("actions") or []  # a draft kept before actions were asked has none
        if not (
            isinstance(answers, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in answers.items())
            and isinstance(themes, list)
            and all(isinstance(t, str) for t in themes)
            and isinstance(done, list)
            and all(isinstance(d, str) for d in done)
            and isinstance(actions, list)
            and all(_is_action(a) for a in actions)
        ):
            raise ValueError("its answers are not of the expected form")
        saved = doc.get("saved_at")
        return cls(
            case_ref=_text(doc, "case_ref") or "",
            audit_date=date.fromisoformat(str(doc.get("audit_date"))),
            auditor=_text(doc, "auditor"),
            answers=dict(answers),
            grade=_text(doc, "grade"),
            strengths=_text(doc, "strengths"),
            development=_text(doc, "development"),
            themes=list(themes),
            family_feedback=_text(doc, "family_feedback"),
            views_gathered=doc.get("views_gathered")
            if isinstance(doc.get("views_gathered"), bool)
            else None,
            actions=[dict(a) for a in actions],
            done=list(done),
            steps=int(doc.get("steps") or 0),
            saved_at=datetime.fromisoformat(saved) if isinstance(saved, str) else None,
        )


def _is_action(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"text", "owner", "due"}
        and all(isinstance(v, str) for v in value.values())
    )


def _text(doc: dict[str, Any], key: str) -> str | None:
    value = doc.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"its {key} is not text")
    return value


@dataclass(frozen=True)
class Place:
    """A folder for drafts and the prefix that names the store in a draft's file name."""

    folder: Path
    prefix: str

    def path(self, case_ref: str, month: str) -> Path:
        return self.folder / f"{self.prefix}-{case_key(case_ref)}-{month}.json"

    def drafts_of(self, case_ref: str) -> list[Path]:
        """This store's drafts of the case, any month, newest month first."""
        name = re.compile(
            rf"{re.escape(self.prefix)}-{re.escape(case_key(case_ref))}-\d{{4}}-\d{{2}}\.json"
        )
        try:
            found = [p for p in self.folder.iterdir() if name.fullmatch(p.name)]
        except OSError:
            return []
        return sorted(found, key=lambda p: p.name, reverse=True)


def case_key(case_ref: str) -> str:
    """The case as a draft's file name gives it: the ref itself when it is plain letters,
    digits, hyphens and underscores (a Child Unique ID is), else a digest of it."""
    if _SAFE_REF.fullmatch(case_ref):
        return case_ref
    return "case-" + hashlib.sha256(case_ref.encode("utf-8")).hexdigest()[:16]


def state_folder(environ: dict[str, str] | None = None) -> Path:
    """qaudit's folder in the user's state folder (the XDG base directory rules: a relative
    ``XDG_STATE_HOME`` is ignored)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_STATE_HOME", "")
    home = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "state"
    return home / "qaudit" / "drafts"


def places(*, store_path: Path | None, database_url: str | None) -> list[Place]:
    """Where this store's drafts go, in order of preference: beside a SQLite store, then the
    state folder (named there by the store's place, so two stores never share a draft)."""
    found: list[Place] = []
    if store_path is not None:
        absolute = store_path.absolute()
        stem = _UNSAFE_NAME.sub("_", absolute.name).lstrip(".") or "store"
        found.append(Place(absolute.parent / FOLDER, stem))
        where = str(absolute)
    else:
        where = _url_without_password(database_url or "")
        stem = "database"
    digest = hashlib.sha256(where.encode("utf-8")).hexdigest()[:12]
    found.append(Place(state_folder(), f"{stem}-{digest}"))
    return found


def _url_without_password(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL: the store refuses it anyway; hash what was given
        return url


def private_folder(folder: Path) -> Path:
    """``folder``, made if missing, only its owner's (0700): a link, another user's folder or
    something else is refused."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.lstat()
    except OSError as exc:
        raise DraftError(f"cannot make the drafts folder {folder}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise DraftError(f"{folder} is not a folder (a link or a file): no draft is kept there")
    if info.st_uid != os.getuid():
        raise DraftError(f"{folder} belongs to another user: no draft is kept there")
    if stat.S_IMODE(info.st_mode) & 0o077:
        try:
            folder.chmod(0o700)
        except OSError as exc:
            raise DraftError(f"cannot make {folder} private: {exc.strerror or exc}") from None
    return folder


def write_draft(draft: Draft, path: Path) -> None:
    """Write ``draft`` to ``path`` (0600, whole or not at all), its folder made private first."""
    private_folder(path.parent)
    draft.saved_at = datetime.now(UTC)
    write_atomically(path, draft.as_json() + "\n")


def read_draft(path: Path) -> Draft:
    """The draft in ``path``; DraftError saying why when it cannot be used."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise DraftError(f"cannot read the draft {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            raise DraftError(f"{path} is not a draft of yours")
        raw = handle.read(MAX_BYTES + 1)
    try:
        if len(raw) > MAX_BYTES:
            raise ValueError("too large")
        return Draft.from_json(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise DraftError(f"the draft {path} cannot be read ({exc})") from None


def remove_draft(path: Path) -> None:
    with contextlib.suppress(OSError):  # a draft left behind is offered again, never lost
        path.unlink(missing_ok=True)


def remove_drafts_of(case_ref: str, *, store_path: Path | None, database_url: str | None) -> int:
    """Remove this store's drafts of the case that this user can reach (an erasure leaves no
    auditor's free text about the child behind); how many were removed."""
    removed = 0
    for place in places(store_path=store_path, database_url=database_url):
        for path in place.drafts_of(case_ref):
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
    return removed
