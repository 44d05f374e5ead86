"""The taobao backend end to end: a stack whose backend is ``taobao``, pointed at
``shoporg sandbox serve`` (TOP's protocol over HTTP on loopback), on the real engine.

The week of an ops team on Taobao, in file order on one project: ``up`` creates roles through
``taobao.sellercenter.role.add`` and leaves everything TOP cannot do pending with a runbook;
a person completes some steps by hand in the seller centre (``shoporg sandbox ...``); a
refresh marks exactly those active; a leaver is disabled through
``taobao.subuser.info.update``; the TOP secret and session never reach the state.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engine.conftest import (
    TOP_APP_SECRET,
    TOP_SESSION,
    StackProject,
    top_endpoint,
    worklist_steps,
)

# What its engines run is covered by the other engine modules and the unit tier (measured:
# docs/testing.md), so coverage does not trace its child processes (tests/conftest.py).
pytestmark = pytest.mark.children_untraced

APP_SECRET, SESSION = TOP_APP_SECRET, TOP_SESSION


@pytest.fixture(scope="module")
def project(engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProject]:
    project = StackProject(tmp_path_factory.mktemp("taobao"))
    with top_endpoint(project):
        yield project


def pending(project: StackProject) -> set[str]:
    return {name for name, outs in project.outputs().items() if outs.get("status") == "pending"}


def test_up_creates_roles_through_top_and_leaves_the_rest_pending_with_runbooks(
    project: StackProject,
) -> None:
    project.up()
    backend = project.backend()
    created = {r.name for r in backend.list_roles("tb-youpin")}
    assert {"售前客服", "售后客服", "客服主管", "运营", "美工", "仓储发货", "财务"} == created
    assert all(e.actor == "top-api" for e in project.backend_audit() if e.kind == "role")
    assert backend.list_sub_accounts("tb-youpin") == []  # TOP cannot create sub-accounts

    outs = project.outputs()
    step = outs["tb-youpin/zhang-wei"]
    assert step["status"] == "pending"
    assert step["manual_step"]["platform"] == "taobao"
    assert step["manual_step"]["operation"] == "create"
    assert step["manual_step"]["person"] == "张伟 (zhang-wei)"
    assert step["manual_step"]["fields"]["login (子账号名)"] == "优品数码专营:张伟"
    assert "子账号管理" in step["runbook"] and "优品数码专营:张伟" in step["runbook"]
    cases = [
        # (resource, platform, kind of step)
        ("tb-youpin/cs-presale", "taobao", "department"),
        ("tb-youpin/zhang-wei@tb-youpin-shop", "taobao", "role_grant"),
        ("tm-youpin/zhang-wei", "tmall", "sub_account"),
        ("sp-youpin/zhu-yan", "shopee", "sub_account"),
        ("sp-youpin/sp-cs", "shopee", "role"),
        ("sp-my/Pre-sales 售前", "shopee", "chat_group"),
        ("oz-youpin/huang-li", "ozon", "sub_account"),
        ("dy-youpin-shop/official/youpin_digital", "douyin", "shop_binding"),
    ]
    for name, platform, kind in cases:
        assert outs[name]["status"] == "pending", name
        assert outs[name]["manual_step"]["platform"] == platform, name
        assert outs[name]["manual_step"]["kind"] == kind, name
        assert outs[name]["runbook"], name
    assert "tb-youpin/tb-cs-presale" not in pending(project)


def test_a_refresh_keeps_steps_nobody_has_done_pending(project: StackProject) -> None:
    before = pending(project)
    project.pulumi.run("refresh", "--yes", "--skip-preview")
    assert pending(project) == before


def hand(project: StackProject, *args: str) -> None:
    project.shoporg("sandbox", *args)


def test_steps_completed_by_hand_become_active_on_refresh_and_only_those(
    project: StackProject,
) -> None:
    for dept, name, parent in [
        ("cs", "客服部", None), ("cs-presale", "售前", "cs"), ("cs-aftersale", "售后", "cs"),
        ("ops", "运营部", None), ("design", "美工部", None), ("finance", "财务部", None),
        ("warehouse", "仓储部", None),
    ]:
        hand(project, "dept", "add", "tb-youpin", dept, name, *(["--parent", parent] if parent
                                                                else []))
    hand(project, "sub", "create", "tb-youpin", "zhang-wei", "优品数码专营:张伟", "--name", "张伟",
         "--department", "cs-presale", "--phone", "13800010001", "--dispatch")
    hand(project, "sub", "create", "tb-youpin", "hu-jun", "优品数码专营:胡军", "--name", "胡军",
         "--department", "cs-aftersale")
    role = project.backend().get_role_by_name("tb-youpin", "售前客服")
    assert role is not None
    hand(project, "grant", "tb-youpin", "zhang-wei", "tb-youpin-shop", role.id)

    project.pulumi.run("refresh", "--yes", "--skip-preview")
    outs = project.outputs()
    done = ["tb-youpin/cs", "tb-youpin/cs-presale", "tb-youpin/warehouse",
            "tb-youpin/zhang-wei", "tb-youpin/zhang-wei@tb-youpin-shop"]
    for name in done:
        assert outs[name]["status"] == "active", name
        assert outs[name].get("runbook") is None, name
        assert outs[name].get("manual_step") is None, name
    for name in ["tm-youpin/zhang-wei", "tb-youpin/li-na", "tb-youpin/li-na@tb-youpin-shop",
                 "sp-youpin/zhu-yan"]:
        assert outs[name]["status"] == "pending", name
    # A leaver's login nobody was asked to make (no step: it was never there) was made by
    # hand, active: the refresh shows it as it is, and the next up disables it (below).
    assert outs["tb-youpin/hu-jun"]["status"] == "active"


def test_a_leaver_created_by_hand_is_disabled_through_the_api(project: StackProject) -> None:
    project.up()
    live = project.backend().get_sub_account("tb-youpin", "hu-jun")
    assert live is not None and live.status == "disabled"
    disabled = [e for e in project.backend_audit()
                if e.name == "tb-youpin/hu-jun" and e.operation == "set_sub_account_status"]
    assert [e.actor for e in disabled] == ["top-api"]
    assert project.outputs()["tb-youpin/hu-jun"]["status"] == "disabled"
    # The preview now plans exactly the manual steps still open (each `up` looks again),
    # and nothing else: every step TOP can do is done.
    planned = project.plan()
    assert {op for op, _ in planned} == {"update"}
    assert {name for _, name in planned} == pending(project)


def test_the_top_secret_and_session_never_reach_state_or_logs(project: StackProject) -> None:
    exported = project.pulumi.run("stack", "export").stdout
    assert APP_SECRET not in exported and SESSION not in exported
    for path in Path(project.root).rglob("*"):
        if path.is_file() and path.stat().st_size < 50_000_000:
            data = path.read_bytes()
            assert APP_SECRET.encode() not in data, path
            assert SESSION.encode() not in data, path


def open_steps(project: StackProject) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in worklist_steps(project)}


def test_a_confirmation_top_cannot_read_back_stays_open_and_a_ledger_one_turns_active(
    project: StackProject,
) -> None:
    steps = open_steps(project)
    top, ledger = steps["tb-youpin/li-na"], steps["sp-youpin/zhu-yan"]
    assert (top["platform"], ledger["platform"]) == ("taobao", "shopee")
    project.shoporg("tasks", "done", str(top["id"]), str(ledger["id"]), "--by", "小王")
    project.up()
    outs = project.outputs()
    assert outs["sp-youpin/zhu-yan"]["status"] == "active"  # the ledger is the record
    assert outs["tb-youpin/li-na"]["status"] == "pending"  # TOP shows no such sub-account
    after = open_steps(project)
    assert "sp-youpin/zhu-yan" not in after
    assert after["tb-youpin/li-na"]["id"] == top["id"]
    assert "not visible yet" in after["tb-youpin/li-na"]["note"]


def test_confirming_half_the_ledger_steps_makes_exactly_those_active_and_plans_the_rest(
    project: StackProject,
) -> None:
    ledger_steps = [s for s in open_steps(project).values()
                    if s["platform"] in ("shopee", "ozon", "douyin")]
    done = ledger_steps[: len(ledger_steps) // 2]
    assert done
    project.shoporg("tasks", "done", *(str(s["id"]) for s in done), "--by", "运营 小王")
    project.up()
    outs = project.outputs()
    assert all(outs[s["name"]]["status"] in ("active", "disabled") for s in done)
    still = pending(project)
    assert not still & {s["name"] for s in done}
    assert {s["name"] for s in ledger_steps[len(ledger_steps) // 2:]} <= still
    assert set(open_steps(project)) == still  # the worklist is exactly what is pending
    planned = project.plan()
    assert {op for op, _ in planned} == {"update"}
    assert {name for _, name in planned} == still
