"""Role grants: the roles of one sub-account on one shop::

    members:
      - id: alice
        grants:
          - account: shopee-main
            shops: [shopee-my, shopee-sg]   # one grant per shop
            roles: [shopee-cs]

Identity: account, member, shop. Changing the roles updates in place; the output
``effective`` is what the platform actually grants through them.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import pulumi

from providers.backends.protocol import Backend, GrantSpec
from providers.backends.protocol import Grant as LiveGrant
from providers.resources.base import KindArgs, ObjectProvider


class RoleGrantArgs(KindArgs):
    account_id: str
    member_id: str
    shop_id: str
    role_ids: list[str]


class RoleGrantProvider(ObjectProvider[RoleGrantArgs, LiveGrant]):
    kind = "role_grant"
    args_model = RoleGrantArgs
    identity = ("account_id", "member_id", "shop_id")

    def object_name(self, args: RoleGrantArgs) -> str:
        return f"{args.account_id}/{args.member_id}@{args.shop_id}"

    def key(self, args: RoleGrantArgs) -> Hashable:
        return (args.member_id, args.shop_id)

    def list_live(self, backend: Backend, account_id: str) -> dict[Hashable, LiveGrant]:
        return {(g.member_id, g.shop_id): g for g in backend.list_grants(account_id)}

    def get_live(self, backend: Backend, args: RoleGrantArgs) -> LiveGrant | None:
        return backend.get_grant(args.account_id, args.member_id, args.shop_id)

    def live_inputs(self, live: LiveGrant) -> dict[str, Any]:
        return {
            "account_id": live.account_id,
            "member_id": live.member_id,
            "shop_id": live.shop_id,
            "role_ids": sorted(live.role_ids),
        }

    def adoptable(self, live: LiveGrant, args: RoleGrantArgs) -> bool:
        # A grant is a set of roles keyed by our own ids: whatever is there is ours to set.
        return True

    def _spec(self, args: RoleGrantArgs) -> GrantSpec:
        return GrantSpec(
            member_id=args.member_id, shop_id=args.shop_id, role_ids=tuple(sorted(args.role_ids))
        )

    def create_live(
        self, backend: Backend, args: RoleGrantArgs
    ) -> tuple[LiveGrant, dict[str, Any]]:
        return backend.set_grant(args.account_id, self._spec(args)), {}

    def update_live(
        self, backend: Backend, args: RoleGrantArgs, live: LiveGrant | None
    ) -> LiveGrant:
        if live is not None and sorted(live.role_ids) == sorted(args.role_ids):
            return live
        return backend.set_grant(args.account_id, self._spec(args))

    def delete_live(self, backend: Backend, args: RoleGrantArgs) -> None:
        backend.delete_grant(args.account_id, args.member_id, args.shop_id)


class RoleGrant(pulumi.dynamic.Resource, module="shoporg", name="RoleGrant"):
    account_id: pulumi.Output[str]
    member_id: pulumi.Output[str]
    shop_id: pulumi.Output[str]
    role_ids: pulumi.Output[list[str]]

    def __init__(
        self,
        resource_name: str,
        args: RoleGrantArgs,
        opts: pulumi.ResourceOptions | None = None,
        member_id: pulumi.Input[str] | None = None,
    ) -> None:
        props: dict[str, Any] = {**args.model_dump(), "role_ids": sorted(args.role_ids)}
        if member_id is not None:
            # The sub-account's output: when a login rename replaces the sub-account (which
            # takes its grants with it on the platform), the engine replaces the grant too.
            props["member_id"] = member_id
        super().__init__(RoleGrantProvider(), resource_name, props, opts)
