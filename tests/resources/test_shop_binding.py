"""ShopBindingProvider: external accounts bound to a Douyin shop, against a temporary sandbox
whose clock the tests hold still (the 180-day channel lock is a time rule)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shoporg.backends.ledger import Ledger
from shoporg.backends.protocol import Backend, BindingSpec
from shoporg.backends.sandbox import FixedClock, SandboxBackend, SellerCenter
from shoporg.errors import ConflictError, RuleViolation
from shoporg.platforms import DOUYIN_CHANNEL_UNBIND_AFTER_DAYS, DOUYIN_MAX_CHANNEL_ACCOUNTS
from shoporg.resources import base
from shoporg.resources.shop_binding import ShopBindingProvider

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
LOCK = timedelta(days=DOUYIN_CHANNEL_UNBIND_AFTER_DAYS)

CHANNEL = {
    "account_id": "dy", "shop_id": "dy-shop", "kind": "channel",
    "external_id": "tt-555", "source": "toutiao",
}
OFFICIAL = {**CHANNEL, "kind": "official", "external_id": "dy-official-123", "source": None}
SELF_OPERATED = {**CHANNEL, "kind": "self_operated", "external_id": "creator-9", "source": None}


@pytest.fixture
def clock(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    """Pin the providers' backend to a clock standing at START."""
    assert isinstance(backend, SandboxBackend)
    fixed = FixedClock(START)
    monkeypatch.setattr(backend, "clock", fixed)
    return fixed


@pytest.fixture
def seller_center(backend: Backend) -> SellerCenter:
    """The seller centre's hands on the same backend (creator consent, GMV)."""
    assert isinstance(backend, SandboxBackend)
    return SellerCenter(backend)


def forget_reads(provider: ShopBindingProvider, account: str = "dy") -> None:
    base.READ_CACHE.invalidate((provider.settings, provider.kind, account))


def bound(backend: Backend) -> list[tuple[str, str]]:
    return [(b.kind, b.external_id) for b in backend.list_bindings("dy")]


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        pytest.param(CHANNEL, [], id="a channel binding passes"),
        pytest.param(OFFICIAL, [], id="an official binding without a source passes"),
        pytest.param({**CHANNEL, "kind": "partner"}, ["kind"], id="an unknown kind fails on kind"),
        pytest.param(
            {**CHANNEL, "source": "weibo"}, ["source"],
            id="an unknown channel source fails on source",
        ),
        pytest.param(
            {**CHANNEL, "external_id": ""}, ["external_id"],
            id="an empty external account fails on external_id",
        ),
        pytest.param(
            {**CHANNEL, "shop_id": "抖店"}, ["shop_id"], id="a non-slug shop id fails on shop_id"
        ),
        pytest.param(
            {k: v for k, v in CHANNEL.items() if k != "kind"}, ["kind"],
            id="a missing kind fails",
        ),
        pytest.param({**CHANNEL, "locked": True}, ["locked"], id="an unknown property fails"),
        pytest.param(
            {**CHANNEL, "bound_at": "2025-03-01", "unbind_allowed_from": "2025-08-28"}, [],
            id="the outputs are not unknown properties",
        ),
    ],
)
def test_check_reports_each_problem_on_its_field(
    props: dict[str, Any], expected: list[str]
) -> None:
    result = ShopBindingProvider().check({}, props)
    assert [f.property for f in result.failures] == expected


def test_every_input_of_a_binding_is_identity() -> None:
    assert ShopBindingProvider.identity == (
        "account_id", "shop_id", "kind", "external_id", "source",
    )
    assert set(ShopBindingProvider.input_names()) == set(ShopBindingProvider.identity)


@pytest.mark.parametrize(
    ("change", "replaces"),
    [
        pytest.param({"account_id": "dy2"}, ["account_id"], id="another account replaces"),
        pytest.param({"shop_id": "dy-shop2"}, ["shop_id"], id="another shop replaces"),
        pytest.param({"kind": "self_operated"}, ["kind"], id="another kind replaces"),
        pytest.param({"external_id": "tt-556"}, ["external_id"], id="another account id replaces"),
        pytest.param({"source": "xigua"}, ["source"], id="another source replaces"),
    ],
)
def test_diff_replaces_on_every_change(change: dict[str, Any], replaces: list[str]) -> None:
    result = ShopBindingProvider().diff("dy-shop/channel/tt-555", CHANNEL, {**CHANNEL, **change})
    assert (result.changes, result.replaces) == (True, replaces)


def test_outputs_in_the_old_state_are_no_diff() -> None:
    olds = {**CHANNEL, "bound_at": START.isoformat(), "unbind_allowed_from": "2025-08-28"}
    result = ShopBindingProvider().diff("dy-shop/channel/tt-555", olds, CHANNEL)
    assert (result.changes, result.replaces) == (False, [])


def test_create_binds_a_channel_account_and_shows_when_it_may_be_unbound(
    backend: Backend, clock: FixedClock
) -> None:
    result = ShopBindingProvider().create(CHANNEL)
    assert result.id == "dy-shop/channel/tt-555"
    assert result.outs["bound_at"] == START.isoformat()
    assert result.outs["unbind_allowed_from"] == "2025-08-28"  # 1 March + 180 days
    assert bound(backend) == [("channel", "tt-555")]


@pytest.mark.parametrize(
    ("props", "allowed_from"),
    [
        pytest.param(OFFICIAL, None, id="an official binding is never allowed to be unbound"),
        pytest.param(SELF_OPERATED, "2025-03-01", id="a self-operated one may be unbound at once"),
    ],
)
def test_unbind_allowed_from_follows_the_kind(
    backend: Backend, clock: FixedClock, seller_center: SellerCenter,
    props: dict[str, Any], allowed_from: str | None,
) -> None:
    seller_center.set_consent("creator-9", "dy-shop")
    seller_center.record_gmv("creator-9", 8000, shop_id="dy-shop")
    result = ShopBindingProvider().create(props)
    assert result.outs["unbind_allowed_from"] == allowed_from


def test_create_adopts_an_identical_binding_and_keeps_its_real_bind_date(
    backend: Backend, clock: FixedClock
) -> None:
    backend.bind("dy", BindingSpec("dy-shop", "channel", "tt-555", "toutiao"))
    clock.advance(timedelta(days=10))
    backend.reset_calls()
    result = ShopBindingProvider().create(CHANNEL)
    assert "bind" not in backend.calls
    # The lock counts from the day it was really bound, not from the adopting run.
    assert result.outs["bound_at"] == START.isoformat()
    assert result.outs["unbind_allowed_from"] == "2025-08-28"


def test_create_refuses_the_same_account_bound_as_another_kind(
    backend: Backend, clock: FixedClock
) -> None:
    backend.bind("dy", BindingSpec("dy-shop", "official", "tt-555"))
    with pytest.raises(ConflictError, match="tt-555"):
        ShopBindingProvider().create(CHANNEL)
    assert bound(backend) == [("official", "tt-555")]


def test_read_of_a_vanished_binding_drops_it_from_state(
    backend: Backend, clock: FixedClock
) -> None:
    provider = ShopBindingProvider()
    created = provider.create(CHANNEL)
    clock.advance(LOCK)
    backend.unbind("dy", "dy-shop", "tt-555")
    forget_reads(provider)
    assert provider.read(created.id, created.outs).id is None


def test_read_returns_the_live_binding_with_its_lock(backend: Backend, clock: FixedClock) -> None:
    provider = ShopBindingProvider()
    created = provider.create(CHANNEL)
    forget_reads(provider)
    result = provider.read(created.id, created.outs)
    assert result.id == created.id and result.inputs == CHANNEL
    assert result.outs["unbind_allowed_from"] == "2025-08-28"


def test_delete_of_a_missing_binding_succeeds(backend: Backend, clock: FixedClock) -> None:
    ShopBindingProvider().delete("dy-shop/channel/tt-555", CHANNEL)
    assert bound(backend) == []


@pytest.mark.parametrize(
    ("after", "unbound"),
    [
        pytest.param(timedelta(days=1), False, id="a day after binding it stays bound"),
        pytest.param(LOCK - timedelta(seconds=1), False, id="a second before 180 days it stays"),
        pytest.param(LOCK, True, id="exactly 180 days after binding it is unbound"),
        pytest.param(LOCK + timedelta(days=1), True, id="181 days after binding it is unbound"),
    ],
)
def test_a_channel_binding_cannot_be_unbound_before_180_days(
    backend: Backend, clock: FixedClock, after: timedelta, unbound: bool
) -> None:
    provider = ShopBindingProvider()
    created = provider.create(CHANNEL)
    clock.advance(after)
    if unbound:
        provider.delete(created.id, created.outs)
        assert bound(backend) == []
    else:
        with pytest.raises(RuleViolation, match="from 2025-08-28") as raised:
            provider.delete(created.id, created.outs)
        assert raised.value.rule == "channel_unbind_too_early"
        assert bound(backend) == [("channel", "tt-555")]


def test_the_channel_lock_also_holds_on_the_shared_clock_offset(
    backend: Backend, clock: FixedClock, seller_center: SellerCenter
) -> None:
    # `shoporg sandbox clock advance` moves the file's offset, seen by every process.
    provider = ShopBindingProvider()
    created = provider.create(CHANNEL)
    seller_center.advance_clock(LOCK - timedelta(days=1))
    with pytest.raises(RuleViolation, match="from 2025-08-28"):
        provider.delete(created.id, created.outs)
    seller_center.advance_clock(timedelta(days=1))
    provider.delete(created.id, created.outs)
    assert bound(backend) == []


def test_an_official_binding_can_never_be_unbound(backend: Backend, clock: FixedClock) -> None:
    provider = ShopBindingProvider()
    created = provider.create(OFFICIAL)
    clock.advance(timedelta(days=10 * 365))
    with pytest.raises(RuleViolation, match="never") as raised:
        provider.delete(created.id, created.outs)
    assert raised.value.rule == "official_unbind"
    assert bound(backend) == [("official", "dy-official-123")]


def test_a_shop_has_only_one_official_account(backend: Backend, clock: FixedClock) -> None:
    provider = ShopBindingProvider()
    provider.create(OFFICIAL)
    with pytest.raises(RuleViolation) as raised:
        provider.create({**OFFICIAL, "external_id": "dy-official-456"})
    assert raised.value.rule == "official_exists"
    assert bound(backend) == [("official", "dy-official-123")]


def test_a_shop_has_at_most_five_channel_accounts(backend: Backend, clock: FixedClock) -> None:
    provider = ShopBindingProvider()
    for n in range(DOUYIN_MAX_CHANNEL_ACCOUNTS):
        provider.create({**CHANNEL, "external_id": f"tt-{n}"})
    with pytest.raises(RuleViolation) as raised:
        provider.create({**CHANNEL, "external_id": "tt-one-too-many"})
    assert raised.value.rule == "channel_limit"
    assert len(bound(backend)) == DOUYIN_MAX_CHANNEL_ACCOUNTS


def test_a_channel_binding_needs_a_source(backend: Backend, clock: FixedClock) -> None:
    with pytest.raises(RuleViolation) as raised:
        ShopBindingProvider().create({**CHANNEL, "source": None})
    assert raised.value.rule == "channel_source"
    assert bound(backend) == []


@pytest.mark.parametrize(
    ("consent", "gmv_here", "rule"),
    [
        pytest.param(True, 4000, "self_operated_gmv", id="with under half the GMV it is refused"),
        pytest.param(True, 8000, None, id="with consent and most of the GMV it is bound"),
    ],
)
def test_a_self_operated_creator_needs_consent_and_most_of_their_gmv_here(
    backend: Backend, clock: FixedClock, seller_center: SellerCenter,
    consent: bool, gmv_here: float, rule: str | None,
) -> None:
    if consent:
        seller_center.set_consent("creator-9", "dy-shop")
    seller_center.record_gmv("creator-9", gmv_here, shop_id="dy-shop")
    seller_center.record_gmv("creator-9", 5000, elsewhere="another-merchant")
    provider = ShopBindingProvider()
    if rule is None:
        created = provider.create(SELF_OPERATED)
        assert bound(backend) == [("self_operated", "creator-9")]
        provider.delete(created.id, created.outs)  # unbinding is allowed at any time
        assert bound(backend) == []
    else:
        with pytest.raises(RuleViolation) as raised:
            provider.create(SELF_OPERATED)
        assert raised.value.rule == rule
        assert bound(backend) == []


def test_a_taobao_shop_has_no_bindings(backend: Backend, clock: FixedClock) -> None:
    with pytest.raises(RuleViolation) as raised:
        ShopBindingProvider().create({**CHANNEL, "account_id": "tb", "shop_id": "tb-shop"})
    assert raised.value.rule == "bindings_unsupported"
    assert backend.list_bindings("tb") == []


def test_a_creator_who_has_not_consented_is_a_step_that_the_consent_completes(
    backend: Backend, clock: FixedClock, seller_center: SellerCenter,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    seller_center.record_gmv("creator-9", 8000, shop_id="dy-shop")
    provider = ShopBindingProvider()
    created = provider.create(SELF_OPERATED)  # not a failure: the creator is to be invited
    assert created.outs["status"] == "pending" and bound(backend) == []
    step = created.outs["manual_step"]
    assert (step["platform"], step["kind"], step["person"]) == ("douyin", "shop_binding",
                                                                "creator-9")
    assert step["waits_on"].startswith("the creator")
    assert "invite them" in created.outs["runbook"] and "own Douyin app" in created.outs["runbook"]
    ledger = Ledger(tmp_path / "ledger.db")
    assert [s.id for s in ledger.steps("open")] == [step["step"]]
    # Looking again before the creator acts changes nothing and raises nothing twice.
    again = provider.update(created.id, created.outs, SELF_OPERATED)
    assert again.outs["status"] == "pending" and bound(backend) == []
    assert [s.id for s in ledger.steps("open")] == [step["step"]]

    seller_center.set_consent("creator-9", "dy-shop")
    done = provider.update(created.id, again.outs, SELF_OPERATED)
    assert bound(backend) == [("self_operated", "creator-9")]
    assert done.outs["status"] == "active" and done.outs["manual_step"] is None
    assert ledger.steps("open") == []  # the read-back closed it: nobody has to confirm it
    closed = ledger.steps("done")
    assert [(s.id, s.state_by) for s in closed] == [(step["step"], "read-back")]
