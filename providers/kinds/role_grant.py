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
"""

from __future__ import annotations

from collections.abc import Iterator

from shoporg.backends.protocol import GrantBackend
from shoporg.kinds.base import Desired, Kind, LiveObject, Scope, Wire
from shoporg.kinds.role import ROLE
from shoporg.kinds.sub_account import SUB_ACCOUNT


def _expand(scope: Scope) -> Iterator[Desired]:
    for member in scope.org.members:
        for entry in member.sub_accounts:
            account = scope.accounts.get(entry.account)
            if account is None or not entry.roles:
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
    review="shoporg.reports.interpret:role_grant_change",
    manual_object="shoporg.reports.manual_steps:role_grant_object",
    imports="shoporg.importer:role_grant_section",
)
