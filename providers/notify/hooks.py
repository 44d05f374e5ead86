"""What ``shoporg up``, ``drift`` and ``tasks`` tell the team's chats: one call each.

Each builds a short :class:`~shoporg.notify.channels.Message` (the company, the command and
stack, a few counts — ``up``'s own summary line, ``drift``'s verdict with its open and
overdue manual steps) with a link to the full report — ``$SHOPORG_REPORT_URL``, else the CI
run (GitHub Actions' ``GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID``) —
and posts it to ``policies.notify``. Nothing here can fail the command.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shoporg.notify.channels import Message
from shoporg.notify.send import ConfigReader, Outcome, announce

if TYPE_CHECKING:  # the command that calls a hook has them loaded; `tasks` need not
    from shoporg.reports.drift import DriftReport
    from shoporg.reports.outcome import Progress
    from shoporg.reports.worklist import Worklist
    from shoporg.schema import Org


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
        from shoporg.engine.cli import Pulumi

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
    """org.yaml where it can name a chat to tell (None: no file, no stack, or no
    ``notify:`` in it at all, told by its text before the validator loads: our loader
    refuses aliases and merge keys, so a ``policies.notify`` is always spelled out)."""
    try:
        from shoporg.stackconfig import settings_of

        path = settings_of(root, stack).org_file
        if "notify" not in path.read_text(encoding="utf-8-sig"):
            return None
        from shoporg.reports.sources import org_from_file

        return org_from_file(path)
    except Exception as exc:  # no org file, no stack: nobody to tell
        print(f"shoporg: notify skipped: {type(exc).__name__}", file=sys.stderr)
        return None


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _progress(entry: Mapping[str, Any]) -> Progress:
    """The ``progress`` an apply's journal entry holds (``Progress.to_json``)."""
    from shoporg.reports.outcome import Progress

    raw = entry.get("progress") or {}
    automated = raw.get("automated") or {}
    return Progress(automated={str(op): int(n) for op, n in automated.items()},
                    waiting=int(raw.get("waiting", 0)), new=int(raw.get("new", 0)),
                    reopened=int(raw.get("reopened", 0)), closed=int(raw.get("closed", 0)),
                    withdrawn=int(raw.get("withdrawn", 0)))


def up_lines(entry: Mapping[str, Any]) -> list[str]:
    """What an apply came to, from its journal entry: ``shoporg up``'s own summary line
    (automated, waiting on manual steps, steps closed — not the plan's totals, which count a
    step raised as done), then what failed, the risks and who ran it."""
    from shoporg.reports.outcome import summary_line

    lines = [summary_line(_progress(entry))]
    failed, unreached = entry.get("failed") or [], entry.get("not_reached") or []
    if failed:
        lines.append(f"FAILED: {_count(len(failed), 'object')} failed"
                     + (f", {len(unreached)} not reached" if unreached else ""))
    elif entry.get("result") == "failed":
        lines.append("FAILED: `pulumi up --plan` failed (see the run)")
    risks = entry.get("risk_counts") or {}
    if risks:
        lines.append("risks: " + ", ".join(f"{n} {code}" for code, n in risks.items()))
    if entry.get("who"):
        lines.append(f"by {entry['who']}")
    return lines


def after_up(root: Path, stack: str, org: Org, entry: Mapping[str, Any]) -> list[Outcome]:
    """After an apply, from its journal entry."""
    return _send(org, "up", f"up ({stack})", up_lines(entry), root, stack)


def _open(report: DriftReport) -> str:
    """How many manual steps are open, and the oldest one's age."""
    oldest = report.oldest
    assert oldest is not None
    return (f"{_count(len(report.open_steps), 'manual step')} open "
            f"(oldest {_count(oldest.age_days, 'day')})")


def drift_lines(report: DriftReport, shown: int = 5) -> list[str]:
    """What ``shoporg drift`` found, as its report says it: drift (exit 2: the hand changes
    in the review's words, most severe first), else what is due (exit 3: unverified
    objects, overdue manual steps), else no hand changes — and the open steps, which are
    work still to do: while any is open the account system does not match org.yaml yet."""
    overdue = len(report.overdue)
    if report.drifted or report.unmanaged:
        lines = [f"drift (exit {report.exit_code}): {len(report.drifted)} changed by hand, "
                 f"{len(report.unmanaged)} not in org.yaml, {len(report.unverified)} "
                 f"unverified, {_count(overdue, 'manual step')} overdue"]
        lines += [d.line for d in report.drifted[:shown]]
        if len(report.drifted) > shown:
            lines.append(f"… and {len(report.drifted) - shown} more")
    elif report.unverified or overdue:
        due = []
        if report.unverified:
            due.append(f"{_count(len(report.unverified), 'object')} unverified (no one has "
                       "looked for too long: `shoporg review-access --attest`)")
        if overdue:
            due.append(f"{_count(overdue, 'manual step')} overdue (open over "
                       f"{report.step_age_days} days: `shoporg tasks`)")
        lines = [f"nothing changed by hand, but due (exit {report.exit_code}): "
                 + ", ".join(due)]
    elif report.open_steps:
        lines = [f"no hand changes; {_open(report)}"]
    elif report.not_applied:  # it will match once they are applied: not "matches" yet
        lines = ["no hand changes"]
    else:
        lines = ["no drift: the account system matches org.yaml"]
    if (report.drifted or report.unmanaged or report.unverified or overdue) and (
            report.open_steps):
        lines.append(_open(report))
    if report.not_applied:  # merged, not applied: work for the next `shoporg up`, not drift
        lines.append(f"{_count(len(report.not_applied), 'declared object')} not applied yet "
                     "(`shoporg up`)")
    return lines


def after_drift(args: argparse.Namespace, report: DriftReport, root: Path) -> list[Outcome]:
    org = _org_of(root, args.stack)
    if org is None:
        return []
    stack = report.stack or args.stack
    return _send(org, "drift", f"drift ({stack})" if stack else "drift", drift_lines(report),
                 root, args.stack)


def after_watch(root: Path, stack: str | None, lines: list[str]) -> list[Outcome]:
    """What a ``shoporg watch`` cycle found that the one before did not (its ``drift``
    event: the chats that hear of drift hear of it as it happens)."""
    org = _org_of(root, stack)
    if org is None:
        return []
    return _send(org, "drift", f"watch ({stack})" if stack else "watch",
                 [f"new since the last check: {len(lines)}", *lines], root, stack)


def after_tasks(args: argparse.Namespace, work: Worklist, root: Path) -> list[Outcome]:
    org = _org_of(root, getattr(args, "stack", None))
    if org is None:
        return []
    lines = [f"{work.total} open manual step{'s' if work.total != 1 else ''}"]
    lines += [f"{p.title}: {p.count}" for p in work.platforms]
    return _send(org, "tasks", "tasks", lines, root, getattr(args, "stack", None))
