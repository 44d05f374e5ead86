"""A start date is acted on by the same daily apply as an expiry (issue 32): a hire declared
with ``valid_from:`` tomorrow is not created by today's ``pulumi up`` (nothing is planned,
the sandbox has no such login); once the account system's clock reaches that day
(``shoporg sandbox clock advance 1d``) the same org.yaml plans the sub-account and its grant
and ``up`` creates them, enabled; the day after its ``expires:`` the next ``up`` disables it.

Runs the real ``pulumi`` on a copy of the project (``StackProject`` in conftest.py).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from shoporg.backends.clock import local_date

SUB = "tb-youpin/wu-hao"
GRANT = "tb-youpin/wu-hao@tb-youpin-shop"


def _hire(project: Any) -> dict[str, Any] | None:
    backend = project.backend()
    try:
        found = next((s for s in backend.list_sub_accounts("tb-youpin")
                      if s.member_id == "wu-hao"), None)
        grants = [g for g in backend.list_grants("tb-youpin") if g.member_id == "wu-hao"]
    finally:
        backend.close()
    if found is None:
        assert not grants, "no grant without its sub-account"
        return None
    return {"status": found.status, "roles": [list(g.role_ids) for g in grants]}


def test_a_hire_is_created_on_their_start_day_by_the_daily_apply(project: Any) -> None:
    project.up()
    backend = project.backend()
    try:
        today = local_date(backend.now())
    finally:
        backend.close()
    start, last = today + timedelta(days=1), today + timedelta(days=3)
    department = project.org()["members"][0]["department"]
    project.edit(lambda org: org["members"].append({
        "id": "wu-hao", "name": "吴昊", "department": department,
        "email": "wu.hao@youpin-ec.com",
        "sub_accounts": [{"account": "tb-youpin", "login_name": "吴昊",
                          "roles": ["tb-cs-presale"], "valid_from": start.isoformat(),
                          "expires": last.isoformat()}],
    }))

    assert project.plan() == Counter(), "nothing is created before the start day"
    project.up()
    assert _hire(project) is None

    project.shoporg("sandbox", "clock", "advance", "1d")  # the start day
    assert project.plan() == Counter({("create", SUB): 1, ("create", GRANT): 1})
    project.up()
    hire = _hire(project)
    assert hire is not None and hire["status"] != "disabled", hire
    assert len(hire["roles"]) == 1, hire

    project.shoporg("sandbox", "clock", "advance", "2d")  # its last day: nothing moves
    assert project.plan() == Counter()

    project.shoporg("sandbox", "clock", "advance", "1d")  # the day after expires
    assert project.plan() == Counter({("update", SUB): 1})
    project.up()
    hire = _hire(project)
    assert hire is not None and hire["status"] == "disabled", hire
