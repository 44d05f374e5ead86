"""The stack end to end on the real engine and the sandbox: the repo's org.yaml goes up,
then each kind of edit previews as exactly that change and applies (issue 5, points 1-8).

The tests run in file order on one project copy, like an ops team's week. ``project`` is
the :class:`StackProject` fixture from conftest.py.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

# A week of edits: the lines its engines run are covered by the other engine modules
# (measured: docs/testing.md), so coverage does not trace them here (tests/conftest.py).
pytestmark = pytest.mark.children_untraced

SUB = "SubAccount"


def declared_sub_accounts(org: dict[str, Any]) -> set[tuple[str, str]]:
    return {(s["account"], m["id"]) for m in org["members"] for s in m.get("sub_accounts", [])}


def live_sub_accounts(project: Any) -> dict[tuple[str, str], Any]:
    backend = project.backend()
    return {
        (s.account_id, s.member_id): s
        for a in backend.list_accounts()
        for s in backend.list_sub_accounts(a.id)
    }


def member(org: dict[str, Any], member_id: str) -> dict[str, Any]:
    return next(m for m in org["members"] if m["id"] == member_id)


def test_up_from_empty_creates_everything_org_yaml_declares(project: Any) -> None:
    result = project.up()
    assert "created" in result.stdout
    org = project.org()
    live = live_sub_accounts(project)
    assert set(live) == declared_sub_accounts(org)
    backend = project.backend()
    grants = {
        (g.member_id, g.shop_id) for a in backend.list_accounts() for g in backend.list_grants(a.id)
    }
    assert ("zhang-wei", "tb-youpin-shop") in grants and ("zhu-yan", "sp-sg") in grants
    bindings = {b.external_id for b in backend.list_bindings("dy-youpin")}
    assert bindings == {b["external_account"] for b in org["bindings"]}
    departments = {d.id for d in backend.list_departments("tb-youpin")}
    assert {
        "cs",
        "cs-presale",
        "cs-aftersale",
        "ops",
        "design",
        "finance",
        "warehouse",
    } <= departments


def test_members_who_left_are_disabled_not_deleted(project: Any) -> None:
    live = live_sub_accounts(project)
    assert live[("tb-youpin", "hu-jun")].status == "disabled"
    assert live[("sp-youpin", "guo-peng")].status == "disabled"
    assert live[("tb-youpin", "zhang-wei")].status == "active"


def test_a_second_preview_expects_no_changes(project: Any) -> None:
    result = project.preview("--expect-no-changes", check=False)
    assert result.returncode == 0, result.output


def test_adding_a_member_previews_and_applies_only_that_member(project: Any) -> None:
    def add(org: dict[str, Any]) -> None:
        org["members"].append(
            {
                "id": "qian-yu",
                "name": "钱宇",
                "department": "cs-presale",
                "phone": "13800010099",
                "sub_accounts": [
                    {"account": "tb-youpin", "login_name": "钱宇", "roles": ["tb-cs-presale"]}
                ],
            }
        )

    project.edit(add)
    assert project.plan() == Counter(
        {
            ("create", "tb-youpin/qian-yu"): 1,
            ("create", "tb-youpin/qian-yu@tb-youpin-shop"): 1,
        }
    )
    project.up()
    assert live_sub_accounts(project)[("tb-youpin", "qian-yu")].login == "优品数码专营:钱宇"


def test_changing_a_role_updates_it_in_place_in_each_account_of_its_platform(project: Any) -> None:
    def change(org: dict[str, Any]) -> None:
        role = next(r for r in org["roles"] if r["id"] == "tb-cs-presale")
        role["permissions"] = ["ww-chat", "trade-view", "refund-view"]

    project.edit(change)
    assert project.plan() == Counter({("update", "tb-youpin/tb-cs-presale"): 1})
    project.up()
    role = project.backend().get_role("tb-youpin", "tb-cs-presale")
    assert role is not None and "refund-view" in role.permissions


def test_moving_a_member_to_another_department_updates_their_sub_accounts(project: Any) -> None:
    project.edit(lambda org: member(org, "zhou-jie").update(department="ops"))
    assert project.plan() == Counter(
        {
            ("update", "tb-youpin/zhou-jie"): 1,
            ("update", "tm-youpin/zhou-jie"): 1,
        }
    )
    project.up()
    assert live_sub_accounts(project)[("tb-youpin", "zhou-jie")].department_id == "ops"


def test_renaming_a_taobao_login_is_a_replacement(project: Any) -> None:
    def rename(org: dict[str, Any]) -> None:
        entry = next(
            s for s in member(org, "xu-qiang")["sub_accounts"] if s["account"] == "tb-youpin"
        )
        entry["login_name"] = "徐强-仓储"

    project.edit(rename)
    # The platform drops a sub-account's grants with it, so the grant is replaced too.
    assert project.plan() == Counter(
        {
            ("replace", "tb-youpin/xu-qiang"): 1,
            ("replace", "tb-youpin/xu-qiang@tb-youpin-shop"): 1,
        }
    )
    project.up()
    assert live_sub_accounts(project)[("tb-youpin", "xu-qiang")].login == "优品数码专营:徐强-仓储"
    # The new login carries its grants: nothing drifted away with the old one.
    assert project.preview("--refresh", "--expect-no-changes", check=False).returncode == 0


def test_renaming_a_member_with_previously_moves_them_in_place(project: Any) -> None:
    def rename(org: dict[str, Any]) -> None:
        m = member(org, "zhao-min")
        m["id"] = "zhao-min2"
        m["previously"] = ["zhao-min"]
        for group in org.get("chat_groups", []):
            group["members"] = ["zhao-min2" if x == "zhao-min" else x for x in group["members"]]

    before = live_sub_accounts(project)[("sp-youpin", "zhao-min")]
    project.edit(rename)
    plan = project.plan()
    assert set(plan) <= {("update", n) for n in (
        "sp-youpin/zhao-min2", "dy-youpin/zhao-min2",
        "sp-youpin/zhao-min2@sp-my", "sp-youpin/zhao-min2@sp-sg",
        "dy-youpin/zhao-min2@dy-youpin-shop",
    )}, plan
    assert ("update", "sp-youpin/zhao-min2") in plan
    project.up()
    live = live_sub_accounts(project)
    assert ("sp-youpin", "zhao-min") not in live
    after = live[("sp-youpin", "zhao-min2")]
    assert (after.login, after.status) == (before.login, before.status)
    assert project.preview("--refresh", "--expect-no-changes", check=False).returncode == 0


def test_unbinding_a_recent_channel_account_fails_naming_the_first_allowed_day(
    project: Any,
) -> None:
    project.edit(
        lambda org: org["bindings"].append(
            {
                "shop": "dy-youpin-shop",
                "kind": "channel",
                "external_account": "youpin_new",
                "source": "douyin",
            }
        )
    )
    project.up()
    before = live_sub_accounts(project)
    project.edit(
        lambda org: org.update(
            bindings=[b for b in org["bindings"] if b["external_account"] != "youpin_new"]
        )
    )
    result = project.up(check=False)
    assert result.returncode != 0
    allowed = (project.seller_center().now() + timedelta(days=180)).date().isoformat()
    assert allowed in result.output, result.output
    assert "channel_unbind_too_early" in result.output or "180" in result.output
    assert live_sub_accounts(project) == before  # nothing else lost
    assert "youpin_new" in {b.external_id for b in project.backend().list_bindings("dy-youpin")}


def test_unbinding_a_channel_account_after_180_days_applies(project: Any) -> None:
    project.seller_center().advance_clock(timedelta(days=181))
    assert project.plan() == Counter({("delete", "dy-youpin-shop/channel/youpin_new"): 1})
    project.up()
    assert "youpin_new" not in {b.external_id for b in project.backend().list_bindings("dy-youpin")}


def test_a_hand_change_is_drift_that_refresh_shows_and_up_repairs(project: Any) -> None:
    project.shoporg("sandbox", "sub", "disable", "tb-youpin", "zhang-wei")
    result = project.preview("--refresh", "--expect-no-changes", "--diff", check=False)
    assert result.returncode != 0
    assert "enabled" in result.output and "tb-youpin/zhang-wei" in result.output
    project.up("--refresh")
    assert live_sub_accounts(project)[("tb-youpin", "zhang-wei")].status == "active"
    assert project.preview("--refresh", "--expect-no-changes", check=False).returncode == 0


def test_removing_the_official_douyin_binding_fails_at_preview(project: Any) -> None:
    original = project.org_file.read_text()
    project.edit(
        lambda org: org.update(bindings=[b for b in org["bindings"] if b["kind"] != "official"])
    )
    result = project.preview(check=False)
    project.org_file.write_text(original)
    assert result.returncode != 0
    assert "can never be unbound" in result.output and "youpin_digital" in result.output
    assert "org.yaml:" in result.output


def test_offboarding_disables_every_sub_account_of_the_leaver_in_one_up(project: Any) -> None:
    project.edit(lambda org: member(org, "xu-qiang").update(status="left"))
    plan = project.plan()
    assert plan == Counter(
        {
            ("update", "tb-youpin/xu-qiang"): 1,
            ("update", "tm-youpin/xu-qiang"): 1,
            ("update", "dy-youpin/xu-qiang"): 1,
        }
    )
    project.up()
    live = live_sub_accounts(project)
    assert {live[(a, "xu-qiang")].status for a in ("tb-youpin", "tm-youpin", "dy-youpin")} == {
        "disabled"
    }


def test_an_invalid_org_yaml_fails_preview_with_the_validator_lines_and_changes_nothing(
    project: Any,
) -> None:
    original = project.org_file.read_text()
    audit_before = len(project.backend_audit())
    project.org_file.write_text(original.replace("department: ops", "department: nowhere", 1))
    result = project.preview(check=False)
    up = project.up(check=False)
    project.org_file.write_text(original)
    assert result.returncode != 0 and up.returncode != 0
    assert "org.yaml:" in result.output and "nowhere" in result.output
    assert len(project.backend_audit()) == audit_before


def test_state_holds_no_plaintext_secret(project: Any) -> None:
    plain = project.pulumi.run("stack", "export").stdout
    revealed = json.loads(project.pulumi.run("stack", "export", "--show-secrets").stdout)
    # --show-secrets keeps the secret envelope and adds the JSON-encoded plaintext.
    outputs = [r["outputs"]["initial_password"] for r in revealed["deployment"]["resources"]
               if r.get("outputs", {}).get("initial_password")]
    unsealed = sum(not isinstance(output, dict) for output in outputs)
    assert unsealed == 0, f"{unsealed} of {len(outputs)} initial passwords are plain in state"
    passwords = [json.loads(output["plaintext"]) for output in outputs]
    assert len(passwords) >= 20
    for password in passwords:
        assert password not in plain


def test_destroy_leaves_only_protected_objects(project: Any) -> None:
    result = project.pulumi.run("destroy", "--yes", "--skip-preview", check=False)
    assert result.returncode != 0 and "protected" in result.output
    project.pulumi.run("destroy", "--yes", "--skip-preview", "--exclude-protected")
    backend = project.backend()
    assert live_sub_accounts(project) == {}
    assert [b.kind for b in backend.list_bindings("dy-youpin")] == ["official"]
