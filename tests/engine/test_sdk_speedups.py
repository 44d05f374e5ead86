"""Our SDK speed-ups (program runner, provider server) must do exactly what the SDK would."""

from __future__ import annotations

from typing import Any

import pulumi.runtime.resource as sdk_resource
import pytest

from shoporg.engine import sdk_speedups

SDK_STACK_TRACE = sdk_resource._get_stack_trace


def _both() -> tuple[Any, Any]:
    return SDK_STACK_TRACE(), sdk_speedups.fast_stack_trace()


class _Base:
    def __init__(self) -> None:
        self.traces = _both()


class _Custom(_Base):
    def __init__(self) -> None:
        super().__init__()


class _Concrete(_Custom):
    def __init__(self) -> None:
        super().__init__()


def _user_code() -> _Concrete:
    return _Concrete()


def test_the_fast_stack_trace_equals_the_sdks_for_a_resource_constructor() -> None:
    sdk, fast = _user_code().traces
    assert len(sdk.frames) > 2
    assert fast.SerializeToString() == sdk.SerializeToString()


def test_the_fast_stack_trace_is_empty_where_the_sdks_is() -> None:
    sdk, fast = _both()  # no resource constructor on the stack
    assert fast.SerializeToString() == sdk.SerializeToString() == b""


def test_the_batched_wait_returns_what_finished_and_keeps_the_rest_pending() -> None:
    import asyncio

    async def scenario() -> tuple[set[str], set[str]]:
        loop = asyncio.get_running_loop()
        never: asyncio.Future[str] = loop.create_future()
        quick = asyncio.ensure_future(asyncio.sleep(0.01, result="quick"))
        boom: asyncio.Future[str] = loop.create_future()
        loop.call_later(0.005, boom.set_exception, RuntimeError("boom"))
        done, pending = await sdk_speedups.batched_wait(
            [never, quick, boom], return_when=asyncio.FIRST_COMPLETED
        )
        names = {id(never): "never", id(quick): "quick", id(boom): "boom"}
        never.cancel()
        return {names[id(f)] for f in done}, {names[id(f)] for f in pending}

    done, pending = asyncio.run(scenario())
    # Both finished within the batch window (timers fire in order, so this is not a race);
    # the failed one is returned as done, for the SDK to await and re-raise.
    assert done == {"boom", "quick"}
    assert pending == {"never"}


def test_a_task_done_before_the_wait_is_returned_and_a_later_wait_still_sees_the_rest(
) -> None:
    import asyncio

    async def scenario() -> list[set[str]]:
        loop = asyncio.get_running_loop()
        early: asyncio.Future[str] = loop.create_future()
        early.set_result("early")  # done before it is ever armed
        later: asyncio.Future[str] = loop.create_future()
        names = {id(early): "early", id(later): "later"}
        first, rest = await sdk_speedups.batched_wait(
            [early, later], return_when=asyncio.FIRST_COMPLETED)
        loop.call_later(0.005, later.set_result, "later")
        second, none = await sdk_speedups.batched_wait(
            rest, return_when=asyncio.FIRST_COMPLETED)
        return [{names[id(f)] for f in s} for s in (first, rest, second, none)]

    assert asyncio.run(scenario()) == [{"early"}, {"later"}, {"later"}, set()]


def test_the_wait_for_the_sdks_outputs_puts_the_pending_ones_back_itself() -> None:
    import asyncio

    from pulumi.runtime.settings import SETTINGS

    async def scenario() -> tuple[int, int, bool]:
        loop = asyncio.get_running_loop()
        never: asyncio.Future[str] = loop.create_future()
        quick = asyncio.ensure_future(asyncio.sleep(0.001))
        done, not_done = await sdk_speedups.wait_for_outputs(
            [never, quick], return_when=asyncio.FIRST_COMPLETED)
        back = never in SETTINGS.outputs
        SETTINGS.outputs.discard(never)
        never.cancel()
        return len(done), len(not_done), back

    # What the SDK would have re-added one by one is in its set already; nothing to re-add.
    assert asyncio.run(scenario()) == (1, 0, True)


def test_resource_types_are_computed_once_per_class_with_the_sdks_answer() -> None:
    import pulumi._types as sdk_types

    from shoporg.resources.sub_account import SubAccount

    calls: list[type] = []

    def original(cls: type) -> dict[str, type]:
        calls.append(cls)
        return sdk_types._types_from_annotations(cls)

    cached = sdk_speedups._cached_resource_types(original)
    first = cached(SubAccount)
    assert cached(SubAccount) is first and calls == [SubAccount]
    assert first == sdk_types.resource_types(SubAccount)


@pytest.mark.parametrize(("pending", "window"), [
    (1, 0.02),
    (10_000, 0.1),
    (100_000, 1.0),
    (5_000_000, 1.0),
], ids=["a few pending outputs: the shortest window",
        "it grows with what is pending (each wait costs in proportion to it)",
        "a 10k stack's outputs: a second",
        "and never more than a second"])
def test_the_batch_window_grows_with_the_pending_outputs(pending: int, window: float) -> None:
    assert sdk_speedups.batch_window(pending) == pytest.approx(window)


_SERVICER_SOURCE = """
import asyncio

class Servicer:
    def Create(self):
        loop = asyncio.new_event_loop()
        answer = loop.run_until_complete(asyncio.sleep(0, result=loop))
        loop.close()
        return answer
"""


def _servicer_class() -> type:
    namespace: dict[str, Any] = {}
    exec(compile(_SERVICER_SOURCE, "<the SDK's servicer, as it calls the loop>", "exec"), namespace)
    servicer: type = namespace["Servicer"]
    return servicer


def test_a_servicer_thread_reuses_one_event_loop_and_other_threads_get_their_own() -> None:
    import asyncio
    import threading

    servicer = _servicer_class()
    assert sdk_speedups.reuse_event_loops(servicer)
    first, second = servicer().Create(), servicer().Create()
    other: list[Any] = []
    thread = threading.Thread(target=lambda: other.append(servicer().Create()))
    thread.start()
    thread.join()
    try:
        assert first is second and not first.is_closed()
        assert other[0] is not first
    finally:
        first.dispose()
        other[0].dispose()
    assert asyncio.new_event_loop is not sdk_speedups.thread_event_loop  # only that module


@pytest.mark.parametrize(
    ("speedups", "applied"),
    [("1", True), ("0", False)],
    ids=["the servicer's loops are reused by default",
         "SHOPORG_SDK_SPEEDUPS=0 leaves the servicer as the SDK wrote it"],
)
def test_loop_reuse_is_opt_out(
    monkeypatch: pytest.MonkeyPatch, speedups: str, applied: bool
) -> None:
    monkeypatch.setenv("SHOPORG_SDK_SPEEDUPS", speedups)
    servicer = _servicer_class()
    assert sdk_speedups.reuse_event_loops(servicer) is applied
    loop = servicer().Create()
    assert loop.is_closed() is not applied
    if applied:
        loop.dispose()


def test_the_sdks_dynamic_provider_servicer_still_makes_a_loop_per_call() -> None:
    """What :func:`sdk_speedups.reuse_event_loops` replaces is still there (an SDK upgrade
    that drops it makes this fail, and the speed-up can go)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("pulumi.dynamic.__main__")
    assert spec is not None and spec.origin is not None
    source = Path(spec.origin).read_text(encoding="utf-8")
    assert "import asyncio" in source and source.count("asyncio.new_event_loop()") >= 3
