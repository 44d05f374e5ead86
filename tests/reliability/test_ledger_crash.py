"""The manual-step ledger under a SIGKILL of ``up``: the big org with Shopee, Ozon and Douyin
on the ledger connector, the engine killed twice while its providers raise steps.

Every step raised before a kill is still there, unchanged; the runs after it raise none of
them again; and at the end each object waiting for a person has exactly one open step,
the one its state points to — no step lost, none duplicated, none superseded by a crash.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from typing import Any

import pytest

from shoporg.backends.ledger import Ledger, Step
from tests.engine.conftest import StackProject
from tests.reliability.conftest import (
    kill_session,
    report,
    stack_export,
    start_engine,
    wait_for,
)

pytestmark = pytest.mark.children_untraced  # a scenario (tests/conftest.py)

LEDGER_CONNECTORS = "{shopee: ledger, ozon: ledger, douyin: ledger}"
# Kill once the killed run has raised this many new steps (early; then mid-way).
KILL_AFTER_NEW_STEPS = (3, 60)
SLOW = {"SHOPORG_SANDBOX_FAULTS": '{"latency_ms": 20}'}


def waiting_objects(project: StackProject) -> dict[tuple[str, str], int]:
    """(kind, resource name) → the ledger step id each pending resource in state names."""
    out: dict[tuple[str, str], int] = {}
    for r in stack_export(project)["deployment"]["resources"]:
        step: Any = (r.get("outputs") or {}).get("manual_step")
        if isinstance(step, dict) and r["outputs"].get("status") == "pending":
            out[(step["kind"], step["object"])] = int(step["step"])
    return out


@pytest.mark.slow
def test_an_up_killed_while_raising_steps_loses_none_and_raises_none_twice(
    big_project: StackProject, engine_runs: list[subprocess.Popen[str]],
) -> None:
    project = big_project
    project.pulumi.run("config", "set", "shoporg:connectors", LEDGER_CONNECTORS)
    ledger = Ledger(project.root / ".shoporg" / "ledger.db")
    for new_steps in KILL_AFTER_NEW_STEPS:
        before: list[Step] = ledger.steps()
        proc = start_engine(project, "up", "--yes", "--skip-preview", env=SLOW)
        engine_runs.append(proc)
        target = len(before) + new_steps
        wait_for(proc, lambda n=target: len(ledger.steps()) >= n, f"{target} ledger steps")
        kill_session(proc)
        after = ledger.steps()
        assert after[: len(before)] == before  # nothing committed before the kill changed
        out = project.shoporg("recover").stdout
        assert "run `shoporg up` to finish" in out, out

    project.up()
    steps = ledger.steps()
    assert Counter(s.state for s in steps) == {"open": len(steps)}  # none superseded
    objects = Counter((s.kind, s.name, s.operation) for s in steps)
    assert [k for k, n in objects.items() if n > 1] == []  # none raised twice
    waiting = waiting_objects(project)
    assert {(s.kind, s.name): s.id for s in steps} == waiting  # none lost, none stray
    # A second up raises nothing new: the ledger is exactly as it was.
    project.up()
    assert ledger.steps() == steps
    report("ledger crash: kills survived while raising steps", len(KILL_AFTER_NEW_STEPS))
    report("ledger crash: open steps at the end (one per waiting object)", len(steps))
