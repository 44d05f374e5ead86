"""What ``shoporg watch`` tells: a drift report's findings, each once.

A finding is one line of a :class:`~shoporg.reports.drift.DriftReport` with a key that
stays the same while the finding does::

    drifted      kind, name, what, and the differing properties with their live values
                 (a further hand change on the same object is a new finding)
    unmanaged    kind, name                     an undeclared object
    unverified   kind, name                     a ledger object nobody attested
    overdue      the step's id                  a manual step open too long

Work still to do is no finding: an open manual step (until it is overdue), and a declared
object the stack's state never held (``report.not_applied``: merged into org.yaml, not
applied yet; the next ``shoporg up`` creates it), which is never in ``report.drifted``.

:func:`new_findings` is what a cycle found that the one before did not; a finding that goes
away and comes back is news again. Hand changes come first, most severe first (a
hand-granted toxic pair or high-risk permission leads), as drift lists them.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Final

from shoporg.kinds import Ref
from shoporg.reports.drift import DriftReport

#: Pulled ahead of every other line: the findings a team must hear of first.
URGENT: Final = frozenset({"toxic_pair", "high_risk_permission"})


@dataclass(frozen=True)
class Finding:
    key: Hashable
    line: str
    urgent: bool = False
    #: ``kind:name`` of a declared object a hand change made riskier (a toxic pair or a
    #: high-risk permission gained): what ``shoporg watch --revert high-risk`` puts back
    #: with an update to org.yaml's values, never a removal or a create.
    revertible: str | None = None


def findings(report: DriftReport) -> dict[Hashable, Finding]:
    """Every finding of ``report`` by key, in the order a person should read them."""
    out: list[Finding] = []
    for d in report.drifted:
        key = ("drifted", d.kind, d.name, d.what, tuple((k, repr(live)) for k, _, live in d.fields))
        urgent = bool(URGENT & set(d.risks))
        revertible = str(Ref(d.kind, d.name)) if urgent and d.what == "changed" else None
        out.append(Finding(key, d.line, urgent, revertible))
    for u in report.unmanaged:
        out.append(Finding(("unmanaged", u.kind, u.name), f"not in org.yaml: {u.detail}"))
    for v in report.unverified:
        out.append(Finding(("unverified", v.kind, v.name),
                           f"unverified for {v.age_days} days: {v.kind.replace('_', ' ')} "
                           f"{v.name} (`shoporg review-access --attest`)"))
    for s in report.overdue:
        out.append(Finding(("overdue", s.id),
                           f"manual step #{s.id} open {s.age_days} days: {s.operation} "
                           f"{s.kind.replace('_', ' ')} {s.name} (`shoporg tasks`)"))
    ordered = [f for f in out if f.urgent] + [f for f in out if not f.urgent]
    return {f.key: f for f in ordered}


def new_findings(now: Mapping[Hashable, Finding],
                 before: Mapping[Hashable, Finding]) -> list[Finding]:
    """What ``now`` holds that ``before`` did not, urgent first."""
    return [f for key, f in now.items() if key not in before]
