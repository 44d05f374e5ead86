"""Departments (部门): a tree per platform account, mirrored from org.yaml's ``departments:``::

    departments:
      - id: cs
        name: 客服部
        children:                     # a row each, with parent_id: cs-presale -> cs
          - {id: cs-presale, name: 售前}

Rules: ``departments_unsupported`` (:mod:`shoporg.platforms.rules`); a
name is required (``required_field``) and unique among its siblings
(``department_name_taken``); the parent must exist (``unknown_department``) and a move may not
create a cycle (``department_cycle``); a department with sub-departments or sub-accounts
cannot be deleted (``department_not_empty``).
"""

from __future__ import annotations

import sqlite3

from shoporg.backends.protocol import Department, DepartmentSpec
from shoporg.backends.sandbox.tx import Tx
from shoporg.errors import ConflictError
from shoporg.kinds import DEPARTMENT
from shoporg.platforms.rules import DEPARTMENTS_UNSUPPORTED

KIND = DEPARTMENT.word


def _name(account_id: str, department_id: str) -> str:
    return DEPARTMENT.ref(account_id, department_id).name


def _members(tx: Tx, account_id: str) -> dict[str, list[str]]:
    members: dict[str, list[str]] = {}
    for row in tx.conn.execute(
        "SELECT department_id, member_id FROM sub_accounts WHERE company = ? AND account_id = ?"
        " AND department_id IS NOT NULL ORDER BY member_id",
        (tx.company, account_id),
    ):
        members.setdefault(row["department_id"], []).append(row["member_id"])
    return members


def _department(row: sqlite3.Row, members: dict[str, list[str]]) -> Department:
    return Department(
        account_id=row["account_id"],
        id=row["id"],
        name=row["name"],
        parent_id=row["parent_id"],
        member_ids=tuple(members.get(row["id"], ())),
    )


def _row(tx: Tx, account_id: str, department_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = tx.conn.execute(
        "SELECT * FROM departments WHERE company = ? AND account_id = ? AND id = ?",
        (tx.company, account_id, department_id),
    ).fetchone()
    return row


def _view(row: sqlite3.Row | None) -> dict[str, object] | None:
    if row is None:
        return None
    return {"id": row["id"], "name": row["name"], "parent_id": row["parent_id"]}


def list_departments(tx: Tx, account_id: str) -> list[Department]:
    tx.account(account_id)
    members = _members(tx, account_id)
    rows = tx.conn.execute(
        "SELECT * FROM departments WHERE company = ? AND account_id = ? ORDER BY id",
        (tx.company, account_id),
    ).fetchall()
    return [_department(r, members) for r in rows]


def get_department(tx: Tx, account_id: str, department_id: str) -> Department | None:
    tx.account(account_id)
    row = _row(tx, account_id, department_id)
    return None if row is None else _department(row, _members(tx, account_id))


def get_department_by_name(
    tx: Tx, account_id: str, name: str, parent_id: str | None
) -> Department | None:
    tx.account(account_id)
    row = tx.conn.execute(
        "SELECT * FROM departments WHERE company = ? AND account_id = ? AND name = ?"
        " AND parent_id IS ?",
        (tx.company, account_id, name, parent_id),
    ).fetchone()
    return None if row is None else _department(row, _members(tx, account_id))


def require_department(tx: Tx, account_id: str, department_id: str, for_name: str) -> None:
    """Departments come first: a reference to a missing one is refused."""
    if _row(tx, account_id, department_id) is None:
        raise tx.violation(
            KIND, _name(account_id, department_id), "unknown_department",
            f"department {department_id!r} does not exist in account {account_id!r}",
            f"create it before adding {for_name} to it",
        )


def _check(tx: Tx, account_id: str, spec: DepartmentSpec) -> None:
    name = _name(account_id, spec.id)
    if not spec.name.strip():
        raise tx.violation(KIND, name, "required_field", "a department needs a name")
    if spec.parent_id is not None:
        require_department(tx, account_id, spec.parent_id, f"department {spec.id!r}")
    sibling = tx.conn.execute(
        "SELECT id FROM departments WHERE company = ? AND account_id = ? AND name = ?"
        " AND parent_id IS ? AND id != ?",
        (tx.company, account_id, spec.name, spec.parent_id, spec.id),
    ).fetchone()
    if sibling is not None:
        raise tx.violation(
            KIND, name, "department_name_taken",
            f"department {sibling['id']!r} under the same parent is already named {spec.name!r}",
        )


def create_department(tx: Tx, account_id: str, spec: DepartmentSpec) -> Department:
    account = tx.account(account_id)
    tx.require_platform(account, DEPARTMENTS_UNSUPPORTED)
    if _row(tx, account_id, spec.id) is not None:
        raise ConflictError(KIND, _name(account_id, spec.id), tx.operation, "already exists")
    _check(tx, account_id, spec)
    tx.conn.execute(
        "INSERT INTO departments (company, account_id, id, name, parent_id) VALUES (?, ?, ?, ?, ?)",
        (tx.company, account_id, spec.id, spec.name, spec.parent_id),
    )
    return _finish(tx, account_id, spec.id, None)


def update_department(tx: Tx, account_id: str, spec: DepartmentSpec) -> Department:
    account = tx.account(account_id)
    tx.require_platform(account, DEPARTMENTS_UNSUPPORTED)
    before = _row(tx, account_id, spec.id)
    if before is None:
        raise tx.not_found(KIND, _name(account_id, spec.id))
    _check(tx, account_id, spec)
    # Walk up from the new parent: meeting ourselves means the move would make a cycle.
    parent = spec.parent_id
    while parent is not None:
        if parent == spec.id:
            raise tx.violation(
                KIND, _name(account_id, spec.id), "department_cycle",
                f"moving under {spec.parent_id!r} would put the department inside itself",
            )
        row = _row(tx, account_id, parent)
        parent = None if row is None else row["parent_id"]
    tx.conn.execute(
        "UPDATE departments SET name = ?, parent_id = ? WHERE company = ? AND account_id = ?"
        " AND id = ?",
        (spec.name, spec.parent_id, tx.company, account_id, spec.id),
    )
    return _finish(tx, account_id, spec.id, before)


def _finish(tx: Tx, account_id: str, department_id: str, before: sqlite3.Row | None) -> Department:
    after = _row(tx, account_id, department_id)
    assert after is not None
    tx.audit(KIND, _name(account_id, department_id), _view(before), _view(after))
    return _department(after, _members(tx, account_id))


def delete_department(tx: Tx, account_id: str, department_id: str) -> None:
    tx.account(account_id)
    before = _row(tx, account_id, department_id)
    name = _name(account_id, department_id)
    if before is None:
        raise tx.not_found(KIND, name)
    children = tx.conn.execute(
        "SELECT count(*) FROM departments WHERE company = ? AND account_id = ? AND parent_id = ?",
        (tx.company, account_id, department_id),
    ).fetchone()[0]
    members = tx.conn.execute(
        "SELECT count(*) FROM sub_accounts WHERE company = ? AND account_id = ?"
        " AND department_id = ?",
        (tx.company, account_id, department_id),
    ).fetchone()[0]
    if children or members:
        raise tx.violation(
            KIND, name, "department_not_empty",
            f"it still has {children} sub-department(s) and {members} sub-account(s)",
            "move them out first",
        )
    tx.conn.execute(
        "DELETE FROM departments WHERE company = ? AND account_id = ? AND id = ?",
        (tx.company, account_id, department_id),
    )
    tx.audit(KIND, name, _view(before), None)
