"""``shoporg report``: the whole organization on one self-contained HTML page.

::

    shoporg report --html org.html                    # the selected stack's org.yaml + ledger
    shoporg report --html org.html --org org.yaml --ledger .shoporg/ledger.db --today 2026-12-01

The page shows the department tree, who holds which roles in which shop (high-risk
permissions and toxic pairs marked; filter by platform and department), the open manual
steps of the stack's ledger, and the seats used per account. It needs no network to open or
print. ``review --html`` and ``drift --html`` write the same page with the change
highlighted. Read-only: nothing is changed. Exit 0 when written, 1 on an error.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path
from typing import Any

from shoporg.backends.clock import account_system_today
from shoporg.backends.ledger import Ledger
from shoporg.backends.settings import project_root
from shoporg.cli import Command
from shoporg.reports.drift import DriftReport
from shoporg.reports.html_report import drift_page, org_page, review_page, write_html
from shoporg.reports.model import Review
from shoporg.reports.sources import org_from_file


def register(subparsers: Any, command: Command) -> None:
    p = subparsers.add_parser(
        command.word, help=command.help,
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--html", type=Path, required=True, help="write the HTML page here")
    p.add_argument("--org", type=Path, help="org.yaml (default: the stack's org file)")
    p.add_argument("--stack", help="whose org file and ledger (default: the selected stack)")
    p.add_argument("--ledger", help="the ledger file or postgresql:// URL (overrides stack "
                   "config)")
    p.add_argument("--today", type=datetime.date.fromisoformat, metavar="YYYY-MM-DD",
                   help="the date grants' expiry is judged by (default: the account "
                   "system's today)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    stack: str | None = None
    if args.org is not None and args.ledger is not None and args.today is not None:
        org_path, ledger_at, today = args.org, args.ledger, args.today
    else:  # the stack's settings fill in what was not given
        from shoporg.stackconfig import settings_of

        settings = settings_of(project_root(), args.stack)
        org_path = args.org or settings.org_file
        ledger_at = args.ledger or settings.backend.ledger_path
        today = args.today or account_system_today(settings.backend)
        stack = settings.backend.stack
    org = org_from_file(org_path)
    # The stack's steps, and of those only this org's accounts' (a ledger may be shared).
    accounts = {a.id for a in org.accounts}
    steps = [s for s in Ledger(ledger_at, stack=stack).steps("open") if s.account in accounts]
    write_html(args.html, org_page(org, today, steps))
    print(f"shoporg report: {args.html} ({len(org.members)} people)", file=sys.stderr)
    return 0


def write_review_html(args: argparse.Namespace, review: Review) -> None:
    """``review --html FILE``: the proposed org.yaml's page with the change highlighted."""
    path: Path | None = getattr(args, "html", None)
    if path is None:
        return
    proposed = args.new or args.org or project_root() / "org.yaml"
    write_html(path, review_page(review, org_from_file(proposed)))


def write_drift_html(args: argparse.Namespace, report: DriftReport) -> None:
    """``drift --html FILE``: the declared org's page with what differs live highlighted,
    and the stack's open manual steps."""
    path: Path | None = getattr(args, "html", None)
    if path is None:
        return
    from shoporg.stackconfig import settings_of

    settings = settings_of(project_root(), args.stack)
    org = org_from_file(settings.org_file)
    steps = Ledger(settings.backend.ledger_path, stack=settings.backend.stack).steps("open")
    today = getattr(args, "as_of", None) or account_system_today(settings.backend)
    write_html(path, drift_page(report, org, today, steps))
