"""A company on every platform, as it runs against the real ones: one stack, Taobao and
Tmall on TOP (``shoporg sandbox serve``, TOP's protocol on loopback), Shopee, Ozon, Douyin
and Kuaishou on the ledger (Kuaishou's own connector: ``test_kuaishou.py``) — on the real
engine, in file order on one project.

A person joins on every platform: one worklist holds every step, per platform. Once
the steps are done (by hand in the seller centre where TOP reads them back, confirmed with
``shoporg tasks done`` where nothing can) she is active everywhere. Then she leaves: TOP
disables her Taobao and Tmall sub-accounts itself, and the worklist holds exactly the
disables nobody else can do. A newcomer's onboarding is one worklist too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from shoporg.backends.ledger import Ledger
from shoporg.backends.settings import DEFAULT_LEDGER_PATH
from tests.engine.conftest import StackProject, top_endpoint, worklist_steps

pytestmark = pytest.mark.children_untraced  # a scenario (tests/conftest.py)

TOP_PLATFORMS = ("taobao", "tmall")
LEDGER_PLATFORMS = ("shopee", "ozon", "douyin", "kuaishou")
ROLES = {"tb-youpin": "tb-ops", "tm-youpin": "tm-ops", "sp-youpin": "sp-ops",
         "oz-youpin": "oz-manager", "dy-youpin": "dy-ops", "ks-youpin": "ks-cs"}


def joiner(member_id: str, name: str, latin: str, phone: str) -> dict[str, Any]:
    """An ops person with a sub-account and a role on every account of the repo org."""
    logins = {"tb-youpin": name, "tm-youpin": name, "sp-youpin": latin.replace(".", ""),
              "oz-youpin": latin, "dy-youpin": f"优品-{name}", "ks-youpin": phone}
    return {
        "id": member_id, "name": name, "department": "ops",
        "email": f"{latin}@youpin-ec.com", "phone": phone,
        "sub_accounts": [{"account": a, "login_name": logins[a], "roles": [r]}
                         for a, r in ROLES.items()],
    }


QIAN_LU = joiner("qian-lu", "钱璐", "qian.lu", "13800010099")
ZHOU_QI = joiner("zhou-qi", "周琪", "zhou.qi", "13800010098")


@pytest.fixture(scope="module")
def project(engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProject]:
    project = StackProject(tmp_path_factory.mktemp("five-platforms"))
    with top_endpoint(project):
        yield project


def steps_for(project: StackProject, member_id: str) -> list[dict[str, Any]]:
    return [s for s in worklist_steps(project) if s["person"]
            and s["person"].endswith(f"({member_id})")]


def join(project: StackProject, person: dict[str, Any]) -> None:
    project.edit(lambda org: org["members"].append(person))
    project.shoporg("up")  # the guarded apply, as an operator runs it


def test_a_joiner_on_every_platform_is_one_worklist_with_every_step_per_platform(
    project: StackProject,
) -> None:
    project.up()  # the company as it is today
    join(project, QIAN_LU)
    steps = steps_for(project, "qian-lu")
    by_platform = {p: {(s["kind"], s["operation"]) for s in steps if s["platform"] == p}
                   for p in (*TOP_PLATFORMS, *LEDGER_PLATFORMS)}
    # A sub-account and its role on every platform; nothing TOP could do itself.
    assert by_platform == {p: {("sub_account", "create"), ("role_grant", "create")}
                           for p in by_platform}
    assert all(s["runbook"] and s["page"] for s in steps)
    # One worklist: every platform's section names her.
    work = json.loads(project.shoporg("tasks", "--format", "json").stdout)
    markdown = project.shoporg("tasks").stdout
    sections = markdown.split("\n### ")[1:]
    assert len(sections) == len(work["platforms"]) == len(LEDGER_PLATFORMS) + len(TOP_PLATFORMS)
    assert all("钱璐" in section for section in sections)


def hand(project: StackProject, *args: str) -> None:
    project.shoporg("sandbox", *args)


def test_once_her_steps_are_done_and_confirmed_she_is_active_everywhere(
    project: StackProject,
) -> None:
    # Taobao/Tmall: a person does it in 千牛 (here: the sandbox's seller centre); TOP reads
    # it back. Her department must be there first (TOP has no department API either).
    backend = project.backend()
    try:
        for account in ("tb-youpin", "tm-youpin"):
            if backend.get_department(account, "ops") is None:
                hand(project, "dept", "add", account, "ops", "运营部")
            nick = next(a["nick"] for a in project.org()["accounts"] if a["id"] == account)
            hand(project, "sub", "create", account, "qian-lu", f"{nick}:钱璐", "--name", "钱璐",
                 "--department", "ops", "--phone", "13800010099",
                 "--email", "qian.lu@youpin-ec.com")
            role_name = next(r["name"] for r in project.org()["roles"]
                             if r["id"] == ROLES[account])
            role = backend.get_role_by_name(account, role_name)
            assert role is not None, role_name
            hand(project, "grant", account, "qian-lu", f"{account}-shop", role.id)
    finally:
        backend.close()
    # Shopee, Ozon, Douyin: nothing can read it back; the operator confirms.
    ledger_steps = [s for s in steps_for(project, "qian-lu")
                    if s["platform"] in LEDGER_PLATFORMS]
    project.shoporg("tasks", "done", *(str(s["id"]) for s in ledger_steps), "--by", "运营 小王")
    project.shoporg("up")
    assert steps_for(project, "qian-lu") == []  # the read-back closed the TOP ones itself
    outs = project.outputs()
    for account in ROLES:
        assert outs[f"{account}/qian-lu"]["status"] == "active", account
        assert outs[f"{account}/qian-lu@{shop_of(project, account)}"]["status"] == "active"


def shop_of(project: StackProject, account: str) -> str:
    shop: str = next(a["shops"][0]["id"] for a in project.org()["accounts"]
                     if a["id"] == account)
    return shop


def test_a_leaver_is_disabled_through_top_and_the_rest_is_one_worklist(
    project: StackProject,
) -> None:
    def leave(org: dict[str, Any]) -> None:
        next(m for m in org["members"] if m["id"] == "qian-lu")["status"] = "left"

    project.edit(leave)
    project.shoporg("up")
    backend = project.backend()
    try:
        for account in ("tb-youpin", "tm-youpin"):
            live = backend.get_sub_account(account, "qian-lu")
            assert live is not None and live.status == "disabled", account
    finally:
        backend.close()
    disabled = [e for e in project.backend_audit()
                if e.name.endswith("/qian-lu") and e.operation == "set_sub_account_status"]
    assert sorted(e.name for e in disabled) == ["tb-youpin/qian-lu", "tm-youpin/qian-lu"]
    assert {e.actor for e in disabled} == {"top-api"}
    # What no API can do, for her, is exactly one disable per ledger platform.
    steps = steps_for(project, "qian-lu")
    assert sorted((s["platform"], s["kind"], s["operation"]) for s in steps) == sorted(
        (p, "sub_account", "update") for p in LEDGER_PLATFORMS)
    assert all(s["desired"]["enabled"] is False for s in steps)
    outs = project.outputs()
    assert outs["tb-youpin/qian-lu"]["status"] == "disabled"
    assert outs["sp-youpin/qian-lu"]["status"] == "pending"


def test_a_newcomer_on_every_platform_is_one_worklist_too(project: StackProject) -> None:
    join(project, ZHOU_QI)
    steps = steps_for(project, "zhou-qi")
    assert {s["platform"] for s in steps} == {*TOP_PLATFORMS, *LEDGER_PLATFORMS}
    assert {(s["kind"], s["operation"]) for s in steps} == {
        ("sub_account", "create"), ("role_grant", "create")}
    shops = sum(len(a["shops"]) for a in project.org()["accounts"])  # a grant per shop
    assert len(steps) == len(ROLES) + shops
    # Her steps sit beside the leaver's, in the same list, grouped by platform.
    assert {s["platform"] for s in steps_for(project, "qian-lu")} == set(LEDGER_PLATFORMS)


def test_a_newcomer_who_leaves_before_anyone_acted_needs_no_step_at_all(
    project: StackProject,
) -> None:
    # Nobody made her logins; now she is gone. Making them only to disable them would hand
    # a login with her roles to someone who left: her steps are withdrawn, saying why.
    raised = {s["id"] for s in steps_for(project, "zhou-qi")}
    assert raised

    def leave(org: dict[str, Any]) -> None:
        next(m for m in org["members"] if m["id"] == "zhou-qi")["status"] = "left"

    project.edit(leave)
    project.shoporg("up")
    assert steps_for(project, "zhou-qi") == []
    ledger = Ledger(project.root / DEFAULT_LEDGER_PATH, stack="test")
    withdrawn = [s for s in ledger.steps() if s.id in raised]
    assert {s.state for s in withdrawn} == {"skipped"}
    assert all((s.state_note or "").startswith("withdrawn: ") for s in withdrawn)
    outs = project.outputs()
    for account in ROLES:
        assert outs[f"{account}/zhou-qi"]["status"] == "absent", account
        assert outs[f"{account}/zhou-qi"].get("manual_step") is None, account
    # The worklist of the one who has accounts is unchanged: one disable per ledger platform.
    assert {s["platform"] for s in steps_for(project, "qian-lu")} == set(LEDGER_PLATFORMS)
    # And the next preview has nothing to do for her.
    preview = project.pulumi.run("preview", "--json")
    steps = json.loads(preview.stdout).get("steps", [])
    assert not [s for s in steps if "zhou-qi" in s.get("urn", "") and s.get("op") != "same"]


def test_removing_a_person_is_steps_that_close_when_done_and_never_a_failed_up(
    project: StackProject,
) -> None:
    # qian-lu left earlier: her logins exist everywhere (disabled on TOP, the ledger's
    # disables still open). Dropping her from org.yaml removes them — by hand everywhere.
    project.edit(lambda org: org["members"].remove(
        next(m for m in org["members"] if m["id"] == "qian-lu")))
    result = project.shoporg("up", "--allow-removals", "qian-lu left in March", check=False)
    assert result.returncode == 0, result.stderr[-2000:]  # was: "delete failed: manual step"
    steps = steps_for(project, "qian-lu")
    assert {(s["platform"], s["operation"]) for s in steps if s["kind"] == "sub_account"} == {
        (p, "delete") for p in (*TOP_PLATFORMS, *LEDGER_PLATFORMS)}
    assert all(s["operation"] == "delete" for s in steps)  # the disables are superseded
    # Drift names them as open work, not as logins made by hand.
    report = json.loads(project.shoporg("drift", "--format", "json", check=False).stdout)
    assert report["exit_code"] != 2, report
    assert not [u for u in report["unmanaged"] if "qian-lu" in u["name"]], report["unmanaged"]

    # Done in 千牛: the next up's read-back closes the Taobao/Tmall removals by itself.
    for account in ("tb-youpin", "tm-youpin"):
        hand(project, "sub", "delete", account, "qian-lu")
    project.shoporg("up")
    left = steps_for(project, "qian-lu")
    assert {s["platform"] for s in left} == set(LEDGER_PLATFORMS), left
