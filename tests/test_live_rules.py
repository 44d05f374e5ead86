"""Live-state rules the program checks before registering anything (preview time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shoporg.backends.protocol import BindingSpec
from shoporg.backends.sandbox import SandboxBackend, SellerCenter
from shoporg.live_rules import live_accounts, live_issues, live_notices
from shoporg.platforms import DOUYIN_CHANNEL_UNBIND_AFTER_DAYS
from shoporg.platforms.rules import CHANNEL_UNBIND_TOO_EARLY, OFFICIAL_UNBIND, SEAT_QUOTA
from shoporg.schema import load_org, validate_text

ORG = Path(__file__).parents[1] / "org.yaml"


@pytest.fixture
def sandbox(tmp_path: Path) -> SandboxBackend:
    backend = SandboxBackend(tmp_path / "sandbox.db", environ={})
    sc = SellerCenter(SandboxBackend(tmp_path / "sandbox.db", instrumented=False))
    for account in validate_text(ORG.read_text()).accounts:
        sc.register_account(account.id, account.platform, account.nick, account.seat_quota)
        for shop in account.shops:
            sc.add_shop(account.id, shop.id, shop.name, shop.site)
    return backend


def issues(text: str, backend: SandboxBackend) -> list[str]:
    return [str(i) for i in live_issues(validate_text(text), backend, text, "org.yaml")]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_repo_org_yaml_has_no_live_problems_in_a_fresh_sandbox(
    sandbox: SandboxBackend,
) -> None:
    assert issues(ORG.read_text(), sandbox) == []


def test_removing_the_official_douyin_account_is_reported_at_the_bindings_key(
    sandbox: SandboxBackend,
) -> None:
    sandbox.bind("dy-youpin", BindingSpec("dy-youpin-shop", "official", "youpin_digital"))
    text = "\n".join(
        line for line in ORG.read_text().splitlines() if "kind: official" not in line
    ) + "\n"
    [issue] = issues(text, sandbox)
    assert issue.startswith(f"org.yaml:{line_of(text, 'bindings:')}:1: ")
    assert "youpin_digital" in issue and OFFICIAL_UNBIND.message in issue


def test_an_account_missing_from_the_account_system_is_reported_at_its_id(
    tmp_path: Path,
) -> None:
    empty = SandboxBackend(tmp_path / "empty.db", environ={})
    text = ORG.read_text()
    found = issues(text, empty)
    assert len(found) == len(load_org(ORG).accounts)  # each account, at its id
    assert found[0].startswith(f"org.yaml:{line_of(text, 'id: tb-youpin')}:5: ")
    assert "does not exist in the account system" in found[0]


def test_fewer_live_seats_than_declared_sub_accounts_is_reported_with_both_numbers(
    tmp_path: Path, sandbox: SandboxBackend
) -> None:
    SellerCenter(SandboxBackend(tmp_path / "sandbox.db", instrumented=False)).set_seat_quota(
        "oz-youpin", 2
    )
    [issue] = issues(ORG.read_text(), sandbox)
    assert "oz-youpin" in issue and "2 sub-account seats" in issue and "declares 3" in issue
    assert SEAT_QUOTA.message in issue


def notices(text: str, backend: SandboxBackend) -> list[str]:
    return [str(i) for i in live_notices(validate_text(text), backend, text, "org.yaml")]


@pytest.mark.parametrize(
    ("hours_later", "says"),
    [
        pytest.param(0, "the link is valid until",
                     id="a link just sent is noted with its deadline"),
        pytest.param(73, "activation link expired at", id="an expired link says invite again"),
    ],
)
def test_a_shopee_account_waiting_for_activation_is_noted_at_preview_with_its_runbook(
    tmp_path: Path, hours_later: int, says: str,
) -> None:
    backend = SandboxBackend(tmp_path / "sandbox.db", environ={})
    sc = SellerCenter(backend)
    org = validate_text(ORG.read_text())
    for account in org.accounts:
        sc.register_account(account.id, account.platform, account.nick, account.seat_quota,
                            activated=account.platform != "shopee")
    sc.advance_clock(timedelta(hours=hours_later))
    text = ORG.read_text()
    assert issues(text, backend) == []  # not an error: the rest of the org goes ahead
    shopee = [a.id for a in org.accounts if a.platform == "shopee"]
    found = notices(text, backend)
    assert len(found) == len(shopee) and shopee
    for account, notice in zip(shopee, found, strict=True):
        assert notice.startswith(f"org.yaml:{line_of(text, f'id: {account}')}:")
        assert says in notice and "invite again" in notice and "sub-account(s)" in notice


def test_activated_accounts_have_nothing_to_note(sandbox: SandboxBackend) -> None:
    assert notices(ORG.read_text(), sandbox) == []


XIGUA = "  - {shop: dy-youpin-shop, kind: channel, external_account: youpin_xigua, source: xigua}"


def bind_days_ago(tmp_path: Path, backend: SandboxBackend, days: int, later: int = 0) -> None:
    """Bind the org's xigua channel account ``days`` ago by the sandbox's clock, then move
    the clock on ``later`` days (``shoporg sandbox clock advance``)."""
    sc = SellerCenter(SandboxBackend(tmp_path / "sandbox.db", instrumented=False))
    sc.set_clock_offset(timedelta(days=-days))
    backend.bind("dy-youpin", BindingSpec("dy-youpin-shop", "channel", "youpin_xigua", "xigua"))
    sc.set_clock_offset(timedelta(days=later))


@pytest.mark.parametrize(
    ("days", "later", "edit", "where", "says"),
    [
        pytest.param(10, 0, "", "bindings:", "keep its binding (channel, source xigua) in "
                     "org.yaml until", id="removing a channel account bound 10 days ago "
                     "fails at preview with its first allowed date"),
        pytest.param(10, 0, "source: douyin}", "youpin_xigua", "changing its kind or source "
                     "unbinds it", id="changing the source of a locked channel account fails "
                     "at its binding"),
        pytest.param(10, 0, None, None, None,
                     id="keeping a locked channel account as it is bound is fine"),
        pytest.param(181, 0, "", None, None,
                     id="removing a channel account bound 181 days ago is allowed"),
        pytest.param(10, 171, "", None, None,
                     id="the account system's clock decides: moved 171 days on, it is allowed"),
        pytest.param(10, 169, "", "bindings:", "until",
                     id="moved 169 days on, it is still locked"),
    ],
)
def test_a_time_locked_channel_binding_is_reported_at_preview(
    tmp_path: Path, sandbox: SandboxBackend, days: int, later: int, edit: str | None,
    where: str | None, says: str | None,
) -> None:
    bind_days_ago(tmp_path, sandbox, days, later)
    text = ORG.read_text()
    if edit is not None:
        text = text.replace(XIGUA + "\n", XIGUA.replace("source: xigua}", edit) + "\n"
                            if edit else "")
    found = issues(text, sandbox)
    if where is None:
        assert found == []
        return
    assert says is not None
    [issue] = found
    lock = timedelta(days=DOUYIN_CHANNEL_UNBIND_AFTER_DAYS)
    first = (datetime.now(UTC) - timedelta(days=days) + lock).date()
    assert issue.startswith(f"org.yaml:{line_of(text, where)}:"), issue
    assert "youpin_xigua" in issue and says in issue, issue
    assert f"can be unbound only from {first.isoformat()}" in issue, issue
    assert CHANNEL_UNBIND_TOO_EARLY.message in issue, issue
    assert issue.endswith(f"until {first.isoformat()}"), issue


def test_the_program_reads_each_account_once_for_both_rule_sets(
        sandbox: SandboxBackend) -> None:
    """``live_accounts`` feeds ``live_issues`` and ``live_notices``: neither reads again."""
    text = ORG.read_text()
    org = validate_text(text)
    reads: list[str] = []

    class Counting:
        def get_account(self, account_id: str) -> Any:
            reads.append(account_id)
            return sandbox.get_account(account_id)

        def __getattr__(self, name: str) -> Any:
            return getattr(sandbox, name)

    backend: Any = Counting()
    accounts = live_accounts(org, backend)
    assert live_issues(org, backend, text, "org.yaml", accounts=accounts) == []
    live_notices(org, backend, text, "org.yaml", accounts=accounts)
    assert sorted(reads) == sorted(a.id for a in org.accounts)
