"""The removal guard of ``shoporg up`` and the append-only apply journal (no engine)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from providers.reports import journal
from providers.reports.build import plan_from_orgs
from providers.reports.guard import MIN_GROUP, check_removals
from providers.reports.sources import org_from_file
from providers.schema import Org

from .conftest import ORGS, TODAY


def without_members(org: Org, count: int) -> Org:
    gone = {m.id for m in org.members[:count]}
    groups = [g for g in org.chat_groups if not set(g.members) & gone]
    return org.model_copy(update={"members": org.members[count:], "chat_groups": groups})


@pytest.fixture(scope="module")
def base() -> Org:
    return org_from_file(ORGS / "base.yaml")


@pytest.mark.parametrize(
    ("case", "removed_members", "max_removals", "refused"),
    [
        ("removing nobody passes", 0, None, False),
        ("removing one member passes", 1, None, False),
        ("removing 40% of the members is refused", 6, None, True),
        ("an absolute cap refuses even a small removal", 1, 1, True),
        ("an absolute cap above the removals passes", 1, 50, False),
    ],
)
def test_the_removal_guard(case: str, removed_members: int, max_removals: int | None,
                           refused: bool, base: Org) -> None:
    plan = plan_from_orgs(base, without_members(base, removed_members), TODAY)
    verdict = check_removals(plan, base, max_removals=max_removals)
    assert verdict.refused is refused, case


def test_a_refusal_gives_the_counts_overall_and_for_the_group_over_the_limit(base: Org) -> None:
    plan = plan_from_orgs(base, without_members(base, 6), TODAY)
    verdict = check_removals(plan, base)
    message = verdict.message()
    assert f"removes {verdict.removed} of {verdict.existing} managed objects" in message
    assert verdict.removed == sum(1 for s in plan.steps if s.op == "delete")
    assert any(b.group.startswith("account ") and "(limit 25%)" in str(b)
               for b in verdict.breaches)
    assert "--allow-removals" in message


def test_small_groups_are_judged_only_by_the_overall_limit(base: Org) -> None:
    # huang-li is the only active member on oz-youpin with 2 objects: 2 of 9 there.
    org = base.model_copy(update={"members": [m for m in base.members if m.id != "huang-li"]})
    verdict = check_removals(plan_from_orgs(base, org, TODAY), base)
    small = [c for c in verdict.counts if c.existing < MIN_GROUP and c.removed]
    assert small and not verdict.refused


def test_the_journal_only_ever_appends(tmp_path: Path) -> None:
    journal.append(tmp_path, {"reason": "first", "plan_sha256": "a"})
    first = (tmp_path / journal.JOURNAL).read_bytes()
    journal.append(tmp_path, {"reason": "second 第二次", "plan_sha256": "b"})
    data = (tmp_path / journal.JOURNAL).read_bytes()
    assert data.startswith(first)
    entries = journal.read(tmp_path)
    assert [e["reason"] for e in entries] == ["first", "second 第二次"]
    assert all(e["schema"] == journal.SCHEMA and e["at"] for e in entries)
    assert len(data.decode().splitlines()) == 2 and json.loads(data.decode().splitlines()[1])
