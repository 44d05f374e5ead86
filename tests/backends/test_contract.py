"""The backend contract: every platform rule, not-found and conflict semantics, bulk reads.

Runs against every factory in ``conftest.FACTORIES`` through the protocol only (plus the
world's seller-centre hands for platform facts). Each rule case breaks exactly one rule and
expects its stable ``rule`` name, so removing a rule makes its case fail; a platform rule's
refusal also states the rule in its table's words (``shoporg.platforms.rules``), and
``tests/platforms/test_rule_table.py`` holds every rule enforced at apply to a case here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from shoporg.backends.protocol import (
    BindingSpec,
    ChatGroupSpec,
    DepartmentSpec,
    GrantSpec,
    RoleSpec,
    SubAccountSpec,
)
from shoporg.errors import ConflictError, NotFoundError, RuleViolation
from shoporg.platforms.rules import RULES_BY_CODE

W = Any  # conftest.World; tests are not part of the typed package


def tb_sub(member: str, **kw: Any) -> SubAccountSpec:
    return SubAccountSpec(member_id=member, login=f"acme旗舰店:{member}", display_name=member, **kw)


def sp_sub(member: str, **kw: Any) -> SubAccountSpec:
    return SubAccountSpec(member_id=member, login=f"acme.main:{member}", display_name=member, **kw)


def oz_sub(member: str, **kw: Any) -> SubAccountSpec:
    kw.setdefault("email", f"{member}@example.com")
    return SubAccountSpec(member_id=member, login=member, display_name=member, **kw)


# --- one case per rule ------------------------------------------------------------------------


def _seat_quota(w: W) -> None:
    for m in ("a", "b", "c"):
        w.backend.create_sub_account("tb", tb_sub(m))
    w.backend.create_sub_account("tb", tb_sub("d"))


def _login_without_main_nick(w: W) -> None:
    w.backend.create_sub_account(
        "tb", SubAccountSpec(member_id="a", login="alice", display_name="A")
    )


def _login_with_fullwidth_colon(w: W) -> None:
    w.backend.create_sub_account(
        "tm", SubAccountSpec(member_id="a", login="acme天猫：alice", display_name="A")
    )


def _immutable_login(w: W) -> None:
    w.backend.create_sub_account("tb", tb_sub("alice"))
    renamed = SubAccountSpec(member_id="alice", login="acme旗舰店:alice2", display_name="alice")
    w.backend.update_sub_account("tb", renamed)


def _active_back_to_pending(w: W) -> None:
    w.backend.create_sub_account("tb", tb_sub("alice"))
    w.backend.set_sub_account_status("tb", "alice", "pending")


def _create_while_service_off(w: W) -> None:
    w.facts.set_sub_account_service("tb", False)
    w.backend.create_sub_account("tb", tb_sub("alice"))


def _enable_while_service_off(w: W) -> None:
    w.backend.create_sub_account("tb", tb_sub("alice"))
    w.facts.set_sub_account_service("tb", False)
    w.backend.set_sub_account_status("tb", "alice", "active")


def _delete_department_with_member(w: W) -> None:
    w.backend.create_department("tb", DepartmentSpec("cs", "客服部"))
    w.backend.create_sub_account("tb", tb_sub("alice", department_id="cs"))
    w.backend.delete_department("tb", "cs")


def _delete_department_with_child(w: W) -> None:
    w.backend.create_department("tb", DepartmentSpec("cs", "客服部"))
    w.backend.create_department("tb", DepartmentSpec("cs-pre", "售前", "cs"))
    w.backend.delete_department("tb", "cs")


def _member_in_missing_department(w: W) -> None:
    w.backend.create_sub_account("tb", tb_sub("alice", department_id="nowhere"))


def _department_under_missing_parent(w: W) -> None:
    w.backend.create_department("tb", DepartmentSpec("cs-pre", "售前", "cs"))


def _department_cycle(w: W) -> None:
    w.backend.create_department("tb", DepartmentSpec("cs", "客服部"))
    w.backend.create_department("tb", DepartmentSpec("cs-pre", "售前", "cs"))
    w.backend.update_department("tb", DepartmentSpec("cs", "客服部", "cs-pre"))


def _sibling_departments_same_name(w: W) -> None:
    w.backend.create_department("tb", DepartmentSpec("cs", "客服部"))
    w.backend.create_department("tb", DepartmentSpec("cs2", "客服部"))


def _department_on_shopee(w: W) -> None:
    w.backend.create_department("sp", DepartmentSpec("cs", "Customer service"))


def _unknown_permission(w: W) -> None:
    w.backend.create_role("tb", RoleSpec("r", "客服", ("ww-chat", "no-such-point")))


def _role_name_taken(w: W) -> None:
    w.backend.create_role("tb", RoleSpec("r1", "客服", ("ww-chat",)))
    w.backend.create_role("tb", RoleSpec("r2", "客服", ("trade-view",)))


def _delete_granted_role(w: W) -> None:
    w.backend.create_role("tb", RoleSpec("r", "客服", ("ww-chat",)))
    w.backend.create_sub_account("tb", tb_sub("alice"))
    w.backend.set_grant("tb", GrantSpec("alice", "tb-shop", ("r",)))
    w.backend.delete_role("tb", "r")


def _grant_unknown_role(w: W) -> None:
    w.backend.create_sub_account("tb", tb_sub("alice"))
    w.backend.set_grant("tb", GrantSpec("alice", "tb-shop", ("ghost",)))


def _shopee_link_expired(w: W) -> None:
    w.facts.register_account("sp2", "shopee", "beta.main", 5, activated=False)
    w.advance(timedelta(hours=72, minutes=1))
    w.facts.activate_main_account("sp2")


def _sub_account_before_shopee_activation(w: W) -> None:
    w.facts.register_account("sp2", "shopee", "beta.main", 5, activated=False)
    w.backend.create_sub_account(
        "sp2", SubAccountSpec(member_id="a", login="beta.main:a", display_name="a")
    )


def _role_before_shopee_activation(w: W) -> None:
    w.facts.register_account("sp2", "shopee", "beta.main", 5, activated=False)
    w.backend.create_role("sp2", RoleSpec(id="sp2-cs", name="CS", permissions=("chat-reply",)))


def _grant_before_shopee_activation(w: W) -> None:
    w.facts.register_account("sp2", "shopee", "beta.main", 5, activated=False)
    w.facts.add_shop("sp2", "sp2-my", "Beta MY", "MY")
    w.backend.set_grant("sp2", GrantSpec(member_id="a", shop_id="sp2-my", role_ids=()))


def _wallet_same_as_shop_password(w: W) -> None:
    w.facts.set_shop_password("sp", "Shop-Pass-1")
    w.backend.set_wallet_password("sp", "Shop-Pass-1")


def _wallet_set_by_sub_account(w: W) -> None:
    w.backend.set_wallet_password("sp", "Wallet-9", acting_login="acme.main:bob")


def _activation_on_taobao(w: W) -> None:
    w.facts.invite_main_account("tb")


def _wallet_on_taobao(w: W) -> None:
    w.backend.set_wallet_password("tb", "Wallet-9")


def _ozon_activate_unconfirmed(w: W) -> None:
    w.backend.create_sub_account("oz", oz_sub("ivan"))
    w.backend.set_sub_account_status("oz", "ivan", "active")


def _ozon_without_email(w: W) -> None:
    w.backend.create_sub_account("oz", oz_sub("ivan", email=None))


def _kuaishou_login_not_a_phone(w: W) -> None:
    w.backend.create_sub_account("ks", SubAccountSpec("ivan", "ivan", "Ivan"))


def _kuaishou_nickname_too_long(w: W) -> None:
    w.backend.create_sub_account("ks", SubAccountSpec("ivan", "13800010009", "伊" * 21))


def _malformed_email(w: W) -> None:
    w.backend.create_sub_account("tb", tb_sub("alice", email="not-an-email"))


def _two_factor_on_taobao(w: W) -> None:
    w.backend.create_sub_account("tb", tb_sub("alice", two_factor=True))


def _second_official(w: W) -> None:
    w.backend.bind("dy", BindingSpec("dy-shop", "official", "dy-off-1"))
    w.backend.bind("dy", BindingSpec("dy-shop", "official", "dy-off-2"))


def _unbind_official(w: W) -> None:
    w.backend.bind("dy", BindingSpec("dy-shop", "official", "dy-off-1"))
    w.advance(timedelta(days=1000))
    w.backend.unbind("dy", "dy-shop", "dy-off-1")


def _sixth_channel(w: W) -> None:
    for i in range(5):
        w.backend.bind("dy", BindingSpec("dy-shop", "channel", f"ch-{i}", "toutiao"))
    w.backend.bind("dy", BindingSpec("dy-shop", "channel", "ch-5", "xigua"))


def _channel_unknown_source(w: W) -> None:
    w.backend.bind("dy", BindingSpec("dy-shop", "channel", "ch-1", "weibo"))


def _channel_unbind_after_179_days(w: W) -> None:
    w.backend.bind("dy", BindingSpec("dy-shop", "channel", "ch-1", "huoshan"))
    w.advance(timedelta(days=179))
    w.backend.unbind("dy", "dy-shop", "ch-1")


def _self_operated_without_consent(w: W) -> None:
    w.facts.record_gmv("creator-1", 100.0, shop_id="dy-shop")
    w.backend.bind("dy", BindingSpec("dy-shop", "self_operated", "creator-1"))


def _self_operated_minority_gmv(w: W) -> None:
    w.facts.set_consent("creator-1", "dy-shop")
    w.facts.record_gmv("creator-1", 40.0, shop_id="dy-shop")
    w.facts.record_gmv("creator-1", 60.0, elsewhere="other-shop")
    w.backend.bind("dy", BindingSpec("dy-shop", "self_operated", "creator-1"))


def _self_operated_gmv_outside_window(w: W) -> None:
    # The shop's GMV is 31 days old: only the other shop's sales are in the 30-day window.
    w.facts.set_consent("creator-1", "dy-shop")
    w.facts.record_gmv("creator-1", 1000.0, shop_id="dy-shop", days_ago=30)
    w.facts.record_gmv("creator-1", 10.0, elsewhere="other-shop")
    w.backend.bind("dy", BindingSpec("dy-shop", "self_operated", "creator-1"))


def _self_operated_held_by_other_merchant(w: W) -> None:
    other, other_facts = w.other_company("beta")
    other_facts.register_account("dy", "douyin", "beta抖店", 5)
    other_facts.add_shop("dy", "beta-shop", "Beta", None)
    other_facts.set_consent("creator-1", "beta-shop")
    other_facts.record_gmv("creator-1", 100.0, shop_id="beta-shop")
    other.bind("dy", BindingSpec("beta-shop", "self_operated", "creator-1"))
    w.facts.set_consent("creator-1", "dy-shop")
    w.facts.record_gmv("creator-1", 500.0, shop_id="dy-shop")
    w.backend.bind("dy", BindingSpec("dy-shop", "self_operated", "creator-1"))


def _binding_on_taobao(w: W) -> None:
    w.backend.bind("tb", BindingSpec("tb-shop", "official", "dy-off-1"))


def _chat_group_on_taobao(w: W) -> None:
    w.backend.set_chat_group("tb", ChatGroupSpec("tb-shop", "售前", ()))


def _chat_group_unknown_member(w: W) -> None:
    w.backend.set_chat_group("sp", ChatGroupSpec("sp-my", "pre-sales", ("ghost",)))


def _second_shop_on_taobao(w: W) -> None:
    w.facts.add_shop("tb", "tb-shop-2", "Second", None)


def _shopee_unknown_site(w: W) -> None:
    w.facts.add_shop("sp", "sp-xx", "Nowhere", "XX")


RULE_CASES: list[Any] = [
    pytest.param(_seat_quota, "seat_quota", id="a fourth sub-account on three seats is refused"),
    pytest.param(
        _login_without_main_nick,
        "login_format",
        id="a taobao login without the main nick is refused",
    ),
    pytest.param(
        _login_with_fullwidth_colon,
        "login_format",
        id="a tmall login with a full-width colon is refused",
    ),
    pytest.param(_immutable_login, "immutable_login", id="renaming a taobao login is refused"),
    pytest.param(
        _active_back_to_pending,
        "status_transition",
        id="an active sub-account cannot go back to pending",
    ),
    pytest.param(
        _create_while_service_off,
        "service_disabled",
        id="no sub-account is created while the service is off",
    ),
    pytest.param(
        _enable_while_service_off,
        "service_disabled",
        id="no sub-account is re-enabled while the service is off",
    ),
    pytest.param(
        _delete_department_with_member,
        "department_not_empty",
        id="a department with a member cannot be deleted",
    ),
    pytest.param(
        _delete_department_with_child,
        "department_not_empty",
        id="a department with a sub-department cannot be deleted",
    ),
    pytest.param(
        _member_in_missing_department,
        "unknown_department",
        id="a sub-account cannot join a department that does not exist",
    ),
    pytest.param(
        _department_under_missing_parent,
        "unknown_department",
        id="a department cannot hang under a missing parent",
    ),
    pytest.param(
        _department_cycle, "department_cycle", id="a department cannot move under its own child"
    ),
    pytest.param(
        _sibling_departments_same_name,
        "department_name_taken",
        id="two sibling departments cannot share a name",
    ),
    pytest.param(
        _department_on_shopee, "departments_unsupported", id="shopee accounts have no departments"
    ),
    pytest.param(
        _unknown_permission,
        "unknown_permission",
        id="a role with a code outside the catalogue is refused",
    ),
    pytest.param(_role_name_taken, "role_name_taken", id="two roles cannot share a name"),
    pytest.param(_delete_granted_role, "role_in_use", id="a granted role cannot be deleted"),
    pytest.param(_grant_unknown_role, "unknown_role", id="granting a missing role is refused"),
    pytest.param(
        _shopee_link_expired,
        "shopee_activation_expired",
        id="a shopee activation link older than 72 hours is refused",
    ),
    pytest.param(
        _sub_account_before_shopee_activation,
        "shopee_not_activated",
        id="a shopee merchant must be activated before it gets sub-accounts",
    ),
    pytest.param(
        _role_before_shopee_activation,
        "shopee_not_activated",
        id="nor roles: nothing is created under an unactivated account",
    ),
    pytest.param(
        _grant_before_shopee_activation,
        "shopee_not_activated",
        id="and a grant says so before it says the sub-account is missing",
    ),
    pytest.param(
        _activation_on_taobao,
        "activation_unsupported",
        id="a taobao main account is not activated through a link",
    ),
    pytest.param(
        _wallet_same_as_shop_password,
        "wallet_password_same_as_shop",
        id="the wallet password must differ from the shop password",
    ),
    pytest.param(
        _wallet_set_by_sub_account,
        "wallet_password_main_only",
        id="only the main account sets the wallet password",
    ),
    pytest.param(
        _wallet_on_taobao, "wallet_password_unsupported", id="taobao has no wallet password"
    ),
    pytest.param(
        _ozon_activate_unconfirmed,
        "ozon_email_unconfirmed",
        id="an ozon user stays invited until the email is confirmed",
    ),
    pytest.param(_ozon_without_email, "email_required", id="an ozon user needs an email"),
    pytest.param(_malformed_email, "email_format", id="a malformed email is refused"),
    pytest.param(_kuaishou_login_not_a_phone, "ks_phone_format",
                 id="a kuaishou staff member logs in with a mobile number"),
    pytest.param(_kuaishou_nickname_too_long, "ks_nick_name_required",
                 id="a kuaishou staff nickname longer than twenty characters is refused"),
    pytest.param(
        _two_factor_on_taobao, "two_factor_unsupported", id="the 2fa flag exists only on ozon"
    ),
    pytest.param(
        _second_official, "official_exists", id="a douyin shop has exactly one official account"
    ),
    pytest.param(
        _unbind_official, "official_unbind", id="an official account is never unbound, however old"
    ),
    pytest.param(_sixth_channel, "channel_limit", id="a sixth channel account is refused"),
    pytest.param(
        _channel_unknown_source,
        "channel_source",
        id="a channel account from an unknown source is refused",
    ),
    pytest.param(
        _channel_unbind_after_179_days,
        "channel_unbind_too_early",
        id="a channel account cannot be unbound after 179 days",
    ),
    pytest.param(
        _self_operated_without_consent,
        "self_operated_consent",
        id="a self-operated account needs the creator's consent",
    ),
    pytest.param(
        _self_operated_minority_gmv,
        "self_operated_gmv",
        id="a self-operated account needs half the creator's gmv",
    ),
    pytest.param(
        _self_operated_gmv_outside_window,
        "self_operated_gmv",
        id="gmv older than 30 days does not count",
    ),
    pytest.param(
        _self_operated_held_by_other_merchant,
        "self_operated_taken",
        id="a creator self-operated by another merchant cannot be bound",
    ),
    pytest.param(_binding_on_taobao, "bindings_unsupported", id="taobao shops have no bindings"),
    pytest.param(
        _chat_group_on_taobao, "chat_groups_unsupported", id="chat groups exist only on shopee"
    ),
    pytest.param(
        _chat_group_unknown_member,
        "unknown_member",
        id="a chat group member needs a sub-account on the merchant",
    ),
    pytest.param(_second_shop_on_taobao, "single_shop", id="a taobao account has exactly one shop"),
    pytest.param(_shopee_unknown_site, "shopee_site", id="a shopee shop needs a known site"),
]


@pytest.mark.parametrize(("action", "rule"), RULE_CASES)
def test_rule(world: W, action: Callable[[W], None], rule: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        action(world)
    assert caught.value.rule == rule, str(caught.value)
    if rule in RULES_BY_CODE:
        assert RULES_BY_CODE[rule].message in str(caught.value)


# --- the other side of the time-bound and state rules -------------------------------------------


def test_a_shopee_link_opened_within_72_hours_activates(world: W) -> None:
    world.facts.register_account("sp2", "shopee", "beta.main", 5, activated=False)
    world.advance(timedelta(hours=71))
    assert world.facts.activate_main_account("sp2").activated


def test_invite_again_sends_a_fresh_72_hour_link(world: W) -> None:
    world.facts.register_account("sp2", "shopee", "beta.main", 5, activated=False)
    world.advance(timedelta(hours=100))
    invited = world.facts.invite_main_account("sp2")
    assert invited.activation_expires_at == world.clock.now() + timedelta(hours=72)
    world.advance(timedelta(hours=70))
    assert world.facts.activate_main_account("sp2").activated


def test_a_channel_account_can_be_unbound_from_day_180(world: W) -> None:
    world.backend.bind("dy", BindingSpec("dy-shop", "channel", "ch-1", "douyin"))
    world.advance(timedelta(days=180))
    world.backend.unbind("dy", "dy-shop", "ch-1")
    assert world.backend.get_binding("dy", "dy-shop", "ch-1") is None


def test_the_unbind_refusal_names_the_first_allowed_date(world: W) -> None:
    world.backend.bind("dy", BindingSpec("dy-shop", "channel", "ch-1", "douyin"))
    with pytest.raises(RuleViolation, match="from 2025-08-28"):
        world.backend.unbind("dy", "dy-shop", "ch-1")


def test_a_consenting_majority_creator_becomes_self_operated_and_can_be_unmarked(
    world: W,
) -> None:
    world.facts.set_consent("creator-1", "dy-shop")
    world.facts.record_gmv("creator-1", 60.0, shop_id="dy-shop", days_ago=3)
    world.facts.record_gmv("creator-1", 40.0, elsewhere="other-shop")
    binding = world.backend.bind("dy", BindingSpec("dy-shop", "self_operated", "creator-1"))
    assert binding.kind == "self_operated"
    world.backend.unbind("dy", "dy-shop", "creator-1")
    assert world.backend.list_bindings("dy") == []


def test_confirming_the_email_activates_an_invited_ozon_user(world: W) -> None:
    assert world.backend.create_sub_account("oz", oz_sub("ivan")).status == "pending"
    assert world.facts.confirm_email("oz", "ivan").status == "active"
    world.backend.set_sub_account_status("oz", "ivan", "disabled")
    assert world.backend.set_sub_account_status("oz", "ivan", "active").status == "active"


def test_switching_the_service_off_disables_every_sub_account(world: W) -> None:
    for m in ("a", "b"):
        world.backend.create_sub_account("tb", tb_sub(m))
    world.facts.set_sub_account_service("tb", False)
    assert {s.status for s in world.backend.list_sub_accounts("tb")} == {"disabled"}
    account = world.backend.get_account("tb")
    assert account is not None and not account.sub_account_service


def test_a_disabled_sub_account_can_be_re_enabled(world: W) -> None:
    world.backend.create_sub_account("tb", tb_sub("alice"))
    world.backend.set_sub_account_status("tb", "alice", "disabled")
    assert world.backend.set_sub_account_status("tb", "alice", "active").status == "active"


def test_deleting_a_sub_account_frees_its_seat(world: W) -> None:
    for m in ("a", "b", "c"):
        world.backend.create_sub_account("tb", tb_sub(m))
    world.backend.delete_sub_account("tb", "c")
    world.backend.create_sub_account("tb", tb_sub("d"))
    account = world.backend.get_account("tb")
    assert account is not None and account.seats_used == 3


def test_a_wallet_password_is_set_once_for_every_shop_and_never_read_back(world: W) -> None:
    world.facts.set_shop_password("sp", "Shop-Pass-1")
    account = world.backend.set_wallet_password("sp", "Wallet-Pass-2", acting_login="acme.main")
    assert account.wallet_password_set
    assert "Wallet-Pass-2" not in repr(account)


# --- roles and the catalogue -------------------------------------------------------------------


def test_granting_a_point_grants_its_parents_and_children(world: W) -> None:
    role = world.backend.create_role("tb", RoleSpec("deco", "美工", ("sm-design",)))
    assert role.permissions == ("sm-design",)
    assert set(role.effective) == {"sell", "sm", "sm-design", "sm-tbd-visit", "sm-tbd-publish"}
    assert "sm-design" in world.backend.permission_catalogue("tb")


def test_each_platform_checks_codes_against_its_own_catalogue(world: W) -> None:
    with pytest.raises(RuleViolation) as caught:
        world.backend.create_role("oz", RoleSpec("r", "Sales", ("ww-chat",)))
    assert caught.value.rule == "unknown_permission"
    assert world.backend.create_role("oz", RoleSpec("r", "Sales", ("orders",))).id == "r"


# --- not found is a state; duplicates are conflicts ---------------------------------------------


MISSING_READS: list[Any] = [
    pytest.param(
        lambda b: b.get_sub_account("tb", "ghost"), id="a missing sub-account reads as none"
    ),
    pytest.param(
        lambda b: b.get_sub_account_by_login("tb", "acme旗舰店:ghost"),
        id="a missing login reads as none",
    ),
    pytest.param(
        lambda b: b.get_department("tb", "ghost"), id="a missing department reads as none"
    ),
    pytest.param(lambda b: b.get_role("tb", "ghost"), id="a missing role reads as none"),
    pytest.param(
        lambda b: b.get_grant("tb", "ghost", "tb-shop"), id="a missing grant reads as none"
    ),
    pytest.param(
        lambda b: b.get_binding("dy", "dy-shop", "ghost"), id="a missing binding reads as none"
    ),
    pytest.param(
        lambda b: b.get_chat_group("sp", "sp-my", "ghost"), id="a missing chat group reads as none"
    ),
    pytest.param(lambda b: b.get_account("ghost"), id="a missing account reads as none"),
]


@pytest.mark.parametrize("read", MISSING_READS)
def test_missing_objects_read_as_none(world: W, read: Callable[[Any], object]) -> None:
    assert read(world.backend) is None


MISSING_WRITES: list[Any] = [
    pytest.param(
        lambda b: b.delete_sub_account("tb", "ghost"),
        id="deleting a missing sub-account is not found",
    ),
    pytest.param(
        lambda b: b.update_sub_account("tb", tb_sub("ghost")),
        id="updating a missing sub-account is not found",
    ),
    pytest.param(
        lambda b: b.delete_department("tb", "ghost"),
        id="deleting a missing department is not found",
    ),
    pytest.param(lambda b: b.delete_role("tb", "ghost"), id="deleting a missing role is not found"),
    pytest.param(
        lambda b: b.delete_grant("tb", "ghost", "tb-shop"),
        id="deleting a missing grant is not found",
    ),
    pytest.param(
        lambda b: b.unbind("dy", "dy-shop", "ghost"), id="unbinding a missing binding is not found"
    ),
    pytest.param(
        lambda b: b.delete_chat_group("sp", "sp-my", "ghost"),
        id="deleting a missing chat group is not found",
    ),
    pytest.param(
        lambda b: b.list_sub_accounts("ghost"), id="listing a missing account is not found"
    ),
    pytest.param(
        lambda b: b.set_grant("tb", GrantSpec("ghost", "tb-shop", ())),
        id="granting to a missing sub-account is not found",
    ),
]


@pytest.mark.parametrize("write", MISSING_WRITES)
def test_writes_to_missing_objects_raise_not_found(
    world: W, write: Callable[[Any], object]
) -> None:
    with pytest.raises(NotFoundError):
        write(world.backend)


def test_creating_an_existing_sub_account_is_a_conflict_and_adoptable_by_login(world: W) -> None:
    created = world.backend.create_sub_account("tb", tb_sub("alice"), initial_password="Init-1")
    with pytest.raises(ConflictError):
        world.backend.create_sub_account("tb", tb_sub("alice"))
    with pytest.raises(ConflictError):
        world.backend.create_sub_account(
            "tb", SubAccountSpec(member_id="other", login="acme旗舰店:alice", display_name="x")
        )
    assert world.backend.get_sub_account_by_login("tb", "acme旗舰店:alice") == created
    assert created.password_set


def test_departments_and_roles_are_adoptable_by_name(world: W) -> None:
    dept = world.backend.create_department("tb", DepartmentSpec("cs", "客服部"))
    assert world.backend.get_department_by_name("tb", "客服部", None) == dept
    role = world.backend.create_role("tb", RoleSpec("r", "客服", ("ww-chat",)))
    assert world.backend.get_role_by_name("tb", "客服") == role


# --- updates, bulk reads, cascades ----------------------------------------------------------


def test_a_sub_account_moves_department_and_changes_contact_in_place(world: W) -> None:
    world.backend.create_department("tb", DepartmentSpec("cs", "客服部"))
    world.backend.create_department("tb", DepartmentSpec("ops", "运营部"))
    world.backend.create_sub_account("tb", tb_sub("alice", department_id="cs"))
    moved = world.backend.update_sub_account(
        "tb", tb_sub("alice", department_id="ops", phone="13800000000", dispatch=True)
    )
    assert (moved.department_id, moved.phone, moved.dispatch) == ("ops", "13800000000", True)
    depts = {d.id: d.member_ids for d in world.backend.list_departments("tb")}
    assert depts == {"cs": (), "ops": ("alice",)}


def test_a_shopee_member_gets_grants_and_chat_groups_per_shop(world: W) -> None:
    world.backend.create_role("sp", RoleSpec("cs", "CS", ("chat-reply",)))
    world.backend.create_sub_account("sp", sp_sub("bob"))
    for shop in ("sp-my", "sp-sg"):
        world.backend.set_grant("sp", GrantSpec("bob", shop, ("cs",)))
        world.backend.set_chat_group("sp", ChatGroupSpec(shop, "pre-sales", ("bob",)))
    assert [(g.shop_id, g.role_ids) for g in world.backend.list_grants("sp")] == [
        ("sp-my", ("cs",)),
        ("sp-sg", ("cs",)),
    ]
    assert [(c.shop_id, c.member_ids) for c in world.backend.list_chat_groups("sp")] == [
        ("sp-my", ("bob",)),
        ("sp-sg", ("bob",)),
    ]


def test_deleting_a_sub_account_removes_its_grants_and_chat_memberships(world: W) -> None:
    world.backend.create_role("sp", RoleSpec("cs", "CS", ("chat-reply",)))
    world.backend.create_sub_account("sp", sp_sub("bob"))
    world.backend.set_grant("sp", GrantSpec("bob", "sp-my", ("cs",)))
    world.backend.set_chat_group("sp", ChatGroupSpec("sp-my", "pre-sales", ("bob",)))
    world.backend.delete_sub_account("sp", "bob")
    assert world.backend.list_grants("sp") == []
    group = world.backend.get_chat_group("sp", "sp-my", "pre-sales")
    assert group is not None and group.member_ids == ()


def test_renaming_a_member_keeps_the_login_and_moves_grants_and_chat_memberships(
    world: W,
) -> None:
    world.backend.create_role("sp", RoleSpec("cs", "CS", ("chat-reply",)))
    created = world.backend.create_sub_account("sp", sp_sub("bob"))
    world.backend.set_grant("sp", GrantSpec("bob", "sp-my", ("cs",)))
    world.backend.set_chat_group("sp", ChatGroupSpec("sp-my", "pre-sales", ("bob",)))
    renamed = world.backend.rename_member("sp", "bob", "robert")
    assert (renamed.member_id, renamed.login, renamed.status) == ("robert", created.login, "active")
    assert world.backend.get_sub_account("sp", "bob") is None
    assert [(g.member_id, g.shop_id) for g in world.backend.list_grants("sp")] == [
        ("robert", "sp-my")
    ]
    group = world.backend.get_chat_group("sp", "sp-my", "pre-sales")
    assert group is not None and group.member_ids == ("robert",)


def test_renaming_a_member_onto_a_taken_id_is_a_conflict(world: W) -> None:
    world.backend.create_sub_account("sp", sp_sub("bob"))
    world.backend.create_sub_account("sp", sp_sub("carol"))
    with pytest.raises(ConflictError):
        world.backend.rename_member("sp", "bob", "carol")
    assert world.backend.get_sub_account("sp", "bob") is not None


def test_a_whole_account_is_read_in_one_call_per_kind(world: W) -> None:
    for m in ("a", "b", "c"):
        world.backend.create_sub_account("tb", tb_sub(m))
    world.backend.reset_calls()
    assert len(world.backend.list_sub_accounts("tb")) == 3
    world.backend.list_departments("tb")
    world.backend.list_roles("tb")
    world.backend.list_grants("tb")
    assert world.backend.calls == {
        "list_sub_accounts": 1,
        "list_departments": 1,
        "list_roles": 1,
        "list_grants": 1,
    }


def test_accounts_list_their_shops_and_sites(world: W) -> None:
    accounts = {a.id: a for a in world.backend.list_accounts()}
    assert set(accounts) == {"tb", "tm", "sp", "oz", "dy", "ks"}
    assert [(s.id, s.site) for s in accounts["sp"].shops] == [("sp-my", "MY"), ("sp-sg", "SG")]
    assert world.backend.list_shops("sp") == list(accounts["sp"].shops)


def test_companies_in_one_file_do_not_see_each_other(world: W) -> None:
    other, other_facts = world.other_company("beta")
    other_facts.register_account("tb", "taobao", "beta旗舰店", 1)
    other.create_sub_account(
        "tb", SubAccountSpec(member_id="x", login="beta旗舰店:x", display_name="x")
    )
    world.backend.create_sub_account("tb", tb_sub("alice"))
    assert [s.member_id for s in world.backend.list_sub_accounts("tb")] == ["alice"]
    assert [s.member_id for s in other.list_sub_accounts("tb")] == ["x"]
    assert [a.id for a in other.list_accounts()] == ["tb"]
