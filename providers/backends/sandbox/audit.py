"""The audit log: every mutation with actor, time, object, and before/after as JSON.

The table is append-only (SQLite triggers abort any UPDATE or DELETE, see ``schema.py``)
and is written in the same transaction as the change it describes, so a change and its
entry commit or vanish together. Callers pass *public* views of objects (``password_set``,
never a password or hash): :func:`record` refuses keys that look like secrets as a last
line of defence.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping

from shoporg.backends.protocol import AuditEntry
from shoporg.backends.sandbox.clock import from_text

_SECRET_MARKERS = ("password", "secret", "token")
_ALLOWED_FLAGS = ("password_set", "wallet_password_set", "shop_password_set")


def _check_no_secrets(view: Mapping[str, object] | None) -> None:
    if view is None:
        return
    for key in view:
        lowered = key.lower()
        if lowered not in _ALLOWED_FLAGS and any(m in lowered for m in _SECRET_MARKERS):
            raise ValueError(f"refusing to write secret-looking field {key!r} to the audit log")


def record(
    conn: sqlite3.Connection,
    *,
    company: str,
    at: str,
    actor: str,
    operation: str,
    kind: str,
    name: str,
    before: Mapping[str, object] | None,
    after: Mapping[str, object] | None,
) -> None:
    _check_no_secrets(before)
    _check_no_secrets(after)
    conn.execute(
        "INSERT INTO audit_log (company, at, actor, operation, kind, object, before, after)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            company,
            at,
            actor,
            operation,
            kind,
            name,
            None if before is None else json.dumps(before, ensure_ascii=False, sort_keys=True),
            None if after is None else json.dumps(after, ensure_ascii=False, sort_keys=True),
        ),
    )


def entries(
    conn: sqlite3.Connection,
    company: str | None,
    *,
    kind: str | None = None,
    name: str | None = None,
    after_seq: int = 0,
    limit: int | None = None,
) -> list[AuditEntry]:
    """Entries in order; ``company=None`` reads every company's."""
    sql = "SELECT * FROM audit_log WHERE seq > ?"
    args: list[object] = [after_seq]
    if company is not None:
        sql += " AND company = ?"
        args.append(company)
    if kind is not None:
        sql += " AND kind = ?"
        args.append(kind)
    if name is not None:
        sql += " AND object = ?"
        args.append(name)
    if limit is None:
        sql += " ORDER BY seq"
    else:
        # The newest ``limit`` entries, still shown oldest first.
        sql = f"SELECT * FROM ({sql} ORDER BY seq DESC LIMIT ?) ORDER BY seq"
        args.append(limit)
    rows = conn.execute(sql, args).fetchall()
    return [
        AuditEntry(
            seq=row["seq"],
            company=row["company"],
            at=from_text(row["at"]),
            actor=row["actor"],
            operation=row["operation"],
            kind=row["kind"],
            name=row["object"],
            before=None if row["before"] is None else json.loads(row["before"]),
            after=None if row["after"] is None else json.loads(row["after"]),
        )
        for row in rows
    ]
