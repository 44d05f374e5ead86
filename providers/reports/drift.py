"""Drift: where the live account system no longer matches org.yaml.

Two halves, because the engine can only see what it manages::

    pulumi preview --refresh --json   objects in state whose live values differ from
                                      org.yaml, or that vanished by hand  -> drifted
    backend list_* per account        live objects org.yaml does not declare
                                      (a sub-account made by hand, ...)   -> unmanaged
    the ledger (platforms without an  objects last confirmed or attested longer
    API)                              ago than policies.attestation_days -> unverified

A hand change is told as the review tells a change, from the same interpretation
(:func:`providers.reports.interpret.build_review` on the refresh plan turned round: from
what org.yaml declares to what is live): "杨磊 gains 同意退款 on tb-youpin-shop", with the
review's risk flags. A hand-granted high-risk permission or toxic pair is the most
important drift there is, so the drifted objects are listed most severe flag first.

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
from providers.kinds import BY_WORD, KINDS, Ref
from providers.reports.interpret import build_review
from providers.reports.model import RISK_CODES, Change, Risk
from providers.reports.render import environment
from providers.reports.world import Obj, Plan, Step
from providers.schema import Org

SCHEMA: Final = "shoporg.drift/v1.1"  # 1.1: drifted[].text / risks, risks[], effects[]
# Review flags that say nothing about a hand change: work still to do, a date coming up.
NOT_DRIFT: Final = frozenset({"manual_step", "expiring_grant"})
_WHAT: Final = {"changed": "was changed by hand", "missing": "was deleted by hand",
                "undeclared-in-state": "is in the stack's state but not in org.yaml (the "
                "next `shoporg up` removes it)"}
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
    text: str = ""  # the hand change in the review's words
    risks: tuple[str, ...] = ()  # the review's risk codes, most severe first

    @property
    def flags(self) -> str:
        return ", ".join(RISK_CODES[r].lower() for r in self.risks)


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
    risks: tuple[Risk, ...] = ()  # the review's flags on the hand changes, most severe first
    effects: tuple[Change, ...] = ()  # people whose permissions moved: a role edited by hand

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
                {**asdict(d), "risks": list(d.risks), "fields": [
                    {"property": k, "declared": a, "live": b} for k, a, b in d.fields
                ]}
                for d in self.drifted
            ],
            "risks": [{**asdict(r), "title": r.title} for r in self.risks],
            "effects": [{"kind": c.kind, "name": c.name, "account": c.account,
                         "member": c.member, "text": c.text} for c in self.effects],
            "unmanaged": [asdict(u) for u in self.unmanaged],
            "unverified": [asdict(u) for u in self.unverified],
        }


def _drift_steps(plan: Plan) -> list[Step]:
    """A refresh preview's steps that are drift: a manual step still open is work to do
    (`shoporg tasks`), not drift."""
    return [
        step for step in plan.steps
        if not (step.op == "update" and not step.changed_keys() and step.old is not None
                and step.old.outputs.get("status") == "pending")
    ]


def hand_changes(plan: Plan) -> Plan:
    """The refresh plan turned round — from what org.yaml declares (the old world) to what
    is live (the new world) — so the review reads it as the change a hand made. An object in
    state that org.yaml no longer declares is no hand change: it is left out of both."""
    undeclared = {s.ref for s in _drift_steps(plan) if s.op == "delete"}
    steps = tuple(
        Step("delete" if s.op == "create" else s.op, s.kind, s.name, s.new, s.old)
        for s in _drift_steps(plan) if s.ref not in undeclared
    )
    live = {ref: o for ref, o in plan.old.items() if ref not in undeclared}
    return Plan(old=plan.new, new=live, steps=steps)


@dataclass(frozen=True)
class Interpretation:
    """The review's words for the hand changes: sentences and flags per object, the flags,
    and the effects of a role edited by hand on the people holding it."""

    texts: Mapping[Ref, str]
    flags: Mapping[Ref, tuple[str, ...]]
    risks: tuple[Risk, ...]
    effects: tuple[Change, ...]


def interpret(plan: Plan, org: Org, today: datetime.date) -> Interpretation:
    review = build_review(hand_changes(plan), org, today=today, source={"kind": "drift"})
    texts: dict[Ref, list[str]] = {}
    flags: dict[Ref, list[str]] = {}
    # A toxic pair is about a person (their sub-account): it flags what gave it to them.
    toxic = {(r.account, r.member) for r in review.risks if r.code == "toxic_pair"}
    for c in review.changes:
        if c.op == "effect":
            continue
        ref = Ref(c.kind, c.name)
        texts.setdefault(ref, []).append(c.text)
        if (c.account, c.member) in toxic and c.permissions_gained:
            flags.setdefault(ref, []).append("toxic_pair")
        flags.setdefault(ref, []).extend(r for r in c.risks if r not in NOT_DRIFT)
    order = list(RISK_CODES)
    return Interpretation(
        texts={ref: "; ".join(t) for ref, t in texts.items()},
        flags={ref: tuple(sorted(dict.fromkeys(f), key=order.index))
               for ref, f in flags.items()},
        risks=tuple(r for r in review.risks if r.code not in NOT_DRIFT),
        effects=tuple(c for c in review.changes if c.op == "effect"),
    )


def drifted_objects(plan: Plan, words: Interpretation | None = None) -> list[Drifted]:
    """A refresh preview's steps, read as "live differs from declared"; with ``words`` (the
    review's :func:`interpret`ation) each in a domain sentence with its flags, most severe
    first."""
    out: list[Drifted] = []
    for step in _drift_steps(plan):
        o = step.obj
        fields: tuple[tuple[str, Any, Any], ...]
        if step.op == "create":
            what, fields = "missing", ()
        elif step.op == "delete":
            what, fields = "undeclared-in-state", ()
        else:
            assert step.old is not None and step.new is not None
            what, fields = "changed", tuple(
                (k, step.new.get(k), step.old.get(k)) for k in step.changed_keys()
            )
        kind = BY_WORD.get(step.kind)
        text = (words.texts.get(step.ref) if words is not None else None) or (
            f"{kind.label if kind is not None else step.kind} {step.name} {_WHAT[what]}")
        flags = words.flags.get(step.ref, ()) if words is not None else ()
        # The refresh plan's old side is what the platform shows now: its own word for a
        # status we read as disabled (TOP's 处罚, punished) is the news, so it is said.
        note = step.old.outputs.get("platform_status") if step.old is not None else None
        if note:
            text = f"{text} — the platform says: {note}"
        out.append(Drifted(step.kind, step.name, o.account, what, fields, text, flags))
    order = list(RISK_CODES)
    return sorted(out, key=lambda d: min((order.index(r) for r in d.risks),
                                         default=len(order)))


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
