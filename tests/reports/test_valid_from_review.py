"""Start dates are changes a reviewer sees (issue 32): a sub-account waiting for its
``valid_from:`` day is not declared, so no plan step says it; the review says it instead, with
⏳ and the date, and a short elevation (``valid_from`` and ``expires`` at most
``TEMPORARY_DAYS`` apart) is called temporary access in every sentence about it.

The base is ``tests/fixtures/reports/orgs/base.yaml`` (judged on TODAY, 2026-11-23): 杨磊
(yang-lei) holds ``tb-ops`` on tb-youpin with no dates; a hire, 吴昊 (wu-hao), is added by the
cases that need one."""

from __future__ import annotations

import datetime

import pytest

from shoporg.reports.build import review_from_orgs, review_from_preview
from shoporg.reports.model import Review
from shoporg.reports.render import render_markdown
from shoporg.reports.sources import org_from_text, read_preview
from shoporg.schema.models import TEMPORARY_DAYS

from .conftest import ORGS, PREVIEWS, TODAY

BASE = (ORGS / "base.yaml").read_text(encoding="utf-8")
GRANT = "{account: tb-youpin, login_name: 杨磊, roles: [tb-ops]}"
YANG = "tb-youpin/yang-lei"
WU = "tb-youpin/wu-hao"
HIRE = """  - id: wu-hao
    name: 吴昊
    department: ops
    email: wu.hao@youpin-ec.com
    sub_accounts:
      - {account: tb-youpin, login_name: 吴昊, roles: [tb-ops]%s}
"""


def yang(dates: str | None) -> str:
    """base.yaml with 杨磊's tb-youpin grant given ``dates`` (``valid_from: ...``; None: as
    it is)."""
    return BASE if dates is None else BASE.replace(GRANT, GRANT[:-1] + f", {dates}}}")


def with_hire(dates: str | None) -> str:
    """base.yaml with the hire 吴昊 on tb-youpin, given ``dates`` (None: no hire)."""
    if dates is None:
        return BASE
    return BASE.replace("  - id: zhao-min\n", HIRE % f", {dates}" + "  - id: zhao-min\n", 1)


def config_review(old: str, new: str) -> Review:
    return review_from_orgs(org_from_text(old, "base.yaml"), org_from_text(new, "org.yaml"),
                            today=TODAY, source={"kind": "config", "old": "a", "new": "b"})


def lines(review: Review, name: str) -> list[str]:
    return [c.text for c in review.changes if c.name == name]


def ops(review: Review, name: str) -> list[str]:
    return sorted(c.op for c in review.changes if c.name.startswith(name))


WAITS = ("the sub-account is created and its roles granted on that day (the first `shoporg up` "
         "on or after it; nothing is created now)")


@pytest.mark.parametrize(
    ("case", "dates", "says", "steps"),
    [
        ("a hire starting in a week waits: nothing is created, the review says the day",
         "valid_from: 2026-11-30",
         ["吴昊's access on tb-youpin starts 2026-11-30 (in 7 days); " + WAITS], []),
        ("a hire starting tomorrow waits one day", "valid_from: 2026-11-24",
         ["吴昊's access on tb-youpin starts 2026-11-24 (in 1 day); " + WAITS], []),
        ("a hire starting in two months is still said, being a change", "valid_from: 2027-01-25",
         ["吴昊's access on tb-youpin starts 2027-01-25 (in 63 days); " + WAITS], []),
        ("a hire starting today is created now, the create line names the day",
         "valid_from: 2026-11-23",
         ["吴昊 gets sub-account `优品数码专营:吴昊` on tb-youpin (valid from 2026-11-23)"],
         ["create", "create"]),
        ("a hire who started yesterday is created now", "valid_from: 2026-11-22",
         ["吴昊 gets sub-account `优品数码专营:吴昊` on tb-youpin (valid from 2026-11-22)"],
         ["create", "create"]),
        ("a waiting hire with a later expiry says both days", "valid_from: 2026-11-30, "
         "expires: 2027-03-31",
         ["吴昊's access on tb-youpin starts 2026-11-30 (in 7 days); " + WAITS
          + "; it expires 2027-03-31"], []),
        ("a holiday cover 14 days apart is temporary access",
         "valid_from: 2026-12-03, expires: 2026-12-17",
         ["吴昊's access on tb-youpin starts 2026-12-03 (in 10 days); " + WAITS
          + "; temporary access 2026-12-03 to 2026-12-17, 15 days"], []),
        ("15 days apart is not temporary", "valid_from: 2026-12-03, expires: 2026-12-18",
         ["吴昊's access on tb-youpin starts 2026-12-03 (in 10 days); " + WAITS
          + "; it expires 2026-12-18"], []),
        ("a one-day elevation is temporary access of 1 day",
         "valid_from: 2026-12-03, expires: 2026-12-03",
         ["吴昊's access on tb-youpin starts 2026-12-03 (in 10 days); " + WAITS
          + "; temporary access 2026-12-03 to 2026-12-03, 1 day"], []),
        ("a temporary grant in force is said temporary by every line about it",
         "valid_from: 2026-11-20, expires: 2026-11-30",
         ["吴昊 gets sub-account `优品数码专营:吴昊` on tb-youpin (temporary access 2026-11-20 "
          "to 2026-11-30, 11 days)",
          "吴昊's access on tb-youpin expires 2026-11-30; the sub-account is disabled from "
          "2026-12-01 (the first `shoporg up` on or after that day; nothing changes now); "
          "temporary access 2026-11-20 to 2026-11-30, 11 days"], ["create", "create",
                                                               "expiry"]),
    ],
)
def test_a_hire_with_a_start_date(case: str, dates: str, says: list[str],
                                  steps: list[str]) -> None:
    review = config_review(BASE, with_hire(dates))
    assert lines(review, WU) == says, case
    created = sum(1 for c in review.changes if c.op == "create" and c.member == "wu-hao")
    assert review.totals()["create"] == created, case
    assert ops(review, WU) == (steps or ["expiry"]), case
    if not steps:
        assert review.totals() == {"create": 0, "update": 0, "replace": 0, "delete": 0}, (
            "nothing is created before the day")
        assert [a.id for a in review.accounts] == ["tb-youpin"], case
    markdown = render_markdown(review)
    assert not review.empty and "**No changes.**" not in markdown, case
    if not steps:
        assert f"- ⏳ {says[0]}" in markdown, case


def test_the_grant_of_a_temporary_elevation_says_temporary_too() -> None:
    review = config_review(BASE, with_hire("valid_from: 2026-11-20, expires: 2026-11-30"))
    [grant] = lines(review, WU + "@tb-youpin-shop")
    assert grant.endswith("(roles: 运营); temporary access 2026-11-20 to 2026-11-30, 11 days")


@pytest.mark.parametrize(
    ("case", "old", "new", "says", "deleted"),
    [
        ("a start date added to a sub-account in use deletes it until that day",
         None, "valid_from: 2026-12-01",
         "杨磊's access on tb-youpin starts 2026-12-01 (in 8 days; no start date before); "
         + WAITS, True),
        ("moving a start date later is a change", "valid_from: 2026-11-30",
         "valid_from: 2026-12-02",
         "杨磊's access on tb-youpin now starts 2026-12-02 (in 9 days; was 2026-11-30); "
         + WAITS, False),
        ("removing a start date still ahead creates the sub-account now",
         "valid_from: 2026-11-30", None,
         "杨磊's access on tb-youpin no longer has a start date (was 2026-11-30); the "
         "sub-account is created now", False),
        ("a start date added in the past changes nothing but is said", None,
         "valid_from: 2026-11-01",
         "杨磊's access on tb-youpin starts 2026-11-01 (no start date before); that day has "
         "come: the sub-account is declared from it", False),
        ("an unchanged start date within 14 days is said though nothing changes",
         "valid_from: 2026-12-07", "valid_from: 2026-12-07",
         "杨磊's access on tb-youpin starts 2026-12-07 (in 14 days); " + WAITS, False),
        ("an unchanged start date further out is not mentioned",
         "valid_from: 2026-12-08", "valid_from: 2026-12-08", None, False),
        ("an unchanged start date that has come is not mentioned",
         "valid_from: 2026-11-01", "valid_from: 2026-11-01", None, False),
    ],
)
def test_a_config_only_review_shows_every_start_date_change(
    case: str, old: str | None, new: str | None, says: str | None, deleted: bool,
) -> None:
    review = config_review(yang(old), yang(new))
    starts = [c.text for c in review.changes if c.name == YANG and c.op == "expiry"]
    if says is None:
        assert starts == [] and review.empty, case
        return
    assert starts == [says], case
    if deleted:
        [gone] = [c.text for c in review.changes if c.name == YANG and c.op == "delete"]
        assert gone == ("杨磊 loses sub-account `优品数码专营:杨磊` on tb-youpin (deleted: "
                        "org.yaml now starts it on 2026-12-01, the day it is created again)"), (
            case)
        assert any(r.code == "removal" and r.name == YANG for r in review.risks), (
            "the deletion is a removal the guard counts")
    else:
        assert not any(c.op == "delete" for c in review.changes), case


def test_an_engine_review_of_an_empty_plan_says_a_hire_starts_within_14_days() -> None:
    """The engine plans nothing for a waiting hire (not declared): the review still says
    the day, with ⏳, as it flags an expiry within the window."""
    for start, said in (("2026-11-30", True), ("2026-12-23", False)):
        review = review_from_preview(
            read_preview(PREVIEWS / "empty.json"),
            org_from_text(with_hire(f"valid_from: {start}"), "org.yaml"), today=TODAY,
            source={"kind": "preview-file", "file": "empty.json"})
        assert review.totals() == {"create": 0, "update": 0, "replace": 0, "delete": 0}
        markdown = render_markdown(review)
        assert (f"⏳ 吴昊's access on tb-youpin starts {start} (in 7 days)" in markdown) is said
        assert bool(lines(review, WU)) is said


def test_the_temporary_threshold_is_one_named_constant() -> None:
    """The sentence follows ``TEMPORARY_DAYS``: exactly that many days apart is temporary,
    one more is not."""
    start = datetime.date(2026, 12, 3)
    for apart, temporary in ((TEMPORARY_DAYS, True), (TEMPORARY_DAYS + 1, False)):
        end = start + datetime.timedelta(days=apart)
        review = config_review(BASE, with_hire(
            f"valid_from: {start.isoformat()}, expires: {end.isoformat()}"))
        [line] = lines(review, WU)
        assert ("temporary access" in line) is temporary, apart
