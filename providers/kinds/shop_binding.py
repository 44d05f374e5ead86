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
from typing import TYPE_CHECKING

from shoporg.backends.protocol import Binding, BindingBackend
from shoporg.kinds.base import Desired, Kind, LiveObject, Scope, Tally
from shoporg.platforms.rules import BINDINGS_UNSUPPORTED

if TYPE_CHECKING:  # annotations only: the layers its functions serve import the kinds
    from shoporg.importer import Builder
    from shoporg.reports.context import Context, Holdings
    from shoporg.reports.model import Change
    from shoporg.reports.world import Obj, Step


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


# --- its review sentence, manual-step object and import section (``Kind.review``,
# ``manual_object``, ``imports``): those layers import the kinds, so their helpers are
# imported when they call these, never when a kind is loaded.


def shop_binding_change(step: Step, ctx: Context, old_h: Holdings, new_h: Holdings) -> Change:
    """``SHOP_BINDING.review``: which external account is bound to or unbound from a shop."""
    from shoporg.reports.interpret import object_change

    o = step.obj
    what = f"{str(o.get('kind')).replace('_', '-')} account {o.get('external_id')}"
    if o.get("source"):
        what += f" ({o.get('source')})"
    shop = ctx.shop_name(str(o.get("shop_id")))
    if step.op == "delete":
        return object_change(step, f"{what} is unbound from {shop}")
    return object_change(step, f"{what} is bound to {shop}")


def shop_binding_object(ctx: Context, o: Obj) -> str:
    """``SHOP_BINDING.manual_object``: the external account and its shop."""
    what = str(o.get("kind")).replace("_", "-")
    return (f"{what} account {o.get('external_id')} on shop "
            f"{ctx.shop_name(str(o.get('shop_id')))}")


def shop_binding_section(b: Builder) -> None:
    """``SHOP_BINDING.imports``: every binding as listed (``bindings:`` is left out when
    there are none)."""
    from shoporg.importer import _flow

    bindings = [x for a in b.live.accounts for x in b.live.of(SHOP_BINDING, Binding, a.id)]
    lines = []
    for x in sorted(bindings, key=lambda x: (x.shop_id, x.kind, x.external_id)):
        item = {"shop": x.shop_id, "kind": x.kind, "external_account": x.external_id}
        if x.source:
            item["source"] = x.source
        lines.append(f"  - {_flow(item)}")
    b.sections["bindings"] = lines
    b.optional.add("bindings")
    b.counts["bindings"] = len(bindings)


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
    field_labels={"external_id": "external account", "source": "source", "kind": "kind"},
    feature=BINDINGS_UNSUPPORTED,
    review=shop_binding_change, manual_object=shop_binding_object,
    imports=shop_binding_section,
)
