"""Customer-service chat groups (Shopee), one set per shop::

    chat_groups:
      - shop: shopee-my
        name: 售前
        members: [alice, bob]

Name ``<shop>/<name>``. It takes its members' sub-account outputs, so it comes after them
and follows a replaced sub-account.
"""

from __future__ import annotations

from collections.abc import Iterator

from shoporg.backends.protocol import ChatGroupBackend
from shoporg.kinds.base import Desired, Kind, LiveObject, Scope, Tally, Wire
from shoporg.kinds.sub_account import SUB_ACCOUNT


def _expand(scope: Scope) -> Iterator[Desired]:
    shop_account = scope.shop_account
    for g in scope.org.chat_groups:
        account = shop_account.get(g.shop)
        if account is None:
            continue
        members = sorted(g.members)
        yield Desired(
            CHAT_GROUP.ref(g.shop, g.name), account.id,
            {"account_id": account.id, "shop_id": g.shop, "name": g.name,
             "member_ids": members},
            wires=(Wire("member_ids", tuple(SUB_ACCOUNT.ref(account.id, m) for m in members),
                        "member_id", many=True),),
        )


def _live(backend: ChatGroupBackend, account: str) -> Iterator[LiveObject]:
    for c in backend.list_chat_groups(account):
        yield LiveObject(CHAT_GROUP.ref(c.shop_id, c.name), account,
                         f"chat group {c.name} on {c.shop_id}: {', '.join(c.member_ids)}")


CHAT_GROUP = Kind(
    word="chat_group", type_name="ChatGroup", label="chat group",
    fields=("shop", "name"), separators=("/",),
    identity=("account_id", "shop_id", "name"),
    columns=("account_id", "shop_id", "name", "member_ids"),
    expand=_expand, live=_live, resource="shoporg.resources.chat_group:ChatGroup",
    table="chat-groups", records=lambda backend, account: backend.list_chat_groups(account),
    table_columns=("account_id", "shop_id", "name", "member_ids"),
    counts=(Tally("chat_groups", "chat group", lambda org: len(org.chat_groups)),),
    runbook_label="chat group",
    review="shoporg.reports.interpret:chat_group_change",
    manual_object="shoporg.reports.manual_steps:chat_group_object",
    imports="shoporg.importer:chat_group_section",
)
