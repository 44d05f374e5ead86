"""The removal guard of ``shoporg up`` and the append-only apply journal (no engine)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from shoporg.errors import ShoporgError
from shoporg.reports import journal
from shoporg.reports.build import plan_from_orgs
from shoporg.reports.guard import check_removals
from shoporg.reports.sources import org_from_file
from shoporg.schema import Org, RemovalLimits, validate_text

from .conftest import ORGS, TODAY

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


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
        ("an absolute cap of none refuses even one person's removal", 1, 0, True),
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
    verdict = check_removals(plan, without_members(base, 6))
    message = verdict.message()
    assert f"takes access from {verdict.people} people" in message
    assert f"removes {verdict.removed} of {verdict.existing} managed objects" in message
    assert verdict.removed == sum(1 for s in plan.steps if s.op == "delete")
    assert any(b.group.startswith("account ") and "limit 25% and more than 2 people" in str(b)
               for b in verdict.breaches)
    assert "--allow-removals" in message


FOUR_STAFF = (FIXTURES / "guard" / "four-staff.yaml").read_text(encoding="utf-8")


def four_staff_without(first_gone: str | None, edit: Callable[[str], str] = str) -> Org:
    """The four-staff org.yaml cut from member ``first_gone`` to the bindings, as a truncated
    file (or a bad merge) would; ``edit`` changes the text before it is read."""
    text = FOUR_STAFF
    if first_gone is not None:
        text = text[: text.index(f"  - id: {first_gone}\n")] + text[text.index("bindings:"):]
    return validate_text(edit(text), "org.yaml")


def leave(text: str) -> str:
    return text.replace("    sub_accounts:", "    status: left\n    sub_accounts:").replace(
        "status: left\n    sub_accounts:", "sub_accounts:", 1)  # 陈静 (first) stays


def floor_of_one(text: str) -> str:
    return text + "policies:\n  removal_limits: {min_people: 1}\n"


@pytest.mark.parametrize(
    ("case", "first_gone", "edit", "refused", "over"),
    [
        ("a truncated org.yaml deleting three of four staff is refused", "liu-yang", str, True,
         ["overall: 3 of 4 people lose access (75%",
          "account tb-xh (小禾家居): 3 of 4 people lose access (75%",
          "department 运营中心 (ops-center): 3 of 4 people",
          "department 运营中心 / 客服部 (cs): 3 of 3 people"]),
        ("deleting one of four staff passes: one person is not a mass removal", "sun-lei", str,
         False, []),
        ("deleting two of four staff passes: not more than two people", "zhao-min", str,
         False, []),
        ("with min_people 1 in org.yaml, deleting two of four staff is refused", "zhao-min",
         floor_of_one, True, ["overall: 2 of 4 people lose access (50%, limit 25% and more "
                              "than 1 person)"]),
        ("three leavers are disabled, not deleted, and pass", None, leave, False, []),
    ],
)
def test_the_guard_counts_people_so_a_small_company_is_protected(
    case: str, first_gone: str | None, edit: Callable[[str], str], refused: bool,
    over: list[str],
) -> None:
    full = four_staff_without(None)
    proposed = four_staff_without(first_gone, edit)
    plan = plan_from_orgs(full, proposed, TODAY)
    verdict = check_removals(plan, proposed)  # as `shoporg up`: it has no base org.yaml
    assert verdict.refused is refused, case
    breaches = [str(b) for b in verdict.breaches]
    for line in over:
        assert any(b.startswith(line) for b in breaches), (line, breaches)


def test_the_refusal_of_a_truncated_org_yaml_gives_every_count() -> None:
    proposed = four_staff_without("liu-yang")
    verdict = check_removals(plan_from_orgs(four_staff_without(None), proposed, TODAY), proposed)
    message = verdict.message()
    # 5 of the 10 sub-accounts, and the role grants with them; departments and roles (which
    # the plan does not touch) are in no share.
    assert "takes access from 3 of 4 people" in message
    assert "overall: 3 of 4 people lose access (75%, limit 25% and more than 2 people); " \
           "deleted: 5 of 10 sub-accounts, 5 of 10 role grants" in message
    assert "account tm-xh (小禾家居旗舰店): 1 of 2 people lose access (50%" in message
    assert "within the limits:" in message  # the groups under the limit are counted too


def test_the_readme_says_what_the_guard_counts_with_the_models_defaults() -> None:
    readme = " ".join((Path(__file__).parents[2] / "README.md").read_text("utf-8").split())
    d = RemovalLimits()
    assert "counts people and what they hold (sub-accounts and role grants" in readme
    assert f"defaults {d.overall:.0%}, {d.per_account:.0%} and {d.min_people}" in readme


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


def test_a_journal_line_that_is_not_json_is_an_error_naming_its_file_and_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / journal.JOURNAL
    path.parent.mkdir(parents=True)
    path.write_text('{"result": "applied"}\n\n{"result": "appl\n', encoding="utf-8")
    with pytest.raises(ShoporgError, match=rf"{path}:3: not a journal line"):
        journal.read(tmp_path)
    path.write_text('{"result": "applied"}\n\n', encoding="utf-8")
    assert journal.read(tmp_path) == [{"result": "applied"}]
