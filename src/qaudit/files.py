"""Files qaudit writes: checked paths, private temporaries, and whole files put in place.

Every file qaudit writes for someone (a report, a backup, the copy a restore installs) is first
written to a temporary file in the target's own folder, named ``.NAME.qaudit-PID-HEX.tmp`` and
created 0600, then renamed over the target: the name only ever holds a whole file. A path is
checked before anything is written: never the store or its ``-wal``/``-shm`` (compared by
device and inode, so links count), never a folder, a missing folder or a read-only file.

Settings files qaudit reads (the policy, a framework, a password) are read no further than such a
file may hold, so a device or a pipe named by mistake is refused, not read until memory runs out.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from qaudit.errors import QauditError

PRIVATE_MODE = 0o600
STALE_AFTER_SECONDS = 3600  # a temporary this old is left over from a killed run
_TEMP = re.compile(r"^\.(?P<name>.+)\.qaudit-(?P<pid>\d+)-[0-9a-f]+\.tmp$")
_OLD_TEMP = re.compile(r"^\.(?P<name>.+)\.[0-9a-f]{12}\.tmp$")  # before temporaries had a mark
_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


class PathError(QauditError):
    """A path qaudit was asked to write or read is not usable; nothing was written."""


def store_files(store: Path | None) -> tuple[Path, ...]:
    """A SQLite store's file and the files SQLite keeps beside it."""
    if store is None:
        return ()
    return (store, *(Path(f"{store}{suffix}") for suffix in _SQLITE_SIDE_FILES))


def _identities(path: Path) -> set[tuple[object, ...]]:
    """What makes two paths one file: the device and inode of the file (hard links, links),
    and for a name that does not exist yet, its folder's device and inode and the name."""
    real = Path(os.path.realpath(path))
    found: set[tuple[object, ...]] = set()
    with contextlib.suppress(OSError):
        info = real.stat()
        found.add(("file", info.st_dev, info.st_ino))
    try:
        folder = real.parent.stat()
    except OSError:
        found.add(("name", str(real)))
    else:
        found.add(("name", folder.st_dev, folder.st_ino, real.name))
    return found


def is_one_of(path: Path, others: Sequence[Path]) -> Path | None:
    """The first of ``others`` that ``path`` names too (same file or same name), or None."""
    mine = _identities(path)
    for other in others:
        if mine & _identities(other):
            return other
    return None


def _mode(path: Path) -> str:
    return f"{stat.S_IMODE(path.stat().st_mode):04o}"


def shown(text: str, limit: int = 200) -> str:
    """A path as a message shows it: one line, control characters escaped, not too long."""
    flat = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _usable(text: str, verb: str) -> None:
    if not text:
        raise PathError(f"cannot {verb} an empty path")
    if "\x00" in text:
        raise PathError(f"cannot {verb} {shown(text)}: a path cannot contain a NUL character")


def checked_target(
    raw: str | os.PathLike[str], *, protect: Sequence[Path] = (), verb: str = "write"
) -> Path:
    """The file to write for ``raw``, checked before anything is written.

    A link is followed: the file it names is the one replaced. Refused, with the reason: a
    name ending in ``/``, a folder, a missing folder, a dangling link, something that is not a
    regular file, a file without write permission, and any of ``protect`` (the store's files).
    """
    text = os.fspath(raw)
    _usable(text, verb)
    where = f"cannot {verb} {shown(text)}"
    try:
        return _checked_target(text, where, protect)
    except OSError as exc:  # a name too long, a loop of links, a folder we may not read
        raise PathError(f"{where}: {exc.strerror or exc}") from None


def _checked_target(text: str, where: str, protect: Sequence[Path]) -> Path:
    path = Path(text)
    if text.endswith(("/", os.sep)):
        if path.is_dir():
            raise PathError(f"{where}: it is a folder; give a file name in it")
        raise PathError(f"{where}: the name ends with '/', so it names a folder; give a file name")
    hit = is_one_of(path, protect)
    if hit is not None:
        raise PathError(f"{where}: it is the case store's own file ({hit}); choose another name")
    if path.is_symlink() and not path.exists():
        raise PathError(f"{where}: it is a link to {path.readlink()}, which does not exist")
    real = Path(os.path.realpath(path))
    if real.is_dir():
        raise PathError(f"{where}: it is a folder; give a file name in it")
    if real.exists():
        if not real.is_file():
            raise PathError(f"{where}: it is not a regular file")
        if not real.stat().st_mode & 0o222:
            raise PathError(
                f"{where}: the file is read-only (mode {_mode(real)}); make it writable or "
                "choose another name"
            )
    folder = real.parent
    if not folder.exists():
        raise PathError(f"{where}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise PathError(f"{where}: {folder} is not a folder")
    return real


def checked_source(
    raw: str | os.PathLike[str], *, protect: Sequence[Path] = (), verb: str = "read"
) -> Path:
    """An existing regular file to read for ``raw`` (links followed), or a refusal."""
    text = os.fspath(raw)
    _usable(text, verb)
    where = f"cannot {verb} {shown(text)}"
    try:
        return _checked_source(text, where, protect)
    except OSError as exc:
        raise PathError(f"{where}: {exc.strerror or exc}") from None


def _checked_source(text: str, where: str, protect: Sequence[Path]) -> Path:
    path = Path(text)
    hit = is_one_of(path, protect)
    if hit is not None:
        raise PathError(f"{where}: it is the case store's own file ({hit})")
    if path.is_symlink() and not path.exists():
        raise PathError(f"{where}: it is a link to {path.readlink()}, which does not exist")
    if text.endswith(("/", os.sep)) or path.is_dir():
        raise PathError(f"{where}: it is a folder, not a file")
    if not path.exists():
        raise PathError(f"{where}: no such file")
    real = Path(os.path.realpath(path))
    if not real.is_file():
        raise PathError(f"{where}: it is not a regular file")
    return real


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True


def remove_stale_temporaries(folder: Path, name: str, now: float) -> None:
    """Remove temporaries left by killed runs: for ``name``, any whose process is gone; for
    any name, those older than an hour. ``now`` is a file-system time (a fresh file's mtime).
    """
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        match = _TEMP.match(entry.name)
        old = _OLD_TEMP.match(entry.name)
        if match is None and old is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        if match is not None:
            stale = now - info.st_mtime > STALE_AFTER_SECONDS or (
                match["name"] == name and not _alive(int(match["pid"]))
            )
        else:
            assert old is not None
            stale = old["name"] == name or now - info.st_mtime > STALE_AFTER_SECONDS
        if stale:
            for suffix in ("", *_SQLITE_SIDE_FILES):
                with contextlib.suppress(OSError):
                    Path(f"{entry.path}{suffix}").unlink()


def _create_temporary(target: Path, mode: int, verb: str | None = None) -> tuple[Path, int]:
    folder = target.parent
    while True:
        temp = folder / f".{target.name}.qaudit-{os.getpid()}-{os.urandom(6).hex()}.tmp"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            continue
        except OSError as exc:
            raise PathError(
                f"{verb or f'cannot write {target}'}: cannot create a file in the folder {folder} "
                f"({exc.strerror or exc})"
            ) from None
        break
    try:
        os.fchmod(fd, mode)  # exactly this mode, whatever the umask
        remove_stale_temporaries(folder, target.name, os.fstat(fd).st_mtime)
    except BaseException:
        os.close(fd)
        temp.unlink(missing_ok=True)
        raise
    return temp, fd


@contextlib.contextmanager
def temporary_beside(
    target: Path, *, mode: int = PRIVATE_MODE, verb: str | None = None
) -> Iterator[Path]:
    """An empty private file in ``target``'s folder, removed again unless put in place.
    ``verb`` begins a refusal ("cannot back up to X")."""
    temp, fd = _create_temporary(target, mode, verb)
    os.close(fd)
    try:
        yield temp
    finally:
        for suffix in ("", *_SQLITE_SIDE_FILES):
            Path(f"{temp}{suffix}").unlink(missing_ok=True)


def put_in_place(temp: Path, target: Path, *, replace: bool) -> None:
    """Rename a finished temporary to ``target`` (atomic); without ``replace``, never over an
    existing file (a hard link, which fails if the name is taken)."""
    if replace:
        temp.replace(target)  # os.replace: atomic on one file system
    else:
        try:
            os.link(temp, target)
        except FileExistsError:
            raise PathError(f"{target} exists: nothing replaced") from None
        except OSError:
            # A file system without hard links: the check and the rename are two steps.
            if target.exists():
                raise PathError(f"{target} exists: nothing replaced") from None
            temp.replace(target)
        else:
            temp.unlink(missing_ok=True)
    fsync_folder(target.parent)


SETTINGS_FILE_LIMIT = 1024 * 1024
"""The most a settings file (the policy, a framework, a theme list, a password) may hold."""


class TooLarge(OSError):
    """A file holds more than its reader takes (or never ends: ``/dev/zero``, a pipe)."""


def read_limited(path: Path, limit: int = SETTINGS_FILE_LIMIT) -> bytes:
    """The bytes of ``path``, read no further than ``limit``: more is ``TooLarge``, so a
    device, a pipe or a huge file named by mistake is refused rather than read into memory
    until it runs out."""
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"it holds more than {limit / 1024**2:g} MiB, the most such a file may")
    return data


def write_atomically(path: Path, data: str | bytes, *, mode: int = PRIVATE_MODE) -> None:
    """Write ``data`` to ``path`` so that the name only ever holds a whole file.

    The data goes to a private temporary file in the same folder (``.NAME.qaudit-PID-HEX.tmp``,
    so the rename stays on one file system and a killed run's leftover is recognised and
    removed next time), is flushed to disk, then renamed over ``path``. The file is created
    with ``mode``, 0600 unless widened on purpose, whatever the umask. Text is UTF-8."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    temp, fd = _create_temporary(path, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(path)  # os.replace: atomic on one file system
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise PathError(f"cannot write {path}: {exc.strerror or exc}; nothing written") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_folder(path.parent)


def fsync_folder(folder: Path) -> None:
    """Makes a rename itself durable; folders cannot be opened this way on Windows."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def parse_mode(text: str) -> int:
    """A file mode given in octal (``0640``, ``640``, ``0o640``); the owner keeps read and
    write. ValueError with the reason otherwise."""
    digits = text.strip().lower().removeprefix("0o")
    if not re.fullmatch(r"[0-7]{3,4}", digits):
        raise ValueError(f"'{text}' is not a file mode: give octal digits, e.g. 0600 or 0640")
    mode = int(digits, 8)
    if mode > 0o777:
        raise ValueError(f"'{text}': only permission bits (at most 0777)")
    if mode & 0o600 != 0o600:
        raise ValueError(f"'{text}': the owner must keep read and write (0600 at least)")
    return mode
