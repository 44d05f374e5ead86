"""Departments (部门), mirrored into every account whose seller centre has a tree::

    departments:
      - id: cs
        name: 客服部
        children:
          - {id: cs-pre, name: 售前}

Name ``<account>/<department>``. A child takes its parent's ``department_id`` output, so
the engine creates parents first and deletes them last.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from shoporg.backends.protocol import DepartmentBackend
from shoporg.kinds.base import Desired, Kind, LiveObject, Scope, Tally, Wire
from shoporg.platforms import DEPARTMENT_PLATFORMS
from shoporg.platforms.rules import DEPARTMENTS_UNSUPPORTED

if TYPE_CHECKING:  # annotations only: the layers its functions serve import the kinds
    from shoporg.importer import Builder
    from shoporg.reports.context import Context, Holdings
    from shoporg.reports.model import Change
    from shoporg.reports.world import Obj, Step


def has_tree(platform: str) -> bool:
    """Whether a platform's seller centre has departments (sub-accounts then sit in one)."""
    return platform in DEPARTMENT_PLATFORMS


def _expand(scope: Scope) -> Iterator[Desired]:
    tree = list(scope.org.walk_departments())
    for account in scope.accounts.values():
        if not has_tree(account.platform):
            continue
        for dept, parent in tree:
            wires: tuple[Wire, ...] = ()
            if parent is not None:
                wires = (Wire("parent_id", (DEPARTMENT.ref(account.id, parent.id),),
                              "department_id"),)
            yield Desired(
                DEPARTMENT.ref(account.id, dept.id), account.id,
                {"account_id": account.id, "department_id": dept.id, "name": dept.name,
                 "parent_id": parent.id if parent else None},
                wires=wires,
            )


def _live(backend: DepartmentBackend, account: str) -> Iterator[LiveObject]:
    for d in backend.list_departments(account):
        yield LiveObject(DEPARTMENT.ref(account, d.id), account, f"department {d.name}")


# --- its review sentence, manual-step object and import section (``Kind.review``,
# ``manual_object``, ``imports``): those layers import the kinds, so their helpers are
# imported when they call these, never when a kind is loaded.


def department_change(step: Step, ctx: Context, old_h: Holdings, new_h: Holdings) -> Change:
    """``DEPARTMENT.review``: the department by its path in the tree."""
    from shoporg.reports.interpret import VERBS, object_change

    o = step.obj
    path = " / ".join(n for _, n in ctx.department_chain(str(o.get("department_id"))))
    return object_change(
        step, f"department {o.get('name')} ({path or o.get('department_id')}) {VERBS[step.op]}")


def department_object(ctx: Context, o: Obj) -> str:
    """``DEPARTMENT.manual_object``: the department by its path in the tree."""
    path = " / ".join(n for _, n in ctx.department_chain(str(o.get("department_id"))))
    return f"department {path or o.get('department_id')}"


def department_section(b: Builder) -> None:
    """``DEPARTMENT.imports``: the accounts' trees as one; its first root takes the members
    no read places."""
    lines, b.fallback_dept = b.departments()
    b.sections["departments"] = lines


DEPARTMENT = Kind(
    word="department", type_name="Department", label="department",
    fields=("account", "department"), separators=("/",),
    identity=("account_id", "department_id"),
    columns=("account_id", "department_id"),
    expand=_expand, live=_live, resource="shoporg.resources.department:Department",
    table="departments", records=lambda backend, account: backend.list_departments(account),
    table_columns=("account_id", "id", "name", "parent_id", "member_ids"),
    counts=(Tally("departments", "department",
                  lambda org: sum(1 for _ in org.walk_departments())),),
    runbook_label="department (部门)",
    field_labels={"parent_id": "parent department"},
    feature=DEPARTMENTS_UNSUPPORTED,
    review=department_change, manual_object=department_object, imports=department_section,
)
