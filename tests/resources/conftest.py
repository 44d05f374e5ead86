"""Unit tier for the dynamic providers: real provider objects against a temporary sandbox,
without the engine (the engine tier is tests/engine/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shoporg.backends.protocol import Backend
from shoporg.backends.sandbox import SandboxBackend, SellerCenter
from shoporg.backends.settings import BackendSettings, open_backend


@pytest.fixture
def backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Backend]:
    """A sandbox with one Taobao and one Douyin account, as providers will open it."""
    path = tmp_path / "sandbox.db"
    monkeypatch.setenv("SHOPORG_SANDBOX", str(path))
    monkeypatch.setenv("SHOPORG_LEDGER", str(tmp_path / "ledger.db"))  # steps stay in the test
    monkeypatch.delenv("SHOPORG_SANDBOX_FAULTS", raising=False)
    sc = SellerCenter(SandboxBackend(path, instrumented=False))
    sc.register_account("tb", "taobao", "acme旗舰店", 5)
    sc.add_shop("tb", "tb-shop", "Acme 旗舰店", None)
    sc.register_account("dy", "douyin", "acme抖店", 5)
    sc.add_shop("dy", "dy-shop", "Acme 抖店", None)
    yield open_backend(BackendSettings.from_config(lambda key: None))
