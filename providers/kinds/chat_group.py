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
from typing import TYPE_CHECKING

from shoporg.backends.protocol import ChatGroup, ChatGroupBackend
from shoporg.kinds.base import Desired, Kind, LiveObject, Scope, Tally, Wire
from shoporg.kinds.sub_account import SUB_ACCOUNT
from shoporg.platforms.rules import CHAT_GROUPS_UNSUPPORTED

if TYPE_CHECKING:  # annotations only: the layers its functions serve import the kinds
    from shoporg.importer import Builder
    from shoporg.reports.context import Context, Holdings
    from shoporg.reports.model import Change
    from shoporg.reports.world import Obj, Step


def _expand(scope: Scope) -> Iterator[Desired]:
    shop_account = scope.shop_account
    entries = {(m.id, e.account): e for m in scope.org.members for e in m.sub_accounts}
    for g in scope.org.chat_groups:
        account = shop_account.get(g.shop)
        if account is None:
            continue
        # A member whose sub-account waits for its start day (valid_from) has none yet: the
        # group gets them on that day; a group of only such members is not created before.
        members = sorted(m for m in g.members
                         if (e := entries.get((m, account.id))) is None or e.started(scope.today))
        if not members:
            continue
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


# --- its review sentence, manual-step object and import section (``Kind.review``,
# ``manual_object``, ``imports``): those layers import the kinds, so their helpers are
# imported when they call these, never when a kind is loaded.


def chat_group_change(step: Step, ctx: Context, old_h: Holdings, new_h: Holdings) -> Change:
    """``CHAT_GROUP.review``: the group and who joins or leaves it."""
    from shoporg.reports.interpret import VERBS, object_change

    o = step.obj
    shop = str(o.get("shop_id"))
    old_m = set(step.old.get("member_ids") or []) if step.old else set()
    new_m = set(step.new.get("member_ids") or []) if step.new else set()
    if step.op == "delete":
        return object_change(step, f"chat group {o.get('name')} on {shop} is removed")
    bits = [f"+ {ctx.member_name(m)}" for m in sorted(new_m - old_m)]
    bits += [f"− {ctx.member_name(m)}" for m in sorted(old_m - new_m)]
    return object_change(
        step, f"chat group {o.get('name')} on {shop} {VERBS[step.op]}: {', '.join(bits)}")


def chat_group_object(ctx: Context, o: Obj) -> str:
    """``CHAT_GROUP.manual_object``: the group and its shop."""
    return f"chat group {o.get('name')} on shop {ctx.shop_name(str(o.get('shop_id')))}"


def chat_group_section(b: Builder) -> None:
    """``CHAT_GROUP.imports``: every group as listed (``chat_groups:`` is left out when there
    are none)."""
    from shoporg.importer import _flow

    groups = [g for a in b.live.accounts for g in b.live.of(CHAT_GROUP, ChatGroup, a.id)]
    b.sections["chat_groups"] = [
        f"  - {_flow({'shop': g.shop_id, 'name': g.name, 'members': sorted(g.member_ids)})}"
        for g in sorted(groups, key=lambda g: (g.shop_id, g.name))
    ]
    b.optional.add("chat_groups")
    b.counts["chat_groups"] = len(groups)


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
    field_labels={"member_ids": "members"},
    feature=CHAT_GROUPS_UNSUPPORTED,
    review=chat_group_change, manual_object=chat_group_object, imports=chat_group_section,
)
