"""Expiry is a change a reviewer sees (issue 15.3): adding, moving or removing ``expires:`` is a
line of a config-only review although the engine changes nothing today, and a grant expiring
within 14 days is flagged whether or not anything else changes — in both reviews.

The base is ``tests/fixtures/reports/orgs/base.yaml`` (judged on TODAY, 2026-11-23), where
杨磊 (yang-lei) holds ``tb-ops`` on tb-youpin without an expiry."""

from __future__ import annotations

import pytest

from shoporg.reports.build import review_from_orgs, review_from_preview
from shoporg.reports.model import Review
from shoporg.reports.render import render_markdown
from shoporg.reports.sources import org_from_text, read_preview

from .conftest import ORGS, PREVIEWS, TODAY

BASE = (ORGS / "base.yaml").read_text(encoding="utf-8")
GRANT = "{account: tb-youpin, login_name: 杨磊, roles: [tb-ops]}"
NAME = "tb-youpin/yang-lei"


def expiring(expires: str | None) -> str:
    """base.yaml with 杨磊's tb-youpin grant expiring on ``expires`` (None: as it is)."""
    return BASE if expires is None else BASE.replace(
        GRANT, GRANT[:-1] + f", expires: {expires}}}")


def config_review(old: str | None, new: str | None) -> Review:
    return review_from_orgs(org_from_text(expiring(old), "base.yaml"),
                            org_from_text(expiring(new), "org.yaml"), today=TODAY,
                            source={"kind": "config", "old": "a", "new": "b"})


def expiry_lines(review: Review) -> list[str]:
    return [c.text for c in review.changes if c.op == "expiry" and c.name == NAME]


def flagged(review: Review) -> bool:
    return any(r.code == "expiring_grant" and r.name == NAME for r in review.risks)


@pytest.mark.parametrize(
    ("case", "old", "new", "says", "flag"),
    [
        ("adding an expiry tomorrow is a change with a risk flag", None, "2026-11-24",
         "杨磊's access on tb-youpin expires 2026-11-24 (no expiry before); the sub-account "
         "is disabled from 2026-11-25", True),
        ("adding an expiry in a month is a change without a flag", None, "2026-12-23",
         "expires 2026-12-23 (no expiry before)", False),
        ("moving an expiry into the next 14 days is a change with a flag", "2027-01-10",
         "2026-11-30", "now expires 2026-11-30 (was 2027-01-10)", True),
        ("moving an expiry further out is a change without a flag", "2026-11-30",
         "2027-01-10", "now expires 2027-01-10 (was 2026-11-30)", False),
        ("removing an expiry is a change", "2026-11-30", None,
         "杨磊's access on tb-youpin no longer expires (was 2026-11-30)", False),
        ("an unchanged expiry within 14 days is flagged though nothing changes", "2026-11-30",
         "2026-11-30", "expires 2026-11-30; the sub-account is disabled from 2026-12-01", True),
        ("an unchanged expiry further out is not mentioned", "2027-01-10", "2027-01-10",
         None, False),
    ],
)
def test_a_config_only_review_shows_every_expiry_change(
    case: str, old: str | None, new: str | None, says: str | None, flag: bool,
) -> None:
    review = config_review(old, new)
    lines = expiry_lines(review)
    if says is None:
        assert lines == [] and review.empty, case
    else:
        [line] = lines
        assert says in line, (case, line)
        assert not review.empty and "**No changes.**" not in render_markdown(review), case
        assert review.totals() == {"create": 0, "update": 0, "replace": 0, "delete": 0}, (
            "nothing is applied today")
        assert [a.id for a in review.accounts] == ["tb-youpin"], case
    assert flagged(review) is flag, case


@pytest.mark.parametrize(
    ("case", "expires", "flag"),
    [
        ("an engine review of an empty plan flags a grant expiring in a week", "2026-11-30",
         True),
        ("an engine review of an empty plan says nothing of one expiring next year",
         "2027-11-30", False),
    ],
)
def test_an_engine_review_flags_a_grant_expiring_within_14_days(
    case: str, expires: str, flag: bool,
) -> None:
    review = review_from_preview(read_preview(PREVIEWS / "empty.json"),
                                 org_from_text(expiring(expires), "org.yaml"), today=TODAY,
                                 source={"kind": "preview-file", "file": "empty.json"})
    assert flagged(review) is flag, case
    assert bool(expiry_lines(review)) is flag, case
    assert ("expires 2026-11-30 (in 7 days)" in render_markdown(review)) is flag, case
