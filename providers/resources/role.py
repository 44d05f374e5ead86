"""Roles: a named permission set on one platform account, built from that platform's codes::

    roles:
      - id: cs-agent
        platform: taobao
        name: 客服
        permissions: [ww-chat, trade-view]

One resource per (account, role) for every account of the role's platform. The output
``effective`` lists what the platform really grants (a point brings its parents and
children), which is what reviewers must see.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import pulumi
from pydantic import Field

from shoporg.backends.protocol import Role as LiveRole
from shoporg.backends.protocol import RoleBackend, RoleSpec
from shoporg.kinds.role import ROLE
from shoporg.resources.base import KindArgs, ObjectProvider
from shoporg.schema.models import Id, PermissionCode, Text


class RoleArgs(KindArgs):
    account_id: Id
    role_id: Id
    name: Text
    description: str = ""
    permissions: list[PermissionCode] = Field(min_length=1)


class RoleProvider(ObjectProvider[RoleArgs, LiveRole]):
    kind = ROLE.word
    args_model = RoleArgs
    identity = ROLE.identity

    @classmethod
    def output_names(cls) -> tuple[str, ...]:
        return ("effective",)

    def object_name(self, args: RoleArgs) -> str:
        return ROLE.ref(args.account_id, args.role_id).name

    def key(self, args: RoleArgs) -> Hashable:
        return args.role_id

    def list_live(self, backend: RoleBackend, account_id: str) -> dict[Hashable, LiveRole]:
        return {r.id: r for r in backend.list_roles(account_id)}

    def get_live(self, backend: RoleBackend, args: RoleArgs) -> LiveRole | None:
        return backend.get_role(args.account_id, args.role_id)

    def live_inputs(self, live: LiveRole) -> dict[str, Any]:
        return {
            "account_id": live.account_id,
            "role_id": live.id,
            "name": live.name,
            "description": live.description,
            "permissions": sorted(live.permissions),
        }

    def live_outputs(self, live: LiveRole, props: dict[str, Any]) -> dict[str, Any]:
        return {"effective": sorted(live.effective)}

    def adoptable(self, live: LiveRole, args: RoleArgs) -> bool:
        declared = {**args.model_dump(), "permissions": sorted(args.permissions)}
        return self.live_inputs(live) == declared

    def _spec(self, args: RoleArgs) -> RoleSpec:
        return RoleSpec(
            id=args.role_id,
            name=args.name,
            permissions=tuple(sorted(args.permissions)),
            description=args.description,
        )

    def create_live(self, backend: RoleBackend, args: RoleArgs) -> tuple[LiveRole, dict[str, Any]]:
        return backend.create_role(args.account_id, self._spec(args)), {}

    def update_live(self, backend: RoleBackend, args: RoleArgs, live: LiveRole | None) -> LiveRole:
        if live is not None and self.adoptable(live, args):
            return live
        return backend.update_role(args.account_id, self._spec(args))

    def delete_live(self, backend: RoleBackend, args: RoleArgs) -> None:
        backend.delete_role(args.account_id, args.role_id)


class Role(pulumi.dynamic.Resource, module="shoporg", name=ROLE.type_name):
    account_id: pulumi.Output[str]
    role_id: pulumi.Output[str]
    effective: pulumi.Output[list[str]]

    def __init__(
        self, resource_name: str, args: RoleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props: dict[str, Any] = {
            **args.model_dump(),
            "permissions": sorted(args.permissions),
            "effective": None,
        }
        super().__init__(RoleProvider(), resource_name, props, opts)
