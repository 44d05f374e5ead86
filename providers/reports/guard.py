"""The removal guard of ``shoporg up``: refuse a plan that removes too much at once.

::

    policies:
      removal_limits: {overall: 0.25, per_account: 0.25}   # org.yaml (defaults shown)

A plan is refused when its deletes exceed ``overall`` of the managed objects, or
``per_account`` of one platform account's objects, or ``per_account`` of one department's
objects (its members' sub-accounts and grants), or an absolute cap (``--max-removals``).
Groups smaller than :data:`MIN_GROUP` objects (about five people's sub-accounts and
grants) are judged only by the overall limit: one person removed from a three-person
department is a third of it, and that is not the accident this guard exists to stop.
The message gives every count, so the operator can judge before ``--allow-removals``.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from typing import Final

from providers.reports.context import Context
from providers.reports.world import Plan
from providers.schema import Org, RemovalLimits

MIN_GROUP: Final = 20


@dataclass(frozen=True)
class Count:
    group: str  # "overall", "account tb-youpin", "department 售前 (cs-presale)"
    removed: int
    existing: int
    limit: float | None  # fraction; None for the absolute cap line

    @property
    def share(self) -> float:
        return self.removed / self.existing if self.existing else 0.0

    def __str__(self) -> str:
        limit = f" (limit {self.limit:.0%})" if self.limit is not None else ""
        return f"{self.group}: {self.removed} of {self.existing} objects ({self.share:.0%}){limit}"


@dataclass(frozen=True)
class Verdict:
    removed: int
    existing: int
    breaches: tuple[Count, ...]
    counts: tuple[Count, ...]

    @property
    def refused(self) -> bool:
        return bool(self.breaches)

    def message(self) -> str:
        lines = [
            f"refusing to apply: the plan removes {self.removed} of {self.existing} managed "
            "objects and exceeds the removal limits:",
            *(f"  - {b}" for b in self.breaches),
            'Review the plan (`shoporg review`), then re-run with --allow-removals "reason" '
            "to apply it anyway; the reason goes into the apply journal.",
        ]
        return "\n".join(lines)


def check_removals(plan: Plan, org: Org, *, max_removals: int | None = None,
                   limits: RemovalLimits | None = None) -> Verdict:
    limits = limits or org.policies.removal_limits
    ctx = Context(new_org=org, old_org=None, plan=plan, today=datetime.date.min)
    deleted = {s.ref for s in plan.steps if s.op == "delete"}
    by_account, gone_account = Counter[str](), Counter[str]()
    by_dept, gone_dept = Counter[str](), Counter[str]()
    for ref, obj in plan.old.items():
        by_account[obj.account] += 1
        gone_account[obj.account] += ref in deleted
        if obj.kind in ("sub_account", "role_grant"):
            dept = ctx.member_department(str(obj.get("member_id"))) or "(no department)"
            by_dept[dept] += 1
            gone_dept[dept] += ref in deleted
    existing, removed = len(plan.old), len(deleted)
    overall = Count("overall", removed, existing, limits.overall)
    counts = [overall]
    breaches = [overall] if existing and overall.share > limits.overall else []
    for account in sorted(by_account):
        c = Count(f"account {account}", gone_account[account], by_account[account],
                  limits.per_account)
        counts.append(c)
        if c.existing >= MIN_GROUP and c.share > limits.per_account:
            breaches.append(c)
    for dept in sorted(by_dept):
        path = " / ".join(n for _, n in ctx.department_chain(dept)) or dept
        c = Count(f"department {path} ({dept})", gone_dept[dept], by_dept[dept],
                  limits.per_account)
        counts.append(c)
        if c.existing >= MIN_GROUP and c.share > limits.per_account:
            breaches.append(c)
    if max_removals is not None and removed > max_removals:
        breaches.append(Count(f"absolute cap {max_removals}", removed, existing, None))
    return Verdict(removed, existing, tuple(breaches), tuple(counts))
