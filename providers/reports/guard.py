"""The removal guard of ``shoporg up``: refuse a plan that takes access from too many people.

The accident it exists for is people losing their access by mistake (a truncated org.yaml,
a bad merge), so it counts **people and what they hold** — their sub-accounts and role
grants, the kinds whose resource name carries a member — and never departments or roles,
which would only dilute the shares. For the whole org, each platform account and each
department (with its sub-departments) it counts the people holding something there before
the change and the people the plan deletes a sub-account or grant of ("lose access").

A group is over its limit when the plan takes access from **more than**
``min_people`` of its people **and** from more than its share of them (``overall`` for the
whole org, ``per_account`` for an account or a department). The absolute floor keeps one
leaver in a team of three from tripping the guard, and lets no group be too small to count:
three of four staff is refused. ``--max-removals N`` also refuses a plan taking access from
more than N people.

The limits are ``policies.removal_limits`` of org.yaml
(:class:`shoporg.schema.RemovalLimits` holds the defaults); the message gives every
count — people, sub-accounts and grants per group — so the operator can judge before
``--allow-removals``.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Final

from shoporg.kinds import KINDS, Kind
from shoporg.reports.context import Context
from shoporg.reports.world import Plan
from shoporg.schema import Org, RemovalLimits

#: What people hold: the kinds named after a member (sub-accounts, role grants), read from
#: the registry so a new person-held kind is counted without an edit here.
HELD: Final[tuple[Kind, ...]] = tuple(k for k in KINDS if "member" in k.fields)
# The group of people whose department neither org.yaml nor the state names (a removed
# person with no sub-account on a platform with departments): shown, never judged, since
# everyone in it is by construction someone removed.
UNKNOWN_DEPARTMENT: Final = "department unknown"


@dataclass(frozen=True)
class Tally:
    removed: int
    existing: int

    def __str__(self) -> str:
        return f"{self.removed} of {self.existing}"


@dataclass(frozen=True)
class Count:
    """One group's counts: people, and per held kind its objects, removed of existing."""

    group: str  # "overall", "account tb-youpin (优品数码专营)", "department 客服部 / 售前 (cs-pre)"
    people: Tally
    held: tuple[tuple[Kind, Tally], ...]
    limit: float | None  # share of the people; None: reported, never judged
    min_people: int

    @property
    def share(self) -> float:
        return self.people.removed / self.people.existing if self.people.existing else 0.0

    @property
    def over(self) -> bool:
        return (self.limit is not None and self.people.removed > self.min_people
                and self.share > self.limit)

    @property
    def rule(self) -> str:
        if self.limit is None:
            return "not judged"
        if not self.limit:  # the absolute cap: people only
            return f"limit {_people(self.min_people)}"
        return f"limit {self.limit:.0%} and more than {_people(self.min_people)}"

    def __str__(self) -> str:
        held = ", ".join(f"{t} {k.label}s" for k, t in self.held)
        return (f"{self.group}: {self.people} people lose access ({self.share:.0%}, "
                f"{self.rule}); deleted: {held}")


@dataclass(frozen=True)
class Verdict:
    removed: int  # managed objects the plan deletes (any kind), for the journal
    existing: int  # managed objects before the change
    people: Tally  # overall: people losing access of people holding any
    breaches: tuple[Count, ...]
    counts: tuple[Count, ...]

    @property
    def refused(self) -> bool:
        return bool(self.breaches)

    def message(self) -> str:
        others = [c for c in self.counts if c.people.removed and c not in self.breaches]
        lines = [
            f"refusing to apply: the plan takes access from {self.people} people "
            f"(it removes {self.removed} of {self.existing} managed objects) and exceeds the "
            "removal limits (policies.removal_limits):",
            *(f"  - {b}" for b in self.breaches),
            *(["within the limits:"] if others else []),
            *(f"  - {c}" for c in others),
            'Review the plan (`shoporg review`), then re-run with --allow-removals "reason" '
            "to apply it anyway; the reason goes into the apply journal.",
        ]
        return "\n".join(lines)


@dataclass
class _Group:
    held: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # member->refs
    lost: set[str] = field(default_factory=set)  # members the plan deletes something of
    objects: dict[str, list[int]] = field(default_factory=dict)  # kind word -> [gone, all]

    def add(self, kind: Kind, member: str, name: str, deleted: bool) -> None:
        self.held[member].add(name)
        tally = self.objects.setdefault(kind.word, [0, 0])
        tally[0] += deleted
        tally[1] += 1
        if deleted:
            self.lost.add(member)

    def count(self, group: str, limit: float | None, min_people: int) -> Count:
        held = tuple((k, Tally(*self.objects.get(k.word, [0, 0]))) for k in HELD)
        return Count(group, Tally(len(self.lost), len(self.held)), held, limit, min_people)


def check_removals(plan: Plan, org: Org, *, base: Org | None = None,
                   max_removals: int | None = None,
                   limits: RemovalLimits | None = None) -> Verdict:
    """Judge ``plan`` (``org`` is the proposed org.yaml; ``base``, when known, the one it
    replaces: it names the departments of people the change removes)."""
    limits = limits or org.policies.removal_limits
    ctx = Context(new_org=org, old_org=base, plan=plan, today=datetime.date.min)
    deleted = {s.ref for s in plan.steps if s.op == "delete"}
    by_word = {k.word: k for k in HELD}
    overall = _Group()
    accounts: dict[str, _Group] = defaultdict(_Group)
    departments: dict[str, _Group] = defaultdict(_Group)
    for ref, obj in plan.old.items():
        kind = by_word.get(ref.kind)
        if kind is None:
            continue
        member, gone = kind.parse(ref.name)["member"], ref in deleted
        groups = [overall, accounts[obj.account]]
        chain = ctx.department_chain(ctx.member_department(member))
        groups += [departments[d] for d in _subtrees(chain)] or [departments[UNKNOWN_DEPARTMENT]]
        for g in groups:
            g.add(kind, member, ref.name, gone)
    counts = [overall.count("overall", limits.overall, limits.min_people)]
    for account in sorted(accounts):
        counts.append(accounts[account].count(f"account {account} ({ctx.nick(account)})",
                                              limits.per_account, limits.min_people))
    for dept in sorted(departments, key=_department_key(ctx)):
        if dept == UNKNOWN_DEPARTMENT:
            counts.append(departments[dept].count(dept, None, limits.min_people))
            continue
        path = " / ".join(n for _, n in ctx.department_chain(dept))
        counts.append(departments[dept].count(f"department {path} ({dept})",
                                              limits.per_account, limits.min_people))
    breaches = [c for c in counts if c.over]
    people = counts[0].people
    if max_removals is not None and people.removed > max_removals:
        breaches.append(Count(f"absolute cap (--max-removals {max_removals})", people,
                              counts[0].held, 0.0, max_removals))
    return Verdict(len(deleted), len(plan.old), people, tuple(breaches), tuple(counts))


def _subtrees(chain: Iterable[tuple[str, str]]) -> list[str]:
    # A person counts in their department and in every department above it, so a parent's
    # share covers its whole subtree (three small teams emptied at once are one large loss).
    return [d_id for d_id, _ in chain]


def _department_key(ctx: Context) -> Callable[[str], tuple[bool, int, str]]:
    order = ctx.department_order()  # org.yaml's order: parents before their children
    return lambda d: (d == UNKNOWN_DEPARTMENT, order.get(d, len(order)), d)


def _people(n: int) -> str:
    return f"{n} person" if n == 1 else f"{n} people"
