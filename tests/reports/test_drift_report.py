"""Drift in the review's words: a hand change is told as the review tells a change, with its
risk flags, most severe first (no engine: a recorded refresh preview,
``tests/fixtures/drift/refresh-preview.json``, made by ``tests/fixtures/drift/generate.py``).

Refresh the goldens after an intended change, then read the diff::

    SHOPORG_UPDATE_GOLDENS=1 .venv/bin/pytest tests/reports/test_drift_report.py
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection

import pytest

from shoporg.kinds import DEPARTMENT, ROLE, ROLE_GRANT, SUB_ACCOUNT, Ref, desired_world
from shoporg.reports.drift import (
    DriftReport,
    NotApplied,
    Unmanaged,
    Unverified,
    drifted_objects,
    interpret,
    not_applied,
    render_drift_json,
    render_drift_markdown,
    unapplied_words,
    without_unapplied,
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


def declared(org: Org) -> dict[Ref, Obj]:
    return dict(objects(desired_world(org, TODAY)))


def recorded(org: Org) -> Plan:
    return plan_from_preview(json.loads(PREVIEW.read_text(encoding="utf-8")), declared(org))


def report_of(plan: Plan, org: Org) -> DriftReport:
    words = interpret(plan, org, TODAY)
    return DriftReport("test", tuple(drifted_objects(plan, words)), (), (), words.risks,
                       words.effects)


def refresh(org: Org, ref: Ref, live: Callable[[Obj], Obj | None]) -> Plan:
    """A refresh plan (old = live, new = declared) in which one object was changed by hand."""
    world = declared(org)
    want = world[ref]
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
    org: Org, case: str, ref: Ref, live: Callable[[Obj], Obj | None], what: str,
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


# --- declared but never applied: not drift (a joiner merged before the next `shoporg up`) ---

ZHANG_WEI = (SUB_ACCOUNT.ref("tb-youpin", "zhang-wei"),
             ROLE_GRANT.ref("tb-youpin", "zhang-wei", "tb-youpin-shop"))
YANG_LEI = (SUB_ACCOUNT.ref("tb-youpin", "yang-lei"),
            ROLE_GRANT.ref("tb-youpin", "yang-lei", "tb-youpin-shop"))


def gone_live(org: Org, refs: Collection[Ref]) -> Plan:
    """A refresh plan (old = live, new = declared) in which ``refs`` are not live: a
    ``create`` each, whether the stack's state ever held them or not."""
    world = declared(org)
    steps = tuple(Step("create", r.kind, r.name, None, world[r]) for r in refs)
    return Plan(old={r: o for r, o in world.items() if r not in refs}, new=world,
                steps=steps)


def checked(plan: Plan, org: Org, applied: Collection[Ref]) -> DriftReport:
    """What `shoporg drift` makes of a refresh plan, given the objects the stack's state
    held before the refresh (``applied``)."""
    unapplied = not_applied(plan, applied)
    pending = unapplied_words(plan, unapplied, org, TODAY)
    hand = without_unapplied(plan, unapplied)
    words = interpret(hand, org, TODAY)
    return DriftReport("test", tuple(drifted_objects(hand, words)), (), (), words.risks,
                       words.effects, not_applied=pending)


@pytest.mark.parametrize(
    ("case", "deleted", "unapplied", "missing", "pending", "risks", "code"),
    [
        ("a sub-account and grant declared but never applied are not applied yet, not drift",
         (), ZHANG_WEI, [], [
             ("sub_account", "tb-youpin/zhang-wei",
              "张伟 gets sub-account `优品数码专营:张伟` on tb-youpin"),
             ("role_grant", "tb-youpin/zhang-wei@tb-youpin-shop", "张伟 gains ")],
         [], 0),
        ("a sub-account and grant in state and gone live are still deleted by hand",
         YANG_LEI, (), ["tb-youpin/yang-lei", "tb-youpin/yang-lei@tb-youpin-shop"], [],
         ["removal"], 2),
        ("both at once: the deletion is drift, the joiner is not applied yet",
         YANG_LEI, ZHANG_WEI, ["tb-youpin/yang-lei", "tb-youpin/yang-lei@tb-youpin-shop"], [
             ("sub_account", "tb-youpin/zhang-wei",
              "张伟 gets sub-account `优品数码专营:张伟` on tb-youpin"),
             ("role_grant", "tb-youpin/zhang-wei@tb-youpin-shop", "张伟 gains ")],
         ["removal"], 2),
    ],
)
def test_a_create_is_not_applied_yet_unless_the_state_held_it(
    org: Org, case: str, deleted: tuple[Ref, ...], unapplied: tuple[Ref, ...],
    missing: list[str], pending: list[tuple[str, str, str]], risks: list[str], code: int,
) -> None:
    applied = set(declared(org)) - set(unapplied)  # the state before the refresh
    report = checked(gone_live(org, (*deleted, *unapplied)), org, applied)
    assert sorted(d.name for d in report.drifted if d.what == "missing") == missing, case
    assert all(d.what == "missing" and " loses " in d.text for d in report.drifted), case
    assert sorted({r.code for r in report.risks}) == risks, case
    assert [(n.kind, n.name) for n in report.not_applied] == [(k, n) for k, n, _ in pending]
    for n, (_, _, text) in zip(report.not_applied, pending, strict=True):
        assert n.account == "tb-youpin" and n.text.startswith(text), (case, n.text)
    assert report.exit_code == code and report.clean == (code == 0), case
    data = json.loads(render_drift_json(report))
    assert data["exit_code"] == code and data["drift"] == (code != 0), case
    assert [(n["kind"], n["name"]) for n in data.get("not_applied", [])] == [
        (k, n) for k, n, _ in pending], case
    markdown = render_drift_markdown(report)
    assert ("Not applied yet" in markdown) == bool(pending), case
    assert ("Risky hand changes" in markdown) == bool(risks), case
    if not pending:  # a report with nothing pending reads as it did before 1.3
        assert "not_applied" not in data, case


def test_without_the_state_before_the_refresh_every_create_is_a_hand_deletion(
    org: Org,
) -> None:
    """``not_applied`` is only as good as the state it is given: every declared object held
    means every create is read as today, deleted by hand."""
    plan = gone_live(org, ZHANG_WEI)
    assert not_applied(plan, set(declared(org))) == frozenset()
    assert not_applied(plan, ()) == frozenset(ZHANG_WEI)
    assert without_unapplied(plan, frozenset()) is plan


def test_a_grant_not_applied_yet_does_not_feel_a_role_edited_by_hand(org: Org) -> None:
    """The stack as applied has no such grant: a role edited by hand is felt by the people
    holding it, not by a joiner nobody has made yet."""
    role = ROLE.ref("tb-youpin", "tb-design")
    edited = refresh(org, role, with_inputs(permissions=["sm-design", "item-edit",
                                                         "refund-approve"]))
    felt = {c.name for c in report_of(edited, org).effects}
    grant = next(iter(sorted(felt)))
    sub = SUB_ACCOUNT.ref("tb-youpin", grant.split("/")[1].split("@")[0])
    joiner = {sub, ROLE_GRANT.ref("tb-youpin", sub.name.split("/")[1], "tb-youpin-shop")}
    world = declared(org)
    plan = Plan(old={r: o for r, o in edited.old.items() if r not in joiner}, new=world,
                steps=(*edited.steps, *(Step("create", r.kind, r.name, None, world[r])
                                        for r in sorted(joiner, key=str))))
    report = checked(plan, org, set(world) - joiner)
    assert grant not in {c.name for c in report.effects}
    assert [d.name for d in report.drifted] == [role.name]
    assert {n.name for n in report.not_applied} == {str(r).split(":", 1)[1] for r in joiner}


def test_not_applied_yet_renders_as_the_goldens(org: Org) -> None:
    applied = set(declared(org)) - set(ZHANG_WEI)
    report = checked(gone_live(org, (*YANG_LEI, *ZHANG_WEI)), org, applied)
    check_golden(GOLDEN / "not-applied.md", render_drift_markdown(report))
    check_golden(GOLDEN / "not-applied.json", render_drift_json(report))
    only = checked(gone_live(org, ZHANG_WEI), org, applied)
    markdown = render_drift_markdown(only)
    assert "**No drift.**" in markdown and "2 declared objects are not applied yet" in markdown
    assert "deleted" not in markdown and "The account system matches org.yaml" not in markdown
    assert "### Not applied yet (2) — run `shoporg up`" in markdown


def test_a_not_applied_line_without_words_names_the_object() -> None:
    assert NotApplied("role_grant", "tb-youpin/x@s", "tb-youpin", "").line == (
        "role grant tb-youpin/x@s")


def test_the_drift_page_lists_objects_not_applied_yet_apart_from_drift(org: Org) -> None:
    from shoporg.reports.html_report import drift_page

    applied = set(declared(org)) - set(ZHANG_WEI)
    page = drift_page(checked(gone_live(org, ZHANG_WEI), org, applied), org, TODAY)
    assert [c.text for c in page.changes] == [
        f"not applied yet: {n}" for n in (
            "张伟 gets sub-account `优品数码专营:张伟` on tb-youpin",
            "张伟 gains 查看订单、接待咨询 on tb-youpin-shop (roles: 售前客服)")]
    assert page.summary == "no drift; 0 manual steps open; 2 not applied yet"
