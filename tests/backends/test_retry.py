"""Every backend call's retries: throttling waits what the platform asked, transient faults
back off, both give up after the bound still naming the object."""

from __future__ import annotations

import pytest

from shoporg.backends import retry
from shoporg.errors import ThrottledError, TransientError


class Flaky:
    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "done"


def test_throttling_waits_what_the_platform_asked_and_then_succeeds() -> None:
    waits: list[float] = []
    fn = Flaky([ThrottledError("sub_account", "tb/a", "create", "slow down", 3.0)] * 2)
    assert retry.call_with_retries(fn, sleep=waits.append) == "done"
    assert waits == [3.0, 3.0]


def test_transient_failures_back_off_and_give_up_after_the_bound() -> None:
    waits: list[float] = []
    error = TransientError("sub_account", "tb/a", "create", "blip")
    fn = Flaky([error] * (retry.MAX_ATTEMPTS + 1))
    with pytest.raises(TransientError, match="tb/a"):
        retry.call_with_retries(fn, sleep=waits.append)
    assert fn.calls == retry.MAX_ATTEMPTS and len(waits) == retry.MAX_ATTEMPTS - 1
    assert all(0 < w <= 3.0 for w in waits)
