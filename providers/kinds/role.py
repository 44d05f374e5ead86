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

from shoporg.backends.protocol import RoleBackend
from shoporg.kinds.base import Desired, Kind, LiveObject, Scope, Tally


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
    review="shoporg.reports.interpret:role_change",
    manual_object="shoporg.reports.manual_steps:role_object",
    imports="shoporg.importer:role_section",
)
