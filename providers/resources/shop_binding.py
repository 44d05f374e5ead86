"""Shop bindings: external Douyin-family accounts bound to a Douyin shop::

    bindings:
      - shop: dy-main
        kind: official            # one per shop, can NEVER be unbound
        external_account: dy-official-123
      - {shop: dy-main, kind: channel, external_account: tt-555, source: toutiao}  # <= 5, 180 d
      - {shop: dy-main, kind: self_operated, external_account: creator-9}

Every field is identity: a binding is never edited, only bound or unbound. The stack
registers official bindings ``protect=True`` so the engine refuses to delete one at preview
time; the platform (sandbox) enforces the channel 180-day lock at unbind and its error names
the first allowed date. Output ``unbind_allowed_from`` lets reviewers see the lock.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import timedelta
from typing import Any

import pulumi

from shoporg.backends.protocol import Binding as LiveBinding
from shoporg.backends.protocol import BindingBackend, BindingSpec
from shoporg.errors import ManualStepRequired, RuleViolation
from shoporg.kinds.shop_binding import SHOP_BINDING
from shoporg.platforms import (
    DOUYIN_CHANNEL_UNBIND_AFTER_DAYS,
    PLATFORM_OF_RULE,
    RULE_SELF_OPERATED_CONSENT,
)
from shoporg.resources.base import KindArgs, ObjectProvider
from shoporg.runbooks import manual_step
from shoporg.schema.models import BindingKind, ChannelSource, Id, Text


class ShopBindingArgs(KindArgs):
    account_id: Id
    shop_id: Id
    kind: BindingKind
    external_id: Text
    source: ChannelSource | None = None


def unbind_allowed_from(live: LiveBinding) -> str | None:
    if live.kind == "official":
        return None  # never
    if live.kind == "channel":
        return (live.bound_at + timedelta(days=DOUYIN_CHANNEL_UNBIND_AFTER_DAYS)).date().isoformat()
    return live.bound_at.date().isoformat()


class ShopBindingProvider(ObjectProvider[ShopBindingArgs, LiveBinding]):
    kind = SHOP_BINDING.word
    args_model = ShopBindingArgs
    identity = SHOP_BINDING.identity

    @classmethod
    def output_names(cls) -> tuple[str, ...]:
        return ("bound_at", "unbind_allowed_from")

    def object_name(self, args: ShopBindingArgs) -> str:
        return SHOP_BINDING.ref(args.shop_id, args.kind, args.external_id).name

    def key(self, args: ShopBindingArgs) -> Hashable:
        return (args.shop_id, args.external_id)

    def list_live(self, backend: BindingBackend, account_id: str) -> dict[Hashable, LiveBinding]:
        return {(b.shop_id, b.external_id): b for b in backend.list_bindings(account_id)}

    def get_live(self, backend: BindingBackend, args: ShopBindingArgs) -> LiveBinding | None:
        return backend.get_binding(args.account_id, args.shop_id, args.external_id)

    def live_inputs(self, live: LiveBinding) -> dict[str, Any]:
        return {
            "account_id": live.account_id,
            "shop_id": live.shop_id,
            "kind": live.kind,
            "external_id": live.external_id,
            "source": live.source,
        }

    def live_outputs(self, live: LiveBinding, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "bound_at": live.bound_at.isoformat(),
            "unbind_allowed_from": unbind_allowed_from(live),
        }

    def _spec(self, args: ShopBindingArgs) -> BindingSpec:
        return BindingSpec(
            shop_id=args.shop_id, kind=args.kind, external_id=args.external_id, source=args.source
        )

    def create_live(
        self, backend: BindingBackend, args: ShopBindingArgs
    ) -> tuple[LiveBinding, dict[str, Any]]:
        return backend.bind(args.account_id, self._spec(args)), {}

    def waiting_step(
        self, args: ShopBindingArgs, refused: RuleViolation
    ) -> ManualStepRequired | None:
        # A creator who has not consented yet is someone to invite, not an error: the
        # binding waits, and the next `up` binds it once the platform shows the consent.
        if refused.rule != RULE_SELF_OPERATED_CONSENT:
            return super().waiting_step(args, refused)
        return manual_step(
            PLATFORM_OF_RULE[refused.rule], self.kind, "create", account_id=args.account_id,
            name=self.object_name(args), person=args.external_id, waits_on="consent",
            fields={"shop": args.shop_id, "kind": "self-operated (自营账号)",
                    "external account": args.external_id},
        )

    def update_live(
        self, backend: BindingBackend, args: ShopBindingArgs, live: LiveBinding | None
    ) -> LiveBinding:
        # Every input is identity, so the engine never asks for an update; this is the
        # adopt path of create: the identical binding is already there.
        found = live or backend.get_binding(args.account_id, args.shop_id, args.external_id)
        if found is None:
            return backend.bind(args.account_id, self._spec(args))
        return found

    def delete_live(self, backend: BindingBackend, args: ShopBindingArgs) -> None:
        backend.unbind(args.account_id, args.shop_id, args.external_id)


class ShopBinding(pulumi.dynamic.Resource, module="shoporg", name=SHOP_BINDING.type_name):
    shop_id: pulumi.Output[str]
    kind: pulumi.Output[str]
    external_id: pulumi.Output[str]
    bound_at: pulumi.Output[str]
    unbind_allowed_from: pulumi.Output[str | None]

    def __init__(
        self, resource_name: str, args: ShopBindingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if args.kind == "official":
            # Douyin: an official account can never be unbound. Protection makes the engine
            # refuse a delete at preview time instead of failing half-way through an apply.
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=True))
        props: dict[str, Any] = {
            **args.model_dump(), "bound_at": None, "unbind_allowed_from": None,
        }
        super().__init__(ShopBindingProvider(), resource_name, props, opts)
