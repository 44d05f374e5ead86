"""A failed ``shoporg up`` on the real engine: the real failures first, the rest counted.

One project copy, in file order: the sandbox's fault injection makes two roles fail
permanently (``fail_objects``); the first guarded apply of org.yaml fails on them, and the
engine stops. Then the fault is cleared and the next ``shoporg up`` applies the rest.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from shoporg.kinds import ROLE, SUB_ACCOUNT
from shoporg.reports import journal

FAILING = (ROLE.ref("tb-youpin", "tb-ops"), ROLE.ref("tm-youpin", "tm-ops"))
PLANNED = 109  # org.yaml's objects: everything is created


@pytest.fixture(scope="module")
def failed_up(project: Any) -> Any:
    project.shoporg("sandbox", "faults", "set",
                    "fail_objects=" + ",".join(str(r) for r in FAILING))
    return project.shoporg("up", check=False)


def test_a_failed_up_lists_the_real_failures_first_then_how_many_were_not_reached(
    failed_up: Any,
) -> None:
    assert failed_up.returncode == 1, failed_up.stdout + failed_up.stderr
    lines = failed_up.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("FAILED: "))
    failures = [line for line in lines[head + 1:] if line.startswith("  ✗ ")]
    # Both roles are in the engine's first wave, but it may stop before starting the second.
    assert 1 <= len(failures) <= len(FAILING)
    for line in failures:
        ref = next(r for r in FAILING if f" {r.name} " in line)
        assert line == (f"  ✗ role {ref.name} — create failed: role '{ref.name}': "
                        "create_role failed: injected permanent failure")
    tail = lines[head + 1 + len(failures)]
    assert tail.split(" not reached (")[0].isdigit(), tail  # "N not reached (…)" comes next
    # The engine's own line per unreached object is not repeated.
    assert "expected resource operations" not in failed_up.stdout + failed_up.stderr
    assert "not reached (listed above)" in failed_up.stderr


def test_the_journal_records_which_objects_failed_and_which_were_not_reached(
    project: Any, failed_up: Any,
) -> None:
    [entry] = journal.read(project.root)
    assert entry["schema"] == journal.SCHEMA and entry["result"] == "failed"
    failed = [(f["kind"], f["name"], f["operation"]) for f in entry["failed"]]
    assert failed and set(failed) <= {(r.kind, r.name, "create") for r in FAILING}
    assert all("injected permanent failure" in f["message"] for f in entry["failed"])
    created = entry["applied"].get("create", 0)
    assert created > 0 and created + len(failed) + len(entry["not_reached"]) == PLANNED
    assert f"FAILED: {len(failed)} object" in failed_up.stdout
    assert f"{len(entry['not_reached'])} not reached (" in failed_up.stdout
    # What was not reached is really untouched: none of it is in the sandbox.
    live = {s.member_id for s in project.backend().list_sub_accounts("tb-youpin")}
    unreached = [SUB_ACCOUNT.parse(u["name"]) for u in entry["not_reached"]
                 if u["kind"] == SUB_ACCOUNT.word]
    assert unreached and not [p for p in unreached
                              if p["account"] == "tb-youpin" and p["member"] in live]
    assert "initial_password" not in json.dumps(entry)
    # The engine saved the state when the run failed: its step journal is spent and gone
    # (the next test's `up` then starts without a `shoporg recover`).
    assert list((project.root / ".shoporg" / "steps").glob("*.jsonl")) == []


def test_once_the_fault_is_cleared_the_next_up_applies_the_rest(
    project: Any, failed_up: Any,
) -> None:
    project.shoporg("sandbox", "faults", "clear")
    result = project.shoporg("up", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    first, second = journal.read(project.root)
    assert second["result"] == "applied" and second["failed"] == []
    assert second["not_reached"] == []
    assert sum(second["applied"].values()) == PLANNED - first["applied"]["create"]
    assert project.preview("--expect-no-changes", check=False).returncode == 0
