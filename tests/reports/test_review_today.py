"""The review judges expiry by the account system's day (issue 15.7): a sandbox whose clock was
moved (``shoporg sandbox clock advance``) is judged on its own day, a stack without one on the
machine's, and ``--today`` wins over both. The program and drift take the same day
(:func:`shoporg.backends.clock.account_system_today`)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import cast

import pytest

from shoporg.backends.clock import account_system_now, account_system_today
from shoporg.backends.ledger import Ledger
from shoporg.backends.ledger.backend import LedgerBackend
from shoporg.backends.routing import RoutedBackend
from shoporg.backends.sandbox import SandboxBackend, SellerCenter
from shoporg.backends.settings import BackendKind, BackendSettings
from shoporg.cli.main import main
from shoporg.schema import load_org

from .conftest import ORGS

GRANT = "{account: tb-youpin, login_name: 杨磊, roles: [tb-ops]}"
MACHINE = datetime.date.today()


def sandbox_moved(path: Path, days: int) -> Path:
    sc = SellerCenter(SandboxBackend(path, instrumented=False))
    sc.set_clock_offset(datetime.timedelta(days=days))
    sc.backend.close()
    return path


@pytest.mark.parametrize(
    ("case", "clock_days", "today_flag", "expected_today", "flagged"),
    [
        pytest.param("a sandbox clock moved 20 days ahead judges expiry 20 days later",
                     20, None, MACHINE + datetime.timedelta(days=20), True, id="moved"),
        pytest.param("a sandbox whose clock was not moved is judged on the machine's date",
                     0, None, MACHINE, False, id="unmoved"),
        pytest.param("without a sandbox file the machine's date is used",
                     None, None, MACHINE, False, id="no-sandbox"),
        pytest.param("--today wins over the account system's clock",
                     20, MACHINE, MACHINE, False, id="today-flag"),
    ],
)
def test_a_config_only_review_judges_expiry_by_the_account_systems_day(
    case: str, clock_days: int | None, today_flag: datetime.date | None,
    expected_today: datetime.date, flagged: bool, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    base = (ORGS / "base.yaml").read_text(encoding="utf-8")
    expires = MACHINE + datetime.timedelta(days=25)  # outside the 14-day window by the machine
    new = tmp_path / "new.yaml"
    touched = "{account: tb-youpin, login_name: 杨磊, roles: [tb-ops, tb-design], "
    new.write_text(base.replace(GRANT, touched + f"expires: {expires.isoformat()}}}"),
                   encoding="utf-8")
    sandbox = tmp_path / "sandbox.db"
    if clock_days is not None:
        sandbox_moved(sandbox, clock_days)
    monkeypatch.setenv("SHOPORG_SANDBOX", str(sandbox))
    argv = ["review", "--stack", "no-such-stack", "--old", str(ORGS / "base.yaml"),
            "--new", str(new), "--format", "json"]
    if today_flag is not None:
        argv += ["--today", today_flag.isoformat()]
    assert main(argv) == 0, case
    data = json.loads(capsys.readouterr().out)
    assert data["today"] == expected_today.isoformat(), case
    assert ("expiring_grant" in data["risk_counts"]) is flagged, case
    assert sandbox.exists() is (clock_days is not None), "a review creates no sandbox file"


@pytest.mark.parametrize(
    ("case", "connectors", "expected"),
    [
        pytest.param("a stack on the sandbox takes the sandbox's day", (), 20, id="sandbox"),
        pytest.param("a mixed stack takes the sandbox's day, the only clock that moves",
                     (("shopee", "ledger"),), 20, id="mixed"),
        pytest.param("a stack on the ledger takes the ledger's day ($SHOPORG_NOW)",
                     (("shopee", "ledger"), ("douyin", "ledger"), ("ozon", "ledger"),
                      ("taobao", "ledger"), ("tmall", "ledger")), 3, id="ledger"),
    ],
)
def test_the_program_and_reports_share_one_today(
    case: str, connectors: tuple[tuple[str, str], ...], expected: int, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHOPORG_NOW", (datetime.datetime.now(datetime.UTC)
                                       + datetime.timedelta(days=3)).isoformat())
    path = sandbox_moved(tmp_path / "sandbox.db", 20)
    kind: BackendKind = "ledger" if expected == 3 else "sandbox"
    routes = tuple((key, cast(BackendKind, value)) for key, value in connectors)
    settings = BackendSettings(kind=kind, sandbox_path=str(path), connectors=routes)
    assert account_system_today(settings) == MACHINE + datetime.timedelta(days=expected), case


def test_each_account_is_judged_by_the_clock_of_its_own_connector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SHOPORG_NOW", raising=False)
    sandbox = SandboxBackend(sandbox_moved(tmp_path / "sandbox.db", 181))
    ledger = LedgerBackend(Ledger(tmp_path / "ledger.db"), load_org(ORGS / "base.yaml"))
    routed = RoutedBackend({"dy-youpin": sandbox, "sp-youpin": ledger}, ledger)
    now = datetime.datetime.now(datetime.UTC)
    moved = account_system_now(routed, "dy-youpin") - now
    assert datetime.timedelta(days=181) - moved < datetime.timedelta(minutes=1)
    assert abs(account_system_now(routed, "sp-youpin") - now) < datetime.timedelta(minutes=1)
    assert account_system_now(routed) - now > datetime.timedelta(days=180)  # the stack's
