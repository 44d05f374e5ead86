"""``Floor``: the smallest useful dynamic resource — it touches nothing outside Pulumi.

Two jobs: the engine smoke test proves with it that a provider class kept in the installed
package is pickled by reference and that credentials reach ``configure()`` without landing
in state; the benchmark uses thousands of them as the engine's own floor (per-resource cost
with no backend at all).

.. code-block:: python

    Floor("probe-1", value="anything")
"""

from __future__ import annotations

import hashlib
from typing import Any

import pulumi
from pulumi.dynamic import ConfigureRequest, CreateResult, DiffResult, ResourceProvider


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
        self, name: str, value: str, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        # Outputs are declared as None-valued props so the SDK exposes them as attributes.
        super().__init__(FloorProvider(), name, {"value": value, "credential_seen": None}, opts)
