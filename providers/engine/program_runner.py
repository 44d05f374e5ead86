"""Run a Pulumi Python program inside ``run_in_stack`` (our ``pulumi-language-python-exec``).

The language host starts this in a fresh interpreter with the flags below and the stack
config in ``PULUMI_CONFIG`` / ``PULUMI_CONFIG_SECRET_KEYS``. Exit codes follow Pulumi's
convention: 0 success, 32 "the error was already reported to the engine", 1 anything else.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import runpy
import sys
import traceback
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

EXIT_BAIL = 32


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="pulumi-language-python-exec")
    for flag in ("project", "stack", "pwd", "monitor", "engine", "tracing", "organization",
                 "root_directory"):
        ap.add_argument(f"--{flag}")
    ap.add_argument("--parallel", type=int, default=1)
    ap.add_argument("--dry_run", default="false")
    ap.add_argument("program")
    ap.add_argument("args", nargs="*")
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)

    import pulumi
    import pulumi.runtime

    from shoporg.engine import sdk_speedups
    from shoporg.errors import ShoporgError

    sdk_speedups.install()

    pulumi.runtime.set_all_config(
        pulumi.runtime.get_config_env(), pulumi.runtime.get_config_secret_keys_env()
    )
    pulumi.runtime.configure(
        pulumi.runtime.Settings(
            project=args.project,
            stack=args.stack,
            monitor=args.monitor,
            engine=args.engine,
            parallel=args.parallel,
            dry_run=args.dry_run == "true",
            organization=args.organization,
            root_directory=args.root_directory,
        )
    )
    program = os.path.abspath(args.program)
    sys.argv = [program, *args.args]
    if args.pwd:
        os.chdir(args.pwd)

    # A failing Pulumi program leaves futures unobserved on purpose; asyncio's complaints
    # about them would only hide the real error.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # Resource registrations run in the loop's default executor; size it to the engine's
    # parallelism so a wide stack is not serialised on a handful of threads.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=max(args.parallel, 1) * 4))
    def run_program() -> None:
        runpy.run_path(program, run_name="__main__")

    # SHOPORG_PROFILE=<dir>: profile the program (main thread: org loading, resource
    # construction, the SDK's serialisation) into <dir>/program-<pid>.prof.
    profile_dir = os.environ.get("SHOPORG_PROFILE")
    profiler = None
    if profile_dir:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    try:
        loop.run_until_complete(pulumi.runtime.run_in_stack(run_program))
        return 0
    except (pulumi.RunError, ShoporgError) as exc:
        # shoporg's own errors say where and what to do in their one line (a TOP gateway
        # refusing this machine's clock, a refused session...): a traceback would bury it.
        pulumi.log.error(str(exc))
        return EXIT_BAIL
    except Exception:
        pulumi.log.error(f"Program failed with an unhandled exception:\n{traceback.format_exc()}")
        return EXIT_BAIL
    finally:
        if profiler is not None and profile_dir:
            profiler.disable()
            os.makedirs(profile_dir, exist_ok=True)
            profiler.dump_stats(os.path.join(profile_dir, f"program-{os.getpid()}.prof"))
        loop.close()
        sys.stdout.flush()
        sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main())
