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
from typing import Any, cast

from providers.backends.protocol import Account, Backend
from providers.backends.settings import BackendKind, BackendSettings
from providers.schema import load_org

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
    return cast(Backend, RoutedBackend(routes, backends[default]))


class RoutedBackend:
    """The backend protocol over several connectors, routed by the account each call names.

    Every protocol method but the tenant-wide ones takes the account id first, so routing is
    one rule, not a copy of every method."""

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

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            raise AttributeError(method)
        getattr(self._default, method)  # an AttributeError for what no backend has

        def call(account_id: str, *args: Any, **kwargs: Any) -> Any:
            return getattr(self.backend_for(account_id), method)(account_id, *args, **kwargs)

        call.__name__ = method
        return call

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
