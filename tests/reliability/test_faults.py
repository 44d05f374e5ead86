"""Scenario 2 — faults: throttling (with retry-after) and transient failures on 20% of the
provider's backend calls are absorbed by bounded retries; a permanent failure of one object
fails the ``up`` naming that object and operation, leaves everything else consistent, and
the next ``up`` (faults cleared) finishes the job.

How faults are counted: the sandbox persists per-method call counts
(``shoporg sandbox stats --enable``) and counts every attempt, failed or not, *before* it
decides on a fault. A fault-free ``up`` of the same org from empty makes each logical call
once, so ``calls(faulted) - calls(clean)`` is exactly the number of injected faults, per
method; the ``up`` succeeding with the account system complete means each was absorbed.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.engine.conftest import REPO, StackProject
from tests.reliability.conftest import (
    BIG_ORG,
    assert_audit_intact,
    assert_exactly_as_declared,
    assert_state_sound,
    audit_rows,
    created_twice,
    declared,
    live,
    persisted_calls,
    report,
    start_engine,
)

pytestmark = pytest.mark.children_untraced  # a scenario (tests/conftest.py)

FAULTS = ("seed=20261123", "throttle_rate=0.1", "retry_after=0.2", "transient_rate=0.1")


def finish(proc: subprocess.Popen[str], what: str) -> str:
    out, _ = proc.communicate(timeout=900)
    assert proc.returncode == 0, f"{what} failed:\n{out[-4000:]}"
    return out


@pytest.mark.slow
def test_twenty_percent_throttled_or_transient_calls_are_all_absorbed(
    engine: None, tmp_path: Path, engine_runs: list[subprocess.Popen[str]]
) -> None:
    for name in ("faulty", "clean"):
        (tmp_path / name).mkdir()
    faulty = StackProject(tmp_path / "faulty", BIG_ORG)
    clean = StackProject(tmp_path / "clean", BIG_ORG)
    for project in (faulty, clean):
        project.shoporg("sandbox", "stats", "--enable")
    faulty.shoporg("sandbox", "faults", "set", *FAULTS)
    runs = [start_engine(p, "up", "--yes", "--skip-preview") for p in (faulty, clean)]
    engine_runs.extend(runs)  # killed at teardown if an assertion stops us early
    finish(runs[0], "the faulted up")
    finish(runs[1], "the clean up")

    with_faults, without = persisted_calls(faulty.sandbox_path), persisted_calls(clean.sandbox_path)
    injected = {m: with_faults.get(m, 0) - without.get(m, 0) for m in with_faults | without}
    assert all(n >= 0 for n in injected.values()), injected
    total_calls, total_injected = sum(with_faults.values()), sum(injected.values())
    share = total_injected / total_calls
    assert 0.12 <= share <= 0.28, f"{total_injected} faults in {total_calls} calls"

    objects = assert_exactly_as_declared(faulty)
    assert assert_state_sound(faulty) == objects
    rows = audit_rows(faulty.sandbox_path)
    assert_audit_intact(rows)
    assert created_twice(rows) == []
    faulty.shoporg("sandbox", "faults", "clear")
    assert faulty.preview("--expect-no-changes", check=False).returncode == 0

    report("faults: provider calls (faulted up)", total_calls)
    report("faults: injected (throttle 10% + transient 10%)", total_injected)
    report("faults: absorbed by retries", total_injected)
    report("faults: share of calls faulted", f"{share:.1%}")
    report("faults: objects applied", objects)


@dataclass(frozen=True)
class PermanentFailure:
    pattern: str
    operation: str
    object_name: str
    missing: Callable[[tuple[object, ...]], bool]  # declared objects the failed up leaves out


def _of_member(account: str, member: str) -> Callable[[tuple[object, ...]], bool]:
    return lambda key: key[:2] == (account, member)


PERMANENT = (
    PermanentFailure(
        "sub_account:tb-youpin/zhang-wei", "create_sub_account", "tb-youpin/zhang-wei",
        _of_member("tb-youpin", "zhang-wei"),
    ),
    PermanentFailure(
        "role:sp-youpin/sp-ops", "create_role", "sp-youpin/sp-ops",
        lambda key: key[:2] == ("sp-youpin", "sp-ops") or (
            len(key) == 4 and key[0] == "sp-youpin" and "sp-ops" in str(key[3])  # its grants
        ),
    ),
)


@pytest.mark.slow
@pytest.mark.parametrize("case", PERMANENT, ids=lambda c: c.pattern)
def test_a_permanent_failure_names_the_object_and_a_later_up_finishes_the_job(
    engine: None, tmp_path: Path, case: PermanentFailure
) -> None:
    project = StackProject(tmp_path, REPO / "org.yaml")
    project.shoporg("sandbox", "faults", "set", f"fail_objects={case.pattern}")

    failed = project.up(check=False)
    assert failed.returncode != 0
    assert case.object_name in failed.output and case.operation in failed.output, failed.output
    assert "injected permanent failure" in failed.output

    # Consistent: nothing half-done, nothing unrecorded, nothing but declared objects.
    want, have = declared(project.org_file), live(project)
    for kind, objects in have.items():
        assert objects <= want[kind], kind
    left_out = {k for objects in want.values() for k in objects} - {
        k for objects in have.values() for k in objects
    }
    assert left_out and any(case.missing(k) for k in left_out)
    assert assert_state_sound(project) == sum(len(v) for v in have.values())
    rows = audit_rows(project.sandbox_path)
    assert not [r for r in rows if r.name == case.object_name and r.kind != "setting"]

    project.shoporg("sandbox", "faults", "clear")
    project.up()
    assert_exactly_as_declared(project)
    assert_audit_intact(audit_rows(project.sandbox_path), rows)
    assert project.preview("--expect-no-changes", check=False).returncode == 0
    report(f"faults: permanent failure on {case.pattern}",
           f"up failed naming {case.operation}; {len(left_out)} objects waited; next up finished")
