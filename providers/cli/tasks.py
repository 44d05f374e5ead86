"""``shoporg tasks``: the manual steps to do, and recording that a person did them.

::

    shoporg tasks                              # open steps: platform → account → page → person
    shoporg tasks --format json --json tasks.json
    shoporg tasks --html tasks.html             # a printable checklist (self-contained)
    shoporg tasks done 7 9 --note "done in 千牛, 10:40"      # --by defaults to your git identity
    shoporg tasks skip 8 --reason "not needed: she left"
    shoporg tasks reopen 7 --reason "the sub-account is not there"

Confirming writes to the stack's ledger (``shoporg:ledgerPath``, default
``.shoporg/ledger.db``); the next ``pulumi up`` (or ``refresh``) reads it. Where the platform
has a read API (TOP), the read-back decides: a confirmed step the platform does not show is
opened again, with "not visible yet". Exit codes: 0 done, 1 refused (nothing changed).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

from shoporg import notify
from shoporg.backends.ledger import Ledger, LedgerError
from shoporg.backends.ledger.store import os_user
from shoporg.backends.settings import project_root
from shoporg.cli import Command
from shoporg.errors import ShoporgError
from shoporg.reports.worklist import (
    render_worklist_html,
    render_worklist_json,
    render_worklist_markdown,
    worklist,
)
from shoporg.stackconfig import settings_of


def register(subparsers: Any, command: Command) -> None:
    p = subparsers.add_parser(
        command.word, help=command.help,
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--stack", help="whose ledger (default: the selected stack)")
    p.add_argument("--ledger", help="the ledger file or postgresql:// URL (overrides stack config)")
    p.add_argument("--markdown", type=Path, help="write the Markdown worklist here")
    p.add_argument("--json", type=Path, help="write the JSON worklist here")
    p.add_argument("--html", type=Path, help="write the printable HTML checklist here")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown")
    p.set_defaults(func=run_list)
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    for action, needs_reason in (("done", False), ("skip", True), ("reopen", True)):
        a = sub.add_parser(action, help=f"mark steps {action}")
        a.add_argument("ids", nargs="+", type=int, metavar="ID")
        # Also accepted after the action; SUPPRESS keeps a value given before it.
        a.add_argument("--stack", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        a.add_argument("--ledger", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        a.add_argument("--by", help="who did it (default: your git identity)")
        if needs_reason:
            a.add_argument("--reason", required=True, help="why (recorded)")
        else:
            a.add_argument("--note", help="what was done, where (recorded)")
        a.set_defaults(func=run_mark, state={"done": "done", "skip": "skipped",
                                              "reopen": "open"}[action])


def ledger_for(args: argparse.Namespace) -> Ledger:
    if args.ledger is not None:  # a stack named beside it narrows the list to its steps
        return Ledger(args.ledger, stack=args.stack)
    backend = settings_of(project_root(), args.stack).backend
    return Ledger(backend.ledger_path, stack=backend.stack)


def identity() -> str:
    """The git identity (``Name <email>``), else the OS user."""
    def git(key: str) -> str:
        try:
            out = subprocess.run(["git", "config", key], capture_output=True, text=True,
                                 timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return out.stdout.strip()

    name, email = git("user.name"), git("user.email")
    if name:
        return f"{name} <{email}>" if email else name
    return os_user()


def run_list(args: argparse.Namespace) -> int:
    work = worklist(ledger_for(args).steps("open"))
    notify.after_tasks(args, work, project_root())  # the team's chats (never fails)
    if args.markdown is not None:
        args.markdown.write_text(render_worklist_markdown(work), encoding="utf-8")
    if args.json is not None:
        args.json.write_text(render_worklist_json(work), encoding="utf-8")
    if args.html is not None:
        args.html.write_text(render_worklist_html(work), encoding="utf-8")
    if args.markdown is None and args.json is None and args.html is None:
        sys.stdout.write(render_worklist_json(work) if args.format == "json"
                         else render_worklist_markdown(work))
    return 0


def run_mark(args: argparse.Namespace) -> int:
    ledger = ledger_for(args)
    note = getattr(args, "reason", None) or getattr(args, "note", None)
    try:
        steps = ledger.mark(args.ids, args.state, by=args.by or identity(), note=note)
    except LedgerError as exc:
        raise ShoporgError(f"tasks {args.action}: {exc}") from None
    for s in steps:
        print(f"#{s.id} {s.state}: {s.operation} {s.kind} {s.name} (by {s.state_by})")
    if args.state == "done":
        print("run `pulumi up` (or `pulumi refresh`) to read the confirmed steps back")
    return 0
