"""Per-resource overheads of the Python SDK's registration path, removed in our program runner.

Measured with cProfile on a no-op preview of 1,048 resources (benchmarks/RESULTS.md):

* ``pulumi.log.debug`` — the SDK logs four internal debug lines per resource ("resource
  registration prepared ..."), each a **blocking** gRPC round trip to the engine: 4,205
  calls, 5.8 s of the program's 20 s. The engine shows them only under ``pulumi --debug``,
  a flag the language host never sees, so we drop them; ``SHOPORG_SDK_DEBUG=1`` keeps them.
* ``_get_stack_trace`` — the SDK builds each resource's source position with
  ``traceback.extract_stack()``, which also reads every frame's source line (1.7 s). The
  engine needs only file and line, so we walk the frames ourselves and produce the same
  message.
* ``_types.resource_types`` — for every registered resource the SDK re-derives the output
  types of its *class* from the class annotations with ``typing.get_type_hints`` (which
  compiles each string annotation anew): 4.8 s for 1,048 resources. The answer depends on
  the class only, so we compute it once per class.
* ``wait_for_rpcs`` — at the end of the program the SDK waits for every still-pending
  output (one per property per resource) with ``asyncio.wait(..., FIRST_COMPLETED)`` in a
  loop, re-arming a callback on *every* pending output after *each* completion: quadratic
  (158,606 ``add_done_callback`` calls, 4.4 s, for 1,048 resources). Our ``wait`` for that
  module arms one callback per task once, and returns the first completion together with
  whatever else completed within a batch window (:func:`batch_window`), found by set
  operations on what the callbacks collected; the tasks still pending go back into the
  SDK's set in one update (:func:`wait_for_outputs`) instead of one context-variable lookup
  per task per wait. Same results, same error handling (the SDK still awaits every done
  task), at most one window later.

  Each wait still costs time in proportion to the pending outputs P (the SDK copies its set
  into a list per wait; we diff and re-add it), and the number of waits is the run's length
  divided by the window: with a fixed 20 ms window the loop was O(run length × P) — at
  2,533 resources 1,986 waits, at 10k a whole core. So the window grows with P (10 µs per
  pending output, 20 ms to 1 s): a wait's cost stays a few per cent of its window at any
  size. The loop is not on the registrations' path (they run in their own tasks; it only
  observes them), so a longer window delays only the program's exit and an error's report,
  by at most one window.

* ``asyncio.new_event_loop`` in the dynamic-provider server — the SDK's servicer creates
  and closes an event loop for every ``Create``/``Update``/``Check``/``Read`` only to
  serialise the answer: an epoll selector and a socket pair per call, 6.7 % of the provider
  process's GIL time in a sampled 10k ``up`` (py-spy). :func:`reuse_event_loops` gives each
  servicer thread one loop for its lifetime (the servicer's ``close()`` leaves it open).

All are opt-out together with ``SHOPORG_SDK_SPEEDUPS=0`` (how the benchmark measures their
effect). They patch the SDK version pinned in pyproject.toml; if a future SDK renames what
we replace, :func:`install` leaves that part alone rather than failing the program.
"""

from __future__ import annotations

import asyncio
import functools
import os
import pathlib
import sys
import threading
from collections.abc import Iterable
from types import FrameType, SimpleNamespace
from typing import Any

#: The batch window's bounds and its growth per pending output (see the module docstring).
WAIT_BATCH_MIN_S = 0.02
WAIT_BATCH_MAX_S = 1.0
WAIT_BATCH_PER_PENDING_S = 1e-5


def batch_window(pending: int) -> float:
    """How long a wait collects completions after its first: longer the more is pending."""
    return min(WAIT_BATCH_MAX_S, max(WAIT_BATCH_MIN_S, pending * WAIT_BATCH_PER_PENDING_S))


def _no_debug(*_args: Any, **_kwargs: Any) -> None:
    """Drop an SDK debug message (see the module docstring)."""


@functools.lru_cache(maxsize=4096)
def _uri(filename: str) -> str | None:
    try:
        return pathlib.Path(filename).as_uri()
    except (ValueError, OSError):  # the SDK, too, gives no position rather than an error
        return None


def fast_stack_trace() -> Any:
    """What ``pulumi.runtime.resource._get_stack_trace`` returns, without reading sources.

    The SDK takes the frames *outside* the third ``__init__`` counted from the innermost
    frame (Resource, Custom/ComponentResource, then the concrete resource class) and lists
    them innermost first; so do we.
    """
    from pulumi.runtime.proto import source_pb2

    frames: list[FrameType] = []
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    inits = [i for i, f in enumerate(frames) if f.f_code.co_name == "__init__"]
    if len(inits) < 3:
        return source_pb2.StackTrace()
    index = inits[2]
    if index >= len(frames) - 1:
        return source_pb2.StackTrace()  # the SDK's "i < 1": nothing outside the constructor
    out = []
    for f in frames[index + 1:]:
        uri = _uri(f.f_code.co_filename) if f.f_code.co_filename else None
        pos = source_pb2.SourcePosition(uri=uri, line=f.f_lineno) if uri else None
        out.append(source_pb2.StackFrame(pc=pos))
    return source_pb2.StackTrace(frames=out)


class _Completions:
    """One done-callback per task for the program's lifetime, instead of one per wait; the
    callback collects the task, so a wait takes what finished with set operations instead
    of asking each pending task (tens of thousands at 10k resources) whether it is done."""

    def __init__(self) -> None:
        # Strong references are fine: the SDK holds every pending output until it is done,
        # and a finished one leaves both sets when a wait takes it.
        self.armed: set[asyncio.Future[Any]] = set()
        self.finished: set[asyncio.Future[Any]] = set()
        self.waiters: list[asyncio.Future[None]] = []

    def arm(self, fs: set[asyncio.Future[Any]]) -> None:
        for f in fs - self.armed - self.finished:
            self.armed.add(f)
            f.add_done_callback(self._wake)

    def take(self, fs: set[asyncio.Future[Any]]) -> set[asyncio.Future[Any]]:
        """The tasks of ``fs`` that finished (their callbacks ran), forgotten here."""
        done = fs & self.finished
        self.finished -= done
        return done

    def _wake(self, f: asyncio.Future[Any]) -> None:
        self.armed.discard(f)
        self.finished.add(f)
        waiters, self.waiters = self.waiters, []
        for w in waiters:
            if not w.done():
                w.set_result(None)

    async def next(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        await waiter


_COMPLETIONS = _Completions()


async def batched_wait(
    fs: Iterable[asyncio.Future[Any]], *, timeout: float | None = None,
    return_when: str = asyncio.ALL_COMPLETED,
) -> tuple[set[asyncio.Future[Any]], set[asyncio.Future[Any]]]:
    """``asyncio.wait`` for ``FIRST_COMPLETED`` without re-arming every pending task.

    Returns as soon as at least one is done, together with every other task that finished
    within :func:`batch_window` (see the module docstring); other modes are ``asyncio.wait``.
    """
    if return_when != asyncio.FIRST_COMPLETED or timeout is not None:
        return await asyncio.wait(fs, timeout=timeout, return_when=return_when)
    pending = set(fs)
    if not pending:
        raise ValueError("Set of Tasks/Futures is empty.")  # as asyncio.wait says it
    _COMPLETIONS.arm(pending)
    # A task done before it was armed gets its callback on the loop's next turn.
    while not (done := _COMPLETIONS.take(pending)):
        await _COMPLETIONS.next()
    await asyncio.sleep(batch_window(len(pending)))
    done |= _COMPLETIONS.take(pending)
    return done, pending - done


async def wait_for_outputs(
    fs: Iterable[asyncio.Future[Any]], *, timeout: float | None = None,
    return_when: str = asyncio.ALL_COMPLETED,
) -> tuple[set[asyncio.Future[Any]], set[asyncio.Future[Any]]]:
    """:func:`batched_wait` as ``wait_for_rpcs`` (its only ``asyncio.wait``) uses it: the
    tasks still pending go back into ``SETTINGS.outputs`` here, in one ``update``, and none
    are returned. The SDK would put them back one by one, each through a context-variable
    property lookup: at 1,048 resources 911,262 lookups (4 s of the program under the
    profiler), growing with pending outputs × waits."""
    done, not_done = await batched_wait(fs, timeout=timeout, return_when=return_when)
    if return_when != asyncio.FIRST_COMPLETED or timeout is not None:
        return done, not_done
    from pulumi.runtime.settings import SETTINGS

    with SETTINGS.lock:
        SETTINGS.outputs.update(not_done)
    return done, set()


def _asyncio_with(**replaced: Any) -> Any:
    """A stand-in for the ``asyncio`` module, for one SDK module's globals only: every
    public name as asyncio has it, except ``replaced``."""
    names = [k for k in dir(asyncio) if not k.startswith("__")]
    proxy = SimpleNamespace(**{k: getattr(asyncio, k) for k in names})
    for name, value in replaced.items():
        setattr(proxy, name, value)
    return proxy


def _asyncio_with_batched_wait() -> Any:
    """The ``asyncio`` that ``pulumi.runtime.stack`` sees."""
    return _asyncio_with(wait=wait_for_outputs)


_TYPES_BY_CLASS: dict[type, dict[str, type]] = {}


def _cached_resource_types(original: Any) -> Any:
    def resource_types(resource_cls: type) -> dict[str, type]:
        # Callers only read the result (``types.get(key)``), so one dict per class is shared.
        types = _TYPES_BY_CLASS.get(resource_cls)
        if types is None:
            types = _TYPES_BY_CLASS[resource_cls] = original(resource_cls)
        return types

    return resource_types


class _ThreadLoop(asyncio.SelectorEventLoop):
    """One servicer thread's event loop, kept open for its next call."""

    def close(self) -> None:
        """The servicer closes its loop after each call; this one stays for the next."""

    def dispose(self) -> None:
        """Really close it (tests; a thread's next call then makes a new one)."""
        super().close()


_thread_loops = threading.local()


def thread_event_loop() -> asyncio.AbstractEventLoop:
    """This thread's loop (made at its first call): ``new_event_loop`` for the servicer."""
    loop: _ThreadLoop | None = getattr(_thread_loops, "loop", None)
    if loop is None or loop.is_closed():
        loop = _thread_loops.loop = _ThreadLoop()
    return loop


def reuse_event_loops(servicer_class: type) -> bool:
    """Make the SDK's dynamic-provider servicer (``pulumi.dynamic.__main__``, run by
    runpy: its methods' globals are that module's) call :func:`thread_event_loop` for
    ``asyncio.new_event_loop``. Only that module sees the stand-in. False when the SDK
    no longer looks the loop up that way (then nothing is changed)."""
    create = getattr(servicer_class, "Create", None)
    namespace = getattr(create, "__globals__", None)
    if not enabled() or namespace is None or namespace.get("asyncio") is not asyncio:
        return False
    namespace["asyncio"] = _asyncio_with(new_event_loop=thread_event_loop)
    return True


def enabled() -> bool:
    return os.environ.get("SHOPORG_SDK_SPEEDUPS", "1") != "0"


def install() -> list[str]:
    """Apply the speed-ups to the imported SDK; return the names of those applied."""
    if not enabled():
        return []
    import pulumi._types as sdk_types
    import pulumi.log
    import pulumi.runtime.resource as sdk_resource
    import pulumi.runtime.stack as sdk_stack

    applied = []
    if not os.environ.get("SHOPORG_SDK_DEBUG") and callable(getattr(pulumi.log, "debug", None)):
        pulumi.log.debug = _no_debug
        applied.append("log.debug")
    if callable(getattr(sdk_resource, "_get_stack_trace", None)):
        sdk_resource._get_stack_trace = fast_stack_trace
        applied.append("stack traces")
    if callable(getattr(sdk_types, "resource_types", None)):
        sdk_types.resource_types = _cached_resource_types(sdk_types.resource_types)
        applied.append("resource types")
    if getattr(sdk_stack, "asyncio", None) is asyncio:
        setattr(sdk_stack, "asyncio", _asyncio_with_batched_wait())  # noqa: B010 - not exported
        applied.append("batched wait")
    return applied
