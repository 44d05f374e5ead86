"""``shoporg watch``: drift, again and again; the team hears of each new finding once.

::

    shoporg watch                        # every N s (the slowest of the stack's connectors)
    shoporg watch --interval 15 --stack prod
    shoporg watch --cycles 1             # one check, then exit (a CI schedule)

Each cycle is the engine-free ``shoporg drift`` check (one bulk listing per kind and account,
no engine). What it finds that the cycle before did not — a hand change, an undeclared
object, an object gone unverified, a manual step overdue — is printed and posted to
``policies.notify`` (its ``drift`` event), a hand-granted toxic pair or high-risk permission
first; a finding already told is not told again while it lasts. Work still to do is not
posted: open manual steps (until overdue) and objects org.yaml declares that were never
applied (a joiner merged before the next ``shoporg up``). One line per cycle on stderr.

The default interval is the longest any of the stack's connectors asks for
(``providers/backends/capabilities.py``: TOP's 30 s, the sandbox's and ledger's 5 s). A cycle
that fails — a connector's error after its retries, org.yaml broken mid-edit — is reported on
its line, and the next cycle tries again: the watch keeps running. SIGTERM or SIGINT ends it
after the current cycle (exit 0): run it as a service (``examples/watch/``).

With ``--revert high-risk``, a hand change that gives someone a toxic pair or a high-risk
permission on a declared object (an extra role on a grant, a role's permissions widened) is
put back at once with ``shoporg up --target KIND:NAME`` — the guarded apply of that object
alone, journalled — and the post says so (or why it could not). Only an update back to
org.yaml's values: an object made or deleted by hand is told, never removed or re-made.
"""

from __future__ import annotations

import argparse
import datetime
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from types import FrameType
from typing import Any

from shoporg.backends.capabilities import CAPABILITIES
from shoporg.backends.settings import project_root
from shoporg.cli import Command
from shoporg.errors import ShoporgError


def register(subparsers: Any, command: Command) -> None:
    p = subparsers.add_parser(
        command.word, help=command.help,
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--stack", help="stack to watch (default: the selected stack)")
    p.add_argument("--interval", type=float, metavar="SECONDS",
                   help="seconds between checks (default: what the stack's connectors allow)")
    p.add_argument("--cycles", type=int, metavar="N",
                   help="stop after N checks (default: run until SIGTERM or SIGINT)")
    p.add_argument("--revert", choices=("high-risk",),
                   help="high-risk: put a hand-granted toxic pair or high-risk permission "
                   "back to org.yaml at once (`shoporg up --target`, guarded and journalled; "
                   "an update, never a removal) and say so in the post")
    p.set_defaults(func=run)


def default_interval(root: Path, stack: str | None) -> float:
    """The longest interval any connector serving the stack's accounts asks for."""
    from shoporg.reports.sources import org_from_file
    from shoporg.stackconfig import settings_of

    settings = settings_of(root, stack)
    org = org_from_file(settings.org_file)
    only = settings.shard(org)
    kinds = {settings.backend.connector_for(a.id, a.platform) for a in org.accounts
             if only is None or a.id in only}
    return max((CAPABILITIES[k].watch_seconds for k in kinds), default=5.0)


class Watch:
    """The loop, with its clock and stop flag (tests drive :meth:`cycle` directly)."""

    def __init__(self, root: Path, stack: str | None,
                 announce: Callable[[str | None, list[str]], None],
                 revert: Callable[[str | None, str], str] | None = None) -> None:
        self.root, self.stack, self.announce, self.revert = root, stack, announce, revert
        self.told: dict[Hashable, Any] = {}
        self.stop = threading.Event()

    def cycle(self) -> str:
        """One check: post what is new; the line to print."""
        from shoporg.cli.drift import check
        from shoporg.reports.watch import findings, new_findings
        from shoporg.resources.base import READ_CACHE

        started = datetime.datetime.now()
        READ_CACHE.clear()  # this cycle's listings, not the last one's
        try:
            report = check(self.root, self.stack)
        except Exception as exc:  # a service outlives one bad cycle, whatever broke it
            text = str(exc).strip()
            why = text.splitlines()[0] if text else ""
            kind = "" if isinstance(exc, ShoporgError) else f"{type(exc).__name__}: "
            return (f"{started:%H:%M:%S} watch: check failed, the next cycle tries again: "
                    f"{kind}{why}")
        now = findings(report)
        new = new_findings(now, self.told)
        self.told = now
        if new:
            lines = [f.line for f in new]
            if self.revert is not None:
                lines += [self.revert(report.stack, f.revertible) for f in new
                          if f.revertible is not None]
            self.announce(report.stack, lines)
        seconds = (datetime.datetime.now() - started).total_seconds()
        return (f"{started:%H:%M:%S} watch: {len(now)} finding(s), {len(new)} new, "
                f"{len(report.open_steps)} manual step(s) open, {len(report.not_applied)} "
                f"object(s) not applied yet ({seconds:.1f} s)")

    def run(self, interval: float, cycles: int | None) -> None:
        done = 0
        while not self.stop.is_set():
            print(self.cycle(), file=sys.stderr, flush=True)
            done += 1
            if cycles is not None and done >= cycles:
                return
            self.stop.wait(interval)


def run(args: argparse.Namespace) -> int:
    root = project_root()
    interval = args.interval if args.interval is not None else default_interval(
        root, args.stack)

    def announce(stack: str | None, lines: list[str]) -> None:
        for line in lines:
            print(f"  new: {line}", flush=True)
        from shoporg import notify

        notify.after_watch(root, stack or args.stack, lines)

    def revert(stack: str | None, ref: str) -> str:
        """``shoporg up --target REF``: the guarded apply, journalled, of that object alone."""
        argv = [sys.executable, "-m", "shoporg.cli.main", "up", "--target", ref]
        if stack or args.stack:
            argv += ["--stack", str(stack or args.stack)]
        done = subprocess.run(argv, cwd=root, capture_output=True, text=True)
        if done.returncode == 0:
            return f"put back to org.yaml: {ref} (`shoporg up --target`, journalled)"
        why = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        return f"could NOT put back {ref}: {why}"

    watch = Watch(root, args.stack, announce, revert if args.revert else None)

    def stop(signum: int, _frame: FrameType | None) -> None:
        print(f"shoporg watch: {signal.Signals(signum).name}, stopping", file=sys.stderr,
              flush=True)
        watch.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"shoporg watch: every {interval:g} s" + (f", {args.cycles} cycle(s)"
          if args.cycles else ""), file=sys.stderr, flush=True)
    watch.run(interval, args.cycles)
    return 0
