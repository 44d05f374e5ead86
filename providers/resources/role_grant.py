"""Role grants: the roles of one sub-account on one shop::

    members:
      - id: alice
        name: 王丽
        department: cs-presale
        sub_accounts:
          - account: shopee-main
            login_name: alice
            shops: [shopee-my, shopee-sg]   # one grant per shop
            roles: [shopee-cs]

Identity: account, shop and the sub-account's login. A grant belongs to the platform's
sub-account: when a login rename replaces the sub-account (the platform drops its grants
with it), the grant is replaced too; when a member is renamed with ``previously:`` the
login stays and the grant is re-keyed in place. Changing the roles updates in place.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Protocol

import pulumi

from shoporg.backends.protocol import Grant as LiveGrant
from shoporg.backends.protocol import GrantBackend, GrantSpec, SubAccountBackend
from shoporg.backends.settings import ledger_of
from shoporg.kinds.role_grant import ROLE_GRANT
from shoporg.kinds.sub_account import SUB_ACCOUNT
from shoporg.resources.base import KindArgs, ObjectProvider
from shoporg.schema.models import Id, Text


class GrantsOfLogins(GrantBackend, SubAccountBackend, Protocol):
    """What a grant needs: the grants, and the login of the sub-account holding each."""


class RoleGrantArgs(KindArgs):
    account_id: Id
    member_id: Id
    login: Text
    shop_id: Id
    role_ids: list[Id]


@dataclass(frozen=True)
class GrantOfLogin:
    """A live grant with the login of the sub-account holding it."""

    grant: LiveGrant
    login: str


class RoleGrantProvider(ObjectProvider[RoleGrantArgs, GrantOfLogin]):
    kind = ROLE_GRANT.word
    args_model = RoleGrantArgs
    identity = ROLE_GRANT.identity

    def object_name(self, args: RoleGrantArgs) -> str:
        return ROLE_GRANT.ref(args.account_id, args.member_id, args.shop_id).name

    def key(self, args: RoleGrantArgs) -> Hashable:
        return (args.member_id, args.shop_id)

    def list_live(self, backend: GrantsOfLogins, account_id: str) -> dict[Hashable, GrantOfLogin]:
        logins = {s.member_id: s.login for s in backend.list_sub_accounts(account_id)}
        return {
            (g.member_id, g.shop_id): GrantOfLogin(g, logins.get(g.member_id, ""))
            for g in backend.list_grants(account_id)
        }

    def get_live(self, backend: GrantsOfLogins, args: RoleGrantArgs) -> GrantOfLogin | None:
        grant = backend.get_grant(args.account_id, args.member_id, args.shop_id)
        if grant is None:
            return None
        sub = backend.get_sub_account(args.account_id, args.member_id)
        return GrantOfLogin(grant, sub.login if sub else "")

    def live_inputs(self, live: GrantOfLogin) -> dict[str, Any]:
        return {
            "account_id": live.grant.account_id,
            "member_id": live.grant.member_id,
            "login": live.login,
            "shop_id": live.grant.shop_id,
            "role_ids": sorted(live.grant.role_ids),
        }

    def with_unknowns(self, live: GrantOfLogin, args: RoleGrantArgs) -> GrantOfLogin:
        # Roles recorded (or ticked done) before their sub-account shows: the holder's login
        # is unknown, not empty — an empty login would read as a replacement of the grant.
        return live if live.login else GrantOfLogin(live.grant, args.login)

    def not_needed(self, backend: GrantsOfLogins, args: RoleGrantArgs) -> str | None:
        live = backend.get_sub_account(args.account_id, args.member_id)
        if live is not None and (live.login == args.login or not args.login):
            return None
        holder = SUB_ACCOUNT.ref(args.account_id, args.member_id).name
        if any(s.operation == "create"
               for s in ledger_of(self.settings).open_steps_of(SUB_ACCOUNT.word, holder)):
            return None  # a joiner, or a renamed login: granted once the login is made
        if live is not None:  # renamed the day they left: only the old login's removal
            return f"its login {args.login} is not to be made ({holder} is {live.login})"
        return f"its sub-account {holder} is neither there nor to be made"

    def adoptable(self, live: GrantOfLogin, args: RoleGrantArgs) -> bool:
        # A grant is a set of roles keyed by our own ids: whatever is there is ours to set.
        return True

    def _spec(self, args: RoleGrantArgs) -> GrantSpec:
        return GrantSpec(
            member_id=args.member_id, shop_id=args.shop_id, role_ids=tuple(sorted(args.role_ids))
        )

    def create_live(
        self, backend: GrantsOfLogins, args: RoleGrantArgs
    ) -> tuple[GrantOfLogin, dict[str, Any]]:
        return GrantOfLogin(backend.set_grant(args.account_id, self._spec(args)), args.login), {}

    def update_live(
        self, backend: GrantsOfLogins, args: RoleGrantArgs, live: GrantOfLogin | None
    ) -> GrantOfLogin:
        if live is not None and sorted(live.grant.role_ids) == sorted(args.role_ids):
            return live
        return GrantOfLogin(backend.set_grant(args.account_id, self._spec(args)), args.login)

    def rekey(self, backend: GrantsOfLogins, old: RoleGrantArgs, new: RoleGrantArgs) -> None:
        # The sub-account's re-key normally moved the grant already; a leftover under the
        # old member id would be a second grant on the same shop.
        if backend.get_grant(old.account_id, old.member_id, old.shop_id) is not None:
            backend.delete_grant(old.account_id, old.member_id, old.shop_id)

    def delete_live(self, backend: GrantsOfLogins, args: RoleGrantArgs) -> None:
        backend.delete_grant(args.account_id, args.member_id, args.shop_id)


class RoleGrant(pulumi.dynamic.Resource, module="shoporg", name=ROLE_GRANT.type_name):
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
        login: pulumi.Input[str] | None = None,
    ) -> None:
        props: dict[str, Any] = {**args.model_dump(), "role_ids": sorted(args.role_ids)}
        # The sub-account's outputs: the engine orders the grant after it and, when the
        # sub-account is replaced, re-evaluates (and replaces) the grant with it.
        if member_id is not None:
            props["member_id"] = member_id
        if login is not None:
            props["login"] = login
        super().__init__(RoleGrantProvider(), resource_name, props, opts)
