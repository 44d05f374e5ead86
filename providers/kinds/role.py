"""Roles: a named permission set of one platform, in every account of that platform::

    roles:
      - id: tb-cs
        platform: taobao
        name: 客服
        permissions: [ww-chat, trade-view]

Name ``<account>/<role>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from shoporg.backends.protocol import RoleBackend
from shoporg.kinds.base import Desired, Kind, LiveObject, Scope, Tally

if TYPE_CHECKING:  # annotations only: the layers its functions serve import the kinds
    from shoporg.importer import Builder
    from shoporg.reports.context import Context, Holdings
    from shoporg.reports.model import Change
    from shoporg.reports.world import Obj, Step


def _expand(scope: Scope) -> Iterator[Desired]:
    for account in scope.accounts.values():
        for role in scope.org.roles:
            if role.platform != account.platform:
                continue
            yield Desired(
                ROLE.ref(account.id, role.id), account.id,
                {"account_id": account.id, "role_id": role.id, "name": role.name,
                 "description": role.description or "",
                 "permissions": sorted(role.permissions)},
            )


def _live(backend: RoleBackend, account: str) -> Iterator[LiveObject]:
    for r in backend.list_roles(account):
        yield LiveObject(ROLE.ref(account, r.id), account,
                         f"role {r.name}: {', '.join(r.permissions)}")


# --- its review sentence, manual-step object and import section (``Kind.review``,
# ``manual_object``, ``imports``): those layers import the kinds, so their helpers are
# imported when they call these, never when a kind is loaded.


def role_change(step: Step, ctx: Context, old_h: Holdings, new_h: Holdings) -> Change:
    """``ROLE.review``: the role and the permissions it gains or loses."""
    from shoporg.reports.context import names
    from shoporg.reports.interpret import VERBS, object_change

    o, op = step.obj, step.op
    cat = ctx.catalogue(o.account)
    if op == "update" and step.old is not None and step.new is not None:
        old = set(step.old.get("permissions") or [])
        new = set(step.new.get("permissions") or [])
        bits = []
        if new - old:
            bits.append(f"gains {names(new - old, cat)}")
        if old - new:
            bits.append(f"loses {names(old - new, cat)}")
        return object_change(step, f"role {o.get('name')} {' and '.join(bits) or 'changes'}")
    return object_change(
        step, f"role {o.get('name')} {VERBS[op]}: {names(o.get('permissions') or [], cat)}")


def role_object(ctx: Context, o: Obj) -> str:
    """``ROLE.manual_object``: the role by its name and id."""
    return f"role {o.get('name')} (`{o.get('role_id')}`)"


def role_section(b: Builder) -> None:
    """``ROLE.imports``: per platform, by id (the grants below read which are declared)."""
    lines, b.declared_roles = b.roles()
    b.sections["roles"] = lines


ROLE = Kind(
    word="role", type_name="Role", label="role",
    fields=("account", "role"), separators=("/",),
    identity=("account_id", "role_id"),
    columns=("account_id", "role_id"),
    expand=_expand, live=_live, resource="shoporg.resources.role:Role",
    table="roles", records=lambda backend, account: backend.list_roles(account),
    table_columns=("account_id", "id", "name", "permissions"),
    counts=(Tally("roles", "role", lambda org: len(org.roles)),),
    runbook_label="role (岗位/角色)",
    field_labels={"permissions": "permissions"},
    feature=None,
    review=role_change, manual_object=role_object, imports=role_section,
)
