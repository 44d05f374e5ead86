"""Engine tier: tests that run the real ``pulumi`` CLI.

Locally they skip, with the reason, when the engine is missing; with ``CI=true`` a missing
engine is a failure, never a skip (non-negotiable 2).
"""

from __future__ import annotations

import os

import pytest

from providers.engine.cli import engine_available


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/engine/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.engine)


@pytest.fixture(autouse=True)
def _require_engine() -> None:
    if engine_available():
        return
    reason = "the Pulumi engine is not installed beside this Python: run `make setup`"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)
