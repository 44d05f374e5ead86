"""Drift: where the live account system no longer matches org.yaml.

Two halves, because the engine can only see what it manages::

    pulumi preview --refresh --json   objects in state whose live values differ from
                                      org.yaml, or that vanished by hand  -> drifted
    backend list_* per account        live objects org.yaml does not declare
                                      (a sub-account made by hand, ...)   -> unmanaged
    the ledger (platforms without an  objects last confirmed or attested longer
    API)                              ago than policies.attestation_days -> unverified
    the ledger's open steps           work still to do, not drift        -> open_steps
                                      (open longer than
                                      policies.step_age_days: overdue)
    the stack's state before the      declared objects it never held:    -> not_applied
    refresh (its checkpoint)          merged, not applied yet, not drift

Open work is not a hand change. While a manual step is open, the live state has not caught
up with org.yaml: a leaver's disable not yet done on Shopee reads back "enabled". Such a
difference is *waiting* (listed under its open step, in the review's words of the change it
waits for), not drift, when (:func:`waiting_steps`) the resource is pending, the stack's
ledger holds an open step for it asking for exactly what org.yaml declares, every differing
property is one a person sets on that platform (on TOP a sub-account's status and dispatch
flag are set by API, so a difference there is a hand change), and the live value is what
the object's last confirmed step left there (where the ledger knows it): a value that moved
away from that is a hand change, drift as ever. A replacement (a login renamed on a
platform where a person makes the new login) waits the same way on its open create step:
until it is done, live is the old login.

Not applied yet is not a hand change either. The refresh plan has a ``create`` for every
declared object missing from the refreshed state, which is two things: an object the stack's
state held that the read-back found gone (deleted by hand: drift), and an object the state
never held — a joiner merged into org.yaml that the next ``shoporg up`` creates. The stack's
state as it was before the refresh (its checkpoint) tells them apart (:func:`not_applied`):
the second kind is listed on its own, in the review's words of the change still to apply
(:func:`unapplied_words`), with no risk flag, and is no finding (the exit code ignores it).

A hand change is told as the review tells a change, from the same interpretation
(:func:`shoporg.reports.interpret.build_review` on the refresh plan turned round: from
what org.yaml declares to what is live): "杨磊 gains 同意退款 on tb-youpin-shop", with the
review's risk flags. A hand-granted high-risk permission or toxic pair is the most
important drift there is, so the drifted objects are listed most severe flag first.

Where no API can read a platform, drift is attestation: nobody can see a hand change there,
so an object nobody has looked at for the policy age is reported as *unverified* (re-attest
it with ``shoporg review-access --attest``), apart from drifted ones.

Exit codes of ``shoporg drift``: 0 no drift (open steps and objects not applied yet are
listed, not counted), 2 drift (changed or undeclared objects, with or without unverified
objects or overdue steps), 3 only unverified objects or overdue steps, 1 error.
"""

from __future__ import annotations

import datetime
import json
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any, Final

from shoporg.backends.capabilities import STATUS_INPUT, Capability
from shoporg.backends.clock import local_date
from shoporg.backends.ledger.store import Step as LedgerStep
from shoporg.backends.protocol import Backend
from shoporg.backends.retry import call_with_retries
from shoporg.kinds import BY_WORD, KINDS, ROLE, Ref
from shoporg.reports.interpret import build_review
from shoporg.reports.model import RISK_CODES, Change, Risk
from shoporg.reports.render import environment
from shoporg.reports.world import Obj, Plan, Step
from shoporg.schema import Org
from shoporg.schema.models import Policies

# 1.1: drifted[].text / risks, risks[], effects[]; 1.2: open_steps, overdue exit 3;
# 1.3: not_applied[] (declared, never in the stack's state: no longer "missing" in drifted[])
SCHEMA: Final = "shoporg.drift/v1.3"
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

    @property
    def line(self) -> str:
        """The hand change on one line, as a chat shows it: the sentence and its flags."""
        if not self.text:
            return f"{self.kind.replace('_', ' ')} {self.name}: {self.what}"
        return self.text + (f" — ⚠️ {self.flags}" if self.risks else "")


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
class OpenStep:
    """An open manual step of the stack: work still to do. ``waiting``: the difference the
    live state shows until it is done, in the review's words of the change it waits for
    ("郭鹏 is disabled on sp-youpin (left the company)"); empty when live shows none (a
    create nobody has done yet is simply not there)."""

    id: int
    kind: str
    name: str
    account: str
    platform: str
    operation: str
    page: str
    person: str | None
    raised_at: str  # ISO date, by the ledger's clock
    age_days: int
    waiting: str = ""
    fields: tuple[tuple[str, Any, Any], ...] = ()  # (property, declared, live)


@dataclass(frozen=True)
class NotApplied:
    """A declared object the stack's state has never held: merged into org.yaml, not applied
    yet (the next ``shoporg up`` creates it). ``text``: that change in the review's words
    ("钱璐 gets sub-account `优品数码专营:钱璐` on tb-youpin ...")."""

    kind: str
    name: str
    account: str
    text: str

    @property
    def line(self) -> str:
        return self.text or f"{self.kind.replace('_', ' ')} {self.name}"


@dataclass(frozen=True)
class AccountSteps:
    """Open steps per platform account: how many, and the oldest one's age."""

    platform: str
    account: str
    open: int
    oldest_days: int


@dataclass(frozen=True)
class DriftReport:
    stack: str | None
    drifted: tuple[Drifted, ...]
    unmanaged: tuple[Unmanaged, ...]
    unverified: tuple[Unverified, ...] = ()
    risks: tuple[Risk, ...] = ()  # the review's flags on the hand changes, most severe first
    effects: tuple[Change, ...] = ()  # people whose permissions moved: a role edited by hand
    open_steps: tuple[OpenStep, ...] = ()  # oldest first
    step_age_days: int = Policies().step_age_days  # open longer than this: overdue
    #: declared objects the stack's state never held: not applied yet, not drift
    not_applied: tuple[NotApplied, ...] = ()

    @property
    def overdue(self) -> tuple[OpenStep, ...]:
        """Open steps older than the policy age: a finding of their own."""
        return tuple(s for s in self.open_steps if s.age_days > self.step_age_days)

    @property
    def waiting(self) -> tuple[OpenStep, ...]:
        """Open steps that explain a difference between live and org.yaml."""
        return tuple(s for s in self.open_steps if s.waiting)

    @property
    def oldest(self) -> OpenStep | None:
        return max(self.open_steps, key=lambda s: s.age_days, default=None)

    @property
    def by_account(self) -> tuple[AccountSteps, ...]:
        counts = Counter((s.platform, s.account) for s in self.open_steps)
        return tuple(
            AccountSteps(platform, account, n, max(
                s.age_days for s in self.open_steps if s.account == account))
            for (platform, account), n in sorted(counts.items())
        )

    @property
    def clean(self) -> bool:
        """Nothing found. Open steps that are not overdue are work, not findings."""
        return not (self.drifted or self.unmanaged or self.unverified or self.overdue)

    @property
    def exit_code(self) -> int:
        if self.drifted or self.unmanaged:
            return EXIT_DRIFT
        return EXIT_UNVERIFIED if self.unverified or self.overdue else EXIT_CLEAN

    def _open_steps_json(self) -> dict[str, Any]:
        oldest = self.oldest
        return {
            "count": len(self.open_steps),
            "step_age_days": self.step_age_days,
            "oldest": None if oldest is None else {
                "id": oldest.id, "raised_at": oldest.raised_at, "age_days": oldest.age_days},
            "by_account": [asdict(a) for a in self.by_account],
            "overdue": [s.id for s in self.overdue],
            "steps": [{**asdict(s), "fields": [
                {"property": k, "declared": a, "live": b} for k, a, b in s.fields
            ]} for s in self.open_steps],
        }

    def run_record(self) -> tuple[dict[str, int], list[dict[str, Any]]]:
        """This run as the ledger keeps it for the evidence pack: counts, and each finding
        as an object and the review's words (no property values)."""
        counts = {"drifted": len(self.drifted), "unmanaged": len(self.unmanaged),
                  "unverified": len(self.unverified), "overdue": len(self.overdue),
                  "open_steps": len(self.open_steps), "not_applied": len(self.not_applied)}
        findings: list[dict[str, Any]] = [
            *({"finding": d.what, "kind": d.kind, "name": d.name, "account": d.account,
               "text": d.text, "risks": list(d.risks)} for d in self.drifted),
            *({"finding": "unmanaged", "kind": u.kind, "name": u.name, "account": u.account,
               "text": u.detail} for u in self.unmanaged),
            *({"finding": "unverified", "kind": u.kind, "name": u.name, "account": u.account,
               "text": f"last verified {u.last_verified}"} for u in self.unverified),
        ]
        return counts, findings

    def to_json(self) -> dict[str, Any]:
        # not_applied[] (1.3) only when there is one: a report of an applied stack reads as
        # it did under 1.2, schema string aside.
        pending = {"not_applied": [asdict(n) for n in self.not_applied]} if (
            self.not_applied) else {}
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
            "open_steps": self._open_steps_json(),
            **pending,
        }


def _drift_steps(plan: Plan) -> list[Step]:
    """A refresh preview's steps that are drift: a manual step still open is work to do
    (`shoporg tasks`), not drift."""
    return [
        step for step in plan.steps
        if not (step.op == "update" and not step.changed_keys() and step.old is not None
                and step.old.outputs.get("status") == "pending")
    ]


#: account id -> the capability of the connector serving it, and its platform.
Connectors = Mapping[str, tuple[Capability, str]]


def needs_a_person(capability: Capability, kind: str, platform: str, key: str,
                   value: Any) -> bool:
    """Whether a manual step (a person), not the connector's API, sets ``key`` of a ``kind``
    object to ``value`` on ``platform``: a sub-account's status is an operation of its own."""
    if STATUS_INPUT.get(kind) == key:
        return not capability.automates(kind, "enable" if value else "disable", platform)
    return bool(capability.manual_inputs(kind, platform, (key,)))


def _same(a: Any, b: Any) -> bool:
    """Equal as the platforms compare them: a list (role ids, members) as a set."""
    def norm(value: Any) -> Any:
        return sorted(value, key=str) if isinstance(value, list | tuple) else value

    return bool(norm(a) == norm(b))


def _explained(step: Step, open_step: LedgerStep, baseline: Mapping[str, Any] | None,
               connectors: Connectors) -> frozenset[str]:
    """The properties of ``step``'s difference ``open_step`` explains (see the module
    docstring): the resource waits for it, it asks for what org.yaml declares, a person sets
    the property, and live still holds what the object's last confirmed step left there."""
    if step.op not in ("update", "replace") or step.old is None or step.new is None:
        return frozenset()
    if step.old.outputs.get("status") != "pending" or open_step.desired is None:
        return frozenset()
    if not all(_same(v, step.new.get(k)) for k, v in open_step.desired.items()):
        return frozenset()  # a step for values org.yaml no longer declares explains nothing
    if step.new.account not in connectors:
        return frozenset()
    capability, platform = connectors[step.new.account]
    old = step.old

    def unmoved(key: str) -> bool:  # live still holds what the last confirmed step left
        return baseline is None or _same(old.get(key), baseline.get(key))

    changed = step.changed_keys()
    if step.op == "replace":
        # A replacement (a login renamed where no API renames): until a person makes the new
        # object, live is still the old one. Its open create step sets every property.
        if open_step.operation != "create" or capability.automates(step.kind, "create",
                                                                   platform):
            return frozenset()
        # Replaced with no difference of its own (a grant whose sub-account is replaced):
        # the whole object waits on its create.
        return frozenset(filter(unmoved, changed)) if changed else frozenset(step.new.inputs)
    return frozenset(
        key for key in changed
        if needs_a_person(capability, step.kind, platform, key, step.new.get(key))
        and unmoved(key))


#: object -> the properties of its difference that are open work (an open step's).
Waiting = Mapping[Ref, frozenset[str]]


def waiting_steps(plan: Plan, open_steps: Sequence[LedgerStep],
                  baselines: Mapping[Ref, Mapping[str, Any]],
                  connectors: Connectors) -> dict[Ref, frozenset[str]]:
    """The refresh plan's differences that are open work, not hand changes: object -> the
    properties its open step explains. ``baselines``: each object's values as its last
    confirmed step left them (the ledger's ``confirmed()``), where there is one."""
    latest = {Ref(s.kind, s.name): s for s in open_steps}  # oldest first: the last wins
    # A replacement's steps are a removal and a create, in either order: the create explains.
    creates = {Ref(s.kind, s.name): s for s in open_steps if s.operation == "create"}
    out: dict[Ref, frozenset[str]] = {}
    for step in plan.steps:
        open_step = (creates if step.op == "replace" else latest).get(step.ref)
        if open_step is not None:
            keys = _explained(step, open_step, baselines.get(step.ref), connectors)
            if keys:
                out[step.ref] = keys
    return out


def _with(obj: Obj, source: Obj, keys: Collection[str]) -> Obj:
    """``obj`` with ``source``'s values of ``keys``."""
    return Obj(obj.kind, obj.name, {**obj.inputs, **{k: source.get(k) for k in keys}},
               obj.outputs)


def without_waiting(plan: Plan, waiting: Waiting) -> Plan:
    """The refresh plan as if the open steps were done (their properties as org.yaml
    declares): what is left is drift, and a waiting grant cannot show up as a role edit's
    effect. An object with a hand change beside its open step keeps only the hand change."""
    old, steps = dict(plan.old), []
    for step in plan.steps:
        keys = waiting.get(step.ref, frozenset())
        if not keys or step.old is None or step.new is None:
            steps.append(step)
            continue
        old[step.ref] = _with(step.old, step.new, keys)
        if set(step.changed_keys()) - keys:
            steps.append(Step(step.op, step.kind, step.name, old[step.ref], step.new))
    return Plan(old=old, new=plan.new, steps=tuple(steps))


def waiting_part(plan: Plan, waiting: Waiting) -> Plan:
    """The open work alone: from live to declared on the properties the open steps explain
    (the change each waits for, as the review said it when the step was raised)."""
    live, steps = dict(plan.new), []
    for step in plan.steps:
        keys = waiting.get(step.ref, frozenset())
        if keys and step.old is not None and step.new is not None:
            live[step.ref] = _with(Obj(step.kind, step.name, step.new.inputs,
                                       step.old.outputs), step.old, keys)
            steps.append(Step(step.op, step.kind, step.name, live[step.ref], step.new))
    return Plan(old=live, new=plan.new, steps=tuple(steps))


def waiting_words(part: Plan, org: Org, today: datetime.date) -> dict[Ref, str]:
    """Each waiting object's change in the review's words (``part``: :func:`waiting_part`)."""
    if part.empty:
        return {}
    review = build_review(part, org, today=today, source={"kind": "drift"})
    texts: dict[Ref, list[str]] = {}
    for c in review.changes:
        if c.op in ("create", "update", "replace", "delete"):  # not effects nor expiries
            texts.setdefault(Ref(c.kind, c.name), []).append(c.text)
    return {ref: "; ".join(t) for ref, t in texts.items()}


def open_steps(steps: Sequence[LedgerStep], day: datetime.date, part: Plan,
               words: Mapping[Ref, str]) -> tuple[OpenStep, ...]:
    """The stack's open steps as drift lists them, aged on ``day`` (the ledger's), each
    with the difference it explains (``part``: :func:`waiting_part`, ``words``: its
    :func:`waiting_words`)."""
    diffs = {s.ref: s for s in part.steps}
    out = []
    for s in steps:
        ref = Ref(s.kind, s.name)
        diff = diffs.get(ref) if ref in words else None
        fields = tuple(
            (k, diff.new.get(k), diff.old.get(k)) for k in diff.changed_keys()
        ) if diff is not None and diff.old is not None and diff.new is not None else ()
        raised = local_date(s.raised_at)
        out.append(OpenStep(s.id, s.kind, s.name, s.account, s.platform, s.operation, s.page,
                            s.person, raised.isoformat(), (day - raised).days,
                            words.get(ref, ""), fields))
    return tuple(out)


def not_applied(plan: Plan, applied: Collection[Ref]) -> frozenset[Ref]:
    """The refresh plan's creates of objects the stack's state did not hold before the
    refresh (``applied``: its objects, a renamed one under its new name too): declared, not
    applied yet. A create of an object it did hold is one deleted by hand, and stays drift."""
    return frozenset(s.ref for s in plan.steps if s.op == "create" and s.ref not in applied)


def without_unapplied(plan: Plan, unapplied: Collection[Ref]) -> Plan:
    """The refresh plan of the stack as applied: as if org.yaml did not declare the objects
    not applied yet (no step, and out of the declared world, so a role edited by hand is not
    felt by a grant nobody made yet)."""
    if not unapplied:
        return plan
    return Plan(old={r: o for r, o in plan.old.items() if r not in unapplied},
                new={r: o for r, o in plan.new.items() if r not in unapplied},
                steps=tuple(s for s in plan.steps if s.ref not in unapplied))


def unapplied_words(plan: Plan, unapplied: Collection[Ref], org: Org,
                    today: datetime.date) -> tuple[NotApplied, ...]:
    """The objects not applied yet, each in the review's words of its create (from live to
    declared, as ``shoporg review`` told the change), in the plan's order."""
    steps = tuple(s for s in plan.steps if s.ref in unapplied)
    if not steps:
        return ()
    part = Plan(old=plan.old, new=plan.new, steps=steps)
    review = build_review(part, org, today=today, source={"kind": "drift"})
    texts: dict[Ref, list[str]] = {}
    for c in review.changes:
        if c.op == "create":  # not effects nor expiries
            texts.setdefault(Ref(c.kind, c.name), []).append(c.text)
    return tuple(NotApplied(s.kind, s.name, s.obj.account, "; ".join(texts.get(s.ref, ())))
                 for s in steps)


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
    # Each listing retried as the providers retry theirs: a transient fault is no finding.
    for live in call_with_retries(backend.list_accounts) if whole_tenant else []:
        if live.id not in known_accounts:
            out.append(Unmanaged("account", live.id, live.id,
                                 f"{live.platform} account {live.nick} is not in org.yaml"))
    for account in accounts:
        for kind in KINDS:
            out.extend(Unmanaged(o.ref.kind, o.ref.name, account, o.detail)
                       for o in kind.listing(backend, account) if o.ref not in declared)
    return out


def with_roles_made_by_hand(plan: Plan, backend: Backend,
                           unmanaged: Sequence[Unmanaged]) -> Plan:
    """The refresh plan with the roles nobody declared in its live world, as the account
    system has them: a grant of one (a role made by hand holding 同意退款, say) then reads
    as what it gives — "gains 同意退款", flagged — instead of as the grant re-applied."""
    extra: dict[Ref, Obj] = {}
    for u in unmanaged:
        if u.kind != ROLE.word:
            continue
        role_id = ROLE.parse(u.name)["role"]
        role = call_with_retries(partial(backend.get_role, u.account, role_id))
        if role is not None:
            inputs = ROLE.provider_class()().live_inputs(role)
            extra[Ref(u.kind, u.name)] = Obj(ROLE.word, u.name, inputs)
    if not extra:
        return plan
    return Plan(old={**plan.old, **extra}, new=plan.new, steps=plan.steps)


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
