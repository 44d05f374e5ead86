"""Engine-free ``shoporg drift`` finds exactly what the engine's refresh preview finds.

``shoporg drift`` reads the stack's state back through the providers in its own process
(:mod:`shoporg.reports.refresh`); ``shoporg drift --engine`` runs ``pulumi preview
--refresh``. On the same hand-changed stack both must give the same report, byte for byte:
findings, sentences, risk flags, open steps and exit code. Each case changes a copy of the
applied repo org the way its name says, then runs both (the engine-free one first: its
read-backs close what they see, and the engine's then finds the same).

The ledger and TOP connectors, with open and renamed steps, leavers and hand changes on TOP,
are compared on every nightly drift of the lifecycle model (``test_lifecycle_model.py``).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest

from shoporg.backends.protocol import RoleSpec
from tests.engine.conftest import StackProject

Change = Callable[[StackProject], None]


def hand(*commands: tuple[str, ...]) -> Change:
    """Hand changes in the seller centre (``shoporg sandbox ...``)."""
    def change(project: StackProject) -> None:
        for command in commands:
            project.shoporg("sandbox", *command)
    return change


def edit_role(project: StackProject, account: str, spec: RoleSpec) -> None:
    """A role's permissions edited in the seller centre (no ``shoporg sandbox`` verb)."""
    project.backend().update_role(account, spec)


def edit(change: Callable[[dict[str, Any]], None]) -> Change:
    """An org.yaml edit nobody applied yet."""
    return lambda project: project.edit(change)


def both(*changes: Change) -> Change:
    def change(project: StackProject) -> None:
        for one in changes:
            one(project)
    return change


def drop_member(member: str) -> Callable[[dict[str, Any]], None]:
    def change(org: dict[str, Any]) -> None:
        org["members"] = [m for m in org["members"] if m["id"] != member]
        for group in org.get("chat_groups") or []:
            group["members"] = [m for m in group["members"] if m != member]
    return change


def rename_member(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    def change(org: dict[str, Any]) -> None:
        person = next(m for m in org["members"] if m["id"] == old)
        person["id"], person["previously"] = new, [old, *person.get("previously", [])]
        for group in org.get("chat_groups") or []:
            group["members"] = [new if m == old else m for m in group["members"]]
    return change


def join(org: dict[str, Any]) -> None:
    org["members"].append({
        "id": "qian-lu", "name": "钱璐", "department": "ops", "email": "qian.lu@youpin-ec.com",
        "sub_accounts": [{"account": "tb-youpin", "login_name": "钱璐", "roles": ["tb-ops"]}],
    })


CASES: dict[str, Change] = {
    "nothing changed": lambda project: None,
    "a sub-account disabled, a toxic grant and an undeclared login, by hand": hand(
        ("sub", "disable", "tb-youpin", "zhang-wei"),
        ("grant", "tb-youpin", "yang-lei", "tb-youpin-shop", "tb-ops", "tb-cs-aftersale"),
        ("sub", "create", "tb-youpin", "ghost", "优品数码专营:临时工", "--name", "临时工"),
    ),
    "a sub-account deleted and another moved and renamed by hand": hand(
        ("sub", "delete", "tm-youpin", "yang-lei"),
        ("sub", "set", "tb-youpin", "zhou-jie", "--name", "周杰杰", "--department", "cs"),
    ),
    "a role's permissions edited and a department removed by hand": both(
        lambda project: edit_role(project, "tb-youpin", RoleSpec(
            "tb-cs-presale", "售前客服", ("ww-chat", "trade-view", "refund-approve"))),
        hand(("dept", "rm", "tm-youpin", "finance")),
    ),
    "a grant revoked, a Douyin account unbound, an undeclared role and department": hand(
        ("revoke", "tb-youpin", "yang-lei", "tb-youpin-shop", "tb-ops"),
        ("unbind", "dy-youpin", "dy-youpin-shop", "xiaoyu_shuma"),
        ("role", "add", "tm-youpin", "tm-extra", "临时", "ww-chat"),
        ("dept", "add", "tb-youpin", "temp", "临时部"),
    ),
    "org.yaml drops a member and adds another, not applied yet": both(
        edit(drop_member("sun-hao")), edit(join)),
    "org.yaml renames a member with previously, not applied yet, beside a hand change": both(
        edit(rename_member("yang-lei", "yang-lei2")),
        hand(("sub", "disable", "tm-youpin", "yang-lei"))),
    "a leaver re-enabled by hand": hand(("sub", "enable", "tb-youpin", "hu-jun")),
}


def drift(project: StackProject, *args: str) -> tuple[int, dict[str, Any]]:
    result = project.shoporg("drift", "--format", "json", *args, check=False)
    assert result.returncode in (0, 2, 3), result.stdout + result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return result.returncode, report


@pytest.mark.parametrize("change", CASES.values(), ids=list(CASES))
def test_engine_free_drift_reports_what_the_engine_s_refresh_preview_reports(
    applied_copy: StackProject, change: Change,
) -> None:
    change(applied_copy)
    assert drift(applied_copy) == drift(applied_copy, "--engine")


@pytest.fixture(scope="module")
def ledger_stack(engine: None, tmp_path_factory: pytest.TempPathFactory) -> StackProject:
    """The repo org with Shopee, Ozon and Douyin on the ledger: every object there is a
    manual step, half of them confirmed done."""
    project = StackProject(tmp_path_factory.mktemp("ledger-drift"))
    project.pulumi.run("config", "set", "shoporg:connectors",
                       "{shopee: ledger, ozon: ledger, douyin: ledger}")
    project.shoporg("up")
    work = json.loads(project.shoporg("tasks", "--format", "json").stdout)
    steps = [s["id"] for p in work["platforms"] for a in p["accounts"] for g in a["pages"]
             for person in g["people"] for s in person["steps"]]
    project.shoporg("tasks", "done", *map(str, steps[::2]), "--by", "ops-lead")
    return project


@pytest.mark.parametrize("days", [0, 120], ids=["today", "120 days on: unverified objects"])
def test_on_the_ledger_open_steps_and_unverified_objects_are_reported_alike(
    ledger_stack: StackProject, days: int,
) -> None:
    as_of = (datetime.date.today() + datetime.timedelta(days=days)).isoformat()
    assert drift(ledger_stack, "--as-of", as_of) == drift(ledger_stack, "--as-of", as_of,
                                                           "--engine")


def test_a_role_made_by_hand_and_granted_reads_as_the_permission_it_gives(
    applied_copy: StackProject,
) -> None:
    """The classic fraud path: a role holding 同意退款 made in the seller centre and granted
    to oneself. Drift reads the grant with that role's live permissions: a gain, flagged,
    first — and the role itself is listed as not in org.yaml."""
    applied_copy.backend().create_role(
        "tb-youpin", RoleSpec("refund-x", "退款专员", ("refund-approve",)))
    hand(("grant", "tb-youpin", "zhang-wei", "tb-youpin-shop", "tb-cs-presale",
          "refund-x"))(applied_copy)
    code, report = drift(applied_copy)
    assert (code, report) == drift(applied_copy, "--engine")
    first = report["drifted"][0]
    assert first["name"] == "tb-youpin/zhang-wei@tb-youpin-shop"
    assert first["text"].startswith("张伟 gains 同意退款"), first["text"]
    assert "high_risk_permission" in first["risks"]
    assert [u["name"] for u in report["unmanaged"]] == ["tb-youpin/refund-x"]
