"""Drift in the review's words: a hand change is told as the review tells a change, with its
risk flags, most severe first (no engine: a recorded refresh preview,
``tests/fixtures/drift/refresh-preview.json``, made by ``tests/fixtures/drift/generate.py``).

Refresh the goldens after an intended change, then read the diff::

    SHOPORG_UPDATE_GOLDENS=1 .venv/bin/pytest tests/reports/test_drift_report.py
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from shoporg.kinds import DEPARTMENT, ROLE, SUB_ACCOUNT, desired_world
from shoporg.reports.drift import (
    DriftReport,
    Unmanaged,
    Unverified,
    drifted_objects,
    interpret,
    render_drift_json,
    render_drift_markdown,
)
from shoporg.reports.sources import org_from_file
from shoporg.reports.world import Obj, Plan, Step, objects, plan_from_preview
from shoporg.schema import Org

from .conftest import FIXTURES, ORGS, TODAY, check_golden

PREVIEW = FIXTURES.parents[0] / "drift" / "refresh-preview.json"
GOLDEN = FIXTURES / "golden-drift"


@pytest.fixture(scope="module")
def org() -> Org:
    return org_from_file(ORGS / "base.yaml")


def declared(org: Org) -> dict[object, Obj]:
    return dict(objects(desired_world(org, TODAY)))


def recorded(org: Org) -> Plan:
    return plan_from_preview(json.loads(PREVIEW.read_text(encoding="utf-8")), declared(org))


def report_of(plan: Plan, org: Org) -> DriftReport:
    words = interpret(plan, org, TODAY)
    return DriftReport("test", tuple(drifted_objects(plan, words)), (), (), words.risks,
                       words.effects)


def refresh(org: Org, ref: object, live: Callable[[Obj], Obj | None]) -> Plan:
    """A refresh plan (old = live, new = declared) in which one object was changed by hand."""
    world = declared(org)
    want = world[ref]  # type: ignore[index]
    now = live(want)
    old = {**world, want.ref: now} if now is not None else {
        r: o for r, o in world.items() if r != want.ref}
    step = Step("create", want.kind, want.name, None, want) if now is None else Step(
        "update", want.kind, want.name, now, want)
    return Plan(old=old, new=world, steps=(step,))


def with_inputs(**inputs: object) -> Callable[[Obj], Obj]:
    return lambda o: Obj(o.kind, o.name, {**o.inputs, **inputs}, o.outputs)


def test_the_recorded_hand_changes_render_as_the_goldens(org: Org) -> None:
    report = report_of(recorded(org), org)
    check_golden(GOLDEN / "hand-changes.md", render_drift_markdown(report))
    check_golden(GOLDEN / "hand-changes.json", render_drift_json(report))


def test_a_hand_granted_toxic_pair_is_the_first_drift_in_the_reviews_words(org: Org) -> None:
    report = report_of(recorded(org), org)
    first = report.drifted[0]
    assert first.name == "tb-youpin/yang-lei@tb-youpin-shop"
    assert first.text.startswith("杨磊 gains ") and "退款管理" in first.text
    assert first.risks == ("toxic_pair", "high_risk_permission")
    assert [r.code for r in report.risks] == ["toxic_pair", "high_risk_permission"]
    markdown = render_drift_markdown(report)
    assert markdown.index("Risky hand changes") < markdown.index("Changed by hand")
    assert "role_ids: `[" in markdown  # the engine's words stay, folded under the sentences


@pytest.mark.parametrize(
    ("case", "ref", "live", "what", "text", "risks"),
    [
        ("a sub-account disabled by hand reads as the review says it",
         SUB_ACCOUNT.ref("tb-youpin", "zhang-wei"), with_inputs(enabled=False), "changed",
         "张伟 is disabled on tb-youpin (disabled)", ()),
        ("a sub-account deleted by hand is a removal",
         SUB_ACCOUNT.ref("tb-youpin", "zhang-wei"), lambda o: None, "missing",
         "张伟 loses sub-account `优品数码专营:张伟` on tb-youpin (deleted)", ("removal",)),
        ("a role edited by hand says what it gains",
         ROLE.ref("tb-youpin", "tb-design"),
         with_inputs(permissions=["sm-design", "item-edit", "refund-approve"]),
         "changed", "role 美工 gains 同意退款", ()),
        ("a department renamed by hand names the department",
         DEPARTMENT.ref("tb-youpin", "design"), with_inputs(name="美工二部"), "changed",
         "department 美工二部 (美工部) changes", ()),
    ],
)
def test_a_hand_change_in_the_reviews_words(
    org: Org, case: str, ref: object, live: Callable[[Obj], Obj | None], what: str,
    text: str, risks: tuple[str, ...],
) -> None:
    [d] = report_of(refresh(org, ref, live), org).drifted
    assert (d.what, d.text, d.risks) == (what, text, risks), case


def test_a_role_edited_by_hand_is_felt_by_the_people_holding_it(org: Org) -> None:
    plan = refresh(org, ROLE.ref("tb-youpin", "tb-design"),
                   with_inputs(permissions=["sm-design", "item-edit", "refund-approve"]))
    report = report_of(plan, org)
    assert report.effects and all("(a role they hold changed)" in c.text
                                  for c in report.effects)
    assert {r.code for r in report.risks} == {"high_risk_permission"}
    assert "Felt by the people who hold a role changed by hand" in render_drift_markdown(
        report)


@pytest.mark.parametrize(
    ("case", "drifted", "unmanaged", "unverified", "code"),
    [
        ("nothing is exit 0", False, False, False, 0),
        ("a hand change is exit 2", True, False, False, 2),
        ("an undeclared object is exit 2", False, True, False, 2),
        ("drift with unverified objects is still exit 2", True, False, True, 2),
        ("only unverified objects is exit 3", False, False, True, 3),
    ],
)
def test_exit_codes_are_unchanged(org: Org, case: str, drifted: bool, unmanaged: bool,
                                  unverified: bool, code: int) -> None:
    hand = report_of(recorded(org), org).drifted if drifted else ()
    report = DriftReport(
        "test", hand,
        (Unmanaged("sub_account", "tb-youpin/ghost", "tb-youpin", "hand-made"),) if unmanaged
        else (),
        (Unverified("sub_account", "oz-youpin/x", "oz-youpin", "2026-01-01", 300),)
        if unverified else (),
    )
    assert report.exit_code == code, case
    assert json.loads(render_drift_json(report))["exit_code"] == code
