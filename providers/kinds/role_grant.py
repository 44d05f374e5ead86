"""Role grants: the roles of one sub-account on one shop::

    members:
      - id: alice
        name: 王丽
        department: cs-presale
        sub_accounts:
          - account: shopee-main
            login_name: alice
            shops: [shopee-my, shopee-sg]   # one grant per shop (default: every shop)
            roles: [shopee-cs]

Name ``<account>/<member>@<shop>``. It takes the sub-account's ``member_id`` and ``login``
outputs (a login rename replaces the grant with the sub-account) and comes after its roles.
Before its entry's ``valid_from`` day nothing is granted (the sub-account is not declared
either); from that day on, with the sub-account.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from shoporg.backends.protocol import GrantBackend
from shoporg.kinds.base import Desired, Kind, LiveObject, Scope, Wire
from shoporg.kinds.role import ROLE
from shoporg.kinds.sub_account import SUB_ACCOUNT

if TYPE_CHECKING:  # annotations only: the layers its functions serve import the kinds
    from shoporg.importer import Builder
    from shoporg.reports.context import Context, Holdings
    from shoporg.reports.model import Change
    from shoporg.reports.world import Obj, Step


def _expand(scope: Scope) -> Iterator[Desired]:
    for member in scope.org.members:
        for entry in member.sub_accounts:
            account = scope.accounts.get(entry.account)
            if account is None or not entry.roles or not entry.started(scope.today):
                continue
            sub = SUB_ACCOUNT.ref(account.id, member.id)
            roles = tuple(ROLE.ref(account.id, r) for r in entry.roles)
            for shop_id in entry.shop_ids(account):
                yield Desired(
                    ROLE_GRANT.ref(account.id, member.id, shop_id), account.id,
                    {"account_id": account.id, "member_id": member.id,
                     "login": account.login(entry.login_name), "shop_id": shop_id,
                     "role_ids": sorted(entry.roles)},
                    aliases=tuple(ROLE_GRANT.ref(account.id, old, shop_id)
                                  for old in member.previously),
                    wires=(Wire("member_id", (sub,), "member_id"),
                           Wire("login", (sub,), "login")),
                    after=(sub, *roles),
                )


def _live(backend: GrantBackend, account: str) -> Iterator[LiveObject]:
    for g in backend.list_grants(account):
        yield LiveObject(ROLE_GRANT.ref(account, g.member_id, g.shop_id), account,
                         f"roles {', '.join(g.role_ids)} of {g.member_id} on {g.shop_id}")


# --- its review sentence, manual-step object and import section (``Kind.review``,
# ``manual_object``, ``imports``): those layers import the kinds, so their helpers are
# imported when they call these, never when a kind is loaded.


def role_grant_change(step: Step, ctx: Context, old_h: Holdings, new_h: Holdings) -> Change:
    """``ROLE_GRANT.review``: the permissions a person gains and loses on a shop."""
    from shoporg.reports.context import names
    from shoporg.reports.model import Change

    o = step.obj
    account, member, shop = o.account, str(o.get("member_id")), str(o.get("shop_id"))
    cat = ctx.catalogue(account)
    who = ctx.member_name(member)
    before = old_h.get((account, member, shop), frozenset())
    after = new_h.get((account, member, shop), frozenset())
    gained, lost = after - before, before - after
    world = ctx.plan.new if step.new is not None else ctx.plan.old
    roles = "、".join(ctx.role_name(account, r, world) for r in o.get("role_ids") or [])
    parts: list[str] = []
    if gained:
        parts.append(f"gains {names(gained, cat)}")
    if lost:
        parts.append(f"loses {names(lost, cat)}")
    if step.op == "delete":
        text = f"{who} loses roles {roles} on {shop}"
        if lost:
            text += f" ({names(lost, cat)})"
    elif not parts:
        text = f"{who} keeps {roles} on {shop} (grant re-applied)"
    else:
        source = ctx.roles_from(account, member)  # the department's defaults, if they gave it
        text = (f"{who} {' and '.join(parts)} on {shop} (roles: {roles or 'none'}"
                + (f", {source})" if source else ")"))
    temporary = ctx.temporary(account, member) if step.op != "delete" else ""
    if temporary:
        text += f"; {temporary}"  # a short elevation: valid_from and expires close together
    return Change(
        op=step.op, kind=step.kind, name=step.name, account=account, text=text,
        member=member, member_name=who, shop=shop,
        permissions_gained=tuple(sorted(gained)), permissions_lost=tuple(sorted(lost)),
    )


def role_grant_object(ctx: Context, o: Obj) -> str:
    """``ROLE_GRANT.manual_object``: whose roles, on which shop."""
    from shoporg.reports.manual_steps import person_of

    return f"roles of {person_of(ctx, o)} on shop {ctx.shop_name(str(o.get('shop_id')))}"


def role_grant_section(b: Builder) -> None:
    """``ROLE_GRANT.imports``: nothing of its own: a grant is a sub-account entry's
    ``roles:`` and ``shops:``, written with its sub-account."""


ROLE_GRANT = Kind(
    word="role_grant", type_name="RoleGrant", label="role grant",
    fields=("account", "member", "shop"), separators=("/", "@"),
    identity=("account_id", "shop_id", "login"),
    columns=("account_id", "member_id", "shop_id", "role_ids"),
    expand=_expand, live=_live, resource="shoporg.resources.role_grant:RoleGrant",
    table="grants", records=lambda backend, account: backend.list_grants(account),
    table_columns=("account_id", "member_id", "shop_id", "role_ids"),
    counts=(),  # a sub-account entry's roles:, counted as its sub-account
    runbook_label="role grant",
    field_labels={"role_ids": "roles"},
    feature=None,
    review=role_grant_change, manual_object=role_grant_object, imports=role_grant_section,
)
