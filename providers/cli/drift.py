"""``shoporg drift``: does the live account system still match org.yaml?

::

    shoporg drift                       # Markdown report on stdout
    shoporg drift --markdown drift.md --json drift.json --stack prod

Runs ``pulumi preview --refresh --json`` (read-only: the refresh is not saved) and lists,
through the stack's backend, live objects org.yaml does not declare (the engine cannot see
those); on ledger-served accounts (no read API), objects whose last confirmation or
attestation is older than ``policies.attestation_days`` are *unverified*. A hand change is
told in the review's words, with its risk flags (a hand-granted high-risk permission or
toxic pair first). Exit codes:
**0** no drift, **2** drift (changed by hand, deleted by hand, or undeclared objects; with
or without unverified ones), **3** only unverified objects (re-attest them:
``shoporg review-access --attest``), **1** error (engine, backend or org.yaml problem).
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path
from typing import Any

from providers import notify
from providers.backends.clock import account_system_today
from providers.backends.ledger import Ledger
from providers.backends.settings import open_backend, project_root
from providers.cli.report import write_drift_html
from providers.kinds import desired_world
from providers.reports.drift import (
    DriftReport,
    Unverified,
    drifted_objects,
    interpret,
    render_drift_json,
    render_drift_markdown,
    unmanaged_objects,
    unverified_objects,
)
from providers.reports.sources import engine_preview, org_from_file
from providers.reports.world import objects, plan_from_preview
from providers.schema import Org
from providers.stackconfig import StackSettings, selected_stack, stack_settings


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "drift", help="refresh-preview, undeclared and unverified objects; exit 0 none, "
        "2 drift, 3 only unverified",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--stack", help="stack to check (default: the selected stack)")
    p.add_argument("--markdown", type=Path, help="write the Markdown report here")
    p.add_argument("--json", type=Path, help="write the JSON report here")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown",
                   help="what to print on stdout when no file is named (default markdown)")
    p.add_argument("--as-of", type=datetime.date.fromisoformat, metavar="YYYY-MM-DD",
                   help="judge attestation age on this day (default today): what will be "
                   "unverified by then")
    p.add_argument("--html", type=Path, help="write the self-contained HTML page here")
    p.set_defaults(func=run)


def unverified(settings: StackSettings, org: Org, accounts: list[str],
               today: datetime.date) -> list[Unverified]:
    """The ledger-served accounts' objects nobody has confirmed or attested for too long."""
    served = [a for a in org.accounts if a.id in accounts
              and settings.backend.connector_for(a.id, a.platform) == "ledger"]
    if not served:
        return []
    ledger = Ledger(settings.backend.ledger_path, stack=settings.backend.stack)
    verified: dict[tuple[str, str], datetime.datetime] = {}
    owner: dict[tuple[str, str], str] = {}
    for account in served:
        for key, at in ledger.verified_at(account.id).items():
            verified[key], owner[key] = at, account.id
    return unverified_objects(verified, owner, today, org.policies.attestation_days)


def check(root: Path, stack: str | None, as_of: datetime.date | None = None) -> DriftReport:
    name = stack or selected_stack(root)
    settings = stack_settings(root, name)
    org = org_from_file(settings.org_file)
    # The program disables expired grants by the account system's day; judge drift by it.
    only = settings.shard(org)
    today = account_system_today(settings.backend)
    declared = objects(desired_world(org, today, only))
    plan = plan_from_preview(engine_preview(root, stack=stack, refresh=True), declared)
    backend = open_backend(settings.backend)
    accounts = [a.id for a in org.accounts if only is None or a.id in only]
    unmanaged = unmanaged_objects(backend, declared, accounts, whole_tenant=only is None)
    stale = unverified(settings, org, accounts, as_of or datetime.date.today())
    words = interpret(plan, org, today)  # the review's sentences and risk flags
    return DriftReport(name, tuple(drifted_objects(plan, words)), tuple(unmanaged),
                       tuple(stale), words.risks, words.effects)


def run(args: argparse.Namespace) -> int:
    report = check(project_root(), args.stack, args.as_of)
    write_drift_html(args, report)  # --html: the org page with what differs highlighted
    notify.after_drift(args, report, project_root())  # the team's chats (never fails)
    if args.markdown is not None:
        args.markdown.write_text(render_drift_markdown(report), encoding="utf-8")
    if args.json is not None:
        args.json.write_text(render_drift_json(report), encoding="utf-8")
    if args.markdown is None and args.json is None:
        out = render_drift_json(report) if args.format == "json" else render_drift_markdown(
            report)
        sys.stdout.write(out)
    else:
        state = "no drift" if report.clean else (
            f"drift: {len(report.drifted)} changed, {len(report.unmanaged)} not in org.yaml, "
            f"{len(report.unverified)} unverified")
        print(f"shoporg drift: {state}", file=sys.stderr)
    return report.exit_code
