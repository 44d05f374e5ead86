"""The engine's environment: what shoporg fills in, and that the caller's settings win."""

from __future__ import annotations

from pathlib import Path

import pytest

from shoporg.engine.environment import STATE_DIR, offline_env


@pytest.mark.parametrize(("base", "key", "expected"), [
    ({}, "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", "true"),
    ({}, "PULUMI_SKIP_UPDATE_CHECK", "true"),
    ({"PULUMI_HOME": "/elsewhere"}, "PULUMI_HOME", "/elsewhere"),
    ({"PULUMI_BACKEND_URL": "postgres://u@127.0.0.1/db"}, "PULUMI_BACKEND_URL",
     "postgres://u@127.0.0.1/db"),
    # Measured, not turned on: no gain for shoporg's previews (RESULTS.md, third pass).
    ({}, "PULUMI_PARALLEL_DIFF", None),
    ({"PULUMI_PARALLEL_DIFF": "true"}, "PULUMI_PARALLEL_DIFF", "true"),
], ids=["the engine never downloads a plugin",
        "the engine never checks for a new version",
        "a caller's PULUMI_HOME wins",
        "a caller's backend wins",
        "the engine diffs serially by default",
        "a caller's PULUMI_PARALLEL_DIFF passes through"])
def test_the_engine_environment_fills_in_only_what_the_caller_left_out(
        tmp_path: Path, base: dict[str, str], key: str, expected: str | None) -> None:
    assert offline_env(tmp_path, base).get(key) == expected


def test_without_a_backend_the_state_stays_in_the_project(tmp_path: Path) -> None:
    env = offline_env(tmp_path, {})
    assert env["PULUMI_BACKEND_URL"] == (tmp_path.resolve() / STATE_DIR).as_uri()
    assert Path(env["PULUMI_CONFIG_PASSPHRASE_FILE"]).stat().st_mode & 0o077 == 0

