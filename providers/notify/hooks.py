"""What ``shoporg up``, ``drift`` and ``tasks`` tell the team's chats: one call each.

Each builds a short :class:`~providers.notify.channels.Message` (the company, the command and
stack, a few counts) with a link to the full report — ``$SHOPORG_REPORT_URL``, else the CI
run (GitHub Actions' ``GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID``) —
and posts it to ``policies.notify``. Nothing here can fail the command.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from providers.notify.channels import Message
from providers.notify.send import ConfigReader, Outcome, announce
from providers.reports.drift import DriftReport
from providers.reports.worklist import Worklist
from providers.schema import Org


def report_link(env: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    if env.get("SHOPORG_REPORT_URL"):
        return env["SHOPORG_REPORT_URL"]
    server, repo, run = (env.get(k) for k in
                         ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    return f"{server}/{repo}/actions/runs/{run}" if server and repo and run else None


def stack_config(root: Path, stack: str | None) -> ConfigReader:
    """Reads a (secret) stack config value through the engine, only when a webhook asks."""
    def read(key: str) -> str | None:
        from providers.engine.cli import Pulumi

        extra = ("--stack", stack) if stack else ()
        result = Pulumi(root).run("config", "get", key, *extra, check=False, timeout=120)
        return result.stdout.strip() if result.returncode == 0 else None
    return read


def _send(org: Org, event: str, title: str, lines: list[str], root: Path,
          stack: str | None) -> list[Outcome]:
    if not org.policies.notify:
        return []
    message = Message(f"{org.company} · shoporg {title}", tuple(lines), report_link())
    return announce(org.policies.notify, event, message, config=stack_config(root, stack))


def _org_of(root: Path, stack: str | None) -> Org | None:
    try:
        from providers.reports.sources import org_from_file
        from providers.stackconfig import settings_of

        return org_from_file(settings_of(root, stack).org_file)
    except Exception as exc:  # no org file, no stack: nobody to tell
        print(f"shoporg: notify skipped: {type(exc).__name__}", file=sys.stderr)
        return None


def after_up(root: Path, stack: str, org: Org, entry: Mapping[str, Any]) -> list[Outcome]:
    """After an apply, from its journal entry."""
    totals = entry.get("summary") or {}
    changes = ", ".join(f"{n} {op}" for op, n in totals.items() if n) or "nothing to change"
    steps = entry.get("manual_steps") or {}
    lines = [f"{entry.get('result', 'applied')}: {changes}"]
    if steps:
        lines.append(f"manual steps: {len(steps.get('raised', []))} raised, "
                     f"{steps.get('open', 0)} open")
    risks = entry.get("risk_counts") or {}
    if risks:
        lines.append("risks: " + ", ".join(f"{n} {code}" for code, n in risks.items()))
    if entry.get("who"):
        lines.append(f"by {entry['who']}")
    return _send(org, "up", f"up ({stack})", lines, root, stack)


def after_drift(args: argparse.Namespace, report: DriftReport, root: Path) -> list[Outcome]:
    org = _org_of(root, args.stack)
    if org is None:
        return []
    if report.clean:
        lines = ["no drift: the account system matches org.yaml"]
    else:
        lines = [f"drift: {len(report.drifted)} changed by hand, {len(report.unmanaged)} not in "
                 f"org.yaml, {len(report.unverified)} unverified (exit {report.exit_code})"]
        lines += [f"{d.kind.replace('_', ' ')} {d.name}: {d.what}" for d in report.drifted[:5]]
    stack = report.stack or args.stack
    return _send(org, "drift", f"drift ({stack})" if stack else "drift", lines, root,
                 args.stack)


def after_tasks(args: argparse.Namespace, work: Worklist, root: Path) -> list[Outcome]:
    org = _org_of(root, getattr(args, "stack", None))
    if org is None:
        return []
    lines = [f"{work.total} open manual step{'s' if work.total != 1 else ''}"]
    lines += [f"{p.title}: {p.count}" for p in work.platforms]
    return _send(org, "tasks", "tasks", lines, root, getattr(args, "stack", None))
