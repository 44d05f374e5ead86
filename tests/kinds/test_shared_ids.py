"""A department, a role and a member may share an id: every layer keeps them apart.

Before the registry, reports keyed objects by bare resource name, so ``tb/pricing`` was
one object for three kinds: the config review missed a high-risk grant and drift could
hide an unmanaged role behind a member of the same name.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from shoporg.backends.protocol import Role
from shoporg.kinds import DEPARTMENT, ROLE, ROLE_GRANT, SUB_ACCOUNT, desired_world
from shoporg.reports.build import plan_from_orgs, review_from_orgs
from shoporg.reports.drift import unmanaged_objects
from shoporg.reports.guard import check_removals
from shoporg.reports.world import objects
from shoporg.schema import Org, load_org, validate_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kinds"
TODAY = datetime.date(2026, 12, 1)


def base() -> Org:
    return load_org(FIXTURES / "shared-ids.base.yaml")


def test_the_shared_id_is_three_objects_in_the_desired_world() -> None:
    world = desired_world(base(), TODAY)
    for ref in (DEPARTMENT.ref("tb", "pricing"), ROLE.ref("tb", "pricing"),
                SUB_ACCOUNT.ref("tb", "pricing")):
        assert ref in world
    assert len([r for r in world if r.name == "tb/pricing"]) == 3


def test_the_config_review_sees_the_high_risk_grant_and_invents_no_login_change() -> None:
    review = review_from_orgs(base(), load_org(FIXTURES / "shared-ids.new.yaml"), today=TODAY,
                              source={"kind": "config"})
    assert [(r.code, r.kind, r.name) for r in review.risks] == [
        ("high_risk_permission", ROLE_GRANT.word, "tb/pricing@tb-shop"),
    ]
    [change] = review.changes
    assert (change.kind, change.permissions_gained) == (ROLE_GRANT.word, ("item", "item-price"))


def test_drift_reports_a_live_role_that_shares_its_id_with_a_declared_member() -> None:
    text = (FIXTURES / "shared-ids.base.yaml").read_text(encoding="utf-8")
    org = validate_text(text.replace(
        "  - {id: pricing, platform: taobao, name: 改价, permissions: [item-price]}\n", ""))
    declared = objects(desired_world(org, TODAY))
    assert SUB_ACCOUNT.ref("tb", "pricing") in declared

    class LiveTenant:
        """Lists what the seller centre holds: the declared role plus a hand-made one."""

        def list_accounts(self) -> list[object]:
            return []

        def list_roles(self, account: str) -> list[Role]:
            return [Role(account, r, r, "", ("ww-chat",), ("ww-chat",))
                    for r in ("tb-cs", "pricing")]

        def __getattr__(self, name: str) -> object:
            return lambda account: []

    found = unmanaged_objects(LiveTenant(), declared, ["tb"])  # type: ignore[arg-type]
    assert [(u.kind, u.name) for u in found] == [("role", "tb/pricing")]


def test_the_removal_guard_counts_the_member_not_the_department_or_role_of_its_name() -> None:
    text = (FIXTURES / "shared-ids.base.yaml").read_text(encoding="utf-8")
    without_member = validate_text(text[: text.index("  - id: pricing\n    name: 价格专员")]
                                   + text[text.index("  - id: li-na"):])
    plan = plan_from_orgs(base(), without_member, TODAY)
    assert sorted((s.op, s.kind, s.name) for s in plan.steps) == [
        ("delete", ROLE_GRANT.word, "tb/pricing@tb-shop"),
        ("delete", SUB_ACCOUNT.word, "tb/pricing"),
    ]
    verdict = check_removals(plan, without_member)
    assert (verdict.removed, verdict.existing) == (2, len(plan.old))
    assert len(plan.old) == len(desired_world(base(), TODAY))
