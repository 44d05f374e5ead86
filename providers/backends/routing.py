"""One stack, several connectors: each platform account is served by the one that can.

    accounts in org.yaml ──► BackendSettings.connector_for(account, platform)
                                 sandbox │ taobao (TOP) │ ledger (manual steps)
                                         ▼
                              RoutedBackend: every call that names an account goes to that
                              account's connector; list_accounts merges them

A company on all five platforms is one stack: Taobao/Tmall on TOP, Shopee, Ozon and Douyin
on the ledger (``shoporg:backend: taobao`` does exactly that), or any mix in
``shoporg:connectors``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping

from shoporg.backends import protocol as p
from shoporg.backends.protocol import Account, Backend
from shoporg.backends.settings import BackendKind, BackendSettings
from shoporg.platforms import PermissionCatalogue
from shoporg.schema import load_org

MakeConnector = Callable[[BackendKind, frozenset[str]], Backend]


def route(settings: BackendSettings, make: MakeConnector) -> Backend:
    """The backend of a stack whose accounts may be served by different connectors."""
    assert settings.org_file is not None
    org = load_org(settings.org_file)
    served: dict[BackendKind, set[str]] = {}
    for account in org.accounts:
        served.setdefault(settings.connector_for(account.id, account.platform), set()).add(
            account.id)
    default = settings.kind
    if set(served) <= {default} and default != "ledger":
        return make(default, frozenset(served.get(default, set())))
    backends = {kind: make(kind, frozenset(ids)) for kind, ids in served.items()}
    if default not in backends:
        backends[default] = make(default, frozenset())
    routes = {a: backends[kind] for kind, ids in served.items() for a in ids}
    return RoutedBackend(routes, backends[default])


class RoutedBackend:
    """The backend protocol over several connectors, routed by the account each call names.

    Every protocol method but the tenant-wide ones (``list_accounts``, ``calls``,
    ``reset_calls``) takes the account id first, so routing is one rule: each of those
    methods is one line handing the call to :meth:`backend_for` its account. They are
    written out (no ``__getattr__``) so that mypy checks the router is a
    :class:`~shoporg.backends.protocol.Backend` like every connector it routes to; a
    method outside the protocol is not routed (an ``AttributeError``)."""

    def __init__(self, routes: Mapping[str, Backend], default: Backend) -> None:
        self._routes = dict(routes)
        self._default = default
        self._backends = list({id(b): b for b in (*routes.values(), default)}.values())

    def __repr__(self) -> str:
        return f"RoutedBackend({self._backends!r})"

    def backend_for(self, account_id: str) -> Backend:
        return self._routes.get(account_id, self._default)

    @property
    def backends(self) -> tuple[Backend, ...]:
        """Each connector once (for what is not per account, such as a clock)."""
        return tuple(self._backends)

    # --- tenant-wide ------------------------------------------------------------------------

    def list_accounts(self) -> list[Account]:
        """Each account from its own connector; accounts no route names (unmanaged ones, for
        drift) from the default connector."""
        out: dict[str, Account] = {}
        for backend in self._backends:
            for account in backend.list_accounts():
                owner = self._routes.get(account.id, self._default)
                if owner is backend:
                    out[account.id] = account
        return [out[i] for i in sorted(out)]

    @property
    def calls(self) -> Mapping[str, int]:
        total: Counter[str] = Counter()
        for backend in self._backends:
            total.update(backend.calls)
        return dict(total)

    def reset_calls(self) -> None:
        for backend in self._backends:
            backend.reset_calls()

    def close(self) -> None:
        for backend in self._backends:
            close = getattr(backend, "close", None)
            if close is not None:
                close()

    # --- per account: the one rule ----------------------------------------------------------

    def get_account(self, account_id: str) -> Account | None:
        return self.backend_for(account_id).get_account(account_id)

    def list_shops(self, account_id: str) -> list[p.Shop]:
        return self.backend_for(account_id).list_shops(account_id)

    def set_wallet_password(self, account_id: str, password: str,
                            acting_login: str | None = None) -> Account:
        return self.backend_for(account_id).set_wallet_password(account_id, password,
                                                                acting_login)

    def list_departments(self, account_id: str) -> list[p.Department]:
        return self.backend_for(account_id).list_departments(account_id)

    def get_department(self, account_id: str, department_id: str) -> p.Department | None:
        return self.backend_for(account_id).get_department(account_id, department_id)

    def get_department_by_name(self, account_id: str, name: str, parent_id: str | None
                               ) -> p.Department | None:
        return self.backend_for(account_id).get_department_by_name(account_id, name, parent_id)

    def create_department(self, account_id: str, spec: p.DepartmentSpec) -> p.Department:
        return self.backend_for(account_id).create_department(account_id, spec)

    def update_department(self, account_id: str, spec: p.DepartmentSpec) -> p.Department:
        return self.backend_for(account_id).update_department(account_id, spec)

    def delete_department(self, account_id: str, department_id: str) -> None:
        self.backend_for(account_id).delete_department(account_id, department_id)

    def permission_catalogue(self, account_id: str) -> PermissionCatalogue:
        return self.backend_for(account_id).permission_catalogue(account_id)

    def list_roles(self, account_id: str) -> list[p.Role]:
        return self.backend_for(account_id).list_roles(account_id)

    def get_role(self, account_id: str, role_id: str) -> p.Role | None:
        return self.backend_for(account_id).get_role(account_id, role_id)

    def get_role_by_name(self, account_id: str, name: str) -> p.Role | None:
        return self.backend_for(account_id).get_role_by_name(account_id, name)

    def create_role(self, account_id: str, spec: p.RoleSpec) -> p.Role:
        return self.backend_for(account_id).create_role(account_id, spec)

    def update_role(self, account_id: str, spec: p.RoleSpec) -> p.Role:
        return self.backend_for(account_id).update_role(account_id, spec)

    def delete_role(self, account_id: str, role_id: str) -> None:
        self.backend_for(account_id).delete_role(account_id, role_id)

    def list_sub_accounts(self, account_id: str) -> list[p.SubAccount]:
        return self.backend_for(account_id).list_sub_accounts(account_id)

    def get_sub_account(self, account_id: str, member_id: str) -> p.SubAccount | None:
        return self.backend_for(account_id).get_sub_account(account_id, member_id)

    def get_sub_account_by_login(self, account_id: str, login: str) -> p.SubAccount | None:
        return self.backend_for(account_id).get_sub_account_by_login(account_id, login)

    def create_sub_account(self, account_id: str, spec: p.SubAccountSpec,
                           initial_password: str | None = None) -> p.SubAccount:
        return self.backend_for(account_id).create_sub_account(account_id, spec,
                                                               initial_password)

    def update_sub_account(self, account_id: str, spec: p.SubAccountSpec) -> p.SubAccount:
        return self.backend_for(account_id).update_sub_account(account_id, spec)

    def set_sub_account_status(self, account_id: str, member_id: str,
                               status: p.SubAccountStatus) -> p.SubAccount:
        return self.backend_for(account_id).set_sub_account_status(account_id, member_id,
                                                                   status)

    def delete_sub_account(self, account_id: str, member_id: str) -> None:
        self.backend_for(account_id).delete_sub_account(account_id, member_id)

    def rename_member(self, account_id: str, old_member_id: str, new_member_id: str
                      ) -> p.SubAccount:
        return self.backend_for(account_id).rename_member(account_id, old_member_id,
                                                          new_member_id)

    def list_grants(self, account_id: str) -> list[p.Grant]:
        return self.backend_for(account_id).list_grants(account_id)

    def get_grant(self, account_id: str, member_id: str, shop_id: str) -> p.Grant | None:
        return self.backend_for(account_id).get_grant(account_id, member_id, shop_id)

    def set_grant(self, account_id: str, spec: p.GrantSpec) -> p.Grant:
        return self.backend_for(account_id).set_grant(account_id, spec)

    def delete_grant(self, account_id: str, member_id: str, shop_id: str) -> None:
        self.backend_for(account_id).delete_grant(account_id, member_id, shop_id)

    def list_bindings(self, account_id: str) -> list[p.Binding]:
        return self.backend_for(account_id).list_bindings(account_id)

    def get_binding(self, account_id: str, shop_id: str, external_id: str) -> p.Binding | None:
        return self.backend_for(account_id).get_binding(account_id, shop_id, external_id)

    def bind(self, account_id: str, spec: p.BindingSpec) -> p.Binding:
        return self.backend_for(account_id).bind(account_id, spec)

    def unbind(self, account_id: str, shop_id: str, external_id: str) -> None:
        self.backend_for(account_id).unbind(account_id, shop_id, external_id)

    def list_chat_groups(self, account_id: str) -> list[p.ChatGroup]:
        return self.backend_for(account_id).list_chat_groups(account_id)

    def get_chat_group(self, account_id: str, shop_id: str, name: str) -> p.ChatGroup | None:
        return self.backend_for(account_id).get_chat_group(account_id, shop_id, name)

    def set_chat_group(self, account_id: str, spec: p.ChatGroupSpec) -> p.ChatGroup:
        return self.backend_for(account_id).set_chat_group(account_id, spec)

    def delete_chat_group(self, account_id: str, shop_id: str, name: str) -> None:
        self.backend_for(account_id).delete_chat_group(account_id, shop_id, name)
