"""Reading a large case file in a second process, so that parsing overlaps the store's writing.

On two cores this takes about a second off a million-row import. Rows cross the pipe as text,
fields joined by the ASCII unit separator and rows by the record separator, which the parent
splits far faster than it could unpickle tuples.

A ``ChildExtra`` given to ``read_in_child`` does more work on each batch in the reader, after
handing the batch over: what it makes crosses the pipe too and is given back to it here
(store.case_bulk digests the rows being inserted this way).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any, Protocol

from qaudit.errors import QauditError
from qaudit.importers.rows import CaseFile, RowTuple

# Below this a file is read in-process: starting a second process would cost more than it saves.
CHILD_MIN_BYTES = 8 * 1024 * 1024
UNIT, RECORD = "\x1f", "\x1e"
FIELDS = 8
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_WATCH_SECONDS = 0.5
AHEAD = 4  # messages queued in the reader: two batches with their extras


class ChildExtra(Protocol):
    """Work done in the reader on each batch after it is sent (``in_child``, once the next
    batch is read: before that batch is yielded), and once at the end (``in_child_done``);
    what they return (None: nothing) is handed to ``in_parent`` in this process, in the
    reader's order, before the batches are over. The object is the parent's, as it was when
    the reader forked (on the first batch asked for)."""

    def in_child(self, batch: Sequence[RowTuple]) -> bytes | None: ...

    def in_child_done(self) -> bytes | None: ...

    def in_parent(self, payload: bytes) -> None: ...


def _encode(batch: Sequence[RowTuple]) -> bytes:
    text = RECORD.join(
        [
            UNIT.join(
                (str(r[0]), r[1], r[2] or "", r[3] or "", r[4], r[5] or "", r[6] or "", r[7] or "")
            )
            for r in batch
        ]
    )
    # A field holding a separator would split wrongly: such a batch goes pickled instead.
    if text.count(RECORD) == len(batch) - 1 and text.count(UNIT) == (FIELDS - 1) * len(batch):
        return b"R" + text.encode("utf-8")
    return b"P" + pickle.dumps(list(batch), protocol=pickle.HIGHEST_PROTOCOL)


def _decode(payload: bytes) -> list[RowTuple]:
    if payload[:1] == b"P":
        rows: list[RowTuple] = pickle.loads(payload[1:])
        return rows
    out: list[RowTuple] = []
    add = out.append
    for record in payload[1:].decode("utf-8").split(RECORD):
        f = record.split(UNIT)
        add(
            (
                int(f[0]),
                f[1],
                f[2] or None,
                f[3] or None,
                f[4],
                f[5] or None,
                f[6] or None,
                f[7] or None,
            )
        )
    return out


def _die_with(parent: int) -> None:
    """Make this (forked) reader end when the command that started it ends, however it ends.

    On Linux the kernel sends SIGKILL when the parent goes (PR_SET_PDEATHSIG); the parent may
    have gone before that was set, so getppid() is checked after. Elsewhere, and as a second
    guard, a thread watches getppid(). (A write to the pipe after the parent has gone fails
    with EPIPE too: the child holds no copy of the pipe's read end.)
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_WATCH_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="qaudit-reader-watchdog", daemon=True).start()


class _Sender:
    """Sends from a thread, so the reader does not wait for the parent to read each message
    (a batch is larger than a pipe holds) and can run up to ``AHEAD`` messages ahead: a batch
    that takes the reader longer than usual does not hold the parent up."""

    def __init__(self, channel: Connection) -> None:
        self.channel = channel
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=AHEAD)
        self.failed: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="qaudit-reader-sender", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (payload := self.queue.get()) is not None:
            if self.failed is None:  # (else drained, so that send_bytes never blocks)
                try:
                    self.channel.send_bytes(payload)
                except BaseException as error:
                    self.failed = error

    def send_bytes(self, payload: bytes) -> None:
        if self.failed is not None:
            raise self.failed
        self.queue.put(payload)

    def close(self) -> None:
        """Once everything queued was sent."""
        self.queue.put(None)
        self.thread.join()


def _produce(
    make: Callable[[], CaseFile],
    pipe: Connection,
    unused: Connection,
    parent: int,
    extra: ChildExtra | None,
) -> None:
    unused.close()  # the parent's end: while the child held it, writes never saw EPIPE
    _die_with(parent)
    channel: Any = _Sender(pipe)
    try:
        if extra is None:
            for batch in make().batches:
                channel.send_bytes(_encode(batch))
        else:
            _produce_with(make().batches, channel, extra)
        channel.send_bytes(b"D")
    except BaseException as error:  # handed to the parent, which raises it
        try:
            blob = pickle.dumps(error)
        except Exception:
            blob = pickle.dumps(QauditError(f"reading the file failed: {error}"))
        with contextlib.suppress(BrokenPipeError, OSError):  # else the parent has gone
            channel.send_bytes(b"E" + blob)
    finally:
        channel.close()
        pipe.close()


def _produce_with(batches: Iterable[Sequence[RowTuple]], channel: Any, extra: ChildExtra) -> None:
    """The batches with what ``extra`` makes of them: in each round the next batch is read and
    the previous batch's ``in_child`` made, both before the round's first send, so that the
    parent, busy with the previous batch meanwhile, reads them in a row (even when the
    sender's queue is full)."""
    previous: Sequence[RowTuple] | None = None
    for batch in batches:
        payload = _encode(batch)
        after = extra.in_child(previous) if previous is not None else None
        if after is not None:
            channel.send_bytes(b"X" + after)
        channel.send_bytes(payload)
        previous = batch
    if previous is not None and (after := extra.in_child(previous)) is not None:
        channel.send_bytes(b"X" + after)
    if (done := extra.in_child_done()) is not None:
        channel.send_bytes(b"X" + done)


def read_in_child(
    make: Callable[[], CaseFile], extra: ChildExtra | None = None
) -> Iterator[Sequence[RowTuple]]:
    """The batches of ``make()``, read by a forked process; in-process where fork is not
    available (``extra`` then gets nothing). An error in the reader is raised here with its
    own message."""
    try:
        context: Any = multiprocessing.get_context("fork")
    except ValueError:
        yield from make().batches
        return
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_produce,
        args=(make, sender, receiver, os.getpid(), extra),
        daemon=True,
        name="qaudit-reader",
    )
    process.start()
    sender.close()
    try:
        while True:
            try:
                payload = receiver.recv_bytes()
            except EOFError:
                raise QauditError(
                    "the process reading the file stopped unexpectedly; nothing was written"
                ) from None
            tag = payload[:1]
            if tag == b"D":
                return
            if tag == b"E":
                raise pickle.loads(payload[1:])
            if tag == b"X":
                if extra is not None:
                    extra.in_parent(payload[1:])
                continue
            yield _decode(payload)
    finally:
        receiver.close()
        if process.is_alive():
            process.terminate()
        process.join(timeout=5)
