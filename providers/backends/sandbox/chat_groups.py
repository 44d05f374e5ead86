"""Shopee customer-service chat groups, one set per shop::

    chat_groups:
      - shop: shopee-my
        name: pre-sales
        members: [alice, bob]

A person serving several shops needs a group in each shop, so a group is keyed by
(account, shop, name). Rules: only Shopee has them (``chat_groups_unsupported``); the shop
must belong to the merchant account (``NotFoundError``); a group needs a name
(``required_field``); every member must be a sub-account of that merchant
(``unknown_member``).
"""

from __future__ import annotations

import sqlite3

from shoporg.backends.protocol import ChatGroup, ChatGroupSpec
from shoporg.backends.sandbox.accounts import require_activated
from shoporg.backends.sandbox.tx import Tx, dumps, loads_list
from shoporg.kinds import CHAT_GROUP
from shoporg.platforms.facts import ChatGroupFacts
from shoporg.platforms.rules import CHAT_GROUPS_UNSUPPORTED

KIND = CHAT_GROUP.word


def _name(account_id: str, shop_id: str, name: str) -> str:
    return CHAT_GROUP.ref(shop_id, name).name


def _group(row: sqlite3.Row) -> ChatGroup:
    return ChatGroup(
        account_id=row["account_id"],
        shop_id=row["shop_id"],
        name=row["name"],
        member_ids=loads_list(row["member_ids"]),
    )


def _row(tx: Tx, account_id: str, shop_id: str, name: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = tx.conn.execute(
        "SELECT * FROM chat_groups WHERE company = ? AND account_id = ? AND shop_id = ?"
        " AND name = ?",
        (tx.company, account_id, shop_id, name),
    ).fetchone()
    return row


def _view(row: sqlite3.Row | None) -> dict[str, object] | None:
    return None if row is None else {"member_ids": list(loads_list(row["member_ids"]))}


def list_chat_groups(tx: Tx, account_id: str) -> list[ChatGroup]:
    tx.account(account_id)
    rows = tx.conn.execute(
        "SELECT * FROM chat_groups WHERE company = ? AND account_id = ? ORDER BY shop_id, name",
        (tx.company, account_id),
    ).fetchall()
    return [_group(r) for r in rows]


def get_chat_group(tx: Tx, account_id: str, shop_id: str, name: str) -> ChatGroup | None:
    tx.account(account_id)
    row = _row(tx, account_id, shop_id, name)
    return None if row is None else _group(row)


def set_chat_group(tx: Tx, account_id: str, spec: ChatGroupSpec) -> ChatGroup:
    account = tx.account(account_id)
    # Before the shop is looked up, as every feature of another seller centre is refused.
    tx.require_platform(account, CHAT_GROUPS_UNSUPPORTED)
    tx.shop(account_id, spec.shop_id)
    name = _name(account_id, spec.shop_id, spec.name)
    others: int = tx.conn.execute(
        "SELECT count(*) FROM chat_groups WHERE company = ? AND account_id = ? AND shop_id = ?"
        " AND name != ?",
        (tx.company, account_id, spec.shop_id, spec.name),
    ).fetchone()[0]
    # The table's rules over the shop's chat groups as this write leaves them.
    tx.enforce(account, KIND, name, ChatGroupFacts(account["platform"], spec.shop_id, others + 1))
    require_activated(tx, account, KIND, name)  # before "no such member": the cause
    if not spec.name.strip():
        raise tx.violation(KIND, name, "required_field", "a chat group needs a name")
    members = sorted(set(spec.member_ids))
    if members:
        placeholders = ",".join("?" * len(members))
        known = {
            r[0]
            for r in tx.conn.execute(
                "SELECT member_id FROM sub_accounts WHERE company = ? AND account_id = ?"
                f" AND member_id IN ({placeholders})",
                (tx.company, account_id, *members),
            )
        }
        missing = [m for m in members if m not in known]
        if missing:
            raise tx.violation(
                KIND, name, "unknown_member",
                f"{', '.join(missing)} have no sub-account on {account_id!r}",
                "create their sub-accounts first",
            )
    before = _row(tx, account_id, spec.shop_id, spec.name)
    tx.conn.execute(
        "INSERT INTO chat_groups (company, account_id, shop_id, name, member_ids)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (company, account_id, shop_id, name)"
        " DO UPDATE SET member_ids = excluded.member_ids",
        (tx.company, account_id, spec.shop_id, spec.name, dumps(members)),
    )
    after = _row(tx, account_id, spec.shop_id, spec.name)
    assert after is not None
    tx.audit(KIND, name, _view(before), _view(after))
    return _group(after)


def delete_chat_group(tx: Tx, account_id: str, shop_id: str, name: str) -> None:
    tx.account(account_id)
    full = _name(account_id, shop_id, name)
    before = _row(tx, account_id, shop_id, name)
    if before is None:
        raise tx.not_found(KIND, full)
    tx.conn.execute(
        "DELETE FROM chat_groups WHERE company = ? AND account_id = ? AND shop_id = ? AND name = ?",
        (tx.company, account_id, shop_id, name),
    )
    tx.audit(KIND, full, _view(before), None)
