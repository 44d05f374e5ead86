"""The sandbox's password hashes: the count fits the secret and travels with each hash."""

from __future__ import annotations

import pytest

from shoporg.backends.sandbox.passwords import (
    CHOSEN_ITERATIONS,
    GENERATED_ITERATIONS,
    hash_password,
    verify_password,
)


@pytest.mark.parametrize(("generated", "setting", "count"), [
    (False, None, CHOSEN_ITERATIONS),
    (True, None, GENERATED_ITERATIONS),
    (False, "1000", 1000),
    (True, "1000", 1000),
    (False, "0", 1),
], ids=[
    "a password a person chose is stretched",
    "a generated token gets one salted round",
    "a benchmark lowers the count of chosen passwords",
    "a benchmark sets the count of generated ones too",
    "never below one round",
])
def test_a_hash_records_its_count_and_verifies_under_any_setting(
        monkeypatch: pytest.MonkeyPatch, generated: bool, setting: str | None, count: int) -> None:
    if setting is None:
        monkeypatch.delenv("SHOPORG_SANDBOX_HASH_ITERATIONS", raising=False)
    else:
        monkeypatch.setenv("SHOPORG_SANDBOX_HASH_ITERATIONS", setting)
    stored = hash_password("初始密码-Aa1", generated=generated)
    assert stored.split("$")[1] == str(count)
    monkeypatch.setenv("SHOPORG_SANDBOX_HASH_ITERATIONS", "7")  # verifying reads the hash's
    assert verify_password("初始密码-Aa1", stored)
    assert not verify_password("初始密码-Aa2", stored)


def test_two_hashes_of_one_token_differ_by_their_salt() -> None:
    first, second = (hash_password("tok", generated=True) for _ in range(2))
    assert first != second
    assert verify_password("tok", first) and verify_password("tok", second)
