"""Drift's refresh without the engine: the plan of ``pulumi preview --refresh``, computed in
this process from the stack's checkpoint and the providers' own code.

The engine's refresh preview is a start-up of the CLI, the language host, the program and
a dynamic-provider plugin per run, then one gRPC ``Read`` and ``Diff`` per resource: at a
thousand resources most of its time is the engine, not the platform (issue 31). The same
plan needs only::

    pulumi stack export        the stack's resources: ids, inputs, outputs (the Go CLI
                               alone; secret values stay ciphertext, nothing decrypts them)
    <Kind>Provider.read        each resource refreshed from its account's bulk listing
                               (one list call per kind and account), the engine's own read
                               (ledger read-backs close their steps, as in a refresh)
    desired_world(org)         what the program registers, each wired input taken from
                               its source's refreshed outputs (unknown while the source
                               itself changes, as in a preview)
    <Kind>Provider.check/diff  the step the engine would plan: none, update or replace;
                               declared but not in state (or gone live): create; in state
                               but no longer declared: delete
    applied(resources, world)  which of those creates the state held before the refresh
                               (gone live: deleted by hand) and which it never held (not
                               applied yet): the same for ``--engine``'s plan

and :func:`shoporg.reports.world.plan_from_steps` turns those steps into the same
:class:`Plan` the engine's preview JSON gives (``tests/engine/test_drift_equivalence.py``
runs both on the same hand-changed stacks). The engine path stays: ``shoporg drift
--engine``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shoporg.backends.settings import BackendSettings
from shoporg.engine.on_disk import Resource
from shoporg.errors import ShoporgError
from shoporg.kinds import BY_WORD, Desired, Ref, World, ref_of_urn
from shoporg.reports.world import UNKNOWN, Obj, Op, Plan, RawStep, plan_from_steps
from shoporg.resources.base import KindProvider
from shoporg.stack import args_of


@dataclass(frozen=True)
class Stored:
    """One of the stack's resources as its checkpoint (or a refresh) has it."""

    ref: Ref
    id: str
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any]

    def state(self) -> dict[str, Any]:
        return {"inputs": dict(self.inputs), "outputs": dict(self.outputs)}


def stored(resources: Iterable[Resource]) -> dict[Ref, Stored]:
    """The checkpoint's shoporg resources by ref (``pulumi stack export``'s
    ``deployment.resources``); an old object waiting for its deletion is not one of them."""
    out: dict[Ref, Stored] = {}
    for resource in resources:
        ref = ref_of_urn(resource.urn)
        if ref is None or not resource.custom or resource.delete:
            continue
        out[ref] = Stored(ref, resource.id, resource.inputs or {}, resource.outputs or {})
    return out


def applied(resources: Iterable[Resource], world: World) -> frozenset[Ref]:
    """The objects the stack's state holds before any refresh (``resources``: its
    checkpoint), each declared object found under an old name (``previously:``) also under
    its new one: a declared object not among them was never applied, so its ``create`` in a
    refresh plan is a change not applied yet, not an object deleted by hand."""
    held = set(stored(resources))
    return frozenset(held | {ref for ref, desired in world.items()
                             if any(alias in held for alias in desired.aliases)})


#: Values the engine stores as they are (the common case: no conversion needed).
_SCALARS: frozenset[type] = frozenset({str, bool, int, float})


def _as_engine_keeps(props: Mapping[str, Any]) -> dict[str, Any]:
    """What the engine would store of ``props``: JSON values (a tuple is a list), no
    top-level nulls."""
    return {k: v if type(v) in _SCALARS else _plain(v) for k, v in props.items()
            if v is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [v if type(v) in _SCALARS else _plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, str | bool | int | float) or value is None:
        return value
    return json.loads(json.dumps(value, default=str))  # dates and the like, as the SDK


class Refresher:
    """The providers of every kind, configured as the engine configures them."""

    def __init__(self, settings: BackendSettings) -> None:
        self._providers: dict[str, KindProvider] = {
            word: kind.provider_class().serving(settings) for word, kind in BY_WORD.items()}

    def provider(self, ref: Ref) -> KindProvider:
        return self._providers[ref.kind]

    def read(self, item: Stored) -> Stored | None:
        """``item`` as the account system has it now (None: gone), as a refresh reads it."""
        result = self.provider(item.ref).read(item.id, dict(item.outputs))
        if not result.id:
            return None
        inputs = item.inputs if result.inputs is None else result.inputs
        return Stored(item.ref, str(result.id), _as_engine_keeps(inputs),
                      _as_engine_keeps(result.outs or {}))

    def step(self, item: Stored | None, ref: Ref, news: dict[str, Any]) -> Op | None:
        """The engine's step for the declared ``news`` of ``ref`` over the refreshed
        ``item`` (None: no step)."""
        provider = self.provider(ref)
        checked = provider.check(dict(item.inputs) if item else {}, news)
        if checked.failures:
            reasons = "; ".join(f"{f.property}: {f.reason}" for f in checked.failures)
            raise ShoporgError(f"{ref}: the program's inputs fail the provider's check "
                               f"({reasons}): run `shoporg validate`")
        if item is None:
            return "create"
        diff = provider.diff(item.id, dict(item.outputs), dict(checked.inputs))
        if diff.replaces:
            return "replace"
        return "update" if diff.changes else None


def refresh_plan(resources: Iterable[Resource], world: World,
                 settings: BackendSettings, declared: Mapping[Ref, Obj]) -> Plan:
    """The plan of a refresh preview of the stack whose checkpoint holds ``resources``
    (``pulumi stack export``) against the desired ``world`` (``declared``: its objects)."""
    refresher = Refresher(settings)
    live: dict[Ref, Stored] = {}
    for ref, kept in stored(resources).items():
        fresh = refresher.read(kept)
        if fresh is not None:
            live[ref] = fresh
    raw: list[RawStep] = []
    # What each declared object's outputs are in the preview: the refreshed ones where it
    # has no step, else its new inputs (the engine's preview of a provider that cannot
    # preview its own create or update returns the inputs as the outputs).
    outputs: dict[Ref, Mapping[str, Any]] = {}
    claimed: set[Ref] = set()
    for ref, desired in world.items():
        found = next((r for r in (ref, *desired.aliases) if r in live and r not in claimed),
                     None)
        item = live.get(found) if found is not None else None
        if found is not None:
            claimed.add(found)
        news = _registered(desired, args_of(desired).model_dump(), outputs)
        op = refresher.step(item, ref, news)
        if op is None:
            assert item is not None  # no step: it is in state
            outputs[ref] = item.outputs
            continue
        outputs[ref] = news
        raw.append((op, ref, item.state() if item is not None else None,
                    {"inputs": news, "outputs": {}}))
    for ref, gone in live.items():
        if ref not in claimed:
            raw.append(("delete", ref, gone.state(), None))
    return plan_from_steps(raw, declared)


def _registered(desired: Desired, args: Mapping[str, Any],
                outputs: Mapping[Ref, Mapping[str, Any]]) -> dict[str, Any]:
    """The inputs the program registers for ``desired``: its args, each wired input the
    output of its source as the preview has it (``outputs``; unknown where it has none)."""
    news = dict(args)
    for wire in desired.wires:
        values = [outputs.get(r, {}).get(wire.output) for r in wire.sources]
        if any(v is None or v == UNKNOWN for v in values):
            news[wire.input] = UNKNOWN
        else:
            news[wire.input] = values if wire.many else values[0]
    return _as_engine_keeps(news)
