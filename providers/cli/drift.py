"""``shoporg drift``: does the live account system still match org.yaml?

::

    shoporg drift                       # Markdown report on stdout
    shoporg drift --markdown drift.md --json drift.json --stack prod

Compares what org.yaml declares with the live account system: every object in the stack's
state is read back through its own provider (one bulk listing per kind and account, no
engine run; ``--engine`` runs ``pulumi preview --refresh --json`` instead, which plans the
same), and live objects org.yaml does not declare are listed through the stack's backend
(the engine cannot see those). Neither saves anything to the stack's state. On
ledger-served accounts (no read API), objects whose last confirmation or
attestation is older than ``policies.attestation_days`` are *unverified*. A hand change is
told in the review's words, with its risk flags (a hand-granted high-risk permission or
toxic pair first).

The stack's open manual steps are listed (how many per platform account, the oldest one's
age): they are work, not drift, and a difference the live state shows only because one is
still open (a leaver's disable not yet done on Shopee) is listed under it as *waiting*. A
step open longer than ``policies.step_age_days`` (default 14) is *overdue*. A declared
object the stack's state has never held (a joiner merged into org.yaml before the next
``shoporg up``) is *not applied yet*: listed in the review's words, not drift; an object
the state held that is gone live is *deleted by hand*, drift as ever. Ages are judged by
the ledger's clock (``$SHOPORG_NOW``, else today), or on ``--as-of``. Exit codes: **0** no
drift (open steps, none overdue, and objects not applied yet are fine), **2** drift
(changed by hand, deleted by hand, or undeclared objects; with or without unverified
objects or overdue steps), **3** only unverified objects (re-attest them: ``shoporg
review-access --attest``) or overdue steps (do them: ``shoporg tasks``), **1** error
(engine, backend or org.yaml problem).

Each run is recorded in the stack's ledger (exit code, counts, findings in the review's
words: ``shoporg evidence`` lists the runs of a period); a ledger the job may not write to
costs one stderr line, never the report or its exit code. ``shoporg watch`` records nothing.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shoporg import notify
from shoporg.backends.capabilities import CAPABILITIES
from shoporg.backends.clock import account_system_today, local_date
from shoporg.backends.settings import ledger_of, open_backend, project_root
from shoporg.cli import Command, collector_paused
from shoporg.cli.report import write_drift_html
from shoporg.errors import ConfigError
from shoporg.kinds import Ref, World, desired_world
from shoporg.reports.drift import (
    Connectors,
    DriftReport,
    OpenStep,
    Unverified,
    drifted_objects,
    interpret,
    not_applied,
    open_steps,
    render_drift_json,
    render_drift_markdown,
    unapplied_words,
    unmanaged_objects,
    unverified_objects,
    waiting_part,
    waiting_steps,
    waiting_words,
    with_roles_made_by_hand,
    without_unapplied,
    without_waiting,
)
from shoporg.reports.sources import engine_preview, org_from_file, stack_resources
from shoporg.reports.world import Obj, Plan, objects, plan_from_preview
from shoporg.schema import Org
from shoporg.stackconfig import StackSettings, selected_stack, stack_settings

if TYPE_CHECKING:  # the ledger is opened by ledger_of, not imported for every command
    from shoporg.backends.ledger import Ledger


def register(subparsers: Any, command: Command) -> None:
    p = subparsers.add_parser(
        command.word, help=command.help,
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--stack", help="stack to check (default: the selected stack)")
    p.add_argument("--markdown", type=Path, help="write the Markdown report here")
    p.add_argument("--json", type=Path, help="write the JSON report here")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown",
                   help="what to print on stdout when no file is named (default markdown)")
    p.add_argument("--as-of", type=datetime.date.fromisoformat, metavar="YYYY-MM-DD",
                   help="judge attestation and open steps' age on this day (default the "
                   "ledger's today): what will be unverified or overdue by then")
    p.add_argument("--html", type=Path, help="write the self-contained HTML page here")
    p.add_argument("--engine", action="store_true",
                   help="refresh through the engine (pulumi preview --refresh) instead of "
                   "reading the stack's state back in this process: slower, same findings")
    p.set_defaults(func=run)


def connectors(settings: StackSettings, org: Org, accounts: list[str]) -> Connectors:
    """What the connector serving each of the stack's accounts does by API."""
    return {a.id: (CAPABILITIES[settings.backend.connector_for(a.id, a.platform)], a.platform)
            for a in org.accounts if a.id in accounts}


def unverified(ledger: Any, served: Connectors, org: Org,
               today: datetime.date) -> list[Unverified]:
    """The ledger-served accounts' objects nobody has confirmed or attested for too long."""
    verified: dict[tuple[str, str], datetime.datetime] = {}
    owner: dict[tuple[str, str], str] = {}
    for account, (capability, _) in served.items():
        if capability.connector != "ledger":
            continue
        for key, at in ledger.verified_at(account).items():
            verified[key], owner[key] = at, account
    return unverified_objects(verified, owner, today, org.policies.attestation_days)


def open_work(ledger: Any, plan: Plan, org: Org, served: Connectors, today: datetime.date,
              day: datetime.date) -> tuple[Plan, tuple[OpenStep, ...]]:
    """The stack's open steps, each with the difference it explains, and the refresh plan
    without those differences (what is left may be drift). ``today``: the account system's
    day (the review's words); ``day``: the ledger's (the steps' age)."""
    steps = [s for s in ledger.steps("open") if s.account in served]
    baselines = {Ref(kind, name): s.desired for (kind, name), s in ledger.confirmed().items()
                 if s.operation != "delete" and s.desired is not None}
    waiting = waiting_steps(plan, steps, baselines, served)
    part = waiting_part(plan, waiting)
    return without_waiting(plan, waiting), open_steps(steps, day, part,
                                                      waiting_words(part, org, today))


def refreshed(root: Path, name: str, settings: StackSettings, org: Org,
              only: frozenset[str] | None, world: World, declared: dict[Ref, Obj],
              engine: bool) -> tuple[Plan, frozenset[Ref]]:
    """The stack's refresh plan: the engine's refresh preview, or the same plan computed in
    this process (:mod:`shoporg.reports.refresh`) after the checks the program makes
    before it registers anything (a live-state rule broken fails both the same way); and
    the objects the stack's state held before the refresh (its checkpoint, read the same
    way on both paths: what tells a change not applied yet from a deletion by hand).
    ``declared``: ``world``'s objects."""
    # Imported here: the providers derive from the Pulumi SDK's dynamic-provider classes,
    # which `shoporg drift --help` need not load.
    from shoporg.reports.refresh import applied, refresh_plan

    resources = stack_resources(root, name)  # before the refresh, which may drop some
    held = applied(resources, world)
    if engine:
        return plan_from_preview(engine_preview(root, stack=name, refresh=True),
                                 declared), held
    from shoporg.live_rules import live_issues

    backend = open_backend(settings.backend)
    path = settings.org_file
    issues = live_issues(org, backend, path.read_text(encoding="utf-8-sig"), str(path),
                         only=only)
    if issues:
        raise ConfigError(issues)
    return refresh_plan(resources, world, settings.backend, declared), held


def check(root: Path, stack: str | None, as_of: datetime.date | None = None,
          engine: bool = False) -> DriftReport:
    return checked(root, stack, as_of, engine)[0]


def checked(root: Path, stack: str | None, as_of: datetime.date | None = None,
            engine: bool = False) -> tuple[DriftReport, Ledger]:
    """:func:`check`, with the stack's ledger it read (``run`` records the run in it)."""
    with collector_paused():
        return _check(root, stack, as_of, engine)


def _check(root: Path, stack: str | None, as_of: datetime.date | None,
           engine: bool) -> tuple[DriftReport, Ledger]:
    name = stack or selected_stack(root)
    settings = stack_settings(root, name)
    org = org_from_file(settings.org_file)
    # The program disables expired grants by the account system's day; judge drift by it.
    only = settings.shard(org)
    today = account_system_today(settings.backend)
    world = desired_world(org, today, only)
    declared = objects(world)
    plan, held = refreshed(root, name, settings, org, only, world, declared, engine)
    # Declared, never in the stack's state: merged, not applied yet (not deleted by hand).
    unapplied = not_applied(plan, held)
    pending = unapplied_words(plan, unapplied, org, today)
    plan = without_unapplied(plan, unapplied)
    backend = open_backend(settings.backend)
    accounts = [a.id for a in org.accounts if only is None or a.id in only]
    ledger = ledger_of(settings.backend)  # the stack's steps, attestations and clock
    # A live object org.yaml dropped whose removal is an open step is work still open (listed
    # with the steps), not something made by hand.
    removing = {(s.kind, s.name) for s in ledger.steps("open") if s.operation == "delete"}
    unmanaged = [u for u in unmanaged_objects(backend, declared, accounts,
                                              whole_tenant=only is None)
                 if (u.kind, u.name) not in removing]
    day = as_of or local_date(ledger.now())
    served = connectors(settings, org, accounts)
    stale = unverified(ledger, served, org, day)
    hand, steps = open_work(ledger, plan, org, served, today, day)
    hand = with_roles_made_by_hand(hand, backend, unmanaged)
    words = interpret(hand, org, today)  # the review's sentences and risk flags
    return DriftReport(name, tuple(drifted_objects(hand, words)), tuple(unmanaged),
                       tuple(stale), words.risks, words.effects, steps,
                       org.policies.step_age_days, pending), ledger


def record(ledger: Ledger, root: Path, report: DriftReport) -> None:
    """The run, in the stack's ledger beside its steps and attestations (the evidence pack
    lists the runs of a period). A ledger this job may not write to (a read-only credential)
    costs one stderr line, never the exit code."""
    from shoporg.reports.journal import who

    counts, findings = report.run_record()
    try:
        ledger.record_drift(exit_code=report.exit_code, counts=counts, findings=findings,
                            by=who(root))
    except Exception as exc:  # whatever the ledger raises, the drift report stands
        print(f"shoporg drift: the run was not recorded in the ledger ({exc})",
              file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    report, ledger = checked(project_root(), args.stack, args.as_of, engine=args.engine)
    record(ledger, project_root(), report)
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
            f"{len(report.unverified)} unverified, {len(report.overdue)} overdue steps")
        print(f"shoporg drift: {state}; {len(report.open_steps)} manual steps open, "
              f"{len(report.not_applied)} objects not applied yet", file=sys.stderr)
    return report.exit_code
