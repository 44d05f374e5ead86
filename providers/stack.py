"""org.yaml → Pulumi resources: register the desired world, in dependency order.

:func:`shoporg.kinds.desired_world` says what exists (names, inputs, aliases, which inputs
come from which outputs); this module only turns each :class:`~shoporg.kinds.Desired`
into its kind's Pulumi resource. Names are derived from ids only, never from list
positions, so reordering org.yaml changes nothing; ordering comes from data flow (wires)
and ``after``, so the engine creates parents first and deletes them last.

Sharding: a stack may own only some of the accounts (stack config ``shoporg:accounts`` —
ids or globs — and/or ``shoporg:platforms``, see :mod:`shoporg.stackconfig`); the desired world
then holds only those accounts' objects, so several stacks over one org.yaml can run as
parallel jobs. Every object belongs to exactly one account, so disjoint shards never touch
the same object.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pydantic import BaseModel

from shoporg.kinds import Desired, Ref, World, desired_world, kind_of
from shoporg.schema import Org


@dataclass
class Built:
    """What the program registered, for the stack's exported summary and for tests."""

    counts: Counter[str] = field(default_factory=Counter)
    per_account: dict[str, Counter[str]] = field(default_factory=dict)
    resources: dict[Ref, pulumi.CustomResource] = field(default_factory=dict)

    def add(self, kind: str, account_id: str) -> None:
        self.counts[kind] += 1
        self.per_account.setdefault(account_id, Counter())[kind] += 1

    def summary(self) -> dict[str, Any]:
        return {
            "resources": dict(sorted(self.counts.items())),
            "per_account": {
                account: dict(sorted(c.items())) for account, c in sorted(self.per_account.items())
            },
        }


#: Makes one object's resource from its validated args, options and wired inputs.
Make = Callable[[Desired, BaseModel, pulumi.ResourceOptions, dict[str, Any]], Any]


def kind_resource(
    desired: Desired, args: BaseModel, opts: pulumi.ResourceOptions, wired: dict[str, Any]
) -> Any:
    """The object's own kind's resource: what the stack registers."""
    return kind_of(desired.ref).resource_class()(desired.ref.name, args, opts, **wired)


def build(
    org: Org,
    today: Callable[[], datetime.date] = datetime.date.today,
    only: Collection[str] | None = None,
    make: Make = kind_resource,
) -> Built:
    """Register org's resources; ``only`` (a shard's accounts) limits the accounts, ``make``
    as in :func:`register`."""
    return register(desired_world(org, today(), only), make)


def register(world: World, make: Make = kind_resource) -> Built:
    """One Pulumi resource per desired object, in the world's (dependency) order. ``make``
    other than the kind's resource: the benchmark's shaped floor (same inputs, wiring and
    order, a provider that touches nothing)."""
    built = Built()
    for ref, desired in world.items():
        built.resources[ref] = _resource(desired, built.resources, make)
        built.add(ref.kind, desired.account)
    return built


def args_of(desired: Desired) -> BaseModel:
    """The object's validated provider args (its inputs before wiring)."""
    args: BaseModel = kind_of(desired.ref).provider_class().args_model(**desired.inputs)
    return args


def _resource(desired: Desired, made: dict[Ref, pulumi.CustomResource], make: Make) -> Any:
    args = args_of(desired)
    wired: dict[str, Any] = {}
    for wire in desired.wires:
        sources = [made[r] for r in wire.sources if r in made]
        if not sources:
            continue  # the source is not in this world (it cannot be, after validation)
        outputs = [getattr(source, wire.output) for source in sources]
        wired[wire.input] = pulumi.Output.all(*outputs) if wire.many else outputs[0]
    opts = pulumi.ResourceOptions(
        aliases=[pulumi.Alias(name=alias.name) for alias in desired.aliases] or None,
        depends_on=[made[r] for r in desired.after if r in made] or None,
    )
    return make(desired, args, opts, wired)
