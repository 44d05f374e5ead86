"""``shoporg drift``, ``shoporg review`` and the guarded ``shoporg up`` on the real engine.

One project copy, in file order: apply org.yaml, drift by hand, repair it, then a change
that removes too much and is refused until an operator allows it with a reason.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from shoporg.cli.up import APPLY_PLAN
from shoporg.reports import journal
from tests.engine.conftest import StackProject

UP_REFUSED = 3


def drop_first_members(org: dict[str, Any], share: float) -> list[str]:
    members = org["members"]
    gone = [m["id"] for m in members[: round(len(members) * share)]]
    org["members"] = members[len(gone):]
    org["chat_groups"] = [g for g in org["chat_groups"] if not set(g["members"]) & set(gone)]
    departments = list(org["departments"])
    while departments:  # a department's manager must be a member
        dept = departments.pop()
        if dept.get("manager") in gone:
            del dept["manager"]
        departments.extend(dept.get("children") or [])
    return gone


@pytest.fixture(scope="module")
def project(repo_org_applied: StackProject,
            tmp_path_factory: pytest.TempPathFactory) -> StackProject:
    """The repo's org.yaml, already applied (a copy of the run's one applied stack)."""
    return repo_org_applied.copy_to(tmp_path_factory.mktemp("review-drift"))


def test_a_freshly_applied_org_has_no_drift(project: Any) -> None:
    result = project.shoporg("drift", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No drift" in result.stdout


def test_a_hand_change_and_an_unmanaged_sub_account_are_drift(project: Any) -> None:
    project.shoporg("sandbox", "sub", "disable", "tb-youpin", "zhang-wei")
    project.shoporg("sandbox", "sub", "create", "tb-youpin", "ghost", "优品数码专营:临时工",
                    "--name", "临时工")
    # 杨磊 holds 运营 (改价); granting 售后客服 (同意退款) by hand makes the toxic pair.
    project.shoporg("sandbox", "grant", "tb-youpin", "yang-lei", "tb-youpin-shop",
                    "tb-ops", "tb-cs-aftersale")
    # One refresh-preview, both renderings.
    json_file, markdown_file = project.root / "drift.json", project.root / "drift.md"
    result = project.shoporg("drift", "--json", str(json_file), "--markdown", str(markdown_file),
                             check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    report = json.loads(json_file.read_text(encoding="utf-8"))
    drifted = {d["name"]: d for d in report["drifted"]}
    assert drifted["tb-youpin/zhang-wei"]["fields"] == [
        {"property": "enabled", "declared": True, "live": False}
    ]
    # In the review's words, the hand-granted toxic pair first.
    assert drifted["tb-youpin/zhang-wei"]["text"] == "张伟 is disabled on tb-youpin (disabled)"
    first = report["drifted"][0]
    assert first["name"] == "tb-youpin/yang-lei@tb-youpin-shop"
    assert first["text"].startswith("杨磊 gains ") and first["risks"] == [
        "toxic_pair", "high_risk_permission"]
    assert [r["code"] for r in report["risks"]] == ["toxic_pair", "high_risk_permission"]
    assert [u["name"] for u in report["unmanaged"]] == ["tb-youpin/ghost"]
    markdown = markdown_file.read_text(encoding="utf-8")
    assert "tb-youpin/zhang-wei" in markdown and "优品数码专营:临时工" in markdown
    assert "张伟 is disabled on tb-youpin" in markdown
    assert markdown.index("Toxic permission pair") < markdown.index("Changed by hand")


def test_after_up_and_removing_the_unmanaged_account_there_is_no_drift(project: Any) -> None:
    project.up("--refresh")
    project.shoporg("sandbox", "sub", "delete", "tb-youpin", "ghost")
    result = project.shoporg("drift", check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_engine_review_says_who_gains_what_where(project: Any) -> None:
    def change(org: dict[str, Any]) -> None:
        zhang = next(m for m in org["members"] if m["id"] == "zhang-wei")
        zhang["sub_accounts"][0]["roles"] = ["tb-cs-presale", "tb-cs-aftersale"]

    original = project.org_file.read_text()
    project.edit(change)
    result = project.shoporg("review")
    project.org_file.write_text(original)
    # 查看退款 + 同意退款 are the whole 退款管理 subtree, so the sentence names the area.
    assert "张伟 gains 退款管理 on tb-youpin-shop (roles: 售后客服、售前客服)" in result.stdout
    assert "High-risk permission gained" in result.stdout


def test_removing_40_percent_of_members_is_refused_with_the_counts(project: Any) -> None:
    audit_before = len(project.backend_audit())
    project.edit(lambda org: drop_first_members(org, 0.4))
    result = project.shoporg("up", check=False)
    assert result.returncode == UP_REFUSED, result.stdout + result.stderr
    # The guard counts people (sub-accounts and grants they hold), not managed objects.
    assert "refusing to apply: the plan takes access from 6 of 16 people" in result.stderr
    assert "removes 28 of 109 managed objects" in result.stderr
    assert "account tb-youpin (优品数码专营): 4 of 9 people lose access (44%" in result.stderr
    assert len(project.backend_audit()) == audit_before  # nothing was changed
    assert journal.read(project.root) == []


def test_allowing_the_removals_applies_the_plan_and_journals_the_reason(project: Any) -> None:
    result = project.shoporg("up", "--allow-removals", "季节性缩编 seasonal downsizing",
                             check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    [entry] = journal.read(project.root)
    assert entry["reason"] == "季节性缩编 seasonal downsizing"
    assert entry["result"] == "applied" and entry["summary"]["delete"] == 28
    assert len(entry["plan_sha256"]) == 64 and entry["who"]
    assert "initial_password" not in json.dumps(entry)
    assert project.preview("--expect-no-changes", check=False).returncode == 0
    live = {s.member_id for s in project.backend().list_sub_accounts("tb-youpin")}
    assert "zhang-wei" not in live


def test_a_second_guarded_up_with_nothing_to_do_changes_and_journals_nothing(
    project: Any,
) -> None:
    result = project.shoporg("up", check=False)
    assert result.returncode == 0 and "No changes." in result.stdout
    assert len(journal.read(project.root)) == 1


def test_an_org_yaml_edited_between_the_preview_and_the_apply_is_refused_by_the_plan(
    project: Any, tmp_path: Any,
) -> None:
    """`shoporg up` applies its saved plan without a second preview (APPLY_PLAN): what keeps
    the apply to what was reviewed is the engine's plan check, so a change made after the
    preview (org.yaml edited by a colleague, say) must fail the apply and change nothing."""
    plan = tmp_path / "plan.json"
    project.pulumi.run("preview", "--json", "--save-plan", str(plan))
    audit_before = len(project.backend_audit())

    def another_role(org: dict[str, Any]) -> None:
        sub = next(s for m in reversed(org["members"]) for s in m["sub_accounts"]
                   if s["account"] == "tb-youpin")
        sub["roles"] = [next(r["id"] for r in org["roles"]
                             if r["platform"] == "taobao" and r["id"] not in sub["roles"])]

    project.edit(another_role)
    result = project.pulumi.run(*APPLY_PLAN, str(plan), check=False)
    assert result.returncode != 0
    assert "violates plan" in result.stdout + result.stderr
    assert len(project.backend_audit()) == audit_before
