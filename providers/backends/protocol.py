"""The account-system interfaces a backend implements, and the values they exchange.

Each org.yaml kind has its own narrow protocol so a resource provider depends only on the
calls it makes (STYLE habit 7). Every object is addressed by the ids org.yaml uses::

    org.yaml                  protocol             an object is addressed by
    accounts                  AccountReader        account id "tb-flagship", its shops
    departments               DepartmentBackend    (account, department id), name, parent id
    roles                     RoleBackend          (account, role id), platform permission codes
    members[].sub_accounts    SubAccountBackend    (account, member id) -> login, status, ...
      each one's shops/roles  GrantBackend         (account, member, shop) -> role ids
    bindings                  BindingBackend       (account, shop, external account id)
    chat_groups               ChatGroupBackend     (account, shop, group name) -> member ids

Conventions every backend keeps:

* ``list_*`` reads a whole account in one call, so a refresh costs O(accounts x kinds).
* ``get_*`` returns ``None`` for a missing object (not found is a state, not an error);
  ``get_*_by_*`` reads by natural key so a create can adopt what a crashed run left behind.
* ``create_*`` of an existing identity raises :class:`~shoporg.errors.ConflictError`;
  ``update_*`` / ``delete_*`` of a missing object raise :class:`~shoporg.errors.NotFoundError`;
  a platform rule raises :class:`~shoporg.errors.RuleViolation` with a stable ``rule``.
* Every call counts toward :attr:`CallStats.calls` (by method name), so benchmarks can
  count backend reads.
* Secrets go in, never out: an initial or wallet password is accepted as an argument and
  only ``password_set``-style flags come back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, get_args

from shoporg.platforms import PermissionCatalogue, Platform

SubAccountStatus = Literal["pending", "active", "disabled"]
SUB_ACCOUNT_STATUSES: tuple[SubAccountStatus, ...] = get_args(SubAccountStatus)

BindingKind = Literal["official", "channel", "self_operated"]
BINDING_KINDS: tuple[BindingKind, ...] = get_args(BindingKind)


# --- accounts and shops: platform facts, read only ------------------------------------------


@dataclass(frozen=True, slots=True)
class Shop:
    account_id: str
    id: str
    name: str
    site: str | None = None  # Shopee site (MY, SG, ...); None elsewhere


@dataclass(frozen=True, slots=True)
class Account:
    """A platform main account (主账号): a platform fact, registered in the seller centre."""

    id: str
    platform: Platform
    nick: str
    seat_quota: int
    seats_used: int
    sub_account_service: bool  # off = every sub-account disabled, none can be created
    activated: bool  # Shopee main-account activation; always True elsewhere
    activation_expires_at: datetime | None  # Shopee activation link deadline while pending
    wallet_password_set: bool  # Shopee wallet password (synced to every shop)
    shops: tuple[Shop, ...] = ()
    #: Not activated and the link is past its deadline by the account system's own clock
    #: (or was never sent): only "invite again" helps. Known before anything is created.
    activation_link_expired: bool = False


class AccountReader(Protocol):
    """Main accounts and shops are platform facts: read, never created by the provider."""

    def list_accounts(self) -> list[Account]: ...

    def get_account(self, account_id: str) -> Account | None: ...

    def list_shops(self, account_id: str) -> list[Shop]: ...


# --- departments ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DepartmentSpec:
    id: str
    name: str
    parent_id: str | None = None


@dataclass(frozen=True, slots=True)
class Department:
    account_id: str
    id: str
    name: str
    parent_id: str | None
    member_ids: tuple[str, ...] = ()  # sub-accounts in it (readable both ways, as on TOP)


class DepartmentBackend(Protocol):
    def list_departments(self, account_id: str) -> list[Department]: ...

    def get_department(self, account_id: str, department_id: str) -> Department | None: ...

    def get_department_by_name(
        self, account_id: str, name: str, parent_id: str | None
    ) -> Department | None: ...

    def create_department(self, account_id: str, spec: DepartmentSpec) -> Department: ...

    def update_department(self, account_id: str, spec: DepartmentSpec) -> Department: ...

    def delete_department(self, account_id: str, department_id: str) -> None: ...


# --- roles ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoleSpec:
    id: str
    name: str
    permissions: tuple[str, ...]  # the codes as declared
    description: str = ""


@dataclass(frozen=True, slots=True)
class Role:
    account_id: str
    id: str
    name: str
    description: str
    permissions: tuple[str, ...]  # declared codes, sorted
    effective: tuple[str, ...]  # what the platform actually grants (parents + children), sorted


class RoleBackend(Protocol):
    def permission_catalogue(self, account_id: str) -> PermissionCatalogue: ...

    def list_roles(self, account_id: str) -> list[Role]: ...

    def get_role(self, account_id: str, role_id: str) -> Role | None: ...

    def get_role_by_name(self, account_id: str, name: str) -> Role | None: ...

    def create_role(self, account_id: str, spec: RoleSpec) -> Role: ...

    def update_role(self, account_id: str, spec: RoleSpec) -> Role: ...

    def delete_role(self, account_id: str, role_id: str) -> None: ...


# --- sub-accounts ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubAccountSpec:
    """The mutable and identity fields of a sub-account as org.yaml declares them."""

    member_id: str
    login: str  # Taobao/Tmall: "<main nick>:<name>", immutable
    display_name: str
    department_id: str | None = None
    email: str | None = None
    phone: str | None = None
    dispatch: bool = False  # joins customer-service chat dispatch (分流)
    two_factor: bool = False  # Ozon 2FA flag


@dataclass(frozen=True, slots=True)
class SubAccount:
    account_id: str
    member_id: str
    login: str
    display_name: str
    department_id: str | None
    email: str | None
    phone: str | None
    dispatch: bool
    two_factor: bool
    status: SubAccountStatus
    email_confirmed: bool
    password_set: bool  # an initial password was set; the password itself is never returned
    #: What the platform's own status says beyond pending/active/disabled (TOP status 3:
    #: punished — read as disabled, and said so in state and drift), else None.
    platform_note: str | None = None

    def spec(self) -> SubAccountSpec:
        return SubAccountSpec(
            member_id=self.member_id,
            login=self.login,
            display_name=self.display_name,
            department_id=self.department_id,
            email=self.email,
            phone=self.phone,
            dispatch=self.dispatch,
            two_factor=self.two_factor,
        )


class SubAccountBackend(Protocol):
    def list_sub_accounts(self, account_id: str) -> list[SubAccount]: ...

    def get_sub_account(self, account_id: str, member_id: str) -> SubAccount | None: ...

    def get_sub_account_by_login(self, account_id: str, login: str) -> SubAccount | None: ...

    def create_sub_account(
        self, account_id: str, spec: SubAccountSpec, initial_password: str | None = None
    ) -> SubAccount: ...

    def update_sub_account(self, account_id: str, spec: SubAccountSpec) -> SubAccount: ...

    def set_sub_account_status(
        self, account_id: str, member_id: str, status: SubAccountStatus
    ) -> SubAccount: ...

    def delete_sub_account(self, account_id: str, member_id: str) -> None: ...

    def rename_member(self, account_id: str, old_member_id: str, new_member_id: str) -> SubAccount:
        """Re-key a sub-account (and its grants and chat-group memberships) to a new member
        id: org.yaml's ``previously:``. The platform object is untouched; the member id is
        our label for it (Taobao's employee number field)."""
        ...


# --- role grants ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GrantSpec:
    member_id: str
    shop_id: str
    role_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Grant:
    account_id: str
    member_id: str
    shop_id: str
    role_ids: tuple[str, ...]  # sorted


class GrantBackend(Protocol):
    def list_grants(self, account_id: str) -> list[Grant]: ...

    def get_grant(self, account_id: str, member_id: str, shop_id: str) -> Grant | None: ...

    def set_grant(self, account_id: str, spec: GrantSpec) -> Grant:
        """Create or replace the roles of one sub-account on one shop."""
        ...

    def delete_grant(self, account_id: str, member_id: str, shop_id: str) -> None: ...


# --- shop bindings --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BindingSpec:
    shop_id: str
    kind: BindingKind
    external_id: str  # the Douyin / Toutiao / Xigua / Huoshan account id
    source: str | None = None  # channel accounts: douyin | toutiao | xigua | huoshan


@dataclass(frozen=True, slots=True)
class Binding:
    account_id: str
    shop_id: str
    kind: BindingKind
    external_id: str
    source: str | None
    bound_at: datetime


class BindingBackend(Protocol):
    def list_bindings(self, account_id: str) -> list[Binding]: ...

    def get_binding(self, account_id: str, shop_id: str, external_id: str) -> Binding | None: ...

    def bind(self, account_id: str, spec: BindingSpec) -> Binding: ...

    def unbind(self, account_id: str, shop_id: str, external_id: str) -> None: ...


# --- chat groups ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatGroupSpec:
    shop_id: str
    name: str
    member_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChatGroup:
    account_id: str
    shop_id: str
    name: str
    member_ids: tuple[str, ...]  # sorted


class ChatGroupBackend(Protocol):
    def list_chat_groups(self, account_id: str) -> list[ChatGroup]: ...

    def get_chat_group(self, account_id: str, shop_id: str, name: str) -> ChatGroup | None: ...

    def set_chat_group(self, account_id: str, spec: ChatGroupSpec) -> ChatGroup:
        """Create or replace a shop's chat group and its members."""
        ...

    def delete_chat_group(self, account_id: str, shop_id: str, name: str) -> None: ...


# --- the wallet password --------------------------------------------------------------------


class WalletBackend(Protocol):
    def set_wallet_password(
        self, account_id: str, password: str, acting_login: str | None = None
    ) -> Account:
        """Set a Shopee wallet password; ``acting_login`` is who does it (None = main)."""
        ...


# --- what every backend keeps: its audit and call counts ------------------------------------


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    company: str
    at: datetime
    actor: str
    operation: str
    kind: str
    name: str  # the object, e.g. "tb-flagship/alice"
    before: Mapping[str, object] | None = field(default=None, hash=False)
    after: Mapping[str, object] | None = field(default=None, hash=False)


class CallStats(Protocol):
    @property
    def calls(self) -> Mapping[str, int]:
        """How many times each backend method was called (by method name)."""
        ...

    def reset_calls(self) -> None: ...


# --- everything: a full account system ------------------------------------------------------


class Backend(
    AccountReader,
    DepartmentBackend,
    RoleBackend,
    SubAccountBackend,
    GrantBackend,
    BindingBackend,
    ChatGroupBackend,
    WalletBackend,
    CallStats,
    Protocol,
):
    """Everything a full account system offers; the sandbox implements all of it."""
