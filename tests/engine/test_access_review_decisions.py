"""A quarter's access review, end to end with the real engine (issue 32).

The customer-service department's lines are reviewed: most kept, one Taobao grant revoked
(the sandbox: an API removes it), one Shopee line left undecided past the deadline with
the default *revoke* (Shopee is on the ledger: a person must remove it). Closing the review
writes an org.yaml patch; ``git apply`` + the guarded ``shoporg up`` remove exactly the two
revoked grants — one by the sandbox, one as a manual step — and the next evidence pack holds
the decisions (the default's included) and that apply with its commit.
"""

from __future__ import annotations

import datetime
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from shoporg.kinds import ROLE_GRANT
from tests.engine.conftest import StackProject, worklist_steps

REVOKED = ROLE_GRANT.ref("tb-youpin", "wang-fang", "tb-youpin-shop").name
DEFAULTED = ROLE_GRANT.ref("sp-youpin", "liu-yang", "sp-my").name
KEPT_MEMBERS = ("zhang-wei", "li-na", "zhu-yan", "chen-jing", "hu-jun")
KEPT_OBJECTS = (ROLE_GRANT.ref("tm-youpin", "wang-fang", "tm-youpin-shop").name,
                ROLE_GRANT.ref("dy-youpin", "liu-yang", "dy-youpin-shop").name)


def git(project: StackProject, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=Lead Chen", "-c", "user.email=lead@example.com",
                    *args], cwd=project.root, check=True, capture_output=True)


@pytest.fixture(scope="module")
def project(engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProject]:
    project = StackProject(tmp_path_factory.mktemp("access-review"))
    project.pulumi.run("config", "set", "shoporg:connectors", "{shopee: ledger}")
    project.shoporg("up")
    steps = worklist_steps(project)  # Shopee's sub-accounts and grants: done by a person
    project.shoporg("tasks", "done", *(str(s["id"]) for s in steps), "--by", "ops",
                    "--note", "done in Seller Centre")
    project.shoporg("up")
    git(project, "init", "-q")
    git(project, "add", "org.yaml")
    git(project, "commit", "-qm", "the organization")
    yield project


def grants(project: StackProject) -> dict[str, str | None]:
    """Role grant → its status output in the stack."""
    state = json.loads(project.pulumi.run("stack", "export").stdout)
    return {r["urn"].split("::")[-1]: r.get("outputs", {}).get("status")
            for r in state["deployment"]["resources"]
            if r["type"].endswith(":" + ROLE_GRANT.type_name)}


def test_decisions_become_a_patch_whose_apply_removes_exactly_the_revoked_grants(
    project: StackProject, tmp_path: Path,
) -> None:
    today = datetime.date.today()
    deadline = today - datetime.timedelta(days=1)
    base = ("review-access", "--by", "lead-chen")
    project.shoporg(*base, "--department", "cs", "--open", "q4", "--deadline",
                    deadline.isoformat(), "--default", "revoke")
    decisions = [f"--keep={m}" for m in (*KEPT_MEMBERS, *KEPT_OBJECTS)]
    project.shoporg(*base, "--review", "q4", *decisions, f"--revoke={REVOKED}",
                    "--note", "left the after-sales team")
    closed = project.shoporg(*base, "--review", "q4", "--close")
    assert "13 kept, 2 revoked, 0 flagged (1 by the default)" in closed.stdout

    before = grants(project)
    git(project, "apply", "q4.patch")
    git(project, "commit", "-qam", "Q4 access review: revocations")
    up = project.shoporg("up", "--allow-removals", "Q4 access review")
    after = grants(project)
    assert set(before) - set(after) == {REVOKED, DEFAULTED}
    assert after == {g: s for g, s in before.items() if g not in (REVOKED, DEFAULTED)}
    # The sandbox removed the Taobao grant by API; Shopee's is a step for a person.
    assert project.backend().get_grant("tb-youpin", "wang-fang", "tb-youpin-shop") is None
    open_for = {s["name"]: s["operation"] for s in worklist_steps(project)}
    assert open_for == {DEFAULTED: "delete"}
    assert "applied:" in up.stdout

    out = tmp_path / "evidence"
    project.shoporg("evidence", "--from", today.isoformat(), "--to", today.isoformat(),
                    "--out", str(out), "--stack", "test")
    decided = json.loads((out / "access-decisions.json").read_text())
    by_object = {d["object"]: (d["decision"], d["by"]) for d in decided}
    assert by_object[REVOKED] == ("revoke", "lead-chen")
    assert by_object[DEFAULTED] == ("revoke", "shoporg (the review's default)")
    changes = json.loads((out / "changes.json").read_text())
    revocation = [c for c in changes if c["subject"] == "Q4 access review: revocations"]
    assert {c["object"] for c in revocation if c["kind"] == ROLE_GRANT.word} == {
        REVOKED, DEFAULTED}
    assert all(c["applied_at"] and c["approver"] == "Lead Chen <lead@example.com>"
               for c in revocation)
    applies = json.loads((out / "applies.json").read_text())
    assert applies[-1]["commit"] == revocation[0]["commit"]
    assert project.shoporg("evidence", "--verify", str(out)).returncode == 0
