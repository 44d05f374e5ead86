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
from typing import Concatenate, ParamSpec, TypeVar

from shoporg.backends.protocol import Account, Backend
from shoporg.backends.settings import BackendKind, BackendSettings
from shoporg.schema import load_org

MakeConnector = Callable[[BackendKind, frozenset[str]], Backend]

P = ParamSpec("P")
R = TypeVar("R")


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


def _to_account(
    method: Callable[[Backend], Callable[Concatenate[str, P], R]],
) -> Callable[Concatenate[RoutedBackend, str, P], R]:
    """The router's form of one protocol call: ``method`` picks the call from a connector,
    and the router makes it on the connector of the account named first, with the caller's
    arguments untouched. Its type is the picked call's (the protocol's signature, the
    account id positional as every caller passes it), so mypy checks each routed call
    against the protocol; nothing is looked up by name."""

    def routed(self: RoutedBackend, account_id: str, /, *args: P.args, **kwargs: P.kwargs
               ) -> R:
        return method(self.backend_for(account_id))(account_id, *args, **kwargs)

    return routed


class RoutedBackend:
    """The backend protocol over several connectors, routed by the account each call names.

    Every protocol method but the tenant-wide ones (``list_accounts``, ``calls``,
    ``reset_calls``) takes the account id first, so routing is one rule,
    :func:`_to_account`, and each of those methods is one line naming the call it routes.
    They are class attributes mypy sees (no ``__getattr__``), so mypy checks the router is a
    :class:`~shoporg.backends.protocol.Backend` like every connector it routes to; a method
    outside the protocol is not routed (an ``AttributeError``)."""

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
    # One line per call, in the protocol's order: the call goes to the account's connector,
    # arguments as given. Its signature is the protocol's own (see `_to_account`); that each
    # line picks its own call (mypy cannot tell two calls of one signature apart) is
    # tests/backends/test_routing.py's.

    get_account = _to_account(lambda b: b.get_account)
    list_shops = _to_account(lambda b: b.list_shops)
    set_wallet_password = _to_account(lambda b: b.set_wallet_password)

    list_departments = _to_account(lambda b: b.list_departments)
    get_department = _to_account(lambda b: b.get_department)
    get_department_by_name = _to_account(lambda b: b.get_department_by_name)
    create_department = _to_account(lambda b: b.create_department)
    update_department = _to_account(lambda b: b.update_department)
    delete_department = _to_account(lambda b: b.delete_department)

    permission_catalogue = _to_account(lambda b: b.permission_catalogue)
    list_roles = _to_account(lambda b: b.list_roles)
    get_role = _to_account(lambda b: b.get_role)
    get_role_by_name = _to_account(lambda b: b.get_role_by_name)
    create_role = _to_account(lambda b: b.create_role)
    update_role = _to_account(lambda b: b.update_role)
    delete_role = _to_account(lambda b: b.delete_role)

    list_sub_accounts = _to_account(lambda b: b.list_sub_accounts)
    get_sub_account = _to_account(lambda b: b.get_sub_account)
    get_sub_account_by_login = _to_account(lambda b: b.get_sub_account_by_login)
    create_sub_account = _to_account(lambda b: b.create_sub_account)
    update_sub_account = _to_account(lambda b: b.update_sub_account)
    set_sub_account_status = _to_account(lambda b: b.set_sub_account_status)
    delete_sub_account = _to_account(lambda b: b.delete_sub_account)
    rename_member = _to_account(lambda b: b.rename_member)

    list_grants = _to_account(lambda b: b.list_grants)
    get_grant = _to_account(lambda b: b.get_grant)
    set_grant = _to_account(lambda b: b.set_grant)
    delete_grant = _to_account(lambda b: b.delete_grant)

    list_bindings = _to_account(lambda b: b.list_bindings)
    get_binding = _to_account(lambda b: b.get_binding)
    bind = _to_account(lambda b: b.bind)
    unbind = _to_account(lambda b: b.unbind)

    list_chat_groups = _to_account(lambda b: b.list_chat_groups)
    get_chat_group = _to_account(lambda b: b.get_chat_group)
    set_chat_group = _to_account(lambda b: b.set_chat_group)
    delete_chat_group = _to_account(lambda b: b.delete_chat_group)
