"""Live-state rules the program checks before registering anything (preview time)."""

from __future__ import annotations

from pathlib import Path

import pytest

from providers.backends.protocol import BindingSpec
from providers.backends.sandbox import SandboxBackend, SellerCenter
from providers.live_rules import live_issues
from providers.schema import validate_text

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
    assert "youpin_digital" in issue and "can never be unbound" in issue


def test_an_account_missing_from_the_account_system_is_reported_at_its_id(
    tmp_path: Path,
) -> None:
    empty = SandboxBackend(tmp_path / "empty.db", environ={})
    text = ORG.read_text()
    found = issues(text, empty)
    assert len(found) == 5
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
