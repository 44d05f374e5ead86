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
