"""The big org the crash and fault scenarios apply is committed, current and valid."""

from __future__ import annotations

import datetime

from shoporg.kinds import desired_world
from shoporg.schema import load_org
from tests.reliability.bigorg import FIXTURE, big_org, render


def test_the_committed_big_org_is_what_the_generator_writes_today() -> None:
    assert FIXTURE.read_text(encoding="utf-8") == render(big_org()), (
        "stale: .venv/bin/python -m tests.reliability.bigorg > " + str(FIXTURE)
    )


def test_the_big_org_is_valid_and_big_enough_to_crash_in_the_middle_of() -> None:
    org = load_org(FIXTURE)
    counts = org.counts()
    # "An up of a few hundred resources" (issue 6), so a kill lands in each phase.
    assert len(desired_world(org, datetime.date.today())) >= 250
    assert counts["sub_accounts"] >= 100
    assert counts["left"] >= 5  # leavers: the disable-after-create path is exercised
