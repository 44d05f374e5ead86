"""What ``shoporg watch`` tells of a drift report: each finding once, the urgent ones first."""

from __future__ import annotations

from collections.abc import Hashable

import pytest

from shoporg.reports.drift import Drifted, DriftReport, OpenStep, Unmanaged, Unverified
from shoporg.reports.watch import Finding, findings, new_findings

TOXIC = Drifted("role_grant", "tb/yang-lei@shop", "tb", "changed",
                (("role_ids", ["ops"], ["ops", "cs-aftersale"]),),
                "杨磊 gains 同意退款 on shop", ("toxic_pair", "high_risk_permission"))
DISABLED = Drifted("sub_account", "tb/zhang-wei", "tb", "changed",
                   (("enabled", True, False),), "张伟 is disabled on tb")
GHOST = Unmanaged("sub_account", "tb/ghost", "tb", "sub-account 店:临时工 (临时工, active)")
STALE = Unverified("sub_account", "sp/li-na", "sp", "2026-08-01", 120)
OVERDUE = OpenStep(7, "sub_account", "sp/li-na", "sp", "shopee", "create", "Members", "李娜",
                   "2026-11-01", 35)


def report(*drifted: Drifted, unmanaged: tuple[Unmanaged, ...] = (),
           unverified: tuple[Unverified, ...] = (),
           steps: tuple[OpenStep, ...] = ()) -> DriftReport:
    return DriftReport("prod", drifted, unmanaged, unverified, open_steps=steps)


def lines(found: list[Finding]) -> list[str]:
    return [f.line for f in found]


EMPTY: dict[Hashable, Finding] = {}


@pytest.mark.parametrize(("case", "before", "now", "told"), [
    ("a first check tells everything, the toxic grant first",
     report(), report(DISABLED, TOXIC, unmanaged=(GHOST,)),
     ["杨磊 gains 同意退款 on shop — ⚠️ toxic permission pair, high-risk permission gained",
      "张伟 is disabled on tb", "not in org.yaml: sub-account 店:临时工 (临时工, active)"]),
    ("the same findings again tell nothing",
     report(DISABLED, unmanaged=(GHOST,)), report(DISABLED, unmanaged=(GHOST,)), []),
    ("a further hand change on the same object is news",
     report(DISABLED), report(Drifted(
         "sub_account", "tb/zhang-wei", "tb", "changed",
         (("enabled", True, False), ("display_name", "张伟", "张三")),
         "张伟 is disabled on tb; 张伟 is renamed 张三")),
     ["张伟 is disabled on tb; 张伟 is renamed 张三"]),
    ("an object gone unverified and an overdue step are told once each",
     report(), report(unverified=(STALE,), steps=(OVERDUE,)),
     ["unverified for 120 days: sub account sp/li-na (`shoporg review-access --attest`)",
      "manual step #7 open 35 days: create sub account sp/li-na (`shoporg tasks`)"]),
])
def test_a_watch_tells_what_is_new_since_its_last_check(
    case: str, before: DriftReport, now: DriftReport, told: list[str],
) -> None:
    assert lines(new_findings(findings(now), findings(before))) == told, case


def test_a_finding_that_goes_away_and_comes_back_is_told_again() -> None:
    first = findings(report(DISABLED))
    cleared = findings(report())
    again = findings(report(DISABLED))
    assert lines(new_findings(cleared, first)) == []
    assert lines(new_findings(again, cleared)) == ["张伟 is disabled on tb"]
    assert new_findings(first, EMPTY)[0].key == new_findings(again, cleared)[0].key
