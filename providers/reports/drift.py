"""Drift: where the live account system no longer matches org.yaml.

Two halves, because the engine can only see what it manages::

    pulumi preview --refresh --json   objects in state whose live values differ from
                                      org.yaml, or that vanished by hand  -> drifted
    backend list_* per account        live objects org.yaml does not declare
                                      (a sub-account made by hand, ...)   -> unmanaged
    the ledger (platforms without an  objects last confirmed or attested longer
    API)                              ago than policies.attestation_days -> unverified

Where no API can read a platform, drift is attestation: nobody can see a hand change there,
so an object nobody has looked at for the policy age is reported as *unverified* (re-attest
it with ``shoporg review-access --attest``), apart from drifted ones.

Exit codes of ``shoporg drift``: 0 no drift, 2 drift (changed or undeclared objects, with or
without unverified ones), 3 only unverified objects, 1 error.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Final

from providers.backends.protocol import Backend
from providers.kinds import KINDS, Ref
from providers.reports.render import environment
from providers.reports.world import Obj, Plan

SCHEMA: Final = "shoporg.drift/v1"
EXIT_CLEAN: Final = 0
EXIT_DRIFT: Final = 2
EXIT_UNVERIFIED: Final = 3


@dataclass(frozen=True)
class Drifted:
    kind: str
    name: str
    account: str
    what: str  # "changed" | "missing" (deleted by hand) | "undeclared-in-state"
    fields: tuple[tuple[str, Any, Any], ...] = ()  # (property, declared, live)


@dataclass(frozen=True)
class Unmanaged:
    kind: str
    name: str
    account: str
    detail: str


@dataclass(frozen=True)
class Unverified:
    kind: str
    name: str
    account: str
    last_verified: str  # ISO date of the last confirmation or attestation
    age_days: int


@dataclass(frozen=True)
class DriftReport:
    stack: str | None
    drifted: tuple[Drifted, ...]
    unmanaged: tuple[Unmanaged, ...]
    unverified: tuple[Unverified, ...] = ()

    @property
    def clean(self) -> bool:
        return not self.drifted and not self.unmanaged and not self.unverified

    @property
    def exit_code(self) -> int:
        if self.drifted or self.unmanaged:
            return EXIT_DRIFT
        return EXIT_UNVERIFIED if self.unverified else EXIT_CLEAN

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "stack": self.stack,
            "drift": not self.clean,
            "exit_code": self.exit_code,
            "drifted": [
                {**asdict(d), "fields": [
                    {"property": k, "declared": a, "live": b} for k, a, b in d.fields
                ]}
                for d in self.drifted
            ],
            "unmanaged": [asdict(u) for u in self.unmanaged],
            "unverified": [asdict(u) for u in self.unverified],
        }


def drifted_objects(plan: Plan) -> list[Drifted]:
    """A refresh preview's steps, read as "live differs from declared"."""
    out: list[Drifted] = []
    for step in plan.steps:
        o = step.obj
        if (step.op == "update" and not step.changed_keys() and step.old is not None
                and step.old.outputs.get("status") == "pending"):
            continue  # a manual step still open is work to do (`shoporg tasks`), not drift
        if step.op == "create":
            out.append(Drifted(step.kind, step.name, o.account, "missing"))
        elif step.op == "delete":
            out.append(Drifted(step.kind, step.name, o.account, "undeclared-in-state"))
        else:
            assert step.old is not None and step.new is not None
            out.append(Drifted(step.kind, step.name, o.account, "changed", tuple(
                (k, step.new.get(k), step.old.get(k)) for k in step.changed_keys()
            )))
    return out


def unmanaged_objects(backend: Backend, declared: Mapping[Ref, Obj], accounts: list[str],
                      *, whole_tenant: bool = True) -> list[Unmanaged]:
    """Live objects of ``accounts`` that org.yaml does not declare; with ``whole_tenant``
    (not a shard stack) also main accounts org.yaml does not name."""
    out: list[Unmanaged] = []
    known_accounts = set(accounts)
    for live in backend.list_accounts() if whole_tenant else []:
        if live.id not in known_accounts:
            out.append(Unmanaged("account", live.id, live.id,
                                 f"{live.platform} account {live.nick} is not in org.yaml"))
    for account in accounts:
        for kind in KINDS:
            out.extend(
                Unmanaged(o.ref.kind, o.ref.name, account, o.detail)
                for o in kind.live(backend, account) if o.ref not in declared
            )
    return out


def unverified_objects(verified: Mapping[tuple[str, str], datetime.datetime],
                       accounts: Mapping[tuple[str, str], str], today: datetime.date,
                       max_age_days: int) -> list[Unverified]:
    """Ledger objects whose last confirmation or attestation is older than the policy."""
    out = []
    for (kind, name), at in sorted(verified.items()):
        age = (today - at.date()).days
        if age > max_age_days:
            out.append(Unverified(kind, name, accounts.get((kind, name), ""),
                                  at.date().isoformat(), age))
    return out


def render_drift_markdown(report: DriftReport) -> str:
    return environment().get_template("drift.md.j2").render(report=report, schema=SCHEMA)


def render_drift_json(report: DriftReport) -> str:
    return json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n"
