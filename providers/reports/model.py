"""The review's domain model: who gains or loses what, where, and what is risky.

Built once from a :class:`~shoporg.reports.world.Plan` by
:func:`shoporg.reports.interpret.build_review`, then rendered many ways (Markdown for a
PR comment, JSON for machines, the guard's removal counts). JSON field names are the
documented schema (``docs/review-schema.md``): a field added is a minor bump of
:data:`SCHEMA` (``/v1.1``), a field removed or changed in meaning a major one (``/v2``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Final

SCHEMA: Final = "shoporg.review/v1.2"  # 1.1: manual_steps; 1.2: tree

# Risk codes, in the order the report lists them (most severe first).
RISK_CODES: Final[dict[str, str]] = {
    "toxic_pair": "Toxic permission pair",
    "irreversible_binding": "Irreversible binding",
    "time_locked_binding": "Time-locked binding",
    "immutable_login_replaced": "Immutable login replaced",
    "high_risk_permission": "High-risk permission gained",
    "removal": "Removal",
    "expiring_grant": "Grant expiring within 14 days",
    "manual_step": "Manual step",
}


@dataclass(frozen=True)
class FieldChange:
    key: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Change:
    """One line of the review: one object change (or one effect of a role change)."""

    op: str  # create | update | replace | delete | effect (a role change felt by a holder)
    kind: str
    name: str  # the resource name, e.g. tb-youpin/zhang-wei@tb-youpin-shop
    account: str
    text: str  # the domain sentence
    member: str | None = None
    member_name: str | None = None
    department: str | None = None
    shop: str | None = None
    fields: tuple[FieldChange, ...] = ()
    permissions_gained: tuple[str, ...] = ()
    permissions_lost: tuple[str, ...] = ()
    risks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Risk:
    code: str
    text: str
    account: str
    kind: str  # with ``name``: the object it is about (ids are unique per kind only)
    name: str
    member: str | None = None
    runbook: str | None = None

    @property
    def title(self) -> str:
        return RISK_CODES[self.code]


@dataclass(frozen=True)
class AccountSummary:
    id: str
    platform: str
    nick: str
    create: int = 0
    update: int = 0
    replace: int = 0
    delete: int = 0

    @property
    def total(self) -> int:
        return self.create + self.update + self.replace + self.delete


@dataclass(frozen=True)
class PersonSection:
    member: str
    name: str
    status: str  # added | removed | changed
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class DepartmentSection:
    id: str | None
    path: str  # 客服部 / 售前
    people: tuple[PersonSection, ...]


@dataclass(frozen=True)
class AccountSection:
    id: str
    platform: str
    nick: str
    objects: tuple[Change, ...]  # departments, roles, bindings, chat groups
    departments: tuple[DepartmentSection, ...]

    @property
    def people_count(self) -> int:
        return sum(len(d.people) for d in self.departments)


@dataclass(frozen=True)
class MatrixCell:
    kept: tuple[str, ...] = ()  # role names held before and after
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def blank(self) -> bool:
        return not (self.kept or self.added or self.removed)


@dataclass(frozen=True)
class MatrixRow:
    member: str
    name: str
    cells: tuple[MatrixCell, ...]  # one per shop column


@dataclass(frozen=True)
class ManualStep:
    """One manual step the apply will raise (:mod:`shoporg.reports.manual_steps`)."""

    kind: str
    name: str  # the resource name
    operation: str  # create | update | delete | disable | enable
    account: str
    object: str  # in the review's words: "sub-account `qianyu` of 钱宇 (qian-yu)"
    page: str  # the seller-centre page, as the runbooks name it
    person: str | None
    inputs: tuple[str, ...]  # of an update: the changed inputs a person must set
    runbook: str


@dataclass(frozen=True)
class ManualAccount:
    id: str
    platform: str
    nick: str
    connector: str  # sandbox | taobao | ledger
    steps: tuple[ManualStep, ...]


@dataclass(frozen=True)
class ManualPlatform:
    platform: str
    seller_centre: str
    accounts: tuple[ManualAccount, ...]

    @property
    def count(self) -> int:
        return sum(len(a.steps) for a in self.accounts)


@dataclass(frozen=True)
class Review:
    source: dict[str, Any]
    company: str
    today: str
    accounts: tuple[AccountSummary, ...]
    sections: tuple[AccountSection, ...]
    risks: tuple[Risk, ...]
    changes: tuple[Change, ...]
    mermaid: str
    matrix_shops: tuple[str, ...]
    matrix: tuple[MatrixRow, ...]
    people: dict[str, str] = field(default_factory=dict)  # member id -> added/removed/changed
    manual_steps: tuple[ManualPlatform, ...] = ()  # grouped platform -> account

    @property
    def manual_step_count(self) -> int:
        return sum(p.count for p in self.manual_steps)

    def manual_operation_counts(self) -> dict[str, int]:
        """operation -> steps, in the order operations are listed; only those that occur."""
        counts: dict[str, int] = {}
        for p in self.manual_steps:
            for a in p.accounts:
                for s in a.steps:
                    counts[s.operation] = counts.get(s.operation, 0) + 1
        order = ("create", "update", "disable", "enable", "delete")
        return {op: counts[op] for op in sorted(counts, key=order.index)}

    @property
    def empty(self) -> bool:
        return not self.changes

    def totals(self) -> dict[str, int]:
        return {
            op: sum(getattr(a, op) for a in self.accounts)
            for op in ("create", "update", "replace", "delete")
        }

    def risk_counts(self) -> dict[str, int]:
        counts = {code: 0 for code in RISK_CODES}
        for r in self.risks:
            counts[r.code] += 1
        return {k: v for k, v in counts.items() if v}

    def to_json(self) -> dict[str, Any]:
        """The machine report (docs/review-schema.md). Deterministic key and list order."""
        return {
            "schema": SCHEMA,
            "source": self.source,
            "company": self.company,
            "today": self.today,
            "empty": self.empty,
            "totals": self.totals(),
            "accounts": [
                {**asdict(a), "total": a.total} for a in self.accounts
            ],
            "risk_counts": self.risk_counts(),
            "risks": [{**asdict(r), "title": r.title} for r in self.risks],
            "people": [
                {"member": m, "status": s} for m, s in sorted(self.people.items())
            ],
            "changes": [_change_json(c) for c in self.changes],
            "manual_steps": {
                "total": self.manual_step_count,
                "operations": self.manual_operation_counts(),
                "platforms": [
                    {"platform": p.platform, "seller_centre": p.seller_centre,
                     "count": p.count,
                     "accounts": [
                         {"account": a.id, "nick": a.nick, "connector": a.connector,
                          "count": len(a.steps),
                          "steps": [{**asdict(s), "inputs": list(s.inputs)} for s in a.steps]}
                         for a in p.accounts
                     ]}
                    for p in self.manual_steps
                ],
            },
            "tree": self.mermaid,
            "matrix": {
                "shops": list(self.matrix_shops),
                "rows": [
                    {"member": r.member, "name": r.name,
                     "cells": [asdict(c) for c in r.cells]}
                    for r in self.matrix
                ],
            },
        }


def _change_json(c: Change) -> dict[str, Any]:
    out = asdict(c)
    out["fields"] = [{"key": f.key, "old": f.old, "new": f.new} for f in c.fields]
    out["permissions_gained"] = list(c.permissions_gained)
    out["permissions_lost"] = list(c.permissions_lost)
    out["risks"] = list(c.risks)
    return out
