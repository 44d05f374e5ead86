"""Roles: named permission sets over the account's platform catalogue, from org.yaml ``roles:``::

    roles:
      - id: cs-agent
        platform: taobao
        name: 客服
        permissions: [ww-chat, trade-view]

The catalogue is the sandbox's own (``shoporg.platforms.catalogue``). A role stores the codes
as declared and reports what the platform actually grants: a point brings its parents and
all of its children (TOP ``role.add`` rule). Rules: every code must exist in the platform's
catalogue (``unknown_permission``); names are required (``required_field``) and unique per
account (``role_name_taken``); a role still granted to someone cannot be deleted
(``role_in_use``).
"""

from __future__ import annotations

import json
import sqlite3

from shoporg.backends.protocol import Role, RoleSpec
from shoporg.backends.sandbox.accounts import require_activated
from shoporg.backends.sandbox.tx import Tx, dumps, loads_list
from shoporg.errors import ConflictError
from shoporg.kinds import ROLE
from shoporg.platforms import CATALOGUES, PermissionCatalogue

KIND = ROLE.word


def _name(account_id: str, role_id: str) -> str:
    return ROLE.ref(account_id, role_id).name


def catalogue(tx: Tx, account_id: str) -> PermissionCatalogue:
    return CATALOGUES[tx.account(account_id)["platform"]]


def _role(row: sqlite3.Row, cat: PermissionCatalogue) -> Role:
    declared = loads_list(row["permissions"])
    return Role(
        account_id=row["account_id"],
        id=row["id"],
        name=row["name"],
        description=row["description"],
        permissions=declared,
        effective=tuple(sorted(cat.expand(declared))),
    )


def _row(tx: Tx, account_id: str, role_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = tx.conn.execute(
        "SELECT * FROM roles WHERE company = ? AND account_id = ? AND id = ?",
        (tx.company, account_id, role_id),
    ).fetchone()
    return row


def _view(row: sqlite3.Row | None) -> dict[str, object] | None:
    if row is None:
        return None
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "permissions": json.loads(row["permissions"]),
    }


def list_roles(tx: Tx, account_id: str) -> list[Role]:
    cat = catalogue(tx, account_id)
    rows = tx.conn.execute(
        "SELECT * FROM roles WHERE company = ? AND account_id = ? ORDER BY id",
        (tx.company, account_id),
    ).fetchall()
    return [_role(r, cat) for r in rows]


def get_role(tx: Tx, account_id: str, role_id: str) -> Role | None:
    cat = catalogue(tx, account_id)
    row = _row(tx, account_id, role_id)
    return None if row is None else _role(row, cat)


def get_role_by_name(tx: Tx, account_id: str, name: str) -> Role | None:
    cat = catalogue(tx, account_id)
    row = tx.conn.execute(
        "SELECT * FROM roles WHERE company = ? AND account_id = ? AND name = ?",
        (tx.company, account_id, name),
    ).fetchone()
    return None if row is None else _role(row, cat)


def _check(tx: Tx, account_id: str, spec: RoleSpec, cat: PermissionCatalogue) -> None:
    name = _name(account_id, spec.id)
    if not spec.name.strip():
        raise tx.violation(KIND, name, "required_field", "a role needs a name")
    unknown = sorted(code for code in spec.permissions if code not in cat)
    if unknown:
        raise tx.violation(
            KIND, name, "unknown_permission",
            f"{', '.join(unknown)} not in the {cat.platform} permission catalogue",
        )
    clash = tx.conn.execute(
        "SELECT id FROM roles WHERE company = ? AND account_id = ? AND name = ? AND id != ?",
        (tx.company, account_id, spec.name, spec.id),
    ).fetchone()
    if clash is not None:
        raise tx.violation(
            KIND, name, "role_name_taken", f"role {clash['id']!r} is already named {spec.name!r}"
        )


def create_role(tx: Tx, account_id: str, spec: RoleSpec) -> Role:
    cat = catalogue(tx, account_id)
    if _row(tx, account_id, spec.id) is not None:
        raise ConflictError(KIND, _name(account_id, spec.id), tx.operation, "already exists")
    require_activated(tx, tx.account(account_id), KIND, _name(account_id, spec.id))
    _check(tx, account_id, spec, cat)
    tx.conn.execute(
        "INSERT INTO roles (company, account_id, id, name, description, permissions)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (tx.company, account_id, spec.id, spec.name, spec.description,
         dumps(sorted(set(spec.permissions)))),
    )
    return _finish(tx, account_id, spec.id, None, cat)


def update_role(tx: Tx, account_id: str, spec: RoleSpec) -> Role:
    cat = catalogue(tx, account_id)
    before = _row(tx, account_id, spec.id)
    if before is None:
        raise tx.not_found(KIND, _name(account_id, spec.id))
    _check(tx, account_id, spec, cat)
    tx.conn.execute(
        "UPDATE roles SET name = ?, description = ?, permissions = ?"
        " WHERE company = ? AND account_id = ? AND id = ?",
        (spec.name, spec.description, dumps(sorted(set(spec.permissions))),
         tx.company, account_id, spec.id),
    )
    return _finish(tx, account_id, spec.id, before, cat)


def _finish(
    tx: Tx, account_id: str, role_id: str, before: sqlite3.Row | None, cat: PermissionCatalogue
) -> Role:
    after = _row(tx, account_id, role_id)
    assert after is not None
    tx.audit(KIND, _name(account_id, role_id), _view(before), _view(after))
    return _role(after, cat)


def delete_role(tx: Tx, account_id: str, role_id: str) -> None:
    tx.account(account_id)
    name = _name(account_id, role_id)
    before = _row(tx, account_id, role_id)
    if before is None:
        raise tx.not_found(KIND, name)
    holders = [
        f"{r['member_id']}@{r['shop_id']}"
        for r in tx.conn.execute(
            "SELECT member_id, shop_id, role_ids FROM grants WHERE company = ? AND account_id = ?",
            (tx.company, account_id),
        )
        if role_id in loads_list(r["role_ids"])
    ]
    if holders:
        raise tx.violation(
            KIND, name, "role_in_use",
            f"still granted to {len(holders)} sub-account(s): {', '.join(holders[:5])}",
            "revoke the grants first",
        )
    tx.conn.execute(
        "DELETE FROM roles WHERE company = ? AND account_id = ? AND id = ?",
        (tx.company, account_id, role_id),
    )
    tx.audit(KIND, name, _view(before), None)


def require_roles(tx: Tx, account_id: str, role_ids: tuple[str, ...], for_name: str) -> None:
    if not role_ids:
        return
    placeholders = ",".join("?" * len(role_ids))
    found = {
        r["id"]
        for r in tx.conn.execute(
            f"SELECT id FROM roles WHERE company = ? AND account_id = ? AND id IN ({placeholders})",
            (tx.company, account_id, *role_ids),
        )
    }
    missing = sorted(set(role_ids) - found)
    if missing:
        raise tx.violation(
            "grant", for_name, "unknown_role",
            f"role(s) {', '.join(missing)} do not exist in account {account_id!r}",
            "create the role first",
        )
