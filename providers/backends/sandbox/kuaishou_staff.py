"""Kuaishou (快手小店) staff in the sandbox: sellers, their role catalogue and their staff
(子账号), with the rules the merchant open platform keeps.

The open platform's staff lifecycle (``open.user.sub.account.*``, served by
:mod:`.kuaishou_server`) works on these tables (:data:`MIGRATION`, the file's migration 2):
a **seller** (``kuaishou_sellers``, keyed by Kuaishou's numeric seller id -- not a row of
``accounts``, whose platforms are the org.yaml model's), the seller's **roles** (they exist;
the API lists them and cannot create them: :meth:`KuaishouStaff.add_role` is the seller
centre's) and its **staff**: ``staffUserId``, ``phone`` (the login), ``nickName``,
``contactPhone``, ``remarks``, ``roleIds``, ``disabled``, ``deleted``.

Rules, each a small check refusing with its own stable code (:class:`RuleViolation.rule`):

=============================  ==================================================================
``ks_phone_format``            ``phone`` is a mainland mobile number (11 digits, ``1[3-9]...``)
``ks_contact_phone_format``    ``contactPhone`` is one too
``ks_phone_taken``             one staff member per phone and seller (a removed one frees it)
``ks_nick_name_required``      ``nickName`` is not blank, at most 20 characters
``ks_roles_required``          a staff member holds at least one role
``ks_role_unknown``            every ``roleIds`` entry is a role of this seller
``ks_remarks_length``          ``remarks`` at most 200 characters
``ks_staff_removed``           a removed staff member cannot be changed, stopped or removed again
=============================  ==================================================================

The phone, nickname and roles rules are the platform rule table's
(:mod:`shoporg.platforms.rules`: ``PHONE_LOGIN``, ``NICK_NAME``, ``ROLES_REQUIRED``), which
org.yaml's validator checks too; the others only the account system can judge.

A staff id of another seller (or none) is :class:`NotFoundError` (kind ``kuaishou_staff``);
an unknown seller too (kind ``kuaishou_seller``). Bounds the documentation does not state (20,
200) are the sandbox's. When ``phone`` is left out at creation (the SDKs make it optional),
the staff member logs in with ``contactPhone``.

Writes are audited like every sandbox change (kind ``kuaishou_staff``, name
``<seller id>/<staff id>``) and go through :meth:`SandboxBackend.execute`: the file's clock,
injected faults and call counts apply.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from shoporg.backends.sandbox.accounts import ensure_company
from shoporg.backends.sandbox.backend import SandboxBackend
from shoporg.backends.sandbox.clock import from_text
from shoporg.backends.sandbox.schema import Migration
from shoporg.backends.sandbox.tx import Tx
from shoporg.platforms import KUAISHOU, MAINLAND_MOBILE_PATTERN
from shoporg.platforms.facts import UserFacts
from shoporg.platforms.rules import NICK_NAME, PHONE_LOGIN, ROLES_REQUIRED

T = TypeVar("T")

SELLER = "kuaishou_seller"
ROLE = "kuaishou_role"
STAFF = "kuaishou_staff"
#: Staff ids are numbers; the sandbox numbers them from here, in creation order.
FIRST_STAFF_ID = 3_000_000_001
MOBILE = re.compile(MAINLAND_MOBILE_PATTERN)
REMARKS_MAX = 200

# The tables, released as the file's migration 2. A seller is keyed by Kuaishou's numeric
# seller id, apart from ``accounts`` (whose platforms are the org.yaml model's).
MIGRATION = Migration(
    2,
    """
    CREATE TABLE kuaishou_sellers (
        company     TEXT NOT NULL REFERENCES companies(id),
        seller_id   INTEGER NOT NULL,
        name        TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        PRIMARY KEY (company, seller_id)
    );

    -- Roles exist per seller (set up in the seller centre); the open API only lists them.
    CREATE TABLE kuaishou_roles (
        company    TEXT NOT NULL,
        seller_id  INTEGER NOT NULL,
        role_id    INTEGER NOT NULL,
        role_name  TEXT NOT NULL,
        role_desc  TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (company, seller_id, role_id),
        UNIQUE (company, seller_id, role_name),
        FOREIGN KEY (company, seller_id) REFERENCES kuaishou_sellers(company, seller_id)
    );

    CREATE TABLE kuaishou_staff (
        company        TEXT NOT NULL,
        seller_id      INTEGER NOT NULL,
        staff_user_id  INTEGER NOT NULL,
        phone          TEXT NOT NULL,  -- the staff member's login
        nick_name      TEXT NOT NULL,
        contact_phone  TEXT NOT NULL,
        remarks        TEXT NOT NULL DEFAULT '',
        role_ids       TEXT NOT NULL,  -- JSON list of role ids, sorted
        disabled       INTEGER NOT NULL DEFAULT 0,
        deleted        INTEGER NOT NULL DEFAULT 0,
        created_at     TEXT NOT NULL,
        updated_at     TEXT NOT NULL,
        PRIMARY KEY (company, seller_id, staff_user_id),
        FOREIGN KEY (company, seller_id) REFERENCES kuaishou_sellers(company, seller_id)
    );
    -- A phone logs in one staff member of a seller at a time (a removed one frees it).
    CREATE UNIQUE INDEX kuaishou_staff_phone
        ON kuaishou_staff(company, seller_id, phone) WHERE deleted = 0;
    """,
)


@dataclass(frozen=True)
class KsRole:
    role_id: int
    role_name: str
    role_desc: str


@dataclass(frozen=True)
class KsStaff:
    seller_id: int
    staff_user_id: int
    phone: str
    nick_name: str
    contact_phone: str
    remarks: str
    role_ids: tuple[int, ...]
    disabled: bool
    deleted: bool
    updated_at: datetime

    def view(self) -> dict[str, object]:
        """The audited view (no secrets: a staff member has none here)."""
        return {
            "phone": self.phone, "nick_name": self.nick_name,
            "contact_phone": self.contact_phone, "remarks": self.remarks,
            "role_ids": list(self.role_ids), "disabled": self.disabled, "deleted": self.deleted,
        }


@dataclass(frozen=True)
class StaffCounts:
    """Counts over every staff member of a seller (the list answer carries them)."""

    normal: int
    disabled: int
    deleted: int


# --- rules ---------------------------------------------------------------------------------


def _name(seller_id: int, staff_user_id: int | str) -> str:
    return f"{seller_id}/{staff_user_id}"


def check_phone(tx: Tx, name: str, phone: str, field: str = "phone") -> None:
    if field == "phone":
        if not PHONE_LOGIN.holds(UserFacts(KUAISHOU, name, None, login=phone)):
            raise tx.refuse(STAFF, name, PHONE_LOGIN, f"phone {phone!r} is not a mobile number")
    elif not MOBILE.fullmatch(phone):
        raise tx.violation(STAFF, name, "ks_contact_phone_format",
                           f"{field} {phone!r} is not a mobile number", PHONE_LOGIN.message)


def check_nick_name(tx: Tx, name: str, nick_name: str) -> None:
    if not NICK_NAME.holds(UserFacts(KUAISHOU, name, None, display_name=nick_name)):
        raise tx.refuse(STAFF, name, NICK_NAME, f"nickName {nick_name!r} does not fit")


def check_remarks(tx: Tx, name: str, remarks: str) -> None:
    if len(remarks) > REMARKS_MAX:
        raise tx.violation(STAFF, name, "ks_remarks_length",
                           f"remarks are {len(remarks)} characters, at most {REMARKS_MAX}")


def check_roles(tx: Tx, seller_id: int, name: str, role_ids: Sequence[int]) -> None:
    if not role_ids:
        raise tx.refuse(STAFF, name, ROLES_REQUIRED, "roleIds is empty")
    known = {r.role_id for r in list_roles(tx, seller_id)}
    unknown = sorted(set(role_ids) - known)
    if unknown:
        raise tx.violation(STAFF, name, "ks_role_unknown",
                           f"no such role of seller {seller_id}: "
                           f"{', '.join(str(r) for r in unknown)}",
                           "roles are set up in the seller centre; the API only lists them")


def check_phone_free(tx: Tx, seller_id: int, name: str, phone: str) -> None:
    row = tx.conn.execute(
        "SELECT staff_user_id FROM kuaishou_staff WHERE company = ? AND seller_id = ?"
        " AND phone = ? AND deleted = 0", (tx.company, seller_id, phone),
    ).fetchone()
    if row is not None:
        raise tx.violation(STAFF, name, "ks_phone_taken",
                           f"phone {phone} already logs in staff {row[0]}",
                           "one staff member per phone and seller")


def check_not_removed(tx: Tx, staff: KsStaff) -> None:
    if staff.deleted:
        raise tx.violation(STAFF, _name(staff.seller_id, staff.staff_user_id),
                           "ks_staff_removed", "the staff member has been removed")


# --- reads ---------------------------------------------------------------------------------


def seller(tx: Tx, seller_id: int) -> tuple[int, str]:
    row = tx.conn.execute(
        "SELECT seller_id, name FROM kuaishou_sellers WHERE company = ? AND seller_id = ?",
        (tx.company, seller_id),
    ).fetchone()
    if row is None:
        raise tx.not_found(SELLER, str(seller_id), f"no such seller in company {tx.company!r}")
    return int(row[0]), str(row[1])


def list_sellers(tx: Tx) -> list[tuple[int, str]]:
    return [(int(r[0]), str(r[1])) for r in tx.conn.execute(
        "SELECT seller_id, name FROM kuaishou_sellers WHERE company = ? ORDER BY seller_id",
        (tx.company,))]


def list_roles(tx: Tx, seller_id: int) -> list[KsRole]:
    seller(tx, seller_id)
    return [KsRole(int(r["role_id"]), r["role_name"], r["role_desc"]) for r in tx.conn.execute(
        "SELECT * FROM kuaishou_roles WHERE company = ? AND seller_id = ? ORDER BY role_id",
        (tx.company, seller_id))]


def _staff(row: Any) -> KsStaff:
    return KsStaff(
        seller_id=int(row["seller_id"]), staff_user_id=int(row["staff_user_id"]),
        phone=row["phone"], nick_name=row["nick_name"], contact_phone=row["contact_phone"],
        remarks=row["remarks"], role_ids=tuple(int(x) for x in json.loads(row["role_ids"])),
        disabled=bool(row["disabled"]), deleted=bool(row["deleted"]),
        updated_at=from_text(row["updated_at"]),
    )


def get_staff(tx: Tx, seller_id: int, staff_user_id: int) -> KsStaff:
    seller(tx, seller_id)
    row = tx.conn.execute(
        "SELECT * FROM kuaishou_staff WHERE company = ? AND seller_id = ? AND staff_user_id = ?",
        (tx.company, seller_id, staff_user_id),
    ).fetchone()
    if row is None:
        raise tx.not_found(STAFF, _name(seller_id, staff_user_id),
                           "no such staff member of this seller")
    return _staff(row)


def list_staff(tx: Tx, seller_id: int, *, include_deleted: bool = False,
               include_disabled: bool = False, user_name: str = "") -> list[KsStaff]:
    """The seller's staff in id order: active ones, plus disabled ones with
    ``include_disabled`` and removed ones with ``include_deleted``; ``user_name`` keeps those
    whose nickName or phone contains it."""
    seller(tx, seller_id)
    out = []
    for row in tx.conn.execute(
        "SELECT * FROM kuaishou_staff WHERE company = ? AND seller_id = ? ORDER BY staff_user_id",
        (tx.company, seller_id),
    ):
        staff = _staff(row)
        if staff.deleted and not include_deleted:
            continue
        if staff.disabled and not staff.deleted and not include_disabled:
            continue
        if user_name and user_name not in staff.nick_name and user_name not in staff.phone:
            continue
        out.append(staff)
    return out


def staff_counts(tx: Tx, seller_id: int) -> StaffCounts:
    row = tx.conn.execute(
        "SELECT SUM(deleted = 0 AND disabled = 0), SUM(deleted = 0 AND disabled = 1),"
        " SUM(deleted = 1) FROM kuaishou_staff WHERE company = ? AND seller_id = ?",
        (tx.company, seller_id),
    ).fetchone()
    return StaffCounts(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))


# --- writes --------------------------------------------------------------------------------


def _write(tx: Tx, before: KsStaff | None, after: KsStaff) -> KsStaff:
    tx.conn.execute(
        "INSERT INTO kuaishou_staff (company, seller_id, staff_user_id, phone, nick_name,"
        " contact_phone, remarks, role_ids, disabled, deleted, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (company, seller_id, staff_user_id) DO UPDATE SET"
        " contact_phone = excluded.contact_phone, remarks = excluded.remarks,"
        " role_ids = excluded.role_ids, disabled = excluded.disabled,"
        " deleted = excluded.deleted, updated_at = excluded.updated_at",
        (tx.company, after.seller_id, after.staff_user_id, after.phone, after.nick_name,
         after.contact_phone, after.remarks, json.dumps(sorted(after.role_ids)),
         int(after.disabled), int(after.deleted), tx.now_text, tx.now_text),
    )
    tx.audit(STAFF, _name(after.seller_id, after.staff_user_id),
             before.view() if before else None, after.view())
    return get_staff(tx, after.seller_id, after.staff_user_id)


def create_staff(tx: Tx, seller_id: int, *, contact_phone: str, nick_name: str,
                 role_ids: Sequence[int], phone: str | None = None,
                 remarks: str = "") -> KsStaff:
    seller(tx, seller_id)
    login = phone or contact_phone
    name = _name(seller_id, login)
    check_phone(tx, name, contact_phone, "contactPhone")
    if phone:
        check_phone(tx, name, phone)
    check_nick_name(tx, name, nick_name)
    check_remarks(tx, name, remarks)
    check_roles(tx, seller_id, name, role_ids)
    check_phone_free(tx, seller_id, name, login)
    last = tx.conn.execute(
        "SELECT MAX(staff_user_id) FROM kuaishou_staff WHERE company = ?", (tx.company,)
    ).fetchone()[0]
    staff_user_id = max(int(last or 0) + 1, FIRST_STAFF_ID)
    return _write(tx, None, KsStaff(
        seller_id, staff_user_id, login, nick_name, contact_phone, remarks,
        tuple(sorted(set(role_ids))), False, False, tx.now))


def update_staff(tx: Tx, seller_id: int, staff_user_id: int, *,
                 contact_phone: str | None = None, role_ids: Sequence[int] | None = None,
                 remarks: str | None = None) -> KsStaff:
    """Change what the API may change (contactPhone, roleIds, remarks); ``None`` keeps."""
    before = get_staff(tx, seller_id, staff_user_id)
    check_not_removed(tx, before)
    name = _name(seller_id, staff_user_id)
    if contact_phone is not None:
        check_phone(tx, name, contact_phone, "contactPhone")
    if role_ids is not None:
        check_roles(tx, seller_id, name, role_ids)
    if remarks is not None:
        check_remarks(tx, name, remarks)
    after = KsStaff(
        seller_id, staff_user_id, before.phone, before.nick_name,
        before.contact_phone if contact_phone is None else contact_phone,
        before.remarks if remarks is None else remarks,
        before.role_ids if role_ids is None else tuple(sorted(set(role_ids))),
        before.disabled, before.deleted, tx.now)
    return before if after.view() == before.view() else _write(tx, before, after)


def set_stopped(tx: Tx, seller_id: int, staff_user_id: int, stop: bool) -> KsStaff:
    """Stop (disable) or restart a staff member; the same state again changes nothing."""
    before = get_staff(tx, seller_id, staff_user_id)
    check_not_removed(tx, before)
    if before.disabled == stop:
        return before
    return _write(tx, before, KsStaff(
        seller_id, staff_user_id, before.phone, before.nick_name, before.contact_phone,
        before.remarks, before.role_ids, stop, False, tx.now))


def remove_staff(tx: Tx, seller_id: int, staff_user_id: int) -> KsStaff:
    """Remove: the staff member is kept, ``deleted``, listed only with ``includeDeleted``,
    and its phone is free for a new one."""
    before = get_staff(tx, seller_id, staff_user_id)
    check_not_removed(tx, before)
    return _write(tx, before, KsStaff(
        seller_id, staff_user_id, before.phone, before.nick_name, before.contact_phone,
        before.remarks, before.role_ids, before.disabled, True, tx.now))


# --- the facade ------------------------------------------------------------------------------


class KuaishouStaff:
    """The operations above over one sandbox company, each one sandbox transaction. The API
    methods are the endpoint's; :meth:`register_seller`, :meth:`add_role` and
    :meth:`hand_set_disabled` are the seller centre's (a person in the web UI)."""

    def __init__(self, backend: SandboxBackend) -> None:
        self.backend = backend

    def _read(self, method: str, name: str, fn: Callable[[Tx], T]) -> T:
        return self.backend.execute(method, STAFF, name, fn, write=False)

    def _write(self, method: str, kind: str, name: str, fn: Callable[[Tx], T]) -> T:
        return self.backend.execute(method, kind, name, fn, write=True)

    # The seller centre.

    def register_seller(self, seller_id: int, name: str) -> None:
        def run(tx: Tx) -> None:
            ensure_company(tx)
            tx.conn.execute(
                "INSERT INTO kuaishou_sellers (company, seller_id, name, created_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (company, seller_id)"
                " DO UPDATE SET name = excluded.name", (tx.company, seller_id, name, tx.now_text))
            tx.audit(SELLER, str(seller_id), None, {"name": name})
        self._write("ks_register_seller", SELLER, str(seller_id), run)

    def add_role(self, seller_id: int, role_id: int, role_name: str, role_desc: str = ""
                 ) -> KsRole:
        def run(tx: Tx) -> KsRole:
            seller(tx, seller_id)
            tx.conn.execute(
                "INSERT INTO kuaishou_roles (company, seller_id, role_id, role_name, role_desc)"
                " VALUES (?, ?, ?, ?, ?)", (tx.company, seller_id, role_id, role_name, role_desc))
            tx.audit(ROLE, _name(seller_id, role_id), None,
                     {"role_name": role_name, "role_desc": role_desc})
            return KsRole(role_id, role_name, role_desc)
        return self._write("ks_add_role", ROLE, _name(seller_id, role_id), run)

    def hand_set_disabled(self, seller_id: int, staff_user_id: int, disabled: bool = True
                          ) -> KsStaff:
        """A person stops (or restarts) a staff member in the seller centre's web UI: the
        same rules as the API, audited under the backend's actor (not ``kuaishou-api``)."""
        return self._write("ks_hand_set_disabled", STAFF, _name(seller_id, staff_user_id),
                           lambda tx: set_stopped(tx, seller_id, staff_user_id, disabled))

    # Reads.

    def sellers(self) -> list[tuple[int, str]]:
        return self._read("ks_list_sellers", "*", list_sellers)

    def seller(self, seller_id: int) -> tuple[int, str]:
        return self._read("ks_get_seller", str(seller_id), lambda tx: seller(tx, seller_id))

    def roles(self, seller_id: int) -> list[KsRole]:
        return self._read("open.user.sub.account.role.list", f"{seller_id}/*",
                          lambda tx: list_roles(tx, seller_id))

    def owner_of(self, staff_user_id: int) -> int | None:
        return self._read("ks_staff_owner", str(staff_user_id),
                          lambda tx: owner_of(tx, staff_user_id))

    def staff(self, seller_id: int, staff_user_id: int) -> KsStaff:
        return self._read("ks_get_staff", _name(seller_id, staff_user_id),
                          lambda tx: get_staff(tx, seller_id, staff_user_id))

    def staff_list(self, seller_id: int, *, include_deleted: bool = False,
             include_disabled: bool = False, user_name: str = ""
             ) -> tuple[list[KsStaff], StaffCounts]:
        def run(tx: Tx) -> tuple[list[KsStaff], StaffCounts]:
            found = list_staff(tx, seller_id, include_deleted=include_deleted,
                               include_disabled=include_disabled, user_name=user_name)
            return found, staff_counts(tx, seller_id)
        return self._read("open.user.sub.account.list", f"{seller_id}/*", run)

    # The API's writes.

    def create(self, seller_id: int, *, contact_phone: str, nick_name: str,
               role_ids: Iterable[int], phone: str | None = None, remarks: str = ""
               ) -> KsStaff:
        ids = tuple(role_ids)
        return self._write(
            "open.user.sub.account.create", STAFF, _name(seller_id, phone or contact_phone),
            lambda tx: create_staff(tx, seller_id, contact_phone=contact_phone,
                                    nick_name=nick_name, role_ids=ids, phone=phone,
                                    remarks=remarks))

    def update(self, seller_id: int, staff_user_id: int, *, contact_phone: str | None = None,
               role_ids: Iterable[int] | None = None, remarks: str | None = None) -> KsStaff:
        ids = None if role_ids is None else tuple(role_ids)
        return self._write(
            "open.user.sub.account.update", STAFF, _name(seller_id, staff_user_id),
            lambda tx: update_staff(tx, seller_id, staff_user_id, contact_phone=contact_phone,
                                    role_ids=ids, remarks=remarks))

    def set_stopped(self, seller_id: int, staff_user_id: int, stop: bool) -> KsStaff:
        return self._write("open.user.sub.account.status.update", STAFF,
                           _name(seller_id, staff_user_id),
                           lambda tx: set_stopped(tx, seller_id, staff_user_id, stop))

    def remove(self, seller_id: int, staff_user_id: int) -> KsStaff:
        return self._write("open.user.sub.account.remove", STAFF,
                           _name(seller_id, staff_user_id),
                           lambda tx: remove_staff(tx, seller_id, staff_user_id))


def owner_of(tx: Tx, staff_user_id: int) -> int | None:
    """The seller (of this company) a staff id belongs to, if any."""
    row = tx.conn.execute(
        "SELECT seller_id FROM kuaishou_staff WHERE company = ? AND staff_user_id = ?",
        (tx.company, staff_user_id),
    ).fetchone()
    return None if row is None else int(row[0])
