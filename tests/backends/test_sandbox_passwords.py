"""The sandbox's password hashes: the iteration count travels with each hash."""

from __future__ import annotations

import pytest

from providers.backends.sandbox.passwords import ITERATIONS, hash_password, verify_password


@pytest.mark.parametrize(("setting", "count"), [
    (None, ITERATIONS),
    ("1000", 1000),
    ("0", 1),
], ids=["the default count", "a lower count for a benchmark", "never below one"])
def test_a_hash_records_its_count_and_verifies_under_any_setting(
        monkeypatch: pytest.MonkeyPatch, setting: str | None, count: int) -> None:
    if setting is None:
        monkeypatch.delenv("SHOPORG_SANDBOX_HASH_ITERATIONS", raising=False)
    else:
        monkeypatch.setenv("SHOPORG_SANDBOX_HASH_ITERATIONS", setting)
    stored = hash_password("初始密码-Aa1")
    assert stored.split("$")[1] == str(count)
    monkeypatch.setenv("SHOPORG_SANDBOX_HASH_ITERATIONS", "7")  # verifying reads the hash's
    assert verify_password("初始密码-Aa1", stored)
    assert not verify_password("初始密码-Aa2", stored)
