"""Helpers the later stages use: computed logins, default shops, department order."""

from __future__ import annotations

from pathlib import Path

import pytest

from shoporg.schema import Org, load_org

SMALL = (
    Path(__file__).parents[1] / "fixtures" / "org" / "valid" / "small-org-touching-every-kind.yaml"
)


@pytest.fixture(scope="module")
def org() -> Org:
    return load_org(SMALL)


@pytest.mark.parametrize(
    ("account", "login_name", "login"),
    [
        ("tb", "张伟", "测试数码:张伟"),
        ("sp", "zhangwei", "zhangwei"),
        ("dy", "测试-李娜", "测试-李娜"),
    ],
    ids=[
        "a taobao login is nick colon name",
        "a shopee login is the name as written",
        "a douyin login is the name as written",
    ],
)
def test_account_login(org: Org, account: str, login_name: str, login: str) -> None:
    assert next(a for a in org.accounts if a.id == account).login(login_name) == login


def test_a_sub_account_without_shops_covers_every_shop_of_its_account(org: Org) -> None:
    shopee = next(a for a in org.accounts if a.id == "sp")
    sub = next(s for m in org.members for s in m.sub_accounts if s.account == "sp")
    assert sub.shops is None
    assert sub.shop_ids(shopee) == ["sp-my", "sp-sg"]


def test_departments_are_walked_parents_first_in_file_order(org: Org) -> None:
    walked = [(d.id, p.id if p else None) for d, p in org.walk_departments()]
    assert walked == [
        ("cs", None),
        ("cs-presale", "cs"),
        ("cs-aftersale", "cs"),
        ("ops", None),
    ]
