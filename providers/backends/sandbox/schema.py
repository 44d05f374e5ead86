"""The sandbox file's schema, as numbered migrations keyed by ``PRAGMA user_version``.

Migration 1 (the whole account system of the org.yaml model) is written here; a later table
is written beside the code that keeps it: its module in this package declares
``MIGRATION = Migration(number, sql)`` (``kuaishou_staff.py`` is number 2), and
:func:`migrations` collects every module's, refusing a gap or a number taken twice. So a new
kind's sandbox module carries its own table, and this file is not touched for it.

A migration is applied once, inside ``BEGIN IMMEDIATE``, and the version is re-read inside
that transaction, so two processes opening a fresh file at once cannot both apply it.
Append new migrations (the next number); never edit a released one (files in the wild are at
its version).

Every company-owned table starts its primary key with ``(company, account_id, ...)``:
that key doubles as the index a per-account ``list_*`` call scans.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import pkgutil
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Migration:
    """One step of the file's schema: applied when the file's ``user_version`` is below
    ``number``; ``sql`` is one or more statements (comments and trigger bodies allowed)."""

    number: int
    sql: str


BASE = Migration(
    1,
    # the whole account system.
    """
    CREATE TABLE companies (
        id          TEXT PRIMARY KEY,
        created_at  TEXT NOT NULL
    );

    -- Global knobs shared by every process using the file: clock offset, faults, counting.
    CREATE TABLE settings (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL
    );

    CREATE TABLE accounts (
        company              TEXT NOT NULL REFERENCES companies(id),
        id                   TEXT NOT NULL,
        platform             TEXT NOT NULL,
        nick                 TEXT NOT NULL,
        seat_quota           INTEGER NOT NULL CHECK (seat_quota >= 0),
        service_enabled      INTEGER NOT NULL DEFAULT 1,
        activated            INTEGER NOT NULL DEFAULT 1,
        activation_sent_at   TEXT,
        shop_password_hash   TEXT,
        wallet_password_hash TEXT,
        created_at           TEXT NOT NULL,
        PRIMARY KEY (company, id)
    );

    CREATE TABLE shops (
        company     TEXT NOT NULL,
        account_id  TEXT NOT NULL,
        id          TEXT NOT NULL,
        name        TEXT NOT NULL,
        site        TEXT,
        PRIMARY KEY (company, id),
        FOREIGN KEY (company, account_id) REFERENCES accounts(company, id)
    );
    CREATE INDEX shops_by_account ON shops(company, account_id);

    CREATE TABLE departments (
        company     TEXT NOT NULL,
        account_id  TEXT NOT NULL,
        id          TEXT NOT NULL,
        name        TEXT NOT NULL,
        parent_id   TEXT,
        PRIMARY KEY (company, account_id, id),
        FOREIGN KEY (company, account_id) REFERENCES accounts(company, id)
    );
    CREATE INDEX departments_by_parent ON departments(company, account_id, parent_id);

    CREATE TABLE roles (
        company      TEXT NOT NULL,
        account_id   TEXT NOT NULL,
        id           TEXT NOT NULL,
        name         TEXT NOT NULL,
        description  TEXT NOT NULL DEFAULT '',
        permissions  TEXT NOT NULL,  -- JSON list of declared codes
        PRIMARY KEY (company, account_id, id),
        UNIQUE (company, account_id, name),
        FOREIGN KEY (company, account_id) REFERENCES accounts(company, id)
    );

    CREATE TABLE sub_accounts (
        company          TEXT NOT NULL,
        account_id       TEXT NOT NULL,
        member_id        TEXT NOT NULL,
        login            TEXT NOT NULL,
        display_name     TEXT NOT NULL,
        department_id    TEXT,
        email            TEXT,
        phone            TEXT,
        dispatch         INTEGER NOT NULL DEFAULT 0,
        two_factor       INTEGER NOT NULL DEFAULT 0,
        status           TEXT NOT NULL CHECK (status IN ('pending', 'active', 'disabled')),
        email_confirmed  INTEGER NOT NULL DEFAULT 0,
        password_hash    TEXT,  -- salted PBKDF2, never plaintext
        created_at       TEXT NOT NULL,
        PRIMARY KEY (company, account_id, member_id),
        UNIQUE (company, account_id, login),
        FOREIGN KEY (company, account_id) REFERENCES accounts(company, id)
    );
    CREATE INDEX sub_accounts_by_department
        ON sub_accounts(company, account_id, department_id);

    CREATE TABLE grants (
        company     TEXT NOT NULL,
        account_id  TEXT NOT NULL,
        member_id   TEXT NOT NULL,
        shop_id     TEXT NOT NULL,
        role_ids    TEXT NOT NULL,  -- JSON list, sorted
        PRIMARY KEY (company, account_id, member_id, shop_id),
        FOREIGN KEY (company, account_id, member_id)
            REFERENCES sub_accounts(company, account_id, member_id)
    );

    CREATE TABLE bindings (
        company      TEXT NOT NULL,
        account_id   TEXT NOT NULL,
        shop_id      TEXT NOT NULL,
        external_id  TEXT NOT NULL,
        kind         TEXT NOT NULL CHECK (kind IN ('official', 'channel', 'self_operated')),
        source       TEXT,
        bound_at     TEXT NOT NULL,
        PRIMARY KEY (company, account_id, shop_id, external_id),
        FOREIGN KEY (company, shop_id) REFERENCES shops(company, id)
    );
    -- Self-operated exclusivity looks a creator up across every company in the file.
    CREATE INDEX bindings_by_external ON bindings(external_id, kind);

    CREATE TABLE chat_groups (
        company     TEXT NOT NULL,
        account_id  TEXT NOT NULL,
        shop_id     TEXT NOT NULL,
        name        TEXT NOT NULL,
        member_ids  TEXT NOT NULL,  -- JSON list, sorted
        PRIMARY KEY (company, account_id, shop_id, name),
        FOREIGN KEY (company, shop_id) REFERENCES shops(company, id)
    );

    -- Creator facts the Douyin self-operated rule reads; set by hand in the seller centre.
    CREATE TABLE creator_consent (
        creator_id    TEXT NOT NULL,
        company       TEXT NOT NULL,
        shop_id       TEXT NOT NULL,
        consented_at  TEXT NOT NULL,
        PRIMARY KEY (creator_id, company, shop_id)
    );
    CREATE TABLE creator_gmv (
        creator_id  TEXT NOT NULL,
        shop_key    TEXT NOT NULL,  -- "<company>/<shop id>" or any label for shops elsewhere
        day         TEXT NOT NULL,  -- ISO date
        amount      REAL NOT NULL CHECK (amount >= 0),
        PRIMARY KEY (creator_id, shop_key, day)
    );

    CREATE TABLE call_counts (
        method  TEXT PRIMARY KEY,
        count   INTEGER NOT NULL
    );
    CREATE TABLE fault_counter (
        id     INTEGER PRIMARY KEY CHECK (id = 1),
        calls  INTEGER NOT NULL
    );

    -- Append-only: the triggers below make any rewrite abort.
    CREATE TABLE audit_log (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        company    TEXT NOT NULL,
        at         TEXT NOT NULL,
        actor      TEXT NOT NULL,
        operation  TEXT NOT NULL,
        kind       TEXT NOT NULL,
        object     TEXT NOT NULL,
        before     TEXT,
        after      TEXT
    );
    CREATE INDEX audit_by_object ON audit_log(company, kind, object);
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    """,
)


#: How a module declares its table, at the start of a line of its source.
_DECLARES = re.compile(r"^MIGRATION\b", re.MULTILINE)


@functools.cache
def migrations() -> tuple[Migration, ...]:
    """Every migration in number order: :data:`BASE` and each ``MIGRATION`` a module of this
    package declares (see :func:`in_order`). Only modules whose source declares one are
    imported: the endpoints' modules (an HTTP server each) stay out of every process that
    merely opens a sandbox file."""
    package = __name__.rpartition(".")[0]
    declared = {__name__: BASE}
    for module in pkgutil.iter_modules(importlib.import_module(package).__path__):
        name = f"{package}.{module.name}"
        if not _may_declare(name):
            continue
        step = getattr(importlib.import_module(name), "MIGRATION", None)
        if isinstance(step, Migration):
            declared[name] = step
    return in_order(declared)


def _may_declare(name: str) -> bool:
    """Whether module ``name``'s source assigns ``MIGRATION`` (a module without readable
    source is imported to see)."""
    spec = importlib.util.find_spec(name)
    origin = spec.origin if spec is not None else None
    if origin is None or not origin.endswith(".py"):
        return True
    return _DECLARES.search(Path(origin).read_text(encoding="utf-8")) is not None


def in_order(declared: Mapping[str, Migration]) -> tuple[Migration, ...]:
    """The migrations ``declared`` (by module name) sorted by number. A gap or a number two
    modules declare is a programming error, refused before any file is touched, naming them."""
    by_number: dict[int, list[str]] = {}
    for module, step in declared.items():
        by_number.setdefault(step.number, []).append(module)
    twice = {number: modules for number, modules in by_number.items() if len(modules) > 1}
    if twice:
        raise RuntimeError(f"sandbox migrations numbered twice: {twice}")
    if sorted(by_number) != list(range(1, len(by_number) + 1)):
        raise RuntimeError(
            f"sandbox migrations must be numbered 1..{len(by_number)} without a gap; "
            f"found {dict(sorted(by_number.items()))}"
        )
    return tuple(sorted(declared.values(), key=lambda step: step.number))


def schema_version() -> int:
    """The version a file is at once migrated: the number of the last migration."""
    return len(migrations())


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the file to :func:`schema_version`; returns the version it was at before."""
    steps = migrations()
    latest = len(steps)
    conn.execute("BEGIN IMMEDIATE")
    try:
        version: int = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > latest:
            raise RuntimeError(
                f"sandbox file has schema version {version}, newer than this shoporg "
                f"({latest}); upgrade shoporg"
            )
        for step in steps[version:]:
            # executescript would COMMIT our transaction; run the statements one by one.
            for statement in _statements(step.sql):
                conn.execute(statement)
        # PRAGMA cannot take a bound parameter; the value is our own integer.
        conn.execute(f"PRAGMA user_version = {latest}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return version


def _statements(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies (``BEGIN ... END;``) whole."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        raise ValueError(f"incomplete SQL statement in migration: {buf[:80]!r}")
    return out
