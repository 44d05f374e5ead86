"""Shopee customer-service chat groups, one per shop and group name::

    chat_groups:
      - shop: shopee-my
        name: 售前 pre-sales
        members: [alice, bob]     # a person serving several shops needs a group in each

Identity: account, shop, name. The member list updates in place.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import pulumi
from pydantic import Field

from shoporg.backends.protocol import ChatGroup as LiveChatGroup
from shoporg.backends.protocol import ChatGroupBackend, ChatGroupSpec
from shoporg.kinds.chat_group import CHAT_GROUP
from shoporg.resources.base import KindArgs, ObjectProvider
from shoporg.schema.models import Id, Text


class ChatGroupArgs(KindArgs):
    account_id: Id
    shop_id: Id
    name: Text
    member_ids: list[Id] = Field(min_length=1)


class ChatGroupProvider(ObjectProvider[ChatGroupArgs, LiveChatGroup]):
    kind = CHAT_GROUP.word
    args_model = ChatGroupArgs
    identity = CHAT_GROUP.identity

    def object_name(self, args: ChatGroupArgs) -> str:
        return CHAT_GROUP.ref(args.shop_id, args.name).name

    def key(self, args: ChatGroupArgs) -> Hashable:
        return (args.shop_id, args.name)

    def list_live(
        self, backend: ChatGroupBackend, account_id: str
    ) -> dict[Hashable, LiveChatGroup]:
        return {(g.shop_id, g.name): g for g in backend.list_chat_groups(account_id)}

    def get_live(self, backend: ChatGroupBackend, args: ChatGroupArgs) -> LiveChatGroup | None:
        return backend.get_chat_group(args.account_id, args.shop_id, args.name)

    def live_inputs(self, live: LiveChatGroup) -> dict[str, Any]:
        return {
            "account_id": live.account_id,
            "shop_id": live.shop_id,
            "name": live.name,
            "member_ids": sorted(live.member_ids),
        }

    def adoptable(self, live: LiveChatGroup, args: ChatGroupArgs) -> bool:
        return True  # keyed by our own names: converge the member list

    def _spec(self, args: ChatGroupArgs) -> ChatGroupSpec:
        return ChatGroupSpec(
            shop_id=args.shop_id, name=args.name, member_ids=tuple(sorted(args.member_ids))
        )

    def create_live(
        self, backend: ChatGroupBackend, args: ChatGroupArgs
    ) -> tuple[LiveChatGroup, dict[str, Any]]:
        return backend.set_chat_group(args.account_id, self._spec(args)), {}

    def update_live(
        self, backend: ChatGroupBackend, args: ChatGroupArgs, live: LiveChatGroup | None
    ) -> LiveChatGroup:
        if live is not None and sorted(live.member_ids) == sorted(args.member_ids):
            return live
        return backend.set_chat_group(args.account_id, self._spec(args))

    def delete_live(self, backend: ChatGroupBackend, args: ChatGroupArgs) -> None:
        backend.delete_chat_group(args.account_id, args.shop_id, args.name)


class ChatGroup(pulumi.dynamic.Resource, module="shoporg", name=CHAT_GROUP.type_name):
    shop_id: pulumi.Output[str]
    name: pulumi.Output[str]
    member_ids: pulumi.Output[list[str]]

    def __init__(
        self,
        resource_name: str,
        args: ChatGroupArgs,
        opts: pulumi.ResourceOptions | None = None,
        member_ids: pulumi.Input[list[str]] | None = None,
    ) -> None:
        props: dict[str, Any] = {**args.model_dump(), "member_ids": sorted(args.member_ids)}
        if member_ids is not None:
            # Outputs of the members' sub-accounts: a replaced sub-account updates the group.
            props["member_ids"] = member_ids
        super().__init__(ChatGroupProvider(), resource_name, props, opts)
