"""Our program runner's SDK speed-ups must send the engine exactly what the SDK would."""

from __future__ import annotations

from typing import Any

import pulumi.runtime.resource as sdk_resource

from providers.engine import sdk_speedups

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


def test_resource_types_are_computed_once_per_class_with_the_sdks_answer() -> None:
    import pulumi._types as sdk_types

    from providers.resources.sub_account import SubAccount

    calls: list[type] = []

    def original(cls: type) -> dict[str, type]:
        calls.append(cls)
        return sdk_types._types_from_annotations(cls)

    cached = sdk_speedups._cached_resource_types(original)
    first = cached(SubAccount)
    assert cached(SubAccount) is first and calls == [SubAccount]
    assert first == sdk_types.resource_types(SubAccount)
