"""Scenario 1 — crash mid-apply: SIGKILL the engine during an ``up`` of the big org
(~280 resources), recover the way docs/troubleshooting.md tells a user to, ``up`` again.

One project lives through several crashes in a row (each ``up`` resumes where the last one
died), then the final ``up`` must leave the account system exactly as declared, with no
object created twice and the audit log intact: gap-free and with every entry written
before a crash still there, unchanged.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.engine.conftest import StackProject
from tests.reliability.conftest import (
    assert_audit_intact,
    assert_exactly_as_declared,
    assert_state_sound,
    audit_count,
    audit_rows,
    created_twice,
    kill_session,
    live,
    report,
    session_pids,
    stack_export,
    start_engine,
    wait_for_audit,
)

pytestmark = pytest.mark.children_untraced  # a scenario (tests/conftest.py)

# A little latency per backend call keeps ~8 calls in flight at any moment, so a kill
# lands between a backend write and the engine's checkpoint often enough to matter.
SLOW = {"SHOPORG_SANDBOX_FAULTS": json.dumps({"latency_ms": 20})}


@dataclass(frozen=True)
class KillPoint:
    """Kill the engine once the audit log has grown by ``entries`` during this ``up``."""

    entries: int
    recovery: str  # "shoporg recover" or "pulumi commands"
    phase: str


# The big org's ~285 objects come in this order (each waits on what it references): 38
# departments and roles, 111 sub-accounts, 128 grants, then bindings and chat groups.
KILL_POINTS = (
    KillPoint(30, "shoporg recover", "while departments and roles are created"),
    KillPoint(90, "pulumi commands", "while sub-accounts are created"),
    KillPoint(190, "shoporg recover", "while grants are set"),
    KillPoint(265, "pulumi commands", "near the end, bindings and chat groups"),
)


def recover(project: StackProject, how: str) -> None:
    """The documented recovery (docs/troubleshooting.md), one of its two spellings."""
    if how == "shoporg recover":
        out = project.shoporg("recover").stdout
        assert "run `shoporg up` to finish" in out, out
    else:
        project.pulumi.run("cancel", "--yes")
        project.pulumi.run("refresh", "--yes", "--skip-preview", "--clear-pending-creates")


@pytest.mark.slow
def test_an_up_killed_at_several_points_recovers_to_exactly_the_declared_org(
    big_project: StackProject,
) -> None:
    project = big_project
    start = audit_count(project.sandbox_path)
    survived, adopted, interrupted, torn_sidecars = [], 0, 0, 0
    for point in KILL_POINTS:
        before_kill = audit_rows(project.sandbox_path)
        proc = start_engine(project, "up", "--yes", "--skip-preview", env=SLOW)
        wait_for_audit(project, proc, start + point.entries)
        killed = kill_session(proc)
        after_kill = audit_rows(project.sandbox_path)
        assert_audit_intact(after_kill, before_kill)

        # What the crash left: a lock that blocks everyone, and creates in flight — or, when
        # the kill tore the state's metadata sidecar mid-write, a state no command can load.
        blocked = project.up(check=False)
        torn = "failed to load checkpoint: EOF" in blocked.output
        assert blocked.returncode != 0 and ("locked" in blocked.output or torn), blocked.output
        if torn:
            torn_sidecars += 1
            # Only `shoporg recover` repairs a torn sidecar (plain pulumi commands cannot).
            out = project.shoporg("recover").stdout
            assert "torn by the killed engine" in out, out
        else:
            pending = stack_export(project)["deployment"].get("pending_operations") or []
            interrupted += len(pending)
            recover(project, point.recovery)
        resources = assert_state_sound(project)
        live_objects = sum(len(v) for v in live(project).values())
        # Objects the killed run made but never recorded: the next up must adopt them.
        adopted += live_objects - resources
        assert live_objects >= resources
        assert_audit_intact(audit_rows(project.sandbox_path), after_kill)
        survived.append(f"{point.entries} entries ({point.phase}, {killed} processes killed)")

    before_final = audit_rows(project.sandbox_path)
    project.up()
    rows = audit_rows(project.sandbox_path)
    assert_audit_intact(rows, before_final)
    assert created_twice(rows) == []
    objects = assert_exactly_as_declared(project)
    assert assert_state_sound(project) == objects
    assert project.preview("--expect-no-changes", check=False).returncode == 0
    # Every object was created exactly once, across all the runs.
    creates = [r for r in rows[start:] if r.before is None and r.after is not None]
    assert len(creates) == objects

    report("crash: kill points survived", len(survived))
    for line in survived:
        report(f"crash: killed at {line.split(' (')[0]}", line.split(" (", 1)[1].rstrip(")"))
    report("crash: interrupted creates cleared by recovery", interrupted)
    report("crash: state metadata sidecars torn by a kill and repaired", torn_sidecars)
    report("crash: objects made by a killed run and adopted", adopted)
    report("crash: objects at the end (declared = live = state, created once)", objects)
    report("crash: audit entries, gap-free and unchanged across crashes", len(rows))


@pytest.mark.slow
def test_recover_refuses_while_the_up_holding_the_lock_is_still_running(
    big_project: StackProject,
) -> None:
    project = big_project
    proc = start_engine(project, "up", "--yes", "--skip-preview", env=SLOW)
    try:
        wait_for_audit(project, proc, audit_count(project.sandbox_path) + 5)
        refused = project.shoporg("recover", check=False)
        assert refused.returncode == 1
        assert "still running" in refused.stderr and f"pid {proc.pid}" in refused.stderr
    finally:
        kill_session(proc)
    assert project.shoporg("recover").returncode == 0


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
    except OSError:
        return "(gone)"


@pytest.mark.slow
def test_plugins_of_a_killed_engine_exit_on_their_own(big_project: StackProject) -> None:
    """Killing only ``pulumi`` (kill -9 <pid>) must not leave its language host, program or
    provider running forever: they watch their parent and exit."""
    project = big_project
    proc = start_engine(project, "up", "--yes", "--skip-preview", env=SLOW)
    wait_for_audit(project, proc, audit_count(project.sandbox_path) + 20)
    plugins = [pid for pid in session_pids(proc.pid) if pid != proc.pid]
    assert len(plugins) >= 3, plugins  # language host, program, dynamic provider
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 15
    while session_pids(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = {pid: cmdline(pid) for pid in session_pids(proc.pid)}
    kill_session(proc)  # never leak them, even when the assertion below fails
    assert left == {}, f"orphaned plugin processes still running: {left}"
    report("crash: plugin processes that exited after their engine was killed", len(plugins))


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_process_watching_its_parent_exits_soon_after_the_parent_is_killed() -> None:
    """The mechanism behind the case above, without the engine: parent -> watcher."""
    watcher = (
        "import time; from shoporg.engine.watchdog import exit_with_parent; "
        "assert exit_with_parent(interval=0.05) is not None; print('watching', flush=True); "
        "time.sleep(60)"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c",
         "import subprocess, sys, time; "
         f"p = subprocess.Popen([sys.executable, '-c', {watcher!r}]); "
         "print(p.pid, flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    assert parent.stdout is not None
    # Parent and watcher share the pipe: the pid and "watching" come in either order (a
    # loaded machine can run the new watcher before its parent prints).
    said = {parent.stdout.readline().strip(), parent.stdout.readline().strip()}
    assert "watching" in said, said  # the watch began under its parent
    [pid] = said - {"watching"}
    child = int(pid)
    assert running(child)
    parent.kill()
    parent.wait()
    parent.stdout.close()
    deadline = time.monotonic() + 5
    while running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    if running(child):
        os.kill(child, signal.SIGKILL)
        pytest.fail("the watcher outlived its parent")
