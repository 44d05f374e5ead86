"""Connections to one sandbox file, safe across threads and processes.

* One connection per thread (and per process: a forked child opens its own), because a
  ``sqlite3.Connection`` must not be shared between the Pulumi engine's worker threads.
* WAL journal, so readers never block the writer and vice versa; a 30 s busy timeout, so
  writers queue instead of failing with "database is locked".
* Writes start with ``BEGIN IMMEDIATE``: taking the write lock up front means a transaction
  never has to upgrade a read lock, the case where SQLite returns BUSY without waiting.
* Writers of one process queue on a Python lock per file before ``BEGIN IMMEDIATE``.
  SQLite's busy handler polls with sleeps of up to 100 ms, so sixteen provider threads
  racing for the write lock wasted most of an ``up`` asleep (cProfile: 60 s in
  ``execute`` for 1,048 resources); a lock hands over the moment the writer commits.
  Other processes (a parallel shard, the seller-centre CLI) still meet the busy timeout.
* The schema is migrated once per :class:`Database` instance, on first use.
* Every connection is closed by :meth:`Database.close`, or at the latest when the instance
  is garbage-collected (a backend is cheap to create and callers may simply drop one), so a
  dropped backend never leaves an unclosed connection for the interpreter to warn about.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from shoporg.backends.sandbox.schema import migrate

T = TypeVar("T")

BUSY_TIMEOUT_MS = 30_000
# After the busy timeout itself, retry a few times before calling it a transient failure.
BUSY_RETRIES = 5


_WRITERS: dict[str, threading.RLock] = {}
_WRITERS_GUARD = threading.Lock()


def writer_lock(path: Path) -> threading.RLock:
    """The in-process write lock of one sandbox file (shared by every Database on it)."""
    key = os.path.realpath(path)
    with _WRITERS_GUARD:
        lock = _WRITERS.get(key)
        if lock is None:
            lock = _WRITERS[key] = threading.RLock()
        return lock


def is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class Database:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._local = threading.local()
        # One list for the instance's whole life: the finalizer closes what it holds.
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._migrated = False
        self.writer = writer_lock(self.path)
        self._finalizer = weakref.finalize(self, _close_all, self._all, self._lock)

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == os.getpid():
            return conn
        conn = self._open()
        self._local.conn = conn
        self._local.pid = os.getpid()
        with self._lock:
            self._all.append(conn)
        return conn

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, one transaction per operation.
        # check_same_thread=False only so close() can release every thread's connection;
        # each connection is still used by the one thread that opened it (thread-local).
        conn = sqlite3.connect(
            self.path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            self._prepare(conn)
        except BaseException:
            conn.close()  # e.g. a file from a newer shoporg: refused, and nothing left open
            raise
        return conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        # NORMAL is durable across application crashes in WAL mode (only an OS crash can
        # lose the last commits), and much faster than FULL for thousands of small writes.
        conn.execute("PRAGMA synchronous = NORMAL")
        retry_busy(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone())
        with self._lock:
            if not self._migrated:
                retry_busy(lambda: migrate(conn))
                self._migrated = True

    @contextmanager
    def transaction(self, write: bool) -> Iterator[sqlite3.Connection]:
        conn = self.connection()
        if not write:
            with self._run(conn, "BEGIN"):
                yield conn
            return
        with self.writer, self._run(conn, "BEGIN IMMEDIATE"):
            yield conn

    @staticmethod
    @contextmanager
    def _run(conn: sqlite3.Connection, begin: str) -> Iterator[None]:
        conn.execute(begin)
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close every connection this instance opened (call from the owning process)."""
        _close_all(self._all, self._lock)
        self._local = threading.local()


def _close_all(conns: list[sqlite3.Connection], lock: threading.Lock) -> None:
    """Close and forget every connection in ``conns`` (shared with the instance's finalizer,
    so it must not refer to the instance itself)."""
    with lock:
        taken = list(conns)
        conns.clear()
    for conn in taken:
        conn.close()


def retry_busy(fn: Callable[[], T]) -> T:
    """Run ``fn``, retrying when SQLite still reports busy after its own timeout."""
    for attempt in range(BUSY_RETRIES):
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or attempt == BUSY_RETRIES - 1:
                raise
            time.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")
