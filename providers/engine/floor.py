"""``Floor``: the smallest useful dynamic resource — it touches nothing outside Pulumi.

Two jobs: the engine smoke test proves with it that a provider class kept in the installed
package is pickled by reference and that credentials reach ``configure()`` without landing
in state; the benchmark uses thousands of them as the engine's own floor (per-resource cost
with no backend at all), with ``props`` as a floor as wide as shoporg's resources (as many
properties, no wiring) and, through :func:`shaped`, as a floor with shoporg's shape: one
``Floor`` per desired object with that object's inputs, wiring and order, so what separates
it from shoporg is shoporg's providers and the platform, not the engine's work on bigger
resources and dependencies.

.. code-block:: python

    Floor("probe-1", value="anything")
    shoporg.stack.build(org, make=shaped)   # benchmarks/run.py's ``shaped``
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import ConfigureRequest, CreateResult, DiffResult, ResourceProvider

if TYPE_CHECKING:  # the floor itself stays importable without the kinds (engine smoke test)
    from pydantic import BaseModel

    from shoporg.kinds import Desired


class FloorProvider(ResourceProvider):
    # Nothing secret is captured in the provider object, so there is no reason to encrypt it.
    serialize_as_secret_always = False

    def configure(self, req: ConfigureRequest) -> None:
        # Credentials come from stack config at run time (never pickled): remember only
        # whether one was supplied, so the smoke test can see it arrived.
        token = req.config.get("shoporg:probeToken")
        self._credential_seen = bool(token)

    def create(self, props: dict[str, Any]) -> CreateResult:
        digest = hashlib.sha256(repr(sorted(props.items())).encode()).hexdigest()[:16]
        outs = {**props, "credential_seen": getattr(self, "_credential_seen", False)}
        return CreateResult(id_=digest, outs=outs)

    def diff(self, id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [k for k in news if k != "__provider" and olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)


class Floor(pulumi.dynamic.Resource):
    value: pulumi.Output[str]
    credential_seen: pulumi.Output[bool]

    def __init__(
        self, name: str, value: str, opts: pulumi.ResourceOptions | None = None,
        props: Mapping[str, Any] | None = None,
    ) -> None:
        # Outputs are declared as None-valued props so the SDK exposes them as attributes;
        # ``props`` are further inputs, echoed as outputs (and so attributes) too.
        super().__init__(
            FloorProvider(), name,
            {**(props or {}), "value": value, "credential_seen": None}, opts,
        )


def shaped_props(args: BaseModel, wired: Mapping[str, Any]) -> dict[str, Any]:
    """The properties :func:`shaped` gives a desired object's ``Floor`` (beyond ``value``):
    its args, and its wired inputs over them. None-valued ones never reach the engine (the
    SDK drops them), which is how the benchmark counts them."""
    return {**args.model_dump(), **wired}


def shaped(
    desired: Desired, args: BaseModel, opts: pulumi.ResourceOptions, wired: dict[str, Any]
) -> Floor:
    """A ``Floor`` standing in for one desired object (a :data:`shoporg.stack.Make`): the
    same inputs and wired outputs, named ``kind:name`` since all floors share one type."""
    return Floor(str(desired.ref), value=desired.ref.kind, opts=opts,
                 props=shaped_props(args, wired))
