"""Sub-accounts (子账号): a member's login on one platform account, from org.yaml ``members:``::

    members:
      - id: alice
        name: 王丽
        department: cs-presale
        email: alice@example.com
        sub_accounts:
          - account: tb-flagship     # -> sub-account (tb-flagship, alice), login "acme旗舰店:alice"
            login_name: alice

Statuses are normalised to ``pending`` (invited by email, until it is confirmed), ``active``
and ``disabled``; transitions: pending -> active | disabled, active -> disabled, disabled ->
active (re-enable). Rules (the platform rules stated once in :mod:`shoporg.platforms.rules`):

* ``seat_quota``, ``email_required`` and ``two_factor_unsupported`` are predicates of the table
  over the account's seats and the user, evaluated by ``Tx.enforce``;
* ``login_format``, ``immutable_login``, ``ozon_email_unconfirmed``, ``shopee_not_activated``,
  ``departments_unsupported``;
* ``service_disabled``: nothing can be created or enabled while the account's sub-account
  service is off (switching it off disables every sub-account);
* ``status_transition``, ``email_format``, ``unknown_department``.

An initial password is stored only as a salted hash, computed by the caller before the
write transaction (passwords.py says why); reads return ``password_set``.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Final

from shoporg.backends.protocol import Account, SubAccount, SubAccountSpec, SubAccountStatus
from shoporg.backends.sandbox.accounts import require_activated, update_account
from shoporg.backends.sandbox.departments import require_department
from shoporg.backends.sandbox.tx import Tx, dumps, loads_list
from shoporg.errors import ConflictError
from shoporg.kinds import CHAT_GROUP, ROLE_GRANT, SUB_ACCOUNT
from shoporg.platforms import EMAIL_PATTERN, INVITE_BY_EMAIL_PLATFORMS
from shoporg.platforms.facts import SeatFacts, UserFacts
from shoporg.platforms.rules import (
    DEPARTMENTS_UNSUPPORTED,
    EMAIL_REQUIRED,
    EMAIL_UNCONFIRMED,
    IMMUTABLE_LOGIN,
    LOGIN_FORMAT,
    NICK_NAME,
    PHONE_LOGIN,
    SEAT_QUOTA,
)

KIND = SUB_ACCOUNT.word

_EMAIL: Final = re.compile(EMAIL_PATTERN)
TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {("pending", "active"), ("pending", "disabled"), ("active", "disabled"), ("disabled", "active")}
)


def _name(account_id: str, member_id: str) -> str:
    return SUB_ACCOUNT.ref(account_id, member_id).name


def _sub_account(row: sqlite3.Row) -> SubAccount:
    status: SubAccountStatus = row["status"]
    return SubAccount(
        account_id=row["account_id"],
        member_id=row["member_id"],
        login=row["login"],
        display_name=row["display_name"],
        department_id=row["department_id"],
        email=row["email"],
        phone=row["phone"],
        dispatch=bool(row["dispatch"]),
        two_factor=bool(row["two_factor"]),
        status=status,
        email_confirmed=bool(row["email_confirmed"]),
        password_set=row["password_hash"] is not None,
    )


def view(row: sqlite3.Row | None) -> dict[str, object] | None:
    """The audit view: every public field, and whether a password is set -- never the hash."""
    if row is None:
        return None
    sub = _sub_account(row)
    return {
        "login": sub.login,
        "display_name": sub.display_name,
        "department_id": sub.department_id,
        "email": sub.email,
        "phone": sub.phone,
        "dispatch": sub.dispatch,
        "two_factor": sub.two_factor,
        "status": sub.status,
        "email_confirmed": sub.email_confirmed,
        "password_set": sub.password_set,
    }


def _row(tx: Tx, account_id: str, member_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = tx.conn.execute(
        "SELECT * FROM sub_accounts WHERE company = ? AND account_id = ? AND member_id = ?",
        (tx.company, account_id, member_id),
    ).fetchone()
    return row


def require_row(tx: Tx, account_id: str, member_id: str) -> sqlite3.Row:
    row = _row(tx, account_id, member_id)
    if row is None:
        raise tx.not_found(KIND, _name(account_id, member_id))
    return row


# --- reads ------------------------------------------------------------------------------------


def list_sub_accounts(tx: Tx, account_id: str) -> list[SubAccount]:
    tx.account(account_id)
    rows = tx.conn.execute(
        "SELECT * FROM sub_accounts WHERE company = ? AND account_id = ? ORDER BY member_id",
        (tx.company, account_id),
    ).fetchall()
    return [_sub_account(r) for r in rows]


def get_sub_account(tx: Tx, account_id: str, member_id: str) -> SubAccount | None:
    tx.account(account_id)
    row = _row(tx, account_id, member_id)
    return None if row is None else _sub_account(row)


def get_sub_account_by_login(tx: Tx, account_id: str, login: str) -> SubAccount | None:
    tx.account(account_id)
    row = tx.conn.execute(
        "SELECT * FROM sub_accounts WHERE company = ? AND account_id = ? AND login = ?",
        (tx.company, account_id, login),
    ).fetchone()
    return None if row is None else _sub_account(row)


# --- checks -----------------------------------------------------------------------------------


def _check(tx: Tx, account: sqlite3.Row, spec: SubAccountSpec) -> None:
    account_id = account["id"]
    platform = account["platform"]
    name = _name(account_id, spec.member_id)
    if not spec.display_name.strip():
        raise tx.violation(KIND, name, "required_field", "a sub-account needs a display name")
    if not spec.login.strip():
        raise tx.violation(KIND, name, "required_field", "a sub-account needs a login")
    if LOGIN_FORMAT.applies_to(platform):
        nick = account["nick"]
        prefix = f"{nick}:"
        if not spec.login.startswith(prefix) or not spec.login[len(prefix):].strip() or (
            "：" in spec.login
        ):
            raise tx.refuse(
                KIND, name, LOGIN_FORMAT, f"login {spec.login!r} does not follow the format",
                f"use {prefix}<name>",
            )
    if spec.email is not None and not _EMAIL.match(spec.email):
        raise tx.violation(KIND, name, "email_format", f"{spec.email!r} is not an email address")
    tx.enforce(account, KIND, name, UserFacts(platform, spec.member_id, spec.email,
                                              spec.two_factor, login=spec.login,
                                              display_name=spec.display_name), {
        EMAIL_REQUIRED.code: ("the user has no email", "give them one"),
        PHONE_LOGIN.code: (f"login {spec.login!r} is not a mobile number",
                           "log in with the staff member's mobile number"),
        NICK_NAME.code: (f"the name {spec.display_name!r} does not fit",
                         "shorten the member's name"),
    })
    if spec.department_id is not None:
        tx.require_platform(account, DEPARTMENTS_UNSUPPORTED)
        require_department(tx, account_id, spec.department_id, f"sub-account {spec.member_id!r}")
    clash = tx.conn.execute(
        "SELECT member_id FROM sub_accounts WHERE company = ? AND account_id = ? AND login = ?"
        " AND member_id != ?",
        (tx.company, account_id, spec.login, spec.member_id),
    ).fetchone()
    if clash is not None:
        raise ConflictError(
            KIND, name, tx.operation, f"login {spec.login!r} belongs to member {clash[0]!r}"
        )


def _require_service(tx: Tx, account: sqlite3.Row, name: str) -> None:
    if not account["service_enabled"]:
        raise tx.violation(
            KIND, name, "service_disabled",
            f"the sub-account service of account {account['id']!r} is switched off",
            "switch it on in the seller centre first",
        )


# --- writes -----------------------------------------------------------------------------------


def create_sub_account(
    tx: Tx, account_id: str, spec: SubAccountSpec, password_hash: str | None
) -> SubAccount:
    account = tx.account(account_id)
    name = _name(account_id, spec.member_id)
    if _row(tx, account_id, spec.member_id) is not None:
        raise ConflictError(KIND, name, tx.operation, "already exists")
    require_activated(tx, account, KIND, name)
    _require_service(tx, account, name)
    _check(tx, account, spec)
    used: int = tx.conn.execute(
        "SELECT count(*) FROM sub_accounts WHERE company = ? AND account_id = ?",
        (tx.company, account_id),
    ).fetchone()[0]
    seats = SeatFacts(account["platform"], account_id, used + 1, account["seat_quota"])
    tx.enforce(account, KIND, name, seats, {
        SEAT_QUOTA.code: (f"account {account_id!r} has {account['seat_quota']} seat(s), all in use",
                          "buy more seats or delete a sub-account"),
    })
    # A user invited by email stays invited until they confirm it; elsewhere a login is live.
    status = "pending" if account["platform"] in INVITE_BY_EMAIL_PLATFORMS else "active"
    tx.conn.execute(
        "INSERT INTO sub_accounts (company, account_id, member_id, login, display_name,"
        " department_id, email, phone, dispatch, two_factor, status, email_confirmed,"
        " password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
        (
            tx.company, account_id, spec.member_id, spec.login, spec.display_name,
            spec.department_id, spec.email, spec.phone, int(spec.dispatch),
            int(spec.two_factor), status,
            password_hash,
            tx.now_text,
        ),
    )
    return _finish(tx, account_id, spec.member_id, None)


def update_sub_account(tx: Tx, account_id: str, spec: SubAccountSpec) -> SubAccount:
    account = tx.account(account_id)
    before = require_row(tx, account_id, spec.member_id)
    name = _name(account_id, spec.member_id)
    if spec.login != before["login"] and IMMUTABLE_LOGIN.applies_to(account["platform"]):
        raise tx.refuse(
            KIND, name, IMMUTABLE_LOGIN,
            f"login {before['login']!r} cannot become {spec.login!r}",
            "replace the sub-account",
        )
    _check(tx, account, spec)
    # A new address must be confirmed again; the status stays what it was.
    confirmed = before["email_confirmed"] if spec.email == before["email"] else 0
    tx.conn.execute(
        "UPDATE sub_accounts SET login = ?, display_name = ?, department_id = ?, email = ?,"
        " phone = ?, dispatch = ?, two_factor = ?, email_confirmed = ?"
        " WHERE company = ? AND account_id = ? AND member_id = ?",
        (
            spec.login, spec.display_name, spec.department_id, spec.email, spec.phone,
            int(spec.dispatch), int(spec.two_factor), confirmed,
            tx.company, account_id, spec.member_id,
        ),
    )
    return _finish(tx, account_id, spec.member_id, before)


def set_status(tx: Tx, account_id: str, member_id: str, status: SubAccountStatus) -> SubAccount:
    account = tx.account(account_id)
    before = require_row(tx, account_id, member_id)
    name = _name(account_id, member_id)
    current = before["status"]
    if status == current:
        return _sub_account(before)
    if (current, status) not in TRANSITIONS:
        raise tx.violation(
            KIND, name, "status_transition", f"cannot go from {current} to {status}",
            "allowed: pending->active, pending->disabled, active->disabled, disabled->active",
        )
    if status == "active":
        _require_service(tx, account, name)
        if EMAIL_UNCONFIRMED.applies_to(account["platform"]) and not before["email_confirmed"]:
            raise tx.refuse(
                KIND, name, EMAIL_UNCONFIRMED, f"{before['email']!r} is not confirmed yet",
            )
    tx.conn.execute(
        "UPDATE sub_accounts SET status = ? WHERE company = ? AND account_id = ? AND member_id = ?",
        (status, tx.company, account_id, member_id),
    )
    return _finish(tx, account_id, member_id, before)


def confirm_email(tx: Tx, account_id: str, member_id: str) -> SubAccount:
    """The user clicked the confirmation link: an invited (pending) user becomes active."""
    before = require_row(tx, account_id, member_id)
    if not before["email"]:
        raise tx.violation(
            KIND, _name(account_id, member_id), "email_required", "there is no email to confirm"
        )
    status = "active" if before["status"] == "pending" else before["status"]
    tx.conn.execute(
        "UPDATE sub_accounts SET email_confirmed = 1, status = ?"
        " WHERE company = ? AND account_id = ? AND member_id = ?",
        (status, tx.company, account_id, member_id),
    )
    return _finish(tx, account_id, member_id, before)


def _replace_in_chat_groups(tx: Tx, account_id: str, member_id: str, new: str | None) -> None:
    """Swap ``member_id`` for ``new`` (None: drop it) in every chat group of the account."""
    for group in tx.conn.execute(
        "SELECT * FROM chat_groups WHERE company = ? AND account_id = ?", (tx.company, account_id)
    ).fetchall():
        members = loads_list(group["member_ids"])
        if member_id not in members:
            continue
        changed = sorted(m for m in (new if m == member_id else m for m in members) if m)
        tx.conn.execute(
            "UPDATE chat_groups SET member_ids = ? WHERE company = ? AND account_id = ?"
            " AND shop_id = ? AND name = ?",
            (dumps(changed), tx.company, account_id, group["shop_id"], group["name"]),
        )
        tx.audit(CHAT_GROUP.word, CHAT_GROUP.ref(group["shop_id"], group["name"]).name,
                 {"member_ids": list(members)}, {"member_ids": changed})


def delete_sub_account(tx: Tx, account_id: str, member_id: str) -> None:
    """Delete a sub-account; its grants and chat-group memberships go with it (audited)."""
    tx.account(account_id)
    before = require_row(tx, account_id, member_id)
    for grant in tx.conn.execute(
        "SELECT * FROM grants WHERE company = ? AND account_id = ? AND member_id = ?",
        (tx.company, account_id, member_id),
    ).fetchall():
        tx.audit(ROLE_GRANT.word, ROLE_GRANT.ref(account_id, member_id, grant["shop_id"]).name,
                 {"role_ids": loads_list(grant["role_ids"])}, None)
    tx.conn.execute(
        "DELETE FROM grants WHERE company = ? AND account_id = ? AND member_id = ?",
        (tx.company, account_id, member_id),
    )
    _replace_in_chat_groups(tx, account_id, member_id, None)
    tx.conn.execute(
        "DELETE FROM sub_accounts WHERE company = ? AND account_id = ? AND member_id = ?",
        (tx.company, account_id, member_id),
    )
    tx.audit(KIND, _name(account_id, member_id), view(before), None)


def rename_member(tx: Tx, account_id: str, old: str, new: str) -> SubAccount:
    """org.yaml ``previously:``: the same person under a new member id. Grants and chat-group
    memberships follow; the login, status and password stay (each change audited)."""
    tx.account(account_id)
    before = require_row(tx, account_id, old)
    if _row(tx, account_id, new) is not None:
        raise ConflictError(
            KIND, _name(account_id, new), tx.operation,
            f"member id {new!r} is already taken on account {account_id!r}",
        )
    # Grants reference the sub-account's key: re-point children and parent together.
    tx.conn.execute("PRAGMA defer_foreign_keys = ON")
    tx.conn.execute(
        "UPDATE sub_accounts SET member_id = ?"
        " WHERE company = ? AND account_id = ? AND member_id = ?",
        (new, tx.company, account_id, old),
    )
    for grant in tx.conn.execute(
        "SELECT * FROM grants WHERE company = ? AND account_id = ? AND member_id = ?",
        (tx.company, account_id, old),
    ).fetchall():
        tx.conn.execute(
            "UPDATE grants SET member_id = ? WHERE company = ? AND account_id = ? AND member_id = ?"
            " AND shop_id = ?",
            (new, tx.company, account_id, old, grant["shop_id"]),
        )
        roles = {"role_ids": loads_list(grant["role_ids"])}
        tx.audit(ROLE_GRANT.word, ROLE_GRANT.ref(account_id, old, grant["shop_id"]).name,
                 roles, None)
        tx.audit(ROLE_GRANT.word, ROLE_GRANT.ref(account_id, new, grant["shop_id"]).name,
                 None, roles)
    _replace_in_chat_groups(tx, account_id, old, new)
    tx.audit(KIND, _name(account_id, old), view(before), None)
    return _finish(tx, account_id, new, None)


def set_sub_account_service(tx: Tx, account_id: str, enabled: bool) -> Account:
    """The account-wide switch; off disables every sub-account (each change audited)."""
    tx.account(account_id)
    if not enabled:
        for row in tx.conn.execute(
            "SELECT * FROM sub_accounts WHERE company = ? AND account_id = ?"
            " AND status != 'disabled'",
            (tx.company, account_id),
        ).fetchall():
            tx.conn.execute(
                "UPDATE sub_accounts SET status = 'disabled'"
                " WHERE company = ? AND account_id = ? AND member_id = ?",
                (tx.company, account_id, row["member_id"]),
            )
            _finish(tx, account_id, row["member_id"], row)
    return update_account(tx, account_id, "service_enabled = ?", (int(enabled),))


def _finish(
    tx: Tx, account_id: str, member_id: str, before: sqlite3.Row | None
) -> SubAccount:
    after = require_row(tx, account_id, member_id)
    tx.audit(KIND, _name(account_id, member_id), view(before), view(after))
    return _sub_account(after)
