"""The review model beyond the goldens: the desired world matches the engine, renames,
escaping, risk rules one by one, and the CLI's config-only forms."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from shoporg.cli.main import main
from shoporg.kinds import desired_world, ref_of_urn
from shoporg.reports.build import plan_from_orgs, review_from_orgs
from shoporg.reports.render import render_markdown
from shoporg.reports.sources import org_from_file, org_from_text, read_preview
from shoporg.reports.world import clean_inputs, objects, plan_from_preview

from .conftest import ORGS, PREVIEWS, TODAY
from .html_text import parse, to_html

BASE = (ORGS / "base.yaml").read_text(encoding="utf-8")


def test_the_desired_world_is_what_the_engine_registers() -> None:
    preview = read_preview(PREVIEWS / "initial.json")
    engine = {
        ref_of_urn(s["urn"]): clean_inputs(s["newState"]["inputs"])
        for s in preview["steps"] if s["op"] == "create" and "dynamic/shoporg" in s["urn"]
    }
    desired = desired_world(org_from_file(ORGS / "base.yaml"), TODAY)
    assert set(desired) == set(engine)
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # outputs of objects not yet created
    for ref, obj in desired.items():
        known = {k: v for k, v in engine[ref].items() if v != unknown}
        assert {k: obj.inputs.get(k) for k in known} == known, ref


def test_an_empty_preview_against_the_same_org_is_an_empty_plan() -> None:
    org = org_from_file(ORGS / "base.yaml")
    desired = objects(desired_world(org, TODAY))
    plan = plan_from_preview(read_preview(PREVIEWS / "empty.json"), desired)
    assert plan.empty and plan.old == plan.new


def test_a_member_renamed_with_previously_is_updated_in_place_not_replaced() -> None:
    new = org_from_text(
        BASE.replace("- id: zhang-wei", "- id: zhang-wei2\n    previously: [zhang-wei]"), "new"
    )
    plan = plan_from_orgs(org_from_text(BASE, "old"), new, TODAY)
    ops = {(s.op, s.name) for s in plan.steps}
    assert ("update", "tb-youpin/zhang-wei2") in ops
    assert not any(op in ("create", "delete", "replace") for op, _ in ops)


def test_names_from_a_fork_cannot_inject_html_into_the_comment() -> None:
    new = org_from_text(BASE.replace("name: 张伟", 'name: "<img src=x onerror=alert(1)>"'), "n")
    review = review_from_orgs(org_from_text(BASE, "o"), new, today=TODAY,
                              source={"kind": "config", "old": "a", "new": "b"})
    page = parse(to_html(render_markdown(review)))  # as GitHub renders the comment
    assert "img" not in {e.tag for e in page.elements}
    assert "<img src=x onerror=alert(1)>" in "".join(page.text)


def test_a_toxic_pair_in_the_proposed_org_is_a_risk_flag_not_a_crash() -> None:
    toxic = BASE.replace("roles: [tb-ops]}", "roles: [tb-ops, tb-cs-aftersale]}", 1)
    review = review_from_orgs(org_from_text(BASE, "o"), org_from_text(toxic, "n"), today=TODAY,
                              source={"kind": "config", "old": "a", "new": "b"})
    assert [r.code for r in review.risks if r.code == "toxic_pair"] == ["toxic_pair"]
    assert "杨磊 would hold both 修改价格 (item-price) and 同意退款" in review.risks[0].text


@pytest.mark.parametrize(
    ("case", "expires", "flagged"),
    [
        ("a grant expiring in 14 days is flagged", "2026-12-07", True),
        ("a grant expiring in 15 days is not", "2026-12-08", False),
        ("a grant expiring today is flagged", "2026-11-23", True),
    ],
)
def test_expiring_grants(case: str, expires: str, flagged: bool) -> None:
    new = org_from_text(BASE.replace(
        "{account: tb-youpin, login_name: 杨磊, roles: [tb-ops]}",
        f"{{account: tb-youpin, login_name: 杨磊, roles: [tb-ops, tb-design], "
        f"expires: {expires}}}"), "n")
    review = review_from_orgs(org_from_text(BASE, "o"), new, today=TODAY,
                              source={"kind": "config", "old": "a", "new": "b"})
    assert any(r.code == "expiring_grant" for r in review.risks) is flagged, case


def test_review_with_old_and_new_writes_both_reports(tmp_path: Path) -> None:
    md, js = tmp_path / "review.md", tmp_path / "review.json"
    code = main(["review", "--old", str(ORGS / "base.yaml"), "--new",
                 str(ORGS / "onboarding.yaml"), "--markdown", str(md), "--json", str(js),
                 "--today", TODAY.isoformat()])
    assert code == 0
    assert "钱宇 gets sub-account `优品数码专营:钱宇` on tb-youpin" in md.read_text()
    assert json.loads(js.read_text())["totals"]["create"] == 4


def test_review_base_reads_org_yaml_at_a_git_revision(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "org.yaml").write_text(BASE, encoding="utf-8")
    git("add", "org.yaml")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "base")
    (tmp_path / "org.yaml").write_text(
        (ORGS / "onboarding.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    import os

    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        code = main(["review", "--base", "HEAD", "--org", "org.yaml", "--format", "json",
                     "--today", TODAY.isoformat()])
    finally:
        os.chdir(cwd)
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["source"] == {"kind": "config", "old": "HEAD:org.yaml", "new": "org.yaml"}
    assert {p["member"] for p in data["people"]} >= {"qian-yu", "wang-fang", "zhou-jie"}


def test_review_of_an_unknown_revision_fails_with_the_git_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["review", "--base", "no-such-ref-xyz", "--org", str(ORGS / "base.yaml")])
    assert code == 1
    assert "no-such-ref-xyz" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kind", "name", "inputs", "text"),
    [
        ("department", "tb-youpin/cs", {"account_id": "tb-youpin", "department_id": "cs"},
         "department tb-youpin/cs is still pending on tb-youpin"),
        ("role_grant", "tb-youpin/zhang-wei@tb-youpin-shop",
         {"account_id": "tb-youpin", "member_id": "zhang-wei"},
         "role grant tb-youpin/zhang-wei@tb-youpin-shop is still pending on tb-youpin"),
        ("sub_account", "tb-youpin/zhang-wei",
         {"account_id": "tb-youpin", "member_id": "zhang-wei"},
         "张伟 is still pending on tb-youpin"),
    ],
    ids=["a pending department", "a pending role grant", "a pending sub-account"],
)
def test_any_object_a_manual_step_left_pending_is_flagged_with_its_runbook(
    kind: str, name: str, inputs: dict[str, str], text: str
) -> None:
    from shoporg.reports.context import Context
    from shoporg.reports.risks import find_risks
    from shoporg.reports.world import Obj, Plan, Step

    old = Obj(kind, name, inputs, {"status": "pending", "runbook": "do it in 千牛"})
    new = Obj(kind, name, {**inputs, "name": "changed"})
    plan = Plan({old.ref: old}, {new.ref: new}, (Step("update", kind, name, old, new),))
    ctx = Context(new_org=org_from_text(BASE, "o"), old_org=None, plan=plan, today=TODAY)
    [risk] = [r for r in find_risks(ctx, []) if r.code == "manual_step"]
    assert (risk.text, risk.runbook) == (text, "do it in 千牛")
