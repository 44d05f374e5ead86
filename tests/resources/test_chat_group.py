"""ChatGroupProvider: Shopee customer-service chat groups, against a temporary sandbox with a
Shopee account added to the shared fixture."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime import rpc

from shoporg.backends.protocol import Backend, ChatGroupSpec, SubAccountSpec
from shoporg.backends.sandbox import SandboxBackend, SellerCenter
from shoporg.errors import NotFoundError, RuleViolation
from shoporg.resources import base
from shoporg.resources.chat_group import ChatGroupProvider

GROUP = {
    "account_id": "sp", "shop_id": "sp-my", "name": "售前 pre-sales",
    "member_ids": ["alice", "bob"],
}


@pytest.fixture
def shopee(backend: Backend) -> Backend:
    """The backend with a Shopee account (shops in MY and SG) and three sub-accounts."""
    assert isinstance(backend, SandboxBackend)
    seller_center = SellerCenter(backend)
    seller_center.register_account("sp", "shopee", "acme.main", 5)
    seller_center.add_shop("sp", "sp-my", "Acme MY", "MY")
    seller_center.add_shop("sp", "sp-sg", "Acme SG", "SG")
    for member in ("alice", "bob", "carol"):
        backend.create_sub_account("sp", SubAccountSpec(member, f"{member}.acme", member))
    return backend


def groups(backend: Backend) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(g.shop_id, g.name, g.member_ids) for g in backend.list_chat_groups("sp")]


def forget_reads(provider: ChatGroupProvider, account: str = "sp") -> None:
    base.READ_CACHE.invalidate((provider.settings, provider.kind, account))


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        pytest.param(GROUP, [], id="valid props pass"),
        pytest.param(
            {**GROUP, "member_ids": []}, ["member_ids"],
            id="a group without members fails on member_ids",
        ),
        pytest.param(
            {**GROUP, "member_ids": ["alice", "Bob"]}, ["member_ids.1"],
            id="a member id with capitals fails on its position",
        ),
        pytest.param({**GROUP, "name": ""}, ["name"], id="an empty name fails on name"),
        pytest.param(
            {**GROUP, "shop_id": "sp_MY"}, ["shop_id"], id="a non-slug shop id fails on shop_id"
        ),
        pytest.param(
            {k: v for k, v in GROUP.items() if k != "account_id"}, ["account_id"],
            id="a missing account fails",
        ),
        pytest.param({**GROUP, "members": ["alice"]}, ["members"], id="an unknown property fails"),
        pytest.param(
            {**GROUP, "member_ids": ["alice", rpc.UNKNOWN]}, [],
            id="members wired from sub-accounts are not reported before apply",
        ),
    ],
)
def test_check_reports_each_problem_on_its_field(
    props: dict[str, Any], expected: list[str]
) -> None:
    result = ChatGroupProvider().check({}, props)
    assert [f.property for f in result.failures] == expected


def test_the_identity_of_a_chat_group_is_its_account_shop_and_name() -> None:
    assert ChatGroupProvider.identity == ("account_id", "shop_id", "name")


@pytest.mark.parametrize(
    ("change", "replaces"),
    [
        pytest.param({"account_id": "sp2"}, ["account_id"], id="another account replaces"),
        pytest.param({"shop_id": "sp-sg"}, ["shop_id"], id="another shop replaces"),
        pytest.param({"name": "售后 after-sales"}, ["name"], id="a renamed group replaces"),
        pytest.param({"member_ids": ["alice"]}, [], id="other members update in place"),
    ],
)
def test_diff_replaces_only_for_identity_fields(
    change: dict[str, Any], replaces: list[str]
) -> None:
    result = ChatGroupProvider().diff("sp-my/售前 pre-sales", GROUP, {**GROUP, **change})
    assert (result.changes, result.replaces) == (True, replaces)


def test_no_change_is_no_diff() -> None:
    result = ChatGroupProvider().diff("sp-my/售前 pre-sales", GROUP, dict(GROUP))
    assert (result.changes, result.replaces) == (False, [])


def test_create_makes_the_group_with_its_members(shopee: Backend) -> None:
    result = ChatGroupProvider().create({**GROUP, "member_ids": ["bob", "alice"]})
    assert result.id == "sp-my/售前 pre-sales"
    assert result.outs == GROUP
    assert groups(shopee) == [("sp-my", "售前 pre-sales", ("alice", "bob"))]


def test_create_adopts_an_identical_leftover_group_without_writing(shopee: Backend) -> None:
    shopee.set_chat_group("sp", ChatGroupSpec("sp-my", "售前 pre-sales", ("alice", "bob")))
    shopee.reset_calls()
    result = ChatGroupProvider().create(GROUP)
    assert result.id == "sp-my/售前 pre-sales"
    assert "set_chat_group" not in shopee.calls
    assert groups(shopee) == [("sp-my", "售前 pre-sales", ("alice", "bob"))]


def test_create_converges_a_leftover_group_to_the_declared_members(shopee: Backend) -> None:
    shopee.set_chat_group("sp", ChatGroupSpec("sp-my", "售前 pre-sales", ("carol",)))
    result = ChatGroupProvider().create(GROUP)
    assert result.outs["member_ids"] == ["alice", "bob"]
    assert groups(shopee) == [("sp-my", "售前 pre-sales", ("alice", "bob"))]


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        pytest.param(["alice", "bob", "carol"], ("alice", "bob", "carol"), id="a member joins"),
        pytest.param(["alice"], ("alice",), id="a member leaves"),
        pytest.param(["carol"], ("carol",), id="the whole group is swapped"),
    ],
)
def test_update_converges_the_members(
    shopee: Backend, members: list[str], expected: tuple[str, ...]
) -> None:
    provider = ChatGroupProvider()
    created = provider.create(GROUP)
    updated = provider.update(created.id, created.outs, {**GROUP, "member_ids": members})
    assert updated.outs["member_ids"] == list(expected)
    assert groups(shopee) == [("sp-my", "售前 pre-sales", expected)]


def test_a_member_without_a_sub_account_on_the_account_is_refused(shopee: Backend) -> None:
    provider = ChatGroupProvider()
    created = provider.create(GROUP)
    with pytest.raises(RuleViolation, match="dave") as raised:
        provider.update(created.id, created.outs, {**GROUP, "member_ids": ["alice", "dave"]})
    assert raised.value.rule == "unknown_member"
    assert groups(shopee) == [("sp-my", "售前 pre-sales", ("alice", "bob"))]


def test_the_same_group_name_in_two_shops_is_two_groups(shopee: Backend) -> None:
    provider = ChatGroupProvider()
    provider.create(GROUP)
    other = provider.create({**GROUP, "shop_id": "sp-sg", "member_ids": ["carol"]})
    assert other.id == "sp-sg/售前 pre-sales"
    assert groups(shopee) == [
        ("sp-my", "售前 pre-sales", ("alice", "bob")),
        ("sp-sg", "售前 pre-sales", ("carol",)),
    ]


def test_a_member_renamed_with_previously_keeps_their_place_in_the_group(
    shopee: Backend,
) -> None:
    provider = ChatGroupProvider()
    created = provider.create(GROUP)
    shopee.rename_member("sp", "bob", "robert")
    forget_reads(provider)
    result = provider.read(created.id, created.outs)
    assert result.inputs is not None and result.inputs["member_ids"] == ["alice", "robert"]


def test_a_taobao_shop_has_no_chat_groups(shopee: Backend) -> None:
    shopee.create_sub_account("tb", SubAccountSpec("alice", "acme旗舰店:alice", "王丽"))
    with pytest.raises(RuleViolation) as raised:
        ChatGroupProvider().create(
            {**GROUP, "account_id": "tb", "shop_id": "tb-shop", "member_ids": ["alice"]}
        )
    assert raised.value.rule == "chat_groups_unsupported"


def test_a_shop_of_another_account_is_not_found(shopee: Backend) -> None:
    with pytest.raises(NotFoundError, match="tb-shop"):
        ChatGroupProvider().create({**GROUP, "shop_id": "tb-shop"})
    assert groups(shopee) == []


def test_read_of_a_vanished_group_drops_it_from_state(shopee: Backend) -> None:
    provider = ChatGroupProvider()
    created = provider.create(GROUP)
    shopee.delete_chat_group("sp", "sp-my", "售前 pre-sales")
    forget_reads(provider)
    assert provider.read(created.id, created.outs).id is None


def test_read_returns_members_changed_by_hand_so_refresh_shows_drift(shopee: Backend) -> None:
    provider = ChatGroupProvider()
    created = provider.create(GROUP)
    shopee.set_chat_group("sp", ChatGroupSpec("sp-my", "售前 pre-sales", ("carol", "alice")))
    forget_reads(provider)
    result = provider.read(created.id, created.outs)
    assert result.id == created.id
    assert result.inputs == {**GROUP, "member_ids": ["alice", "carol"]}


def test_delete_removes_the_group(shopee: Backend) -> None:
    provider = ChatGroupProvider()
    created = provider.create(GROUP)
    provider.delete(created.id, created.outs)
    assert groups(shopee) == []


def test_delete_of_a_missing_group_succeeds(shopee: Backend) -> None:
    ChatGroupProvider().delete("sp-my/售前 pre-sales", GROUP)
    assert groups(shopee) == []
