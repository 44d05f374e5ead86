"""Scenario 1, journaled: SIGKILL a ``shoporg up --journaled`` of the big org (one state save
at the end plus the providers' step journal) at the four points of ``test_crash.py`` and
once during its final state save, ``shoporg recover`` (which replays the journal into the
state), ``up`` again.

It must end as the checkpointed suite does — declared = live = state, every object created
once, the audit log gap-free and unchanged across crashes — and, because with one save per
run the state of a killed run holds nothing until recovery, every initial password the
runs generated must be in state (secret, the one the account system holds) and nowhere in
plaintext: not in the state files, the journal or any command's output.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from shoporg.backends.sandbox.passwords import verify_password
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
    stack_export,
    wait_for,
)
from tests.reliability.test_crash import KILL_POINTS, SLOW


def start_up(project: StackProject, log: Path) -> subprocess.Popen[str]:
    """``shoporg up --journaled`` in a session of its own (it, the engine and the plugins)."""
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "shoporg.cli.main", "up"],
            cwd=project.root, env={**project.pulumi.env, **SLOW},
            stdout=out, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )


def reached(project: StackProject, entries: int, journal: Path) -> bool:
    return audit_count(project.sandbox_path) >= entries and journal.exists()


def state_files(project: StackProject) -> dict[str, tuple[int, int]]:
    stacks = project.root / ".pulumi-state" / ".pulumi" / "stacks"
    out = {}
    for path in stacks.rglob("*"):
        try:
            st = path.stat()
        except OSError:
            continue
        out[str(path)] = (st.st_size, st.st_mtime_ns)
    return out


def kill_during_the_final_save(project: StackProject, proc: subprocess.Popen[str],
                               timeout: float = 600) -> None:
    """Kill at the first change of the stack's state files: with one save per run, the
    engine's final save (its ``.bak`` copy, the new blob, their ``.attrs``)."""
    before = state_files(project)
    deadline = time.monotonic() + timeout
    while state_files(project) == before:
        if proc.poll() is not None:
            raise AssertionError("the up ended without a state save being seen")
        if time.monotonic() > deadline:
            raise AssertionError(f"no state save after {timeout}s")
        time.sleep(0.001)
    # The `shoporg up` process first, in one call: once the engine has saved and exited, it
    # drops the spent journal, and finding the rest of the session (a walk of /proc) can
    # take longer than that on a busy machine.
    os.kill(proc.pid, signal.SIGKILL)
    kill_session(proc)


def resources_on_disk(project: StackProject) -> int | None:
    """Resources in the stack's state file as it is (None: unreadable, torn mid-save)."""
    path = project.root / ".pulumi-state" / ".pulumi" / "stacks" / "shoporg" / "test.json"
    try:
        return len(json.loads(path.read_text())["checkpoint"]["latest"]["resources"] or [])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def sandbox_password_hashes(sandbox: Path) -> dict[str, str]:
    conn = sqlite3.connect(f"file:{sandbox}?mode=ro", uri=True, timeout=30)
    try:
        rows = conn.execute(
            "SELECT account_id, member_id, password_hash FROM sub_accounts"
            " WHERE password_hash IS NOT NULL").fetchall()
    finally:
        conn.close()
    return {f"{a}/{m}": h for a, m, h in rows}


def passwords_in_state(project: StackProject) -> dict[str, Any]:
    shown = stack_export(project, "--show-secrets")["deployment"]["resources"]
    out = {}
    for r in shown:
        if ":SubAccount::" in r["urn"]:
            value = (r.get("outputs") or {}).get("initial_password")
            out[r["id"]] = json.loads(value["plaintext"]) if isinstance(value, dict) else value
    return out


def plaintext_hits(project: StackProject, secrets: list[str], logs: list[str]) -> list[str]:
    """Where any of ``secrets`` appears in plaintext: state, journal, outputs."""
    places: list[tuple[str, bytes]] = [(f"log {i}", s.encode()) for i, s in enumerate(logs)]
    for folder in (".pulumi-state", ".shoporg"):
        for path in (project.root / folder).rglob("*"):
            if path.is_file() and path.name != "passphrase":
                places.append((str(path.relative_to(project.root)), path.read_bytes()))
    return [f"{where}: {s[:4]}…" for where, data in places for s in secrets
            if s.encode() in data]


@pytest.mark.slow
def test_a_journaled_up_killed_at_five_points_recovers_with_every_password(
    big_project: StackProject, tmp_path_factory: pytest.TempPathFactory,
) -> None:
    project = big_project
    logs_dir = tmp_path_factory.mktemp("logs")
    journal = project.root / ".shoporg" / "steps" / "test.jsonl"
    start = audit_count(project.sandbox_path)
    logs: list[str] = []
    survived, adopted, replayed, save_seen = [], 0, 0, "-"
    points: list[tuple[int | None, str]] = [(p.entries, p.phase) for p in KILL_POINTS]
    points.append((None, "during the final state save"))
    for n, (entries, phase) in enumerate(points):
        before_kill = audit_rows(project.sandbox_path)
        log = logs_dir / f"up-{n}.log"
        proc = start_up(project, log)
        if entries is not None:
            # At the point, and after this run journaled a step: the runs before may have
            # written past the point already (writes in flight when they were killed, and
            # rows beside the objects'), and a kill before the first step leaves no journal.
            wait_for(proc, functools.partial(reached, project, start + entries, journal),
                     f"{entries} audit entries and a journaled step")
            kill_session(proc)
        else:
            saved = resources_on_disk(project)
            kill_during_the_final_save(project, proc)
            on_disk = resources_on_disk(project)
            save_seen = ("unreadable" if on_disk is None else
                         "the old save" if on_disk == saved else "the new save")
        logs.append(log.read_text())
        after_kill = audit_rows(project.sandbox_path)
        assert_audit_intact(after_kill, before_kill)
        assert journal.exists(), "the killed run left no step journal"

        out = project.shoporg("recover")
        logs.append(out.stdout + out.stderr)
        # A kill during the final save may come after the new state landed: then the
        # journal is spent (the state was saved after it) and nothing is replayed.
        spent = entries is None and "the step journal was spent" in out.stdout
        assert spent or "replayed the step journal" in out.stdout, out.stdout
        assert not journal.exists()
        replayed += int(out.stdout.split("state: ", 1)[1].split(" create")[0]) if (
            " create(s)" in out.stdout) else 0
        resources = assert_state_sound(project)
        live_objects = sum(len(v) for v in live(project).values())
        adopted += live_objects - resources  # made by the killed run, its end not journaled
        assert live_objects >= resources
        assert_audit_intact(audit_rows(project.sandbox_path), after_kill)
        survived.append(f"{phase} ({audit_count(project.sandbox_path) - start} entries)")

    before_final = audit_rows(project.sandbox_path)
    final = project.shoporg("up")
    logs.append(final.stdout + final.stderr)
    assert not journal.exists()
    rows = audit_rows(project.sandbox_path)
    assert_audit_intact(rows, before_final)
    assert created_twice(rows) == []
    objects = assert_exactly_as_declared(project)
    assert assert_state_sound(project) == objects
    assert project.preview("--expect-no-changes", check=False).returncode == 0
    creates = [r for r in rows[start:] if r.before is None and r.after is not None]
    assert len(creates) == objects

    # Every sub-account these runs created has its generated password in state, the one
    # the account system holds (salted hash), and it is secret there.
    made = {r.name for r in creates if r.kind == "sub_account"}
    hashes = sandbox_password_hashes(project.sandbox_path)
    passwords = passwords_in_state(project)
    assert made and made <= set(passwords), sorted(made - set(passwords))[:5]
    wrong = [name for name in made
             if not (isinstance(passwords[name], str)
                     and verify_password(passwords[name], hashes[name]))]
    assert wrong == [], wrong[:5]
    state = json.dumps(stack_export(project))
    assert all(json.dumps(passwords[name]) not in state for name in made)
    assert plaintext_hits(project, [passwords[n] for n in made], logs) == []

    report("journaled crash: kill points survived", len(survived))
    for line in survived:
        report(f"journaled crash: killed {line.split(' (')[0]}", line.split(" (", 1)[1][:-1])
    report("journaled crash: creates replayed from the journal", replayed)
    # Whether the kill landed before, mid- or after the save, replaying onto that state
    # gives the same result (a replay is idempotent by URN).
    report("journaled crash: state file right after the final-save kill", save_seen)
    report("journaled crash: objects made by a killed run and adopted", adopted)
    report("journaled crash: initial passwords recovered (verified against the platform)",
           len(made))
    report("journaled crash: objects at the end (declared = live = state, created once)",
           objects)
