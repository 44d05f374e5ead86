"""Role bundles per department (issue 32): a department's ``defaults`` give its members'
entries their roles, per account, unless an entry says otherwise; a mover's roles follow
the new department in one reviewed change that shows what they lose and gain."""

from __future__ import annotations

import datetime

import pytest

from shoporg.kinds import ROLE_GRANT
from shoporg.reports.build import review_from_orgs
from shoporg.schema import Org, validate_text

ORG = """\
company: 测试电商
accounts:
  - {{id: tb, platform: taobao, nick: 测试, seat_quota: 5, shops: [{{id: tb-shop, name: 店}}]}}
  - id: dy
    platform: douyin
    nick: 测试抖店
    seat_quota: 5
    shops: [{{id: dy-shop, name: 抖店}}]
departments:
  - id: cs
    name: 客服部
    defaults: {{tb: [tb-cs], dy: [dy-cs]}}
    children:
      - {{id: cs-aftersale, name: 售后, defaults: {{tb: [tb-cs, tb-refund]}}}}
  - id: ops
    name: 运营部
    defaults: {{tb: [tb-ops]}}
roles:
  - {{id: tb-cs, platform: taobao, name: 客服, permissions: [ww-chat, trade-view]}}
  - {{id: tb-refund, platform: taobao, name: 退款, permissions: [refund-view, refund-approve]}}
  - {{id: tb-ops, platform: taobao, name: 运营, permissions: [item-edit, item-price]}}
  - {{id: dy-cs, platform: douyin, name: 客服, permissions: [im-reply]}}
members:
  - id: zhang-wei
    name: 张伟
    department: {department}
    phone: "13800010001"
    sub_accounts:
      - {{account: tb, login_name: 张伟{tb_roles}}}
      - {{account: dy, login_name: 测试-张伟}}
"""


def org(department: str = "cs", tb_roles: str = "") -> Org:
    return validate_text(ORG.format(department=department, tb_roles=tb_roles))


def roles(o: Org) -> dict[str, tuple[list[str], str | None]]:
    [member] = o.members
    return {e.account: (list(e.roles), e.roles_from) for e in member.sub_accounts}


@pytest.mark.parametrize(("department", "tb_roles", "expected"), [
    pytest.param("cs", "", {"tb": (["tb-cs"], "cs"), "dy": (["dy-cs"], "cs")},
                 id="an entry without roles takes its department's for that account"),
    pytest.param("cs-aftersale", "", {"tb": (["tb-cs", "tb-refund"], "cs-aftersale"),
                                      "dy": (["dy-cs"], "cs")},
                 id="a sub-department's own defaults win, the parent's fill the rest"),
    pytest.param("cs", ", roles: [tb-refund]", {"tb": (["tb-refund"], None),
                                                "dy": (["dy-cs"], "cs")},
                 id="an entry that names its roles keeps them"),
    pytest.param("cs", ", roles: []", {"tb": ([], None), "dy": (["dy-cs"], "cs")},
                 id="an entry that says roles: [] gets none"),
    pytest.param("ops", "", {"tb": (["tb-ops"], "ops"), "dy": ([], None)},
                 id="an account the department names no roles for gets none"),
])
def test_an_entry_takes_its_departments_roles_unless_it_says_otherwise(
    department: str, tb_roles: str, expected: dict[str, tuple[list[str], str | None]],
) -> None:
    assert roles(org(department, tb_roles)) == expected


def test_a_mover_swaps_roles_in_one_reviewed_change_saying_where_they_come_from() -> None:
    review = review_from_orgs(org("cs"), org("ops"), today=datetime.date(2026, 12, 7),
                              source={"kind": "config"})
    grant = ROLE_GRANT.ref("tb", "zhang-wei", "tb-shop").name
    [change] = [c for c in review.changes if c.name == grant]
    assert change.op == "update"
    assert change.text == ("张伟 gains 编辑宝贝、修改价格 and loses 查看订单、接待咨询 on tb-shop "
                           "(roles: 运营, from 运营部's defaults)")
    assert {"item-edit", "item-price"} <= set(change.permissions_gained)  # + their menus
    assert {"ww-chat", "trade-view"} <= set(change.permissions_lost)
    dy = ROLE_GRANT.ref("dy", "zhang-wei", "dy-shop").name
    assert [c.op for c in review.changes if c.name == dy] == ["delete"]  # ops names no dy
