"""Our ``pulumi-resource-pulumi-python``: Pulumi's dynamic-provider server, with a wider pool.

The SDK's server (``python -m pulumi.dynamic``) serves the engine's gRPC calls on a
``ThreadPoolExecutor(max_workers=4)`` while the engine issues up to ``--parallel`` (default 8)
calls at once, so half of them queue behind a fixed pool of four. We run the SDK's own
module unchanged and only hand ``grpc.server`` a pool sized by
``SHOPORG_PROVIDER_WORKERS`` (default :data:`DEFAULT_WORKERS`): the SDK's servicer code is
not copied, so an SDK upgrade keeps working.

``SHOPORG_PROFILE=<dir>`` additionally profiles every worker thread with cProfile and writes
``<dir>/provider-<pid>.prof`` when the engine shuts the plugin down (how the benchmark's
profiles were taken; ``python -m pstats`` reads them).

When the engine skips its checkpoints (``shoporg up``, ``PULUMI_SKIP_CHECKPOINTS=true``) or
``SHOPORG_JOURNAL=<path>`` is set, the servicer journals every completed step
(:mod:`shoporg.engine.step_journal`): the SDK's ``Create``/``Update``/``Delete``/
``Configure`` run unchanged, and their request and answer are appended (sealed, fsync'd)
before the answer goes back to the engine.

The servicer's threads each keep one asyncio event loop instead of creating one per call
(:func:`shoporg.engine.sdk_speedups.reuse_event_loops`; ``SHOPORG_SDK_SPEEDUPS=0``: off).
"""

from __future__ import annotations

import cProfile
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import pstats
import runpy
import sys
import threading
from concurrent import futures
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc

from shoporg.engine import sdk_speedups, step_journal
from shoporg.engine.watchdog import exit_with_parent

#: Enough for the engine's default ``--parallel 8`` plus the odd Configure/GetPluginInfo.
DEFAULT_WORKERS = 16

_profiles: list[cProfile.Profile] = []
_profiles_lock = threading.Lock()


def workers() -> int:
    try:
        return max(1, int(os.environ.get("SHOPORG_PROVIDER_WORKERS", DEFAULT_WORKERS)))
    except ValueError:
        return DEFAULT_WORKERS


def _profile_thread() -> None:
    profile = cProfile.Profile()
    with _profiles_lock:
        _profiles.append(profile)
    profile.enable()


def _patch_grpc_server(profiling: bool) -> None:
    original = grpc.server

    def server(thread_pool: futures.ThreadPoolExecutor, *args: Any, **kwargs: Any) -> Any:
        thread_pool.shutdown(wait=False)  # the SDK's pool of 4; it never started a thread
        pool = futures.ThreadPoolExecutor(
            max_workers=workers(), initializer=_profile_thread if profiling else None
        )
        return original(pool, *args, **kwargs)

    grpc.server = server


def _struct(message: Any) -> dict[str, Any]:
    from google.protobuf.json_format import MessageToDict

    data: dict[str, Any] = MessageToDict(message)
    return data


def journaled(servicer: Any, journal: step_journal.Writer) -> Any:
    """Wrap the SDK servicer's step methods so each completed step is journaled."""
    create, update, delete, configure = (
        servicer.Create, servicer.Update, servicer.Delete, servicer.Configure)

    def Create(request: Any, context: Any) -> Any:
        step_journal.set_request(request)  # for a create's intent (a generated password)
        try:
            response = create(request, context)
        finally:
            step_journal.set_request(None)
        journal.append({"op": "create", "urn": request.urn, "type": request.type,
                        "id": response.id, "inputs": _struct(request.properties),
                        "outputs": _struct(response.properties)})
        return response

    def Update(request: Any, context: Any) -> Any:
        response = update(request, context)
        journal.append({"op": "update", "urn": request.urn, "type": request.type,
                        "id": request.id, "inputs": _struct(request.news),
                        "outputs": _struct(response.properties)})
        return response

    def Delete(request: Any, context: Any) -> Any:
        response = delete(request, context)
        journal.append({"op": "delete", "urn": request.urn, "type": request.type,
                        "id": request.id})
        return response

    def Configure(request: Any, context: Any) -> Any:
        response = configure(request, context)
        journal.append({"op": "configure", "args": _struct(request.args)})
        return response

    servicer.Create, servicer.Update, servicer.Delete, servicer.Configure = (
        Create, Update, Delete, Configure)
    return servicer


def stack_aware(servicer: Any) -> Any:
    """Wrap ``Configure`` to learn the stack this process serves from the provider's URN
    (stack config does not name it): the manual-step ledger keeps each stack's steps apart."""
    configure = servicer.Configure

    def Configure(request: Any, context: Any) -> Any:
        if request.urn:
            from shoporg.backends.settings import serve_stack

            serve_stack(step_journal.stack_of(request.urn)[0])
        return configure(request, context)

    servicer.Configure = Configure
    return servicer


def _patch_servicer_registration() -> None:
    journal = step_journal.writer()
    from pulumi.runtime.proto import provider_pb2_grpc

    original = provider_pb2_grpc.add_ResourceProviderServicer_to_server

    def add(servicer: Any, server: Any) -> Any:
        sdk_speedups.reuse_event_loops(type(servicer))
        servicer = stack_aware(servicer)
        return original(servicer if journal is None else journaled(servicer, journal), server)

    provider_pb2_grpc.add_ResourceProviderServicer_to_server = add


def _dump_profiles(directory: Path) -> None:
    with _profiles_lock:
        profiles = list(_profiles)
    if not profiles:
        return
    for p in profiles:
        p.create_stats()
    stats = pstats.Stats(profiles[0])
    for p in profiles[1:]:
        stats.add(p)
    directory.mkdir(parents=True, exist_ok=True)
    stats.dump_stats(str(directory / f"provider-{os.getpid()}.prof"))


#: The package's name before it was installed as ``shoporg`` (its source folder's name).
FORMER_NAME = "providers"


class FormerName(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports of ``providers`` and ``providers.<...>`` answered by today's ``shoporg`` modules.

    The SDK pickles a dynamic provider *by reference*: the state of every object written
    before the package was installed as ``shoporg`` names its provider's class as
    ``providers.resources.<kind>.<Kind>Provider``, and the engine hands that pickle back to
    this plugin for as long as the object lives (its reads and its delete). Unpickling
    imports the module by that name; this finder gives it today's module, the same object
    (no second copy of any module). Only what an old pickle names is imported, when it is:
    the plugin's start pays nothing for it."""

    def __init__(self) -> None:
        self._own_specs: dict[str, importlib.machinery.ModuleSpec | None] = {}

    def find_spec(self, fullname: str, path: object = None,
                  target: object = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != FORMER_NAME and not fullname.startswith(f"{FORMER_NAME}."):
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(f"{_package()}{spec.name[len(FORMER_NAME):]}")
        self._own_specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The import system stamped the alias's spec on today's module: give it back its own.
        alias = module.__spec__
        if alias is not None and alias.name in self._own_specs:
            module.__spec__ = self._own_specs.pop(alias.name)


def _package() -> str:
    import shoporg

    return shoporg.__name__


def answer_to_former_name() -> None:
    """Install :class:`FormerName` first, so a ``providers`` folder on ``sys.path`` (an old
    checkout) cannot answer instead."""
    if not any(isinstance(f, FormerName) for f in sys.meta_path):
        sys.meta_path.insert(0, FormerName())


def main() -> int:
    answer_to_former_name()
    profile_dir = os.environ.get("SHOPORG_PROFILE")
    _patch_grpc_server(profiling=bool(profile_dir))
    _patch_servicer_registration()
    # A killed engine would otherwise leave this server running forever, its in-flight
    # calls still writing to the account system while the user recovers.
    exit_with_parent()
    sys.argv[0] = "pulumi-resource-pulumi-python"
    try:
        runpy.run_module("pulumi.dynamic", run_name="__main__", alter_sys=True)
    finally:
        if profile_dir:
            _dump_profiles(Path(profile_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
