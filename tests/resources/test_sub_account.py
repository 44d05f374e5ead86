"""SubAccountProvider against a temporary sandbox: what waits on the Shopee main-account
holder (the 72-hour activation link) is a pending step, not a failed apply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shoporg.backends.ledger import Ledger
from shoporg.backends.protocol import Backend
from shoporg.backends.sandbox import FixedClock, SandboxBackend, SellerCenter
from shoporg.platforms import SHOPEE_ACTIVATION_LINK_HOURS
from shoporg.resources.sub_account import SubAccountProvider

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
ZHU_YAN = {
    "account_id": "sp", "member_id": "zhu-yan", "login": "zhu.yan", "display_name": "朱燕",
    "department_id": None, "email": "zhu.yan@example.com", "phone": None, "dispatch": False,
    "two_factor": False, "enabled": True,
}


@pytest.fixture
def seller_center(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> SellerCenter:
    """A Shopee main account registered but not activated yet (its link was just sent)."""
    assert isinstance(backend, SandboxBackend)
    monkeypatch.setattr(backend, "clock", FixedClock(START))
    sc = SellerCenter(backend)
    sc.register_account("sp", "shopee", "acme.main", 5, activated=False)
    sc.add_shop("sp", "sp-my", "Acme MY", "MY")
    return sc


@pytest.mark.parametrize(
    ("hours_later", "expired"),
    [
        pytest.param(1, False, id="within 72 hours the link is still valid"),
        pytest.param(SHOPEE_ACTIVATION_LINK_HOURS + 1, True, id="after 72 hours it has expired"),
    ],
)
def test_the_account_system_says_when_the_activation_link_has_expired(
    backend: Backend, seller_center: SellerCenter, hours_later: int, expired: bool,
) -> None:
    seller_center.advance_clock(timedelta(hours=hours_later))
    account = backend.get_account("sp")
    assert account is not None and not account.activated
    assert account.activation_link_expired is expired


def test_a_sub_account_under_an_unactivated_account_waits_and_the_activation_completes_it(
    backend: Backend, seller_center: SellerCenter, tmp_path: Path,
) -> None:
    provider = SubAccountProvider()
    created = provider.create(ZHU_YAN)  # not a failure: the main account is to be activated
    assert created.outs["status"] == "pending" and backend.list_sub_accounts("sp") == []
    step = created.outs["manual_step"]
    assert (step["platform"], step["person"]) == ("shopee", "朱燕 (zhu-yan)")
    assert step["waits_on"].startswith("the main-account holder")
    assert "invite again" in created.outs["runbook"]
    assert "not activated yet" in created.outs["runbook"]
    assert created.outs["initial_password"] is None  # nothing was created, nothing generated
    ledger = Ledger(tmp_path / "ledger.db")
    assert [s.id for s in ledger.steps("open")] == [step["step"]]

    seller_center.activate_main_account("sp")
    done = provider.update(created.id, created.outs, ZHU_YAN)
    assert [s.member_id for s in backend.list_sub_accounts("sp")] == ["zhu-yan"]
    assert done.outs["status"] == "active" and done.outs["manual_step"] is None
    assert done.outs["initial_password"]
    assert [(s.id, s.state_by) for s in ledger.steps("done")] == [(step["step"], "read-back")]
