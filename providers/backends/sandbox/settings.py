"""File-wide knobs in the ``settings`` table, shared by every process using the sandbox.

Keys: ``clock_offset_seconds`` (added to the injected clock, ``shoporg sandbox clock``),
``faults`` (JSON, see ``faults.py``), ``count_calls`` ("1" = also persist per-method call
counts in ``call_counts`` so a benchmark can read the provider process's calls).

They are read once per backend call, outside the operation's transaction, with one query.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import timedelta

from shoporg.backends.sandbox.tx import Tx

CLOCK_OFFSET = "clock_offset_seconds"
FAULTS = "faults"
COUNT_CALLS = "count_calls"
KNOWN = (CLOCK_OFFSET, FAULTS, COUNT_CALLS)


@dataclass(frozen=True, slots=True)
class Settings:
    clock_offset: timedelta = timedelta(0)
    faults: str | None = None
    count_calls: bool = False


def read(conn: sqlite3.Connection) -> Settings:
    values = {row[0]: row[1] for row in conn.execute("SELECT key, value FROM settings")}
    return Settings(
        clock_offset=timedelta(seconds=float(values.get(CLOCK_OFFSET, "0"))),
        faults=values.get(FAULTS),
        count_calls=values.get(COUNT_CALLS) == "1",
    )


def write(tx: Tx, key: str, value: str | None) -> None:
    """Set (or with ``None`` remove) a setting; audited like every other change."""
    if key not in KNOWN:
        raise ValueError(f"unknown setting {key!r}; known: {', '.join(KNOWN)}")
    row = tx.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    if value is None:
        tx.conn.execute("DELETE FROM settings WHERE key = ?", (key,))
    else:
        tx.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
    tx.audit(
        "setting", key,
        None if row is None else {"value": row[0]},
        None if value is None else {"value": value},
    )


def bump_call_count(conn: sqlite3.Connection, method: str) -> None:
    conn.execute(
        "INSERT INTO call_counts (method, count) VALUES (?, 1)"
        " ON CONFLICT (method) DO UPDATE SET count = count + 1",
        (method,),
    )


def next_fault_call(conn: sqlite3.Connection) -> int:
    """The file-wide call number, for ``fail_on_call`` (counted across processes)."""
    conn.execute(
        "INSERT INTO fault_counter (id, calls) VALUES (1, 1)"
        " ON CONFLICT (id) DO UPDATE SET calls = calls + 1"
    )
    n: int = conn.execute("SELECT calls FROM fault_counter WHERE id = 1").fetchone()[0]
    return n


def reset_fault_counter(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM fault_counter")


def reset_counters(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM call_counts")
    reset_fault_counter(conn)


def persisted_call_counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {
        row[0]: int(row[1])
        for row in conn.execute("SELECT method, count FROM call_counts ORDER BY method")
    }
