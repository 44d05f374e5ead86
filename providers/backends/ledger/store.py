"""The manual-step ledger: an append-only record of every step no API can do.

Each step says which object (kind + resource name, the registry's :class:`~shoporg.kinds.Ref`),
which operation, the desired values (the resource's declared inputs: never a secret), its
runbook, when it was raised and by whom; every change of its state is a new event row::

    steps         id, fingerprint, kind, name, account, platform, operation, desired (JSON),
                  page, person, runbook, raised_at, raised_by
    events        seq, step_id, state (open | done | skipped), by, os_user, at, note
    attestations  seq, kind, name, account, by, os_user, at, note   (access reviews)
    access_reviews       seq, review, stack, scope, deadline, fallback, by, os_user, at
    access_review_lines  seq, review_seq, object, member, account, shop, roles
    access_decisions     seq, line_seq, decision (keep | revoke | flag), by, os_user, at, note
    drift_runs           seq, stack, exit_code, counts (JSON), findings (JSON), by, os_user, at
    step_stacks / attestation_stacks   step_id | seq, stack   (which stack's, see below)

Nothing is updated or deleted (triggers refuse it), so the history of who confirmed what,
when, survives crashes, retries and concurrent operators. Writes run one at a time, each in
one transaction: a SIGKILL loses at most the transaction in flight, never a committed step
or confirmation.

It lives in a SQLite file (the default, ``.shoporg/ledger.db``) or a PostgreSQL database
(``postgresql://...``, for teams). The tables and queries below are the one statement of
both; :mod:`.dialect` holds what differs (keys, triggers, locking, placeholders).

Several stacks may share one ledger (a ``dev`` and a ``prod`` in one checkout, or two
companies): a :class:`Ledger` opened for a stack records its steps and attestations as that
stack's and sees only its own (plus any recorded before stacks were told apart, which every
stack sees). The stack lives in side tables, so a ledger written by an older shoporg opens
unchanged: creating tables is all an upgrade does.

It is the system of record of what exists on platforms without a read API: the ledger
connector (:mod:`shoporg.backends.ledger.backend`) reads an object as its last confirmed
step describes it.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final, Literal

from shoporg.backends.ledger.dialect import Conn, dialect_for, is_url
from shoporg.errors import ShoporgError

State = Literal["open", "done", "skipped"]
STATES: Final[tuple[State, ...]] = ("open", "done", "skipped")
#: What a reviewer says of one access line (``shoporg review-access --decide``).
Decision = Literal["keep", "revoke", "flag"]
DECISIONS: Final[tuple[Decision, ...]] = ("keep", "revoke", "flag")

# ``{id}``: the auto-numbered key, spelled by the dialect. The append-only triggers on every
# table in _TABLE_NAMES are the dialect's too.
_TABLES = """
CREATE TABLE IF NOT EXISTS steps (
    id          {id},
    fingerprint TEXT NOT NULL,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    account     TEXT NOT NULL,
    platform    TEXT NOT NULL,
    operation   TEXT NOT NULL,
    desired     TEXT,
    page        TEXT NOT NULL,
    person      TEXT,
    runbook     TEXT NOT NULL,
    raised_at   TEXT NOT NULL,
    raised_by   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS steps_object ON steps (kind, name);
CREATE TABLE IF NOT EXISTS events (
    seq      {id},
    step_id  INTEGER NOT NULL REFERENCES steps (id),
    state    TEXT NOT NULL CHECK (state IN ('open', 'done', 'skipped')),
    by       TEXT NOT NULL,
    os_user  TEXT NOT NULL,
    at       TEXT NOT NULL,
    note     TEXT
);
CREATE INDEX IF NOT EXISTS events_step ON events (step_id, seq);
CREATE TABLE IF NOT EXISTS attestations (
    seq      {id},
    kind     TEXT NOT NULL,
    name     TEXT NOT NULL,
    account  TEXT NOT NULL,
    by       TEXT NOT NULL,
    os_user  TEXT NOT NULL,
    at       TEXT NOT NULL,
    note     TEXT
);
CREATE INDEX IF NOT EXISTS attestations_object ON attestations (kind, name);
CREATE TABLE IF NOT EXISTS step_stacks (
    step_id  INTEGER PRIMARY KEY REFERENCES steps (id),
    stack    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS attestation_stacks (
    seq      INTEGER PRIMARY KEY REFERENCES attestations (seq),
    stack    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS access_reviews (
    seq       {id},
    review    TEXT NOT NULL,
    stack     TEXT,
    scope     TEXT NOT NULL,
    deadline  TEXT NOT NULL,
    fallback  TEXT NOT NULL CHECK (fallback IN ('keep', 'revoke', 'flag')),
    by        TEXT NOT NULL,
    os_user   TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS access_review_lines (
    seq         {id},
    review_seq  INTEGER NOT NULL REFERENCES access_reviews (seq),
    object      TEXT NOT NULL,
    member      TEXT NOT NULL,
    account     TEXT NOT NULL,
    shop        TEXT NOT NULL,
    roles       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS drift_runs (
    seq        {id},
    stack      TEXT,
    exit_code  INTEGER NOT NULL,
    counts     TEXT NOT NULL,
    findings   TEXT NOT NULL,
    by         TEXT NOT NULL,
    os_user    TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS access_decisions (
    seq       {id},
    line_seq  INTEGER NOT NULL REFERENCES access_review_lines (seq),
    decision  TEXT NOT NULL CHECK (decision IN ('keep', 'revoke', 'flag')),
    by        TEXT NOT NULL,
    os_user   TEXT NOT NULL,
    at        TEXT NOT NULL,
    note      TEXT
);
"""
_TABLE_NAMES: Final = ("steps", "events", "attestations", "step_stacks", "attestation_stacks",
                       "access_reviews", "access_review_lines", "access_decisions",
                       "drift_runs")

# The latest event of every step: its current state.
_CURRENT = """
SELECT s.*, st.stack AS stack, e.state, e.by AS state_by, e.os_user AS state_os_user,
       e.at AS state_at, e.note AS state_note, e.seq AS state_seq
FROM steps s JOIN events e ON e.seq = (SELECT MAX(seq) FROM events WHERE step_id = s.id)
LEFT JOIN step_stacks st ON st.step_id = s.id
"""
# A stack sees its own steps and those recorded before stacks were told apart.
_MINE = "(st.stack IS NULL OR st.stack = ?)"


class LedgerError(ShoporgError):
    """A ledger operation was refused (unknown step, a state it is already in, ...)."""


@dataclass(frozen=True)
class Step:
    id: int
    kind: str
    name: str
    account: str
    platform: str
    operation: str
    desired: Mapping[str, Any] | None
    page: str
    person: str | None
    runbook: str
    raised_at: datetime
    raised_by: str
    state: State
    state_by: str
    state_os_user: str
    state_at: datetime
    state_note: str | None
    state_seq: int
    stack: str | None = None  # None: recorded before stacks were told apart

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "name": self.name, "account": self.account,
            "platform": self.platform, "operation": self.operation,
            "desired": dict(self.desired) if self.desired is not None else None,
            "page": self.page, "person": self.person, "runbook": self.runbook,
            "raised_at": self.raised_at.isoformat(), "raised_by": self.raised_by,
            "state": self.state, "by": self.state_by, "os_user": self.state_os_user,
            "at": self.state_at.isoformat(), "note": self.state_note, "stack": self.stack,
        }


@dataclass(frozen=True)
class ReviewLine:
    """One person's roles on one shop, as an access review froze it."""

    object: str  # the role grant's resource name
    member: str
    account: str
    shop: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class DecidedLine:
    seq: int
    line: ReviewLine
    decision: Decision | None  # the latest; None: nobody decided yet
    by: str | None = None
    at: str | None = None
    note: str | None = None


def fingerprint(kind: str, name: str, operation: str,
                desired: Mapping[str, Any] | None) -> str:
    data = json.dumps([kind, name, operation, desired], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


def now() -> datetime:
    """The ledger's clock: ``$SHOPORG_NOW`` (an ISO timestamp; for tests and what-ifs, like the
    sandbox's injectable clock) or the real time."""
    fixed = os.environ.get("SHOPORG_NOW")
    return datetime.fromisoformat(fixed) if fixed else datetime.now(UTC)


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class Ledger:
    """One ledger: a SQLite file (a path) or a PostgreSQL database (a ``postgresql://`` or
    ``postgres://`` URL). Cheap to create; every call opens and closes its own connection,
    so one object serves many threads and processes."""

    def __init__(self, path: str | Path, *, clock: Any = None, stack: str | None = None
                 ) -> None:
        self._dialect = dialect_for(path)
        #: Where it is, for people: the file, or the URL with its password masked.
        self.location = self._dialect.location
        #: The SQLite file; None for a PostgreSQL ledger.
        self.path: Path | None = None if is_url(path) else Path(path)
        self._now = clock or now
        #: The stack whose steps this object records and reads; None: every stack's.
        self.stack = stack
        self._ready = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Ledger({self.location!r}, stack={self.stack!r})"

    def _where(self, condition: str = "", params: tuple[Any, ...] = ()
               ) -> tuple[str, tuple[Any, ...]]:
        """`` WHERE condition``, narrowed to this stack's steps when it has one."""
        parts = [condition] if condition else []
        if self.stack is not None:
            parts.append(_MINE)
            params = (*params, self.stack)
        return (" WHERE " + " AND ".join(parts) if parts else ""), params

    def now(self) -> datetime:
        value: datetime = self._now()
        return value

    @contextmanager
    def _conn(self, write: bool = False) -> Iterator[Conn]:
        """A connection; with ``write``, a transaction holding the one-writer lock."""
        self._ensure()
        with self._dialect.connect(write) as conn:
            yield conn

    def _ensure(self) -> None:
        if self._ready:
            return
        with self._lock:
            if not self._ready:
                self._dialect.create(_TABLES, _TABLE_NAMES)
                self._ready = True

    # --- raising steps (the providers) ---------------------------------------------------

    def raise_step(
        self, *, kind: str, name: str, account: str, platform: str, operation: str,
        desired: Mapping[str, Any] | None, page: str, person: str | None, runbook: str,
        by: str = "shoporg",
    ) -> Step:
        """Record a step, or return the open one already recorded for the same object,
        operation and desired values (a re-run raises nothing twice).

        A step confirmed earlier whose effect the platform's read-back still does not show
        is reopened ("not visible yet"): confirmation alone does not make it done there.
        Open steps of the same object for other values are superseded (skipped)."""
        mark = fingerprint(kind, name, operation, desired)
        now = self.now().isoformat()
        with self._conn(write=True) as conn:
            where, params = self._where("s.fingerprint = ?", (mark,))
            same = conn.execute(
                _CURRENT + where + " ORDER BY s.id DESC LIMIT 1", params).fetchone()
            if same is not None and same["state"] == "open":
                return _step(same)
            if same is not None and same["state"] == "done":
                conn.execute(
                    "INSERT INTO events (step_id, state, by, os_user, at, note) "
                    "VALUES (?, 'open', ?, ?, ?, ?)",
                    (same["id"], by, os_user(), now,
                     f"confirmed by {same['state_by']} at {same['state_at']}, but the "
                     "platform does not show it yet (not visible yet)"),
                )
                return self._get(conn, same["id"])
            where, params = self._where("s.kind = ? AND s.name = ? AND e.state = 'open'",
                                        (kind, name))
            for old in conn.execute(_CURRENT + where, params).fetchall():
                if old["operation"] == "delete" and operation != "delete":
                    continue  # a replacement needs both: the old one removed, the new made
                conn.execute(
                    "INSERT INTO events (step_id, state, by, os_user, at, note) "
                    "VALUES (?, 'skipped', ?, ?, ?, 'superseded: org.yaml now asks for "
                    "something else')", (old["id"], by, os_user(), now),
                )
            inserted = conn.execute(
                "INSERT INTO steps (fingerprint, kind, name, account, platform, operation, "
                "desired, page, person, runbook, raised_at, raised_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (mark, kind, name, account, platform, operation,
                 None if desired is None else json.dumps(desired, sort_keys=True,
                                                         ensure_ascii=False),
                 page, person, runbook, now, by),
            )
            step_id = int(inserted.fetchone()["id"])
            if self.stack is not None:
                conn.execute("INSERT INTO step_stacks (step_id, stack) VALUES (?, ?)",
                             (step_id, self.stack))
            conn.execute(
                "INSERT INTO events (step_id, state, by, os_user, at, note) "
                "VALUES (?, 'open', ?, ?, ?, NULL)", (step_id, by, os_user(), now),
            )
            return self._get(conn, step_id)

    # --- the operators -------------------------------------------------------------------

    def mark(self, ids: Iterable[int], state: State, *, by: str,
             note: str | None = None) -> list[Step]:
        """Move steps to ``state`` (done, skipped, or open again), all or none.

        Refused, naming every offending id: an unknown id, a step already in ``state``, a
        done or skipped step without a note saying why (re-opening needs a reason)."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            raise LedgerError("no step ids given: `shoporg tasks` lists them")
        now = self.now().isoformat()
        with self._conn(write=True) as conn:
            rows = {r["id"]: r for r in conn.execute(
                _CURRENT + f" WHERE s.id IN ({','.join('?' * len(wanted))})", wanted)}
            problems = [f"step {i} does not exist" for i in wanted if i not in rows]
            problems += [
                f"step {i} is stack {rows[i]['stack']}'s, not {self.stack}'s"
                for i in wanted if i in rows and self.stack is not None
                and rows[i]["stack"] not in (None, self.stack)
            ]
            problems += [
                f"step {i} is already {rows[i]['state']} (by {rows[i]['state_by']} at "
                f"{rows[i]['state_at']})" for i in wanted if i in rows and rows[i]["state"] == state
            ]
            if state != "done" and not note:
                problems.append(f"marking steps {state} needs a reason (--reason)")
            if problems:
                raise LedgerError("nothing was changed: " + "; ".join(problems))
            for i in wanted:
                conn.execute(
                    "INSERT INTO events (step_id, state, by, os_user, at, note) "
                    "VALUES (?, ?, ?, ?, ?, ?)", (i, state, by, os_user(), now, note),
                )
            return [self._get(conn, i) for i in wanted]

    def withdraw(self, kind: str, name: str, reason: str, *,
                 operations: tuple[str, ...] | None = None, by: str = "shoporg") -> list[int]:
        """Skip this stack's open steps of one object (those of ``operations``, default all),
        saying why: org.yaml no longer needs them (a leaver whose account was never made; an
        object that now matches, or is gone). Returns the ids withdrawn."""
        now = self.now().isoformat()
        with self._conn(write=True) as conn:
            ids = [int(r["id"]) for r in conn.execute(*self._open_of(kind, name)).fetchall()
                   if operations is None or r["operation"] in operations]
            for i in ids:
                conn.execute(
                    "INSERT INTO events (step_id, state, by, os_user, at, note) "
                    "VALUES (?, 'skipped', ?, ?, ?, ?)", (i, by, os_user(), now,
                                                          f"withdrawn: {reason}"))
            return ids

    def _open_of(self, kind: str, name: str) -> tuple[str, tuple[Any, ...]]:
        """The query of one object's open steps (by the ``steps_object`` index)."""
        where, params = self._where("s.kind = ? AND s.name = ? AND e.state = 'open'",
                                    (kind, name))
        return _CURRENT + where + " ORDER BY s.id", params

    # --- reading -------------------------------------------------------------------------

    def open_steps_of(self, kind: str, name: str) -> list[Step]:
        """This stack's open steps of one object: one indexed query, however long the
        worklist (the providers ask it per object)."""
        if not self._dialect.exists():
            return []
        with self._conn() as conn:
            return [_step(r) for r in conn.execute(*self._open_of(kind, name))]

    def steps(self, state: State | None = None) -> list[Step]:
        """Every step (or those in ``state``), oldest first."""
        if not self._dialect.exists():
            return []
        with self._conn() as conn:
            where, params = self._where("e.state = ?" if state else "",
                                        (state,) if state else ())
            return [_step(r) for r in conn.execute(_CURRENT + where + " ORDER BY s.id", params)]

    def confirmed(self, account: str | None = None) -> dict[tuple[str, str], Step]:
        """(kind, name) → the last confirmed step of each object (what a person did last)."""
        if not self._dialect.exists():
            return {}
        with self._conn() as conn:
            where, params = self._where("e.state = 'done'" + (" AND s.account = ?" if account
                                                               else ""),
                                        (account,) if account else ())
            out: dict[tuple[str, str], Step] = {}
            for row in conn.execute(_CURRENT + where + " ORDER BY e.seq", params):
                step, key = _step(row), (row["kind"], row["name"])
                if not _replaced(step, out.get(key)):
                    out[key] = step
            return out

    # --- attestation: drift where there is no API ------------------------------------------

    def attest(self, objects: Iterable[tuple[str, str, str]], *, by: str,
               note: str | None = None) -> int:
        """Record that a person reviewed ``(kind, name, account)`` objects as they are."""
        rows = list(dict.fromkeys(objects))
        if not rows:
            raise LedgerError("nothing to attest: no ledger object matches the selection")
        now = self.now().isoformat()
        with self._conn(write=True) as conn:
            for k, n, a in rows:
                seq = conn.execute(
                    "INSERT INTO attestations (kind, name, account, by, os_user, at, note) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
                    (k, n, a, by, os_user(), now, note)).fetchone()["seq"]
                if self.stack is not None:
                    conn.execute("INSERT INTO attestation_stacks (seq, stack) VALUES (?, ?)",
                                 (seq, self.stack))
        return len(rows)

    def attestations(self) -> list[dict[str, Any]]:
        """Every attestation this stack sees, oldest first (``shoporg evidence``)."""
        mine = "" if self.stack is None else " WHERE " + _MINE
        with self._conn() as conn:
            return [dict(r) for r in conn.execute(
                "SELECT a.seq, a.kind, a.name, a.account, a.by, a.os_user, a.at, a.note "
                "FROM attestations a LEFT JOIN attestation_stacks st ON st.seq = a.seq"
                + mine + " ORDER BY a.seq", () if self.stack is None else (self.stack,))]

    # --- access reviews with decisions (``shoporg review-access --open/--decide/--close``) --

    def open_review(self, review: str, *, scope: Mapping[str, Any], deadline: date,
                    fallback: Decision, lines: Iterable[ReviewLine], by: str) -> int:
        """Record a review of ``lines`` (frozen as they are today) due by ``deadline``; a line
        nobody decides by then gets ``fallback`` when the review is closed."""
        rows = list(dict.fromkeys(lines))
        if not rows:
            raise LedgerError(f"access review {review!r}: no access line matches its scope")
        with self._conn(write=True) as conn:
            if self._review(conn, review) is not None:
                raise LedgerError(f"access review {review!r} exists already: `shoporg "
                                  f"review-access --review {review}` shows it; name a new one")
            seq = int(conn.execute(
                "INSERT INTO access_reviews (review, stack, scope, deadline, fallback, by, "
                "os_user, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
                (review, self.stack, json.dumps(scope, sort_keys=True), deadline.isoformat(),
                 fallback, by, os_user(), self.now().isoformat())).fetchone()["seq"])
            for line in rows:
                conn.execute(
                    "INSERT INTO access_review_lines (review_seq, object, member, account, "
                    "shop, roles) VALUES (?, ?, ?, ?, ?, ?)",
                    (seq, line.object, line.member, line.account, line.shop,
                     " ".join(line.roles)))
        return seq

    def _review(self, conn: Conn, review: str) -> dict[str, Any] | None:
        stack = "stack IS NULL" if self.stack is None else "stack = ?"
        row = conn.execute(
            f"SELECT * FROM access_reviews WHERE review = ? AND {stack} ORDER BY seq LIMIT 1",
            (review,) if self.stack is None else (review, self.stack)).fetchone()
        return None if row is None else dict(row)

    def review(self, review: str) -> tuple[dict[str, Any], list[DecidedLine]]:
        """A review's header and its lines, each with its latest decision (or none)."""
        with self._conn() as conn:
            header = self._review(conn, review)
            if header is None:
                raise LedgerError(f"no access review {review!r} for this stack: open one with "
                                  f"`shoporg review-access --open {review} --deadline DATE`")
            rows = conn.execute(
                "SELECT l.*, d.decision, d.by, d.at, d.note FROM access_review_lines l "
                "LEFT JOIN access_decisions d ON d.seq = (SELECT MAX(seq) FROM "
                "access_decisions WHERE line_seq = l.seq) WHERE l.review_seq = ? "
                "ORDER BY l.seq", (header["seq"],)).fetchall()
        return header, [DecidedLine(
            int(r["seq"]), ReviewLine(r["object"], r["member"], r["account"], r["shop"],
                                      tuple(r["roles"].split())),
            r["decision"], r["by"], r["at"], r["note"]) for r in rows]

    def decide(self, review: str, selectors: Iterable[str], decision: Decision, *, by: str,
               note: str | None = None) -> list[DecidedLine]:
        """Record ``decision`` for the lines ``selectors`` name (an object, or a member id
        for all their lines); all or none, naming every selector that matches nothing."""
        _, lines = self.review(review)
        wanted = list(dict.fromkeys(selectors))
        unknown = [s for s in wanted
                   if not any(s in (x.line.object, x.line.member) for x in lines)]
        if unknown or not wanted:
            raise LedgerError(
                f"access review {review!r}: {', '.join(unknown) or 'nothing'} names no line "
                f"(an object or a member id; `shoporg review-access --review {review}` lists "
                "them); nothing was recorded")
        chosen = [x for x in lines if {x.line.object, x.line.member} & set(wanted)]
        now = self.now().isoformat()
        with self._conn(write=True) as conn:
            for x in chosen:
                conn.execute(
                    "INSERT INTO access_decisions (line_seq, decision, by, os_user, at, note) "
                    "VALUES (?, ?, ?, ?, ?, ?)", (x.seq, decision, by, os_user(), now, note))
        return self.review(review)[1]

    def record_drift(self, *, exit_code: int, counts: Mapping[str, int],
                     findings: Sequence[Mapping[str, Any]], by: str) -> int:
        """Record one ``shoporg drift`` run: its exit code, counts and findings (objects and
        the review's words; never a value a secret could be in), for the evidence pack."""
        with self._conn(write=True) as conn:
            return int(conn.execute(
                "INSERT INTO drift_runs (stack, exit_code, counts, findings, by, os_user, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
                (self.stack, exit_code, json.dumps(dict(counts), sort_keys=True),
                 json.dumps(list(findings), ensure_ascii=False, sort_keys=True), by, os_user(),
                 self.now().isoformat())).fetchone()["seq"])

    def drift_runs(self) -> list[dict[str, Any]]:
        """The recorded drift runs of this stack (every stack's without one), oldest first."""
        stack = "" if self.stack is None else " WHERE stack = ?"
        with self._conn() as conn:
            rows = [dict(r) for r in conn.execute(
                "SELECT seq, stack, exit_code, counts, findings, by, at FROM drift_runs"
                + stack + " ORDER BY seq", () if self.stack is None else (self.stack,))]
        for row in rows:
            row["counts"], row["findings"] = json.loads(row["counts"]), json.loads(row["findings"])
        return rows

    def decisions(self) -> list[dict[str, Any]]:
        """Every access-review decision this stack's reviews hold, oldest first."""
        stack = "" if self.stack is None else " WHERE r.stack = ?"
        with self._conn() as conn:
            return [dict(r) for r in conn.execute(
                "SELECT d.seq, r.review, r.deadline, l.object, l.member, l.account, l.shop, "
                "l.roles, d.decision, d.by, d.at, d.note FROM access_decisions d "
                "JOIN access_review_lines l ON l.seq = d.line_seq "
                "JOIN access_reviews r ON r.seq = l.review_seq" + stack + " ORDER BY d.seq",
                () if self.stack is None else (self.stack,))]

    def verified_at(self, account: str | None = None) -> dict[tuple[str, str], datetime]:
        """(kind, name) → when each existing object was last confirmed or attested."""
        out = {key: step.state_at for key, step in self.confirmed(account).items()
               if step.operation != "delete"}
        if not out:
            return out
        with self._conn() as conn:
            mine = "" if self.stack is None else " WHERE " + _MINE
            for row in conn.execute(
                "SELECT a.kind, a.name, MAX(a.at) AS at FROM attestations a "
                "LEFT JOIN attestation_stacks st ON st.seq = a.seq" + mine
                + " GROUP BY a.kind, a.name", () if self.stack is None else (self.stack,)
            ):
                key = (row["kind"], row["name"])
                at = datetime.fromisoformat(row["at"])
                if key in out and at > out[key]:
                    out[key] = at
        return out

    def history(self, step_id: int) -> list[dict[str, Any]]:
        with self._conn() as conn:
            return [dict(r) for r in conn.execute(
                "SELECT seq, state, by, os_user, at, note FROM events WHERE step_id = ? "
                "ORDER BY seq", (step_id,))]

    def _get(self, conn: Conn, step_id: int) -> Step:
        return _step(conn.execute(_CURRENT + " WHERE s.id = ?", (step_id,)).fetchone())


def _replaced(removal: Step, current: Step | None) -> bool:
    """Whether a confirmed removal is of an object replaced since (an old login: a rename
    on a platform without an API is a removal and a create under one name), so that the
    object made since is not read as removed, whichever step was confirmed first."""
    if removal.operation != "delete" or current is None or current.operation == "delete":
        return False
    gone, made = removal.desired or {}, current.desired or {}
    return "login" in gone and gone.get("login") != made.get("login")


def _step(row: Any) -> Step:
    """A step from a row of ``_CURRENT`` (``sqlite3.Row`` or psycopg's ``dict``)."""
    return Step(
        id=row["id"], kind=row["kind"], name=row["name"], account=row["account"],
        platform=row["platform"], operation=row["operation"],
        desired=None if row["desired"] is None else json.loads(row["desired"]),
        page=row["page"], person=row["person"], runbook=row["runbook"],
        raised_at=datetime.fromisoformat(row["raised_at"]), raised_by=row["raised_by"],
        state=row["state"], state_by=row["state_by"], state_os_user=row["state_os_user"],
        state_at=datetime.fromisoformat(row["state_at"]), state_note=row["state_note"],
        state_seq=row["state_seq"], stack=row["stack"],
    )
