"""The objects a stack manages, before and after a change: the common ground of every review.

Two sources describe a change, and both are reduced to the same :class:`Plan`::

    pulumi preview --json      steps[] {op, urn, oldState.inputs, newState.inputs}
    org.yaml (base, proposed)  providers.reports.desired.desired_objects(org) on each side

A :class:`Plan` holds the old and the new world (resource name -> :class:`Obj`) and one
:class:`Step` per changed object. Everything downstream (domain sentences, risk flags,
removal limits, drift) reads only this, so the engine-backed review and the config-only
review cannot disagree about what a change means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from providers.resources.chat_group import ChatGroupProvider
from providers.resources.department import DepartmentProvider
from providers.resources.role import RoleProvider
from providers.resources.role_grant import RoleGrantProvider
from providers.resources.shop_binding import ShopBindingProvider
from providers.resources.sub_account import SubAccountProvider

Op = Literal["create", "update", "replace", "delete"]
OPS: Final[tuple[Op, ...]] = ("create", "update", "replace", "delete")

# Pulumi type suffix -> our kind name (the backend / provider ``kind``).
KINDS: Final[dict[str, str]] = {
    "Department": "department",
    "Role": "role",
    "SubAccount": "sub_account",
    "RoleGrant": "role_grant",
    "ShopBinding": "shop_binding",
    "ChatGroup": "chat_group",
}
TYPE_PREFIX: Final = "pulumi-python:dynamic/shoporg:"

# Identity fields come from the providers themselves: one source of truth for "this edit
# is a replacement", whether the engine or the config diff decides.
IDENTITY: Final[dict[str, tuple[str, ...]]] = {
    "department": DepartmentProvider.identity,
    "role": RoleProvider.identity,
    "sub_account": SubAccountProvider.identity,
    "role_grant": RoleGrantProvider.identity,
    "shop_binding": ShopBindingProvider.identity,
    "chat_group": ChatGroupProvider.identity,
}

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
    def account(self) -> str:
        return str(self.inputs.get("account_id", ""))

    def get(self, key: str, default: Any = None) -> Any:
        return self.inputs.get(key, default)


@dataclass(frozen=True)
class Step:
    op: Op
    kind: str
    name: str
    old: Obj | None
    new: Obj | None

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
    old: Mapping[str, Obj]
    new: Mapping[str, Obj]
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
    keep = ("status", "runbook", "bound_at", "unbind_allowed_from")
    return {k: outputs[k] for k in keep if outputs and k in outputs and outputs[k] is not None}


def diff_worlds(old: Mapping[str, Obj], new: Mapping[str, Obj]) -> Plan:
    """The steps the engine would take from ``old`` to ``new`` (config-only reviews)."""
    steps: list[Step] = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before is None and after is not None:
            steps.append(Step("create", after.kind, name, None, after))
        elif after is None and before is not None:
            steps.append(Step("delete", before.kind, name, before, None))
        elif before is not None and after is not None and before.inputs != after.inputs:
            changed = {
                k for k in set(before.inputs) | set(after.inputs)
                if before.inputs.get(k) != after.inputs.get(k)
            }
            op: Op = "replace" if changed & set(IDENTITY[after.kind]) else "update"
            steps.append(Step(op, after.kind, name, before, after))
    return Plan(old=dict(old), new=dict(new), steps=tuple(steps))


def _kind_and_name(urn: str) -> tuple[str, str] | None:
    # urn:pulumi:<stack>::<project>::<type>::<name>
    parts = urn.split("::", 3)
    if len(parts) != 4 or not parts[2].startswith(TYPE_PREFIX):
        return None
    kind = KINDS.get(parts[2][len(TYPE_PREFIX):])
    return (kind, parts[3]) if kind else None


def _state(kind: str, name: str, state: Mapping[str, Any] | None) -> Obj | None:
    if not state:
        return None
    return Obj(kind, name, clean_inputs(state.get("inputs") or {}),
               clean_outputs(state.get("outputs")))


def plan_from_preview(preview: Mapping[str, Any], desired: Mapping[str, Obj]) -> Plan:
    """A plan from ``pulumi preview --json`` output and the desired world of org.yaml.

    The preview lists only changed objects, so the rest of both worlds comes from
    ``desired`` (what the program registers for the same org.yaml): unchanged objects are
    identical on both sides, and an unknown input (an output of an object created in the
    same update) is filled in from ``desired``.
    """
    new: dict[str, Obj] = dict(desired)
    old: dict[str, Obj] = dict(desired)
    steps: list[Step] = []
    for raw in preview.get("steps") or []:
        op = raw.get("op")
        parsed = _kind_and_name(str(raw.get("urn", "")))
        if parsed is None or op not in OPS:
            continue  # the stack itself, providers, same/read/refresh steps
        kind, name = parsed
        before = _state(kind, name, raw.get("oldState"))
        after = _state(kind, name, raw.get("newState")) if op != "delete" else None
        if after is not None:
            known = desired.get(name)
            after = Obj(kind, name, {
                k: (known.inputs.get(k) if known is not None and v == UNKNOWN else v)
                for k, v in after.inputs.items()
            }, after.outputs)
            new[name] = after
        else:
            new.pop(name, None)
        if before is not None:
            old[name] = before
        else:
            old.pop(name, None)
        steps.append(Step(op, kind, name, before, after))
    steps.sort(key=lambda s: s.name)
    return Plan(old=old, new=new, steps=tuple(steps))


def world_of(objs: Iterable[Obj]) -> dict[str, Obj]:
    return {o.name: o for o in objs}
