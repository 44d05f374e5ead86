"""Start dates in the desired world (issue 32): before a sub-account entry's ``valid_from``
day neither the sub-account nor its grants are declared; from that day (included) they are,
enabled until ``expires`` (included) and disabled from the day after it — the same "today"
(``Scope.today``, the account system's clock) judges both dates.

The org is ``tests/fixtures/org/valid/small-org-touching-every-kind.yaml`` with 李娜's
(li-na) Taobao entry given the dates of each case."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoporg.kinds import ROLE_GRANT, SUB_ACCOUNT, desired_world
from shoporg.schema import Org, validate_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "org"
BASE = (FIXTURES / "valid" / "small-org-touching-every-kind.yaml").read_text(encoding="utf-8")
ENTRY = "{account: tb, login_name: 李娜, roles: [tb-ops], expires: 2026-12-31}"
SUB, GRANT = SUB_ACCOUNT.ref("tb", "li-na"), ROLE_GRANT.ref("tb", "li-na", "tb-shop")
OTHER = SUB_ACCOUNT.ref("dy", "li-na")  # her Douyin entry has no dates


def org(valid_from: str | None, expires: str | None, status: str = "active") -> Org:
    dates = "".join(f", {k}: {v}" for k, v in (("valid_from", valid_from),
                                                ("expires", expires)) if v)
    text = BASE.replace(ENTRY, "{account: tb, login_name: 李娜, roles: [tb-ops]" + dates + "}")
    if status != "active":
        text = text.replace("    name: 李娜\n", f"    name: 李娜\n    status: {status}\n", 1)
    assert text.count("李娜") == BASE.count("李娜")
    return validate_text(text)


def state(o: Org, today: str) -> str:
    """``absent`` (not declared), ``enabled`` or ``disabled``; the grant must agree."""
    world = desired_world(o, datetime.date.fromisoformat(today))
    assert OTHER in world, "an entry without dates is declared whatever the day"
    sub = world.get(SUB)
    assert (GRANT in world) is (sub is not None), "the grant is declared with its sub-account"
    if sub is None:
        return "absent"
    return "enabled" if sub.get("enabled") else "disabled"


@pytest.mark.parametrize(
    ("case", "valid_from", "expires", "today", "expected"),
    [
        ("the day before its start nothing is declared", "2026-12-03", None, "2026-12-02",
         "absent"),
        ("on its start day it is declared, enabled", "2026-12-03", None, "2026-12-03",
         "enabled"),
        ("the day after its start it stays", "2026-12-03", None, "2026-12-04", "enabled"),
        ("a long way before its start nothing is declared", "2027-06-01", None, "2026-12-03",
         "absent"),
        ("with an expiry: the day before the start, nothing", "2026-12-03", "2026-12-17",
         "2026-12-02", "absent"),
        ("with an expiry: the start day, enabled", "2026-12-03", "2026-12-17", "2026-12-03",
         "enabled"),
        ("with an expiry: the day after the start, enabled", "2026-12-03", "2026-12-17",
         "2026-12-04", "enabled"),
        ("with an expiry: its last day, enabled", "2026-12-03", "2026-12-17", "2026-12-17",
         "enabled"),
        ("with an expiry: the day after its last, disabled (never deleted)", "2026-12-03",
         "2026-12-17", "2026-12-18", "disabled"),
        ("one day of access: the day before, nothing", "2026-12-03", "2026-12-03",
         "2026-12-02", "absent"),
        ("one day of access: that day, enabled", "2026-12-03", "2026-12-03", "2026-12-03",
         "enabled"),
        ("one day of access: the day after, disabled", "2026-12-03", "2026-12-03",
         "2026-12-04", "disabled"),
        ("no start date: declared as before", None, "2026-12-31", "2026-01-01", "enabled"),
    ],
)
def test_a_sub_account_is_declared_from_its_start_day(
    case: str, valid_from: str | None, expires: str | None, today: str, expected: str,
) -> None:
    assert state(org(valid_from, expires), today) == expected, case


@pytest.mark.parametrize(
    ("case", "today", "expected"),
    [
        ("a leaver whose start day is ahead never gets the sub-account", "2026-12-02",
         "absent"),
        ("a leaver whose start day has come is disabled, as every leaver", "2026-12-03",
         "disabled"),
    ],
)
def test_a_leaver_with_a_start_date(case: str, today: str, expected: str) -> None:
    assert state(org("2026-12-03", None, status="left"), today) == expected, case


DAYS = st.dates(min_value=datetime.date(2025, 1, 1), max_value=datetime.date(2027, 12, 31))


@settings(max_examples=60, deadline=None)
@given(today=DAYS, start=DAYS, length=st.one_of(st.none(), st.integers(0, 40)))
def test_declared_exactly_from_the_start_day_and_enabled_until_the_expiry(
    today: datetime.date, start: datetime.date, length: int | None,
) -> None:
    """For any today: declared iff ``valid_from <= today``; enabled iff also ``today <=
    expires``."""
    end = None if length is None else start + datetime.timedelta(days=length)
    got = state(org(start.isoformat(), end.isoformat() if end else None), today.isoformat())
    if today < start:
        assert got == "absent"
    elif end is None or today <= end:
        assert got == "enabled"
    else:
        assert got == "disabled"


@pytest.mark.parametrize(("case", "text", "today", "expected"), [
    ("a waiting member joins the group on their start day, not before",
     "members: [zhang-wei, wang-fang]", "2026-12-02", ["wang-fang"]),
    ("on the start day the group has them", "members: [zhang-wei, wang-fang]", "2026-12-03",
     ["wang-fang", "zhang-wei"]),
    ("a group of only waiting members is not declared before the day", "members: [zhang-wei]",
     "2026-12-02", None),
])
def test_a_chat_group_holds_a_member_from_their_start_day(
    case: str, text: str, today: str, expected: list[str] | None,
) -> None:
    entry = "{account: sp, login_name: zhangwei, roles: [sp-cs]}"
    waiting = BASE.replace(entry, entry[:-1] + ", valid_from: 2026-12-03}")
    if text != "members: [zhang-wei]":
        waiting = waiting.replace(
            "{account: tb, login_name: 王芳", "{account: sp, login_name: wangfang, "
            "roles: [sp-cs]}\n      - {account: tb, login_name: 王芳", 1)
        waiting = waiting.replace("name: 售前, members: [zhang-wei]", f"name: 售前, {text}")
    world = desired_world(validate_text(waiting), datetime.date.fromisoformat(today))
    groups = [d for r, d in world.items() if r.kind == "chat_group"]
    assert [g.get("member_ids") for g in groups] == ([] if expected is None else [expected])
