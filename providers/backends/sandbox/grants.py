"""Role grants: the roles one sub-account holds on one shop, from a member's ``sub_accounts:``::

    members:
      - id: alice
        name: 王丽
        department: cs-presale
        sub_accounts:
          - account: shopee-cb
            login_name: alice
            shops: [shopee-my, shopee-sg]   # one grant per shop (default: every shop)
            roles: [cs-agent]

Keyed by (account, member, shop). Rules: the sub-account must exist (``NotFoundError``), the
shop must belong to the account (``NotFoundError``), every role must exist in the account
(``unknown_role``).
"""

from __future__ import annotations

import sqlite3

from shoporg.backends.protocol import Grant, GrantSpec
from shoporg.backends.sandbox.accounts import require_activated
from shoporg.backends.sandbox.roles import require_roles
from shoporg.backends.sandbox.sub_accounts import require_row
from shoporg.backends.sandbox.tx import Tx, dumps, loads_list
from shoporg.kinds import ROLE_GRANT

KIND = ROLE_GRANT.word


def _name(account_id: str, member_id: str, shop_id: str) -> str:
    return ROLE_GRANT.ref(account_id, member_id, shop_id).name


def _grant(row: sqlite3.Row) -> Grant:
    return Grant(
        account_id=row["account_id"],
        member_id=row["member_id"],
        shop_id=row["shop_id"],
        role_ids=loads_list(row["role_ids"]),
    )


def _row(tx: Tx, account_id: str, member_id: str, shop_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = tx.conn.execute(
        "SELECT * FROM grants WHERE company = ? AND account_id = ? AND member_id = ?"
        " AND shop_id = ?",
        (tx.company, account_id, member_id, shop_id),
    ).fetchone()
    return row


def _view(row: sqlite3.Row | None) -> dict[str, object] | None:
    return None if row is None else {"role_ids": list(loads_list(row["role_ids"]))}


def list_grants(tx: Tx, account_id: str) -> list[Grant]:
    tx.account(account_id)
    rows = tx.conn.execute(
        "SELECT * FROM grants WHERE company = ? AND account_id = ? ORDER BY member_id, shop_id",
        (tx.company, account_id),
    ).fetchall()
    return [_grant(r) for r in rows]


def get_grant(tx: Tx, account_id: str, member_id: str, shop_id: str) -> Grant | None:
    tx.account(account_id)
    row = _row(tx, account_id, member_id, shop_id)
    return None if row is None else _grant(row)


def set_grant(tx: Tx, account_id: str, spec: GrantSpec) -> Grant:
    account = tx.account(account_id)
    name = _name(account_id, spec.member_id, spec.shop_id)
    require_activated(tx, account, KIND, name)  # before "no such sub-account": the cause
    require_row(tx, account_id, spec.member_id)
    tx.shop(account_id, spec.shop_id)
    role_ids = tuple(sorted(set(spec.role_ids)))
    require_roles(tx, account_id, role_ids, name)
    before = _row(tx, account_id, spec.member_id, spec.shop_id)
    tx.conn.execute(
        "INSERT INTO grants (company, account_id, member_id, shop_id, role_ids)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (company, account_id, member_id, shop_id)"
        " DO UPDATE SET role_ids = excluded.role_ids",
        (tx.company, account_id, spec.member_id, spec.shop_id, dumps(list(role_ids))),
    )
    after = _row(tx, account_id, spec.member_id, spec.shop_id)
    assert after is not None
    tx.audit(KIND, name, _view(before), _view(after))
    return _grant(after)


def delete_grant(tx: Tx, account_id: str, member_id: str, shop_id: str) -> None:
    tx.account(account_id)
    name = _name(account_id, member_id, shop_id)
    before = _row(tx, account_id, member_id, shop_id)
    if before is None:
        raise tx.not_found(KIND, name)
    tx.conn.execute(
        "DELETE FROM grants WHERE company = ? AND account_id = ? AND member_id = ? AND shop_id = ?",
        (tx.company, account_id, member_id, shop_id),
    )
    tx.audit(KIND, name, _view(before), None)
