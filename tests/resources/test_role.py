"""RoleProvider: a named permission set on one account, against a temporary sandbox."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime import rpc

from shoporg.backends.protocol import Backend, GrantSpec, RoleSpec, SubAccountSpec
from shoporg.errors import ConflictError, RuleViolation
from shoporg.resources import base
from shoporg.resources.role import RoleProvider

ROLE = {
    "account_id": "tb", "role_id": "cs-agent", "name": "客服", "description": "",
    "permissions": ["ww-chat", "trade-view"],
}


def forget_reads(provider: RoleProvider, account: str = "tb") -> None:
    """Drop the bulk-read cache, as a new provider process would start without it."""
    base.READ_CACHE.invalidate((provider.settings, provider.kind, account))


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        pytest.param(ROLE, [], id="valid props pass"),
        pytest.param(
            {**ROLE, "role_id": "客服"}, ["role_id"],
            id="a non-slug role id fails on that field",
        ),
        pytest.param(
            {**ROLE, "account_id": "TB"}, ["account_id"],
            id="an upper-case account id fails on that field",
        ),
        pytest.param(
            {**ROLE, "permissions": []}, ["permissions"],
            id="a role without permissions fails on permissions",
        ),
        pytest.param(
            {**ROLE, "permissions": ["ww-chat", ""]}, ["permissions.1"],
            id="an empty permission code fails on its position",
        ),
        pytest.param({**ROLE, "name": ""}, ["name"], id="an empty name fails on name"),
        pytest.param(
            {k: v for k, v in ROLE.items() if k != "name"}, ["name"],
            id="a missing name fails",
        ),
        pytest.param({**ROLE, "colour": "red"}, ["colour"], id="an unknown property fails"),
        pytest.param(
            {**ROLE, "effective": ["sell"]}, [],
            id="the effective output is not an unknown property",
        ),
        pytest.param(
            {**ROLE, "permissions": [rpc.UNKNOWN]}, [],
            id="permissions not known until apply are not reported",
        ),
    ],
)
def test_check_reports_each_problem_on_its_field(
    props: dict[str, Any], expected: list[str]
) -> None:
    result = RoleProvider().check({}, props)
    assert [f.property for f in result.failures] == expected


def test_the_identity_of_a_role_is_its_account_and_id() -> None:
    assert RoleProvider.identity == ("account_id", "role_id")


@pytest.mark.parametrize(
    ("change", "replaces"),
    [
        pytest.param({"account_id": "tm"}, ["account_id"], id="another account replaces"),
        pytest.param({"role_id": "cs-lead"}, ["role_id"], id="a new role id replaces"),
        pytest.param({"name": "售前客服"}, [], id="a renamed role updates in place"),
        pytest.param({"description": "前台"}, [], id="a new description updates in place"),
        pytest.param({"permissions": ["ww-chat"]}, [], id="new permissions update in place"),
    ],
)
def test_diff_replaces_only_for_identity_fields(
    change: dict[str, Any], replaces: list[str]
) -> None:
    result = RoleProvider().diff("tb/cs-agent", ROLE, {**ROLE, **change})
    assert (result.changes, result.replaces) == (True, replaces)
    assert result.delete_before_replace is True


def test_no_change_is_no_diff_even_with_outputs_in_the_old_state() -> None:
    result = RoleProvider().diff("tb/cs-agent", {**ROLE, "effective": ["sell"]}, ROLE)
    assert (result.changes, result.replaces) == (False, [])


def test_create_creates_the_role_and_reports_what_the_platform_really_grants(
    backend: Backend,
) -> None:
    result = RoleProvider().create(ROLE)
    assert result.id == "tb/cs-agent"
    # A point brings its parents: 查看订单 brings 交易管理 and 卖家中心.
    assert result.outs["effective"] == ["sell", "trade", "trade-view", "ww", "ww-chat"]
    assert result.outs["permissions"] == ["trade-view", "ww-chat"]
    live = backend.get_role("tb", "cs-agent")
    assert live is not None and live.name == "客服"
    assert sorted(live.permissions) == ["trade-view", "ww-chat"]


def test_create_adopts_an_identical_role_whatever_order_its_codes_were_written_in(
    backend: Backend,
) -> None:
    backend.create_role("tb", RoleSpec("cs-agent", "客服", ("trade-view", "ww-chat")))
    backend.reset_calls()
    result = RoleProvider().create({**ROLE, "permissions": ["ww-chat", "trade-view"]})
    assert result.id == "tb/cs-agent"
    assert [r.id for r in backend.list_roles("tb")] == ["cs-agent"]
    assert "create_role" not in backend.calls and "update_role" not in backend.calls


def test_create_refuses_a_different_role_with_the_same_id(backend: Backend) -> None:
    backend.create_role("tb", RoleSpec("cs-agent", "运营", ("item-edit",)))
    with pytest.raises(ConflictError, match="tb/cs-agent"):
        RoleProvider().create(ROLE)
    live = backend.get_role("tb", "cs-agent")
    assert live is not None and live.permissions == ("item-edit",)


def test_create_of_a_code_the_platform_does_not_know_is_refused_by_the_sandbox(
    backend: Backend,
) -> None:
    with pytest.raises(RuleViolation, match="chat-reply") as raised:
        RoleProvider().create({**ROLE, "permissions": ["chat-reply"]})  # a Shopee code
    assert raised.value.rule == "unknown_permission"
    assert backend.get_role("tb", "cs-agent") is None


def test_update_changes_name_and_permissions_in_place(backend: Backend) -> None:
    provider = RoleProvider()
    created = provider.create(ROLE)
    news = {**ROLE, "name": "售前客服", "permissions": ["trade"]}
    updated = provider.update(created.id, created.outs, news)
    assert updated.outs["effective"] == [
        "sell", "trade", "trade-address", "trade-ship", "trade-view",
    ]
    live = backend.get_role("tb", "cs-agent")
    assert live is not None and (live.name, live.permissions) == ("售前客服", ("trade",))


def test_read_of_a_vanished_role_drops_it_from_state(backend: Backend) -> None:
    provider = RoleProvider()
    created = provider.create(ROLE)
    backend.delete_role("tb", "cs-agent")
    forget_reads(provider)
    assert provider.read(created.id, created.outs).id is None


def test_read_returns_live_inputs_so_refresh_shows_a_role_edited_by_hand(
    backend: Backend,
) -> None:
    provider = RoleProvider()
    created = provider.create(ROLE)
    backend.update_role("tb", RoleSpec("cs-agent", "客服", ("ww-chat", "refund-view")))
    forget_reads(provider)
    result = provider.read(created.id, created.outs)
    assert result.id == "tb/cs-agent"
    assert result.inputs is not None and result.inputs["permissions"] == ["refund-view", "ww-chat"]
    assert result.outs["effective"] == ["refund", "refund-view", "sell", "ww", "ww-chat"]


def test_delete_removes_the_role(backend: Backend) -> None:
    provider = RoleProvider()
    created = provider.create(ROLE)
    provider.delete(created.id, created.outs)
    assert backend.list_roles("tb") == []


def test_delete_of_a_missing_role_succeeds(backend: Backend) -> None:
    RoleProvider().delete("tb/cs-agent", ROLE)
    assert backend.list_roles("tb") == []


def test_a_role_still_granted_to_someone_cannot_be_deleted(backend: Backend) -> None:
    provider = RoleProvider()
    created = provider.create(ROLE)
    backend.create_sub_account("tb", SubAccountSpec("alice", "acme旗舰店:alice", "王丽"))
    backend.set_grant("tb", GrantSpec("alice", "tb-shop", ("cs-agent",)))
    with pytest.raises(RuleViolation, match="alice@tb-shop") as raised:
        provider.delete(created.id, created.outs)
    assert raised.value.rule == "role_in_use"
    assert [r.id for r in backend.list_roles("tb")] == ["cs-agent"]


def test_two_roles_of_one_account_cannot_share_a_name(backend: Backend) -> None:
    provider = RoleProvider()
    provider.create(ROLE)
    with pytest.raises(RuleViolation) as raised:
        provider.create({**ROLE, "role_id": "cs-lead"})
    assert raised.value.rule == "role_name_taken"
    assert [r.id for r in backend.list_roles("tb")] == ["cs-agent"]
