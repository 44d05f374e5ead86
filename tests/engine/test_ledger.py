"""One stack, several connectors: the sandbox for Taobao/Tmall, the ledger for Shopee, Ozon
and Douyin — the manual-step lifecycle on the real engine.

``up`` raises a step per ledger object and fails nothing; confirming half of them and
running ``up`` again makes exactly those active, and the preview then plans only the rest.
Each ``shoporg up`` says which: automated, waiting on manual steps, steps closed.
"""

from __future__ import annotations

import datetime
import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from shoporg.reports import journal
from tests.engine.conftest import StackProject, worklist_steps

LEDGER_PLATFORMS = ("shopee", "ozon", "douyin")


@pytest.fixture(scope="module")
def project(engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProject]:
    project = StackProject(tmp_path_factory.mktemp("ledger"))
    project.pulumi.run("config", "set", "shoporg:connectors",
                       "{shopee: ledger, ozon: ledger, douyin: ledger}")
    yield project


def outputs(project: StackProject) -> dict[tuple[str, str], dict[str, Any]]:
    state = json.loads(project.pulumi.run("stack", "export").stdout)
    return {
        (r["type"].rsplit(":", 1)[-1], r["urn"].split("::")[-1]): r.get("outputs", {})
        for r in state["deployment"]["resources"] if r["type"].startswith("pulumi-python:")
    }


def pending(project: StackProject) -> set[str]:
    return {name for (_, name), o in outputs(project).items() if o.get("status") == "pending"}


def open_steps(project: StackProject) -> list[dict[str, Any]]:
    return worklist_steps(project)


def ledger_accounts(project: StackProject) -> set[str]:
    return {a["id"] for a in project.org()["accounts"] if a["platform"] in LEDGER_PLATFORMS}


def applied_line(result: subprocess.CompletedProcess[str]) -> str:
    """The summary line of a ``shoporg up``."""
    return next(line for line in result.stdout.splitlines() if line.startswith("applied: "))


def test_up_raises_one_step_per_ledger_object_and_fails_nothing(project: StackProject) -> None:
    first = project.shoporg("up")  # the guarded apply, from empty
    steps = open_steps(project)
    # Its summary tells the sandbox's creates from the objects left to a person.
    created = journal.read(project.root)[-1]["applied"]["create"]
    assert applied_line(first) == (
        f"applied: {created - len(steps)} automated ({created - len(steps)} created) · "
        f"{len(steps)} waiting on manual steps ({len(steps)} new; `shoporg tasks`)")
    assert steps and {s["account"] for s in steps} == ledger_accounts(project)
    assert {s["name"] for s in steps} == pending(project)
    assert all(s["runbook"] and s["page"] for s in steps)
    # Recorded as this stack's: another stack sharing the ledger file does not list them.
    assert {s["stack"] for s in steps} == {"test"}
    # Nothing on the ledger platforms was created behind anyone's back in the sandbox.
    sandbox = project.backend()
    try:
        for account in ledger_accounts(project):
            assert sandbox.list_sub_accounts(account) == []
    finally:
        sandbox.close()


def test_a_second_up_raises_nothing_twice(project: StackProject) -> None:
    before = {s["id"] for s in open_steps(project)}
    project.shoporg("up")  # the guarded apply: its journal line counts the steps
    assert {s["id"] for s in open_steps(project)} == before
    assert journal.read(project.root)[-1]["manual_steps"] == {
        "raised": [], "reopened": [], "confirmed": [], "open": len(before)}


def test_confirming_half_makes_exactly_those_active_and_the_preview_plans_the_rest(
    project: StackProject,
) -> None:
    steps = open_steps(project)
    done = steps[: len(steps) // 2]
    project.shoporg("tasks", "done", *(str(s["id"]) for s in done), "--by", "运营 小王",
                    "--note", "done in the seller centre")
    second = project.shoporg("up")
    assert journal.read(project.root)[-1]["manual_steps"]["confirmed"] == sorted(
        s["id"] for s in done)
    rest = len(steps) - len(done)
    assert applied_line(second) == (
        f"applied: 0 automated · {rest} waiting on manual steps (0 new; `shoporg tasks`) · "
        f"{len(done)} steps closed")
    still = pending(project)
    assert not still & {s["name"] for s in done}
    assert still == {s["name"] for s in steps[len(steps) // 2:]}
    assert {s["name"] for s in open_steps(project)} == still
    planned = project.plan()
    assert {op for op, _ in planned} == {"update"}
    assert {name for _, name in planned} == still


def test_confirming_an_unknown_or_done_step_is_refused_and_changes_nothing(
    project: StackProject,
) -> None:
    before = open_steps(project)
    result = project.shoporg("tasks", "done", "99999", str(before[0]["id"]), check=False)
    assert result.returncode == 1
    assert "step 99999 does not exist" in result.stderr
    assert open_steps(project) == before


def drift(project: StackProject, as_of: datetime.date) -> tuple[int, dict[str, Any]]:
    result = project.shoporg("drift", "--format", "json", "--as-of", as_of.isoformat(),
                             check=False)
    return result.returncode, json.loads(result.stdout)


def test_open_steps_are_not_drift_and_fresh_confirmations_are_verified(
    project: StackProject,
) -> None:
    code, report = drift(project, datetime.date.today())
    assert code == 0, report
    assert report["unverified"] == []
    # Open work is named, not called a match: how many, per account, none overdue yet.
    work = report["open_steps"]
    assert work["count"] == len(open_steps(project)) > 0 and work["overdue"] == []
    assert {a["account"] for a in work["by_account"]} <= ledger_accounts(project)

    # A leaver whose Shopee/Ozon/Douyin sub-account exists: their disable is a step, and
    # until it is done the ledger still reads "enabled". That is waiting, not a re-enable.
    # Likewise a login renamed there (the lifecycle model's long run, seed 28, day 17): until
    # the new login is made, live is the old one — waiting, not a replacement by hand.
    (leaver, sub), (renamer, renamed_sub) = confirmed_ledger_sub_accounts(project)[:2]

    def leave_and_rename(org: dict[str, Any]) -> None:
        leave(org, leaver)
        member = next(m for m in org["members"] if m["id"] == renamer)
        account = renamed_sub.split("/")[0]
        entry = next(s for s in member["sub_accounts"] if s["account"] == account)
        entry["login_name"] += "2"

    project.edit(leave_and_rename)
    project.shoporg("up")
    code, report = drift(project, datetime.date.today())
    assert code != 2, report
    assert report["drifted"] == [], report["drifted"]
    [step] = [s for s in report["open_steps"]["steps"] if s["name"] == sub]
    assert step["operation"] == "update" and "(left the company)" in step["waiting"], step
    renamed = [s for s in report["open_steps"]["steps"] if s["name"] == renamed_sub]
    assert {s["operation"] for s in renamed} == {"create", "delete"}, renamed
    assert any("is replaced" in s["waiting"] for s in renamed), renamed

    # A real hand change beside it is drift, and the only one.
    project.shoporg("sandbox", "sub", "disable", "tb-youpin", "zhang-wei")
    try:
        code, report = drift(project, datetime.date.today())
    finally:
        project.shoporg("sandbox", "sub", "enable", "tb-youpin", "zhang-wei")
    assert code == 2, report
    assert [d["name"] for d in report["drifted"]] == ["tb-youpin/zhang-wei"]
    assert sub in {s["name"] for s in report["open_steps"]["steps"] if s["waiting"]}

    # Done by the operator: the next up reads it back and the leaver is disabled, the new
    # login made and the old one removed.
    project.shoporg("tasks", "done", str(step["id"]), *(str(s["id"]) for s in renamed),
                    "--note", "done in the seller centre")
    project.shoporg("up")
    assert not {sub, renamed_sub} & pending(project)


def test_after_91_days_ledger_objects_are_unverified_until_an_access_review(
    project: StackProject,
) -> None:
    later = datetime.date.today() + datetime.timedelta(days=91)
    code, report = drift(project, later)
    assert code == 3, report  # only unverified: its own exit code
    # The steps still open are 91 days old by then: overdue, a finding of their own.
    still_open = sorted(s["id"] for s in open_steps(project))
    assert report["open_steps"]["overdue"] == still_open and still_open, report["open_steps"]
    assert report["open_steps"]["oldest"]["age_days"] == 91
    # Ages are the ledger's clock's: $SHOPORG_NOW 91 days on says the same without --as-of.
    project.pulumi.env["SHOPORG_NOW"] = later.isoformat() + "T09:00:00+00:00"
    try:
        by_clock = json.loads(project.shoporg("drift", "--format", "json", check=False).stdout)
    finally:
        del project.pulumi.env["SHOPORG_NOW"]
    assert by_clock["unverified"] == report["unverified"] and by_clock["exit_code"] == 3
    stale = {u["name"] for u in report["unverified"]}
    # Active or disabled — not waiting for its creation, and not a leaver's login nobody was
    # asked to make. (One waiting for an update exists: the leaver's second ledger login,
    # whose disable is still open, when the leaver has two.)
    updating = {s["name"] for s in open_steps(project) if s["operation"] == "update"}
    confirmed = {name for (_, name), o in outputs(project).items()
                 if (o.get("status") not in ("pending", "absent") or name in updating)
                 and name.split("/")[0] in ledger_names(project)}
    # Every object the ledger alone vouches for, nothing else.
    assert stale == confirmed, {n: o.get("status") for (_, n), o in outputs(project).items()
                                if n in stale ^ confirmed}
    assert {u["age_days"] for u in report["unverified"]} == {91}

    # The review lists people × shop × roles with their evidence; --attest re-verifies them.
    listing = project.shoporg("review-access", "--format", "json", "--as-of", later.isoformat())
    review = json.loads(listing.stdout)
    lines, objects = review["lines"], review["objects"]
    assert {x["evidence"] for x in lines} == {"ledger", "read API", "pending (not confirmed)"}
    # A whole-org review covers what no person holds too: roles, bindings, chat groups.
    assert {x["kind"] for x in objects} == {"role", "shop_binding", "chat_group"}
    attested = {x["object"] for x in [*lines, *objects] if x["evidence"] == "ledger"}
    assert attested and attested <= stale  # sub-accounts are reviewed through their grants
    project.pulumi.env["SHOPORG_NOW"] = later.isoformat() + "T09:00:00+00:00"
    try:
        result = project.shoporg("review-access", "--attest", "--by", "客服主管",
                                 "--note", "Q1 review")
    finally:
        del project.pulumi.env["SHOPORG_NOW"]
    assert "attested" in result.stderr
    code, report = drift(project, later)
    assert report["unverified"] == [], report  # verified again, every one
    # What is left is the open work: overdue steps alone are exit 3 too.
    assert report["open_steps"]["overdue"] == still_open and code == 3, report


def confirmed_ledger_sub_accounts(project: StackProject) -> list[tuple[str, str]]:
    """Members still working, each with one of their ledger sub-accounts the ledger
    confirmed (one per member)."""
    accounts, gone = ledger_accounts(project), {
        m["id"] for m in project.org()["members"] if m.get("status") == "left"}
    found: dict[str, str] = {}
    for (_, name), o in sorted(outputs(project).items()):
        if ("enabled" in o and name.split("/")[0] in accounts  # a sub-account's outputs
                and o.get("status") != "pending" and name.split("/")[1] not in gone):
            found.setdefault(name.split("/")[1], name)
    return sorted(found.items())


def leave(org: dict[str, Any], member: str) -> None:
    next(m for m in org["members"] if m["id"] == member)["status"] = "left"


def ledger_names(project: StackProject) -> set[str]:
    """Name prefixes of ledger objects: their account ids and shop ids."""
    accounts = [a for a in project.org()["accounts"] if a["platform"] in LEDGER_PLATFORMS]
    return {a["id"] for a in accounts} | {s["id"] for a in accounts for s in a["shops"]}
