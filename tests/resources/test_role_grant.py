"""RoleGrantProvider: the roles of one sub-account on one shop, against a temporary sandbox."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime import rpc

from shoporg.backends.protocol import Backend, GrantSpec, RoleSpec, SubAccountSpec
from shoporg.errors import NotFoundError, RuleViolation
from shoporg.resources import base
from shoporg.resources.role_grant import RoleGrantProvider
from shoporg.resources.sub_account import SubAccountProvider

GRANT = {
    "account_id": "tb", "member_id": "alice", "login": "acme旗舰店:alice",
    "shop_id": "tb-shop", "role_ids": ["cs-agent"],
}


def sub_props(member: str = "alice", **kw: Any) -> dict[str, Any]:
    return {
        "account_id": "tb", "member_id": member, "login": f"acme旗舰店:{member}",
        "display_name": "王丽", "department_id": None, "email": None, "phone": None,
        "dispatch": False, "two_factor": False, "enabled": True, **kw,
    }


def grants(backend: Backend) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(g.member_id, g.shop_id, g.role_ids) for g in backend.list_grants("tb")]


def forget_reads(provider: RoleGrantProvider, account: str = "tb") -> None:
    base.READ_CACHE.invalidate((provider.settings, provider.kind, account))


@pytest.fixture
def roles(backend: Backend) -> Backend:
    """The backend with two Taobao roles and alice's sub-account."""
    backend.create_role("tb", RoleSpec("cs-agent", "客服", ("ww-chat",)))
    backend.create_role("tb", RoleSpec("cs-lead", "客服主管", ("ww-dispatch",)))
    backend.create_sub_account("tb", SubAccountSpec("alice", "acme旗舰店:alice", "王丽"))
    return backend


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        pytest.param(GRANT, [], id="valid props pass"),
        pytest.param({**GRANT, "role_ids": []}, [], id="an empty role list passes"),
        pytest.param(
            {**GRANT, "member_id": "Alice"}, ["member_id"],
            id="a member id with capitals fails on that field",
        ),
        pytest.param({**GRANT, "login": ""}, ["login"], id="an empty login fails on login"),
        pytest.param(
            {**GRANT, "role_ids": ["cs-agent", "客服"]}, ["role_ids.1"],
            id="a non-slug role id fails on its position",
        ),
        pytest.param(
            {k: v for k, v in GRANT.items() if k != "shop_id"}, ["shop_id"],
            id="a missing shop fails",
        ),
        pytest.param({**GRANT, "shops": ["tb-shop"]}, ["shops"], id="an unknown property fails"),
        pytest.param(
            {**GRANT, "member_id": rpc.UNKNOWN, "login": rpc.UNKNOWN}, [],
            id="a member id and login wired from the sub-account are not reported before apply",
        ),
    ],
)
def test_check_reports_each_problem_on_its_field(
    props: dict[str, Any], expected: list[str]
) -> None:
    result = RoleGrantProvider().check({}, props)
    assert [f.property for f in result.failures] == expected


def test_the_identity_of_a_grant_is_its_account_shop_and_login() -> None:
    assert RoleGrantProvider.identity == ("account_id", "shop_id", "login")


@pytest.mark.parametrize(
    ("change", "replaces"),
    [
        pytest.param({"account_id": "tm"}, ["account_id"], id="another account replaces"),
        pytest.param({"shop_id": "tb-shop2"}, ["shop_id"], id="another shop replaces"),
        pytest.param(
            {"login": "acme旗舰店:alicia"}, ["login"],
            id="a renamed login replaces because the platform dropped the grants with it",
        ),
        pytest.param(
            {"member_id": "alice2"}, [],
            id="a member renamed with previously updates in place",
        ),
        pytest.param({"role_ids": ["cs-lead"]}, [], id="other roles update in place"),
    ],
)
def test_diff_replaces_only_for_identity_fields(
    change: dict[str, Any], replaces: list[str]
) -> None:
    result = RoleGrantProvider().diff("tb/alice@tb-shop", GRANT, {**GRANT, **change})
    assert (result.changes, result.replaces) == (True, replaces)


def test_no_change_is_no_diff() -> None:
    result = RoleGrantProvider().diff("tb/alice@tb-shop", GRANT, dict(GRANT))
    assert (result.changes, result.replaces) == (False, [])


def test_create_grants_the_roles_on_the_shop(roles: Backend) -> None:
    result = RoleGrantProvider().create({**GRANT, "role_ids": ["cs-lead", "cs-agent"]})
    assert result.id == "tb/alice@tb-shop"
    assert result.outs == {**GRANT, "role_ids": ["cs-agent", "cs-lead"]}
    assert grants(roles) == [("alice", "tb-shop", ("cs-agent", "cs-lead"))]


def test_create_adopts_an_identical_leftover_grant_without_writing(roles: Backend) -> None:
    roles.set_grant("tb", GrantSpec("alice", "tb-shop", ("cs-agent",)))
    roles.reset_calls()
    result = RoleGrantProvider().create(GRANT)
    assert result.id == "tb/alice@tb-shop"
    assert "set_grant" not in roles.calls
    assert grants(roles) == [("alice", "tb-shop", ("cs-agent",))]


def test_create_converges_a_leftover_grant_with_other_roles_to_the_declared_ones(
    roles: Backend,
) -> None:
    roles.set_grant("tb", GrantSpec("alice", "tb-shop", ("cs-lead",)))
    result = RoleGrantProvider().create(GRANT)
    assert result.outs["role_ids"] == ["cs-agent"]
    assert grants(roles) == [("alice", "tb-shop", ("cs-agent",))]


def test_a_grant_of_a_role_the_account_does_not_have_is_refused(roles: Backend) -> None:
    with pytest.raises(RuleViolation, match="ops") as raised:
        RoleGrantProvider().create({**GRANT, "role_ids": ["ops"]})
    assert raised.value.rule == "unknown_role"
    assert grants(roles) == []


def test_a_grant_for_a_sub_account_that_does_not_exist_is_refused(roles: Backend) -> None:
    with pytest.raises(NotFoundError, match="bob"):
        RoleGrantProvider().create({**GRANT, "member_id": "bob", "login": "acme旗舰店:bob"})
    assert grants(roles) == []


def test_update_sets_exactly_the_new_roles(roles: Backend) -> None:
    provider = RoleGrantProvider()
    created = provider.create(GRANT)
    updated = provider.update(created.id, created.outs, {**GRANT, "role_ids": ["cs-lead"]})
    assert updated.outs["role_ids"] == ["cs-lead"]
    assert grants(roles) == [("alice", "tb-shop", ("cs-lead",))]


def test_read_of_a_vanished_grant_drops_it_from_state(roles: Backend) -> None:
    provider = RoleGrantProvider()
    created = provider.create(GRANT)
    roles.delete_grant("tb", "alice", "tb-shop")
    forget_reads(provider)
    assert provider.read(created.id, created.outs).id is None


def test_read_shows_roles_changed_by_hand_and_the_login_of_the_holder(roles: Backend) -> None:
    provider = RoleGrantProvider()
    created = provider.create(GRANT)
    roles.set_grant("tb", GrantSpec("alice", "tb-shop", ("cs-agent", "cs-lead")))
    forget_reads(provider)
    result = provider.read(created.id, created.outs)
    assert result.id == "tb/alice@tb-shop"
    assert result.inputs == {**GRANT, "role_ids": ["cs-agent", "cs-lead"]}


def test_delete_revokes_the_grant(roles: Backend) -> None:
    provider = RoleGrantProvider()
    created = provider.create(GRANT)
    provider.delete(created.id, created.outs)
    assert grants(roles) == []


def test_delete_of_a_missing_grant_succeeds(roles: Backend) -> None:
    RoleGrantProvider().delete("tb/alice@tb-shop", GRANT)
    assert grants(roles) == []


def test_a_grant_is_rekeyed_in_place_after_its_member_is_renamed_with_previously(
    backend: Backend,
) -> None:
    backend.create_role("tb", RoleSpec("cs-agent", "客服", ("ww-chat",)))
    subs, provider = SubAccountProvider(), RoleGrantProvider()
    sub = subs.create(sub_props("alice"))
    created = provider.create(GRANT)
    # The engine updates the sub-account first (it re-keys the member and moves its grants),
    # then the grant, whose login is unchanged: no replacement.
    subs.update(sub.id, sub.outs, sub_props("alice2", login="acme旗舰店:alice"))
    news = {**GRANT, "member_id": "alice2"}
    assert provider.diff(created.id, created.outs, news).replaces == []
    updated = provider.update(created.id, created.outs, news)
    assert updated.outs["member_id"] == "alice2"
    assert grants(backend) == [("alice2", "tb-shop", ("cs-agent",))]
    forget_reads(provider)
    assert provider.read(created.id, updated.outs).inputs == news


def test_rekey_removes_a_leftover_grant_under_the_old_member_id(roles: Backend) -> None:
    # The new member id already had a sub-account of its own (made by hand), so the
    # sub-account's re-key moved nothing: keeping the old grant would leave the person two
    # grants on the same shop.
    roles.create_sub_account("tb", SubAccountSpec("alice2", "acme旗舰店:alice2", "王丽"))
    provider = RoleGrantProvider()
    created = provider.create(GRANT)
    updated = provider.update(created.id, created.outs, {**GRANT, "member_id": "alice2"})
    assert updated.outs["member_id"] == "alice2"
    assert grants(roles) == [("alice2", "tb-shop", ("cs-agent",))]


def test_rekey_leaves_the_grant_alone_when_the_sub_account_already_moved_it(
    roles: Backend,
) -> None:
    roles.set_grant("tb", GrantSpec("alice", "tb-shop", ("cs-agent",)))
    roles.rename_member("tb", "alice", "alice2")
    old = RoleGrantProvider().parse(GRANT)
    new = RoleGrantProvider().parse({**GRANT, "member_id": "alice2"})
    roles.reset_calls()
    RoleGrantProvider().rekey(roles, old, new)
    assert "delete_grant" not in roles.calls
    assert grants(roles) == [("alice2", "tb-shop", ("cs-agent",))]
