"""Scenario 4 — concurrency: a second run on a stack that is being updated is refused by the
state lock and corrupts nothing; two stacks of two companies applying to one sandbox file
at the same time both succeed, each ending exactly as its org file declares.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.engine.conftest import REPO, StackProject
from tests.reliability.conftest import (
    BIG_ORG,
    assert_audit_intact,
    assert_exactly_as_declared,
    assert_state_sound,
    audit_count,
    audit_rows,
    created_twice,
    kill_session,
    report,
    start_engine,
    wait_for_audit,
)

pytestmark = pytest.mark.children_untraced  # a scenario (tests/conftest.py)

# Slow enough that the first up is still running while the others knock, even on a loaded
# CI machine where each knocking command takes seconds to start: ~1 s per backend call on
# 4 provider workers keeps a 110-object up busy for well over a minute.
SLOW = {
    "SHOPORG_SANDBOX_FAULTS": json.dumps({"latency_ms": 1000}),
    "SHOPORG_PROVIDER_WORKERS": "4",
}

SECOND_RUNS = (
    ("up", "--yes", "--skip-preview"),
    ("refresh", "--yes", "--skip-preview"),
    ("destroy", "--yes", "--skip-preview"),
    ("cancel", "--help"),  # a control: commands that take no lock still run
)


def finish(proc: subprocess.Popen[str], what: str) -> str:
    out, _ = proc.communicate(timeout=900)
    assert proc.returncode == 0, f"{what} failed:\n{out[-4000:]}"
    return out


@pytest.mark.slow
def test_runs_started_while_an_up_holds_the_stack_lock_are_refused(
    engine: None, tmp_path: Path
) -> None:
    project = StackProject(tmp_path, REPO / "org.yaml")
    first = start_engine(project, "up", "--yes", "--skip-preview", env=SLOW)
    refused = 0
    try:
        wait_for_audit(project, first, audit_count(project.sandbox_path) + 3)
        for args in SECOND_RUNS:
            second = project.pulumi.run(*args, check=False)
            if args[0] == "cancel":
                assert second.returncode == 0, second.output
                continue
            assert first.poll() is None, "the first up ended before the second run: too fast"
            assert second.returncode != 0, second.output
            # Refused by the lock — or, when it reads the state while the running up
            # rewrites the file backend's in-place `.attrs` sidecar, by an unreadable
            # checkpoint (seen in CI). Either way it changes nothing (checked below).
            assert (
                "currently locked" in second.output
                or "failed to load checkpoint: EOF" in second.output
            ), second.output
            refused += 1
        finish(first, "the first up")
    finally:
        if first.poll() is None:
            kill_session(first)
    objects = assert_exactly_as_declared(project)
    assert assert_state_sound(project) == objects
    rows = audit_rows(project.sandbox_path)
    assert_audit_intact(rows)
    assert created_twice(rows) == []
    assert project.preview("--expect-no-changes", check=False).returncode == 0
    report("concurrency: runs refused by the lock of a running up (up, refresh, destroy)",
           refused)


@pytest.mark.slow
def test_two_companies_applying_to_one_sandbox_file_at_once_both_succeed(
    engine: None, tmp_path: Path, engine_runs: list[subprocess.Popen[str]]
) -> None:
    project = StackProject(tmp_path, BIG_ORG)
    # The second company: the same org shape in its own tenant, with its own self-operated
    # creator (a creator can be self-operated for one merchant only, across companies).
    second_org = tmp_path / "org-acme2.yaml"
    second_org.write_text(
        project.org_file.read_text(encoding="utf-8").replace("xiaoyu_shuma", "acme2_creator"),
        encoding="utf-8",
    )
    project.shoporg("sandbox", "--company", "acme2", "init", "--org", str(second_org),
                    "--demo-creators")
    project.pulumi.run("stack", "init", "acme2")
    project.pulumi.run("config", "set", "shoporg:company", "acme2", "--stack", "acme2")
    project.pulumi.run("config", "set", "shoporg:orgFile", str(second_org), "--stack", "acme2")

    runs = [
        start_engine(project, "up", "--yes", "--skip-preview", "--stack", stack)
        for stack in ("test", "acme2")
    ]
    engine_runs.extend(runs)
    for proc, stack in zip(runs, ("test", "acme2"), strict=True):
        finish(proc, f"the up of stack {stack}")

    first = assert_exactly_as_declared(project, "default")
    second = assert_exactly_as_declared(project, "acme2", second_org)
    rows = audit_rows(project.sandbox_path)
    assert_audit_intact(rows)
    assert created_twice(rows) == []
    assert {r.company for r in rows} >= {"default", "acme2"}
    for stack in ("test", "acme2"):
        result = project.preview("--expect-no-changes", "--stack", stack, check=False)
        assert result.returncode == 0, result.output
    report("concurrency: companies applied at once to one sandbox file",
           f"2 ({first} + {second} objects, audit {len(rows)} entries gap-free)")

