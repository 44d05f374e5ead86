"""The objects a stack manages, before and after a change: the common ground of every review.

Two sources describe a change, and both are reduced to the same :class:`Plan`::

    pulumi preview --json      steps[] {op, urn, oldState.inputs, newState.inputs}
    org.yaml (base, proposed)  shoporg.kinds.desired_world(org) on each side

A :class:`Plan` holds the old and the new world (:class:`Ref` -> :class:`Obj`: kind and
name, so a department, a role and a member sharing an id stay three objects) and one
:class:`Step` per changed object. Everything downstream (domain sentences, risk flags,
removal limits, drift) reads only this, so the engine-backed review and the config-only
review cannot disagree about what a change means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from shoporg.kinds import BY_WORD, Desired, Ref, World, ref_of_urn

Op = Literal["create", "update", "replace", "delete"]
OPS: Final[tuple[Op, ...]] = ("create", "update", "replace", "delete")

# The engine's placeholder for a value only known after apply (e.g. a department id that
# is an output of a department created in the same update).
UNKNOWN: Final = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@dataclass(frozen=True)
class Obj:
    """One managed object: its kind, resource name, declared inputs and known outputs."""

    kind: str
    name: str
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> Ref:
        return Ref(self.kind, self.name)

    @property
    def account(self) -> str:
        return str(self.inputs.get("account_id", ""))

    def get(self, key: str, default: Any = None) -> Any:
        return self.inputs.get(key, default)

    @classmethod
    def of(cls, desired: Desired) -> Obj:
        return cls(desired.ref.kind, desired.ref.name, desired.inputs)


@dataclass(frozen=True)
class Step:
    op: Op
    kind: str
    name: str
    old: Obj | None
    new: Obj | None

    @property
    def ref(self) -> Ref:
        return Ref(self.kind, self.name)

    @property
    def obj(self) -> Obj:
        found = self.new or self.old
        assert found is not None  # a step always has at least one side
        return found

    def changed_keys(self) -> list[str]:
        if self.old is None or self.new is None:
            return []
        keys = sorted(set(self.old.inputs) | set(self.new.inputs))
        return [k for k in keys if self.old.inputs.get(k) != self.new.inputs.get(k)]


@dataclass(frozen=True)
class Plan:
    old: Mapping[Ref, Obj]
    new: Mapping[Ref, Obj]
    steps: tuple[Step, ...]

    @property
    def empty(self) -> bool:
        return not self.steps


def clean_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Drop engine bookkeeping (the pickled provider) and anything secret-shaped."""
    return {
        k: v
        for k, v in inputs.items()
        if not k.startswith("__") and not (isinstance(v, dict) and "ciphertext" in v)
    }


def clean_outputs(outputs: Mapping[str, Any] | None) -> dict[str, Any]:
    # Only the outputs reports read; a secret (initial_password) never leaves the state.
    keep = ("status", "runbook", "bound_at", "unbind_allowed_from", "platform_status")
    return {k: outputs[k] for k in keep if outputs and k in outputs and outputs[k] is not None}


def objects(world: World) -> dict[Ref, Obj]:
    """The desired world as report objects (inputs only: nothing is known of outputs)."""
    return {ref: Obj.of(desired) for ref, desired in world.items()}


def follow_renames(old: Mapping[Ref, Obj], new_world: World) -> dict[Ref, Obj]:
    """Key the base world's objects by the names the new world gives them through its
    aliases (``previously:``), as the engine does, so a rename diffs as the change it is."""
    renamed = {alias: ref for ref, d in new_world.items() for alias in d.aliases}
    out: dict[Ref, Obj] = {}
    for ref, obj in old.items():
        now = renamed.get(ref, ref)
        out[now] = Obj(now.kind, now.name, obj.inputs, obj.outputs)
    return out


def diff_worlds(old: Mapping[Ref, Obj], new: Mapping[Ref, Obj]) -> Plan:
    """The steps the engine would take from ``old`` to ``new`` (config-only reviews)."""
    steps: list[Step] = []
    for ref in sorted(set(old) | set(new), key=_order):
        before, after = old.get(ref), new.get(ref)
        if before is None and after is not None:
            steps.append(Step("create", ref.kind, ref.name, None, after))
        elif after is None and before is not None:
            steps.append(Step("delete", ref.kind, ref.name, before, None))
        elif before is not None and after is not None and before.inputs != after.inputs:
            changed = {
                k for k in set(before.inputs) | set(after.inputs)
                if before.inputs.get(k) != after.inputs.get(k)
            }
            op: Op = "replace" if changed & set(BY_WORD[ref.kind].identity) else "update"
            steps.append(Step(op, ref.kind, ref.name, before, after))
    return Plan(old=dict(old), new=dict(new), steps=tuple(steps))


def _order(ref: Ref) -> tuple[str, str]:
    # By name first (the order reports have always listed steps in), then kind.
    return (ref.name, ref.kind)


def _state(ref: Ref, state: Mapping[str, Any] | None) -> Obj | None:
    if not state:
        return None
    return Obj(ref.kind, ref.name, clean_inputs(state.get("inputs") or {}),
               clean_outputs(state.get("outputs")))


#: One engine step as a plan reads it: its op, object, and the state before and after
#: (``{"inputs": ..., "outputs": ...}``, None where there is no such side).
RawStep = tuple[Op, Ref, Mapping[str, Any] | None, Mapping[str, Any] | None]


def plan_from_preview(preview: Mapping[str, Any], desired: Mapping[Ref, Obj]) -> Plan:
    """A plan from ``pulumi preview --json`` output and the desired world of org.yaml
    (see :func:`plan_from_steps`)."""
    raw: list[RawStep] = []
    for step in preview.get("steps") or []:
        op = step.get("op")
        ref = ref_of_urn(str(step.get("urn", "")))
        if ref is None or op not in OPS:
            continue  # the stack itself, providers, same/read/refresh steps
        raw.append((op, ref, step.get("oldState"), step.get("newState")))
    return plan_from_steps(raw, desired)


def plan_from_steps(raw: Iterable[RawStep], desired: Mapping[Ref, Obj]) -> Plan:
    """A plan from the engine's changed objects (a preview's steps, or
    :mod:`shoporg.reports.refresh`'s engine-free refresh) and the desired world.

    Only changed objects have steps, so the rest of both worlds comes from ``desired``
    (what the program registers for the same org.yaml): unchanged objects are identical on
    both sides, and an unknown input (an output of an object created in the same update) is
    filled in from ``desired``.
    """
    new: dict[Ref, Obj] = dict(desired)
    old: dict[Ref, Obj] = dict(desired)
    steps: list[Step] = []
    for op, ref, old_state, new_state in raw:
        before = _state(ref, old_state)
        after = _state(ref, new_state) if op != "delete" else None
        if after is not None:
            known = desired.get(ref)
            after = Obj(ref.kind, ref.name, {
                k: (known.inputs.get(k) if known is not None and v == UNKNOWN else v)
                for k, v in after.inputs.items()
            }, after.outputs)
            new[ref] = after
        else:
            new.pop(ref, None)
        if before is not None:
            old[ref] = before
        else:
            old.pop(ref, None)
        steps.append(Step(op, ref.kind, ref.name, before, after))
    steps.sort(key=lambda s: _order(s.ref))
    return Plan(old=old, new=new, steps=tuple(steps))


def world_of(objs: Iterable[Obj]) -> dict[Ref, Obj]:
    return {o.ref: o for o in objs}
