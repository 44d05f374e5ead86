"""Where a ledger lives — a SQLite file or a PostgreSQL database — and what differs between them.

The ledger's tables and queries are written once (:mod:`.store`), in the SQL both databases
speak, with ``?`` placeholders and ``{id}`` for an auto-numbered key. A dialect supplies the
rest:

=================== ===================================== ====================================
what                SQLite (a path, the default)          PostgreSQL (a ``postgresql://`` URL)
=================== ===================================== ====================================
auto-numbered key   ``INTEGER PRIMARY KEY AUTOINCREMENT`` ``GENERATED ALWAYS AS IDENTITY``
append-only         ``RAISE(ABORT)`` triggers             one trigger function, called by
                                                          row and TRUNCATE triggers
one writer at once  ``BEGIN IMMEDIATE`` (WAL journal)     ``pg_advisory_xact_lock`` per write
creating the schema ``IF NOT EXISTS`` in one script       the same lock around it, so two
                                                          processes starting at once agree
where the tables    the file                              schema ``shoporg_ledger``, beside
                                                          what else the database holds
placeholders        ``?``                                 ``%s`` (translated from ``?``)
=================== ===================================== ====================================

Serialising writers is what keeps :meth:`~.store.Ledger.raise_step` idempotent and
:meth:`~.store.Ledger.mark` all-or-none with several processes: each write reads the current
state *after* taking the lock (READ COMMITTED gives every statement a fresh snapshot), so no
two writers decide on the same stale state.

A URL may carry a password; it is never shown: :attr:`Dialect.location` and every error
name the URL with the password masked. libpq's own ``PGPASSWORD`` and ``~/.pgpass`` keep it
out of the URL altogether.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    import psycopg

URL_SCHEMES = ("postgresql://", "postgres://")
SCHEMA = "shoporg_ledger"
APPEND_ONLY = "the ledger is append-only"
# One key for every writer of the ledger in a database (advisory locks are per database,
# as the schema is): a stable number derived from a name, so no other tool's key collides.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"shoporg ledger").digest()[:8], "big", signed=True)
BUSY_SECONDS = 60  # how long a writer waits for another before giving up (both dialects)


def is_url(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(URL_SCHEMES)


def masked(url: str) -> str:
    """``url`` with its password (in the user part or a ``password=`` parameter) as ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.split(':', 1)[0]}:***@{host}"
    query = parts.query
    if "password=" in query:
        query = urlencode([(k, "***" if k == "password" else v)
                           for k, v in parse_qsl(query, keep_blank_values=True)], safe="*")
    return urlunsplit(parts._replace(netloc=netloc, query=query))


class Cursor(Protocol):
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Conn:
    """One connection, speaking the ledger's ``?`` placeholders in either dialect. Rows are
    read by column name (``sqlite3.Row`` / a ``dict``)."""

    def __init__(self, raw: Any, placeholder: str) -> None:
        self.raw = raw
        self._placeholder = placeholder

    def _sql(self, sql: str) -> str:
        # The ledger's SQL holds no '?' or '%' in literals, so a plain replace is exact.
        return sql if self._placeholder == "?" else sql.replace("?", self._placeholder)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        if self._placeholder == "?":
            found: Cursor = self.raw.execute(sql, params)
        else:  # psycopg: no parameters means "send as is" (a literal '%' stays one)
            found = self.raw.execute(self._sql(sql), params or None)
        return found

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        if self._placeholder == "?":
            self.raw.executemany(sql, rows)
        else:
            with self.raw.cursor() as cursor:
                cursor.executemany(self._sql(sql), list(rows))


class Dialect(Protocol):
    location: str  # for people: the file, or the URL with its password masked

    def exists(self) -> bool:
        """Whether there may be anything to read (reads of a missing file create nothing)."""
        ...

    def create(self, tables: str, names: Sequence[str]) -> None:
        """Create ``tables`` (the ``{id}`` form) and their append-only guards, once; safe when
        several processes do it at the same moment."""
        ...

    def connect(self, write: bool) -> AbstractContextManager[Conn]:
        """A connection; with ``write``, inside a transaction that holds the ledger's writer
        lock, committed on leaving and rolled back on any exception."""
        ...


def dialect_for(target: str | Path) -> Dialect:
    if is_url(target):
        return Postgres(str(target))
    return Sqlite(Path(target))


class Sqlite:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)

    def exists(self) -> bool:
        return self.path.exists()

    def create(self, tables: str, names: Sequence[str]) -> None:
        guards = "".join(
            f"CREATE TRIGGER IF NOT EXISTS {t}_append_only_{w[0].lower()} BEFORE {w} ON {t}\n"
            f"    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END;\n"
            for t in names for w in ("UPDATE", "DELETE"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._open()) as conn:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(tables.format(id="INTEGER PRIMARY KEY AUTOINCREMENT") + guards)

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")
        return conn

    @contextmanager
    def connect(self, write: bool) -> Iterator[Conn]:
        with closing(self._open()) as raw:
            raw.row_factory = sqlite3.Row
            if not write:
                yield Conn(raw, "?")
                return
            raw.execute("BEGIN IMMEDIATE")  # the write lock now, not at the first write
            try:
                yield Conn(raw, "?")
            except BaseException:
                raw.execute("ROLLBACK")
                raise
            raw.execute("COMMIT")


_PG_GUARDS = """
CREATE OR REPLACE FUNCTION {schema}.append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation';
END $$;
"""
_PG_TABLE_GUARDS = """
CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {schema}.append_only();
CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.append_only();
"""


class Postgres:
    def __init__(self, url: str) -> None:
        self._url = url
        self.location = masked(url)

    def exists(self) -> bool:
        return True  # a server to ask; the schema is created on first use

    def create(self, tables: str, names: Sequence[str]) -> None:
        with self._open() as raw:
            if self._complete(raw, names):
                return  # the common case: no lock, and no DDL privilege needed
            # Two processes starting at once: the second waits here, then finds the tables
            # (the DDL below commits as one transaction) and creates nothing. A session lock
            # taken *before* the transaction, so that the transaction starts after the other
            # process committed: with an xact lock inside it, and to_regclass() as the check,
            # four processes starting at once tried to create the triggers twice (the
            # waiting backend's catalog caches, most likely, were older than the commit).
            raw.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
            try:
                with raw.transaction():
                    if self._complete(raw, names):
                        return
                    ddl = f"CREATE SCHEMA IF NOT EXISTS {SCHEMA};\n"
                    ddl += tables.format(id="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")
                    ddl += _PG_GUARDS.format(schema=SCHEMA, message=APPEND_ONLY)
                    ddl += "".join(_PG_TABLE_GUARDS.format(schema=SCHEMA, table=t)
                                   for t in names)
                    raw.execute(ddl)  # no parameters: sent as one script
            finally:
                raw.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))

    @staticmethod
    def _complete(raw: psycopg.Connection[Any], names: Sequence[str]) -> bool:
        # The catalog read as a table (a fresh snapshot per statement), not to_regclass(),
        # whose lookups may answer from this backend's cache.
        row = raw.execute(
            "SELECT count(*) AS n FROM pg_catalog.pg_tables "
            "WHERE schemaname = %s AND tablename = ANY(%s)", (SCHEMA, list(names))).fetchone()
        return bool(row and row["n"] == len(names))

    def _open(self) -> psycopg.Connection[Any]:
        import psycopg
        from psycopg.rows import dict_row

        try:
            raw = psycopg.connect(self._url, autocommit=True, row_factory=dict_row,
                                  connect_timeout=BUSY_SECONDS)
        except psycopg.Error as exc:
            from shoporg.backends.ledger.store import LedgerError

            raise LedgerError(f"cannot open the ledger at {self.location}: "
                              f"{self._hide(str(exc))}") from None
        # Session settings, so the queries stay unqualified (the same text as SQLite's).
        raw.execute(f"SET search_path TO {SCHEMA}; SET lock_timeout = '{BUSY_SECONDS}s'")
        return raw

    def _hide(self, text: str) -> str:
        """``text`` without the URL or its password (a driver message may quote either)."""
        text = text.replace(self._url, self.location)
        password = urlsplit(self._url).password
        return text.replace(password, "***") if password else text

    @contextmanager
    def connect(self, write: bool) -> Iterator[Conn]:
        with self._open() as raw:
            if not write:
                yield Conn(raw, "%s")
                return
            with raw.transaction():
                raw.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
                yield Conn(raw, "%s")
