"""Fault injection (deterministic when seeded), latency, and the clock offset shared through
the sandbox file."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shoporg.backends.protocol import SubAccountSpec
from shoporg.backends.sandbox import FaultConfig, FixedClock, SandboxBackend, SellerCenter
from shoporg.backends.sandbox.clock import parse_duration
from shoporg.backends.sandbox.faults import ENV_VAR, load_config
from shoporg.errors import BackendError, ThrottledError, TransientError

START = datetime(2025, 3, 1, tzinfo=UTC)


def _backend(path: Path, environ: dict[str, str] | None = None) -> SandboxBackend:
    backend = SandboxBackend(path, "acme", clock=FixedClock(START), environ=environ or {})
    sc = SellerCenter(SandboxBackend(path, "acme", instrumented=False))
    if sc.backend.get_account("tb") is None:
        sc.register_account("tb", "taobao", "acme旗舰店", 1000)
        sc.add_shop("tb", "tb-shop", "Acme", None)
    sc.backend.close()
    return backend


def _outcomes(backend: SandboxBackend, members: int) -> list[str]:
    """Call outcomes in order: ok, transient or throttled(retry_after)."""
    out = []
    for i in range(members):
        for _attempt in range(3):
            try:
                backend.get_sub_account("tb", f"m{i}")
                out.append("ok")
            except ThrottledError as exc:
                out.append(f"throttled({exc.retry_after:g})")
            except TransientError:
                out.append("transient")
    return out


def _set(path: Path, **settings: object) -> None:
    sc = SellerCenter(SandboxBackend(path, "acme", instrumented=False))
    sc.set_faults(FaultConfig.from_mapping(settings))
    sc.backend.close()


def test_seeded_faults_repeat_exactly_and_hit_roughly_the_configured_rate(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _backend(path).close()
    _set(path, seed=7, transient_rate=0.2, throttle_rate=0.1, retry_after=2.5)
    first = _outcomes(_backend(path), 200)
    second = _outcomes(_backend(path), 200)
    assert first == second
    failures = sum(o != "ok" for o in first) / len(first)
    assert 0.2 < failures < 0.4
    assert "throttled(2.5)" in first and "transient" in first


def test_another_seed_makes_other_decisions(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _backend(path).close()
    _set(path, seed=7, transient_rate=0.3)
    first = _outcomes(_backend(path), 100)
    _set(path, seed=8, transient_rate=0.3)
    assert _outcomes(_backend(path), 100) != first


def test_the_nth_call_fails_once(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _backend(path).close()
    _set(path, fail_on_call=3)
    backend = _backend(path)
    results = []
    for _ in range(5):
        try:
            backend.list_sub_accounts("tb")
            results.append("ok")
        except TransientError as exc:
            results.append(str(exc))
    assert results[:2] == ["ok", "ok"] and results[3:] == ["ok", "ok"]
    assert "injected failure on call 3" in results[2]


def test_a_named_object_fails_permanently_and_only_on_writes(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _backend(path).close()
    _set(path, fail_objects=["sub_account:tb/alice"])
    backend = _backend(path)
    for _ in range(3):
        with pytest.raises(BackendError, match="create_sub_account failed") as caught:
            backend.create_sub_account("tb", SubAccountSpec("alice", "acme旗舰店:alice", "A"))
        assert not isinstance(caught.value, TransientError)
        assert caught.value.name == "tb/alice"
    assert backend.get_sub_account("tb", "alice") is None
    backend.create_sub_account("tb", SubAccountSpec("bob", "acme旗舰店:bob", "B"))


def test_latency_is_added_to_every_call(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _backend(path).close()
    _set(path, latency_ms=50)
    backend = _backend(path)
    started = time.perf_counter()
    for _ in range(4):
        backend.list_sub_accounts("tb")
    assert time.perf_counter() - started >= 0.2


def test_the_environment_overrides_the_stored_settings(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _backend(path).close()
    _set(path, latency_ms=5)
    backend = _backend(path, environ={ENV_VAR: '{"transient_rate": 1.0}'})
    with pytest.raises(TransientError):
        backend.list_sub_accounts("tb")
    assert load_config('{"latency_ms": 5}', {ENV_VAR: '{"seed": 3}'}) == FaultConfig(
        seed=3, latency_ms=5
    )


BAD_FAULTS = [
    pytest.param({"transient_rate": 0.8, "throttle_rate": 0.5}, id="rates above one are refused"),
    pytest.param({"latency": 5}, id="an unknown setting is refused"),
    pytest.param({"latency_ms": -1}, id="negative latency is refused"),
]


@pytest.mark.parametrize("settings", BAD_FAULTS)
def test_bad_fault_settings_are_refused(settings: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        FaultConfig.from_mapping(settings)


def test_hand_changes_are_neither_counted_nor_faulted(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _backend(path).close()
    _set(path, transient_rate=1.0)
    hands = SandboxBackend(path, "acme", instrumented=False)
    hands.create_sub_account("tb", SubAccountSpec("alice", "acme旗舰店:alice", "A"))
    assert hands.calls == {}
    hands.close()


def test_persisted_call_counts_add_up_across_backends(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _backend(path).close()
    sc = SellerCenter(SandboxBackend(path, "acme", instrumented=False))
    sc.set_count_calls(True)
    for _ in range(2):
        backend = _backend(path)
        backend.list_sub_accounts("tb")
        backend.list_roles("tb")
        assert backend.calls == {"list_sub_accounts": 1, "list_roles": 1}
        backend.close()
    assert sc.persisted_calls() == {"list_roles": 2, "list_sub_accounts": 2}


def test_a_clock_offset_set_by_one_process_is_seen_by_another(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _backend(path).close()
    sc = SellerCenter(SandboxBackend(path, "acme", clock=FixedClock(START), instrumented=False))
    sc.advance_clock(timedelta(days=181))
    sc.advance_clock(timedelta(hours=1))
    other = SellerCenter(SandboxBackend(path, "acme", clock=FixedClock(START)))
    assert other.now() == START + timedelta(days=181, hours=1)
    sc.set_clock_offset(timedelta(0))
    assert other.now() == START


DURATIONS = [
    pytest.param("181d", timedelta(days=181), id="days"),
    pytest.param("73h", timedelta(hours=73), id="hours"),
    pytest.param("-30m", timedelta(minutes=-30), id="negative minutes"),
    pytest.param("2w", timedelta(weeks=2), id="weeks"),
]


@pytest.mark.parametrize(("text", "expected"), DURATIONS)
def test_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_a_duration_without_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("181")
