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
"""

from __future__ import annotations

import cProfile
import os
import pstats
import runpy
import sys
import threading
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc

from providers.engine.watchdog import exit_with_parent

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


def main() -> int:
    profile_dir = os.environ.get("SHOPORG_PROFILE")
    _patch_grpc_server(profiling=bool(profile_dir))
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
