"""Shared machinery of the reliability suite: projects on the big org, crashing the engine,
and the checks that say "the account system is exactly as declared and nothing was lost".

Engine-tier cases reuse :class:`tests.engine.conftest.StackProject` (a temp project copy
with its own sandbox and state). Every figure a scenario measures is recorded with
:func:`report`; the session prints them at the end (``-s`` not needed) so a CI log carries
the numbers the issue asks for.
"""

from __future__ import annotations

import datetime
import json
import os
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shoporg.engine.cli import launcher_dir
from shoporg.engine.install import ENGINE_BINARY
from shoporg.kinds import KINDS, Kind, desired_world, kind_of
from shoporg.schema import load_org
from tests.engine.conftest import REPO, StackProject

BIG_ORG = REPO / "tests" / "fixtures" / "reliability" / "big-org.yaml"

FIGURES: dict[str, object] = {}


def report(name: str, value: object) -> None:
    """Record a figure for the end-of-session summary (tests/conftest.py prints them)."""
    FIGURES[name] = value


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Figures travel on the test's report, so a pytest-xdist worker's reach the summary the
    controller prints."""
    result = yield
    result.user_properties.extend((f"figure:{k}", str(v)) for k, v in FIGURES.items())
    FIGURES.clear()
    return result


@pytest.fixture
def big_project(engine: None, tmp_path: Path) -> StackProject:
    return StackProject(tmp_path, BIG_ORG)


# --- the sandbox, read behind the backend's back ---------------------------------------------


@dataclass(frozen=True)
class AuditRow:
    seq: int
    company: str
    operation: str
    kind: str
    name: str
    before: str | None
    after: str | None


def audit_rows(sandbox: Path) -> list[AuditRow]:
    """Every audit entry of every company, read-only, oldest first."""
    conn = sqlite3.connect(f"file:{sandbox}?mode=ro", uri=True, timeout=30)
    try:
        rows = conn.execute(
            "SELECT seq, company, operation, kind, object, before, after FROM audit_log"
            " ORDER BY seq"
        ).fetchall()
    finally:
        conn.close()
    return [AuditRow(*row) for row in rows]


def audit_count(sandbox: Path) -> int:
    conn = sqlite3.connect(f"file:{sandbox}?mode=ro", uri=True, timeout=30)
    try:
        count: int = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    finally:
        conn.close()
    return count


def persisted_calls(sandbox: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{sandbox}?mode=ro", uri=True, timeout=30)
    try:
        return {m: int(c) for m, c in conn.execute("SELECT method, count FROM call_counts")}
    finally:
        conn.close()


def assert_audit_intact(rows: list[AuditRow], earlier: list[AuditRow] | None = None) -> None:
    """Append-only and gap-free: seq runs 1..N, and an earlier snapshot is a prefix."""
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1)), "audit seq has gaps"
    if earlier is not None:
        assert rows[: len(earlier)] == earlier, "audit entries changed after the fact"


def created_twice(rows: list[AuditRow]) -> list[tuple[str, str, str]]:
    """Objects created again while they still existed (a duplicate, not a re-create)."""
    alive: Counter[tuple[str, str, str]] = Counter()
    duplicates = []
    for r in rows:
        key = (r.company, r.kind, r.name)
        if r.before is None and r.after is not None:
            alive[key] += 1
            if alive[key] > 1:
                duplicates.append(key)
        elif r.after is None and r.before is not None:
            alive[key] -= 1
    return duplicates


# --- the declared world vs the live one ------------------------------------------------------


def _row(kind: Kind, inputs: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(
        tuple(sorted(v)) if isinstance(v := inputs.get(c), list | tuple) else v
        for c in kind.columns
    )


def declared(org_file: Path) -> dict[str, set[tuple[Any, ...]]]:
    """What org.yaml says must exist, kind by kind (each kind's table columns)."""
    out: dict[str, set[tuple[Any, ...]]] = {k.word: set() for k in KINDS}
    for ref, desired in desired_world(load_org(org_file), datetime.date.today()).items():
        out[ref.kind].add(_row(kind_of(ref), desired.inputs))
    return out


def live(project: StackProject, company: str | None = None) -> dict[str, set[tuple[Any, ...]]]:
    """The same shape as :func:`declared`, read from the sandbox through each kind's provider
    (its own listing and its own reading of live objects as inputs)."""
    from shoporg.backends.sandbox import SandboxBackend

    backend = SandboxBackend(project.sandbox_path, company, instrumented=False)
    out: dict[str, set[tuple[Any, ...]]] = {k.word: set() for k in KINDS}
    try:
        for a in backend.list_accounts():
            for kind in KINDS:
                provider = kind.provider_class()()
                out[kind.word] |= {
                    _row(kind, provider.live_inputs(obj))
                    for obj in provider.list_live(backend, a.id).values()
                }
    finally:
        backend.close()
    return out


def assert_exactly_as_declared(
    project: StackProject, company: str | None = None, org_file: Path | None = None
) -> int:
    """Live == declared, kind by kind; returns the number of objects compared."""
    want, have = declared(org_file or project.org_file), live(project, company)
    for kind in (k.word for k in KINDS):
        assert have[kind] == want[kind], (
            f"{kind}: missing {sorted(want[kind] - have[kind])[:5]}, "
            f"unexpected {sorted(have[kind] - want[kind])[:5]}"
        )
    return sum(len(v) for v in want.values())


# --- the engine's state ------------------------------------------------------------------------


def stack_export(project: StackProject, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(project.pulumi.run("stack", "export", *args).stdout)
    return data


def assert_state_sound(project: StackProject) -> int:
    """No pending operation, every URN once; returns the number of shoporg resources."""
    deployment = stack_export(project)["deployment"]
    assert not deployment.get("pending_operations"), deployment.get("pending_operations")
    urns = [r["urn"] for r in deployment.get("resources", [])]
    duplicates = [u for u, n in Counter(urns).items() if n > 1]
    assert not duplicates, duplicates
    return sum(1 for u in urns if "dynamic/shoporg:" in u)


# --- crashing the engine -----------------------------------------------------------------------


def start_engine(project: StackProject, *args: str,
                 env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
    """``pulumi <args>`` in a session of its own, so a crash can take every process with it."""
    return subprocess.Popen(
        [str(launcher_dir() / ENGINE_BINARY), *args],
        cwd=project.root,
        env={**project.pulumi.env, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def session_pids(sid: int) -> list[int]:
    """Every live process of session ``sid`` (the engine and the plugins it started, which
    Pulumi puts in process groups of their own)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command: state ppid pgrp session ...
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


def kill_session(proc: subprocess.Popen[str]) -> int:
    """SIGKILL the engine and everything it started (a power cut, an OOM kill)."""
    pids = session_pids(proc.pid)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()
    deadline = time.monotonic() + 10
    while session_pids(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not session_pids(proc.pid), "processes survived SIGKILL"
    return len(pids)


def wait_for(proc: subprocess.Popen[str], reached: Callable[[], bool], point: str,
             timeout: float = 300) -> None:
    """Block until ``reached()`` (the kill point) while the engine is still running."""
    deadline = time.monotonic() + timeout
    while not reached():
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"the engine ended before {point}:\n{out[-3000:]}")
        if time.monotonic() > deadline:
            kill_session(proc)
            raise AssertionError(f"not at {point} after {timeout}s")
        time.sleep(0.01)


def wait_for_audit(project: StackProject, proc: subprocess.Popen[str], entries: int,
                   timeout: float = 300) -> None:
    """Block until the audit log holds ``entries`` rows (the engine must still be running)."""
    wait_for(proc, lambda: audit_count(project.sandbox_path) >= entries,
             f"{entries} audit entries", timeout)


@pytest.fixture
def engine_runs() -> Iterator[list[subprocess.Popen[str]]]:
    """Engine processes a test starts; any still running at the end are killed."""
    runs: list[subprocess.Popen[str]] = []
    yield runs
    for proc in runs:
        if proc.poll() is None:
            kill_session(proc)
