"""Shop bindings (Douyin): external accounts bound to a shop::

    bindings:
      - shop: dy-flagship
        kind: channel            # official | channel | self_operated
        external_account: dy-12345
        source: douyin

Name ``<shop>/<kind>/<external account>``. An official binding is protected (it can never
be unbound).
"""

from __future__ import annotations

from collections.abc import Iterator

from shoporg.backends.protocol import BindingBackend
from shoporg.kinds.base import Desired, Kind, LiveObject, Scope, Tally


def _expand(scope: Scope) -> Iterator[Desired]:
    shop_account = scope.shop_account
    for b in scope.org.bindings:
        account = shop_account.get(b.shop)
        if account is None:
            continue
        yield Desired(
            SHOP_BINDING.ref(b.shop, b.kind, b.external_account), account.id,
            {"account_id": account.id, "shop_id": b.shop, "kind": b.kind,
             "external_id": b.external_account, "source": b.source},
        )


def _live(backend: BindingBackend, account: str) -> Iterator[LiveObject]:
    for b in backend.list_bindings(account):
        yield LiveObject(SHOP_BINDING.ref(b.shop_id, b.kind, b.external_id), account,
                         f"{b.kind} account {b.external_id} bound to {b.shop_id}")


SHOP_BINDING = Kind(
    word="shop_binding", type_name="ShopBinding", label="shop binding",
    fields=("shop", "binding_kind", "external"), separators=("/", "/"),
    identity=("account_id", "shop_id", "kind", "external_id", "source"),
    columns=("account_id", "shop_id", "kind", "external_id"),
    expand=_expand, live=_live, resource="shoporg.resources.shop_binding:ShopBinding",
    table="bindings", records=lambda backend, account: backend.list_bindings(account),
    table_columns=("account_id", "shop_id", "kind", "external_id", "source", "bound_at"),
    counts=(Tally("bindings", "binding", lambda org: len(org.bindings)),),
    runbook_label="account binding",
    review="shoporg.reports.interpret:shop_binding_change",
    manual_object="shoporg.reports.manual_steps:shop_binding_object",
    imports="shoporg.importer:shop_binding_section",
)
