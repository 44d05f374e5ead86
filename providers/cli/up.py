"""``shoporg up``: the guarded apply — preview, check the removal limits, apply exactly
the previewed plan, journal it.

::

    shoporg up                                   # refuses a plan that removes too much
    shoporg up --allow-removals "shop closed, staff moved to Tmall"
    shoporg up --max-removals 5 --review review.md
    shoporg up --target role_grant:tb-youpin/li-na@tb-youpin-shop   # that object alone

1. ``pulumi preview --json --save-plan PLAN`` (one engine run gives both the review and
   the update plan);
2. the removal guard (:mod:`shoporg.reports.guard`: it counts the people the plan takes
   sub-accounts or grants from, overall, per account and per department, against
   ``policies.removal_limits`` of org.yaml, plus ``--max-removals``); refused → exit 3 with
   every count;
3. ``pulumi up --plan PLAN``: the engine refuses any operation the plan does not contain,
   so what is applied is what was reviewed (a concurrent org.yaml edit fails the up);
   its event stream (``--json``) is read back (:mod:`shoporg.reports.outcome`): what was
   applied — automated (an API or the sandbox did it), waiting on a manual step (new this
   run per the stack's ledger, or still open; ``shoporg tasks``) or a step closed (the
   read-back or an operator's confirmation settled it) — and on a failure the objects that
   failed (kind, name, operation, message) first, then how many the engine stopped before
   ("not reached") instead of its error per planned object;
4. one line appended to ``.shoporg/journal.jsonl``: who, when, plan hash, summary, reason,
   the manual steps and the automated/waiting/closed counts (``progress``), and which
   objects failed and which were not reached.

Step 3 is journaled: the engine runs with ``PULUMI_SKIP_CHECKPOINTS=true`` (one state save
at the end instead of two whole-state saves per step, which makes a big ``up`` quadratic:
benchmarks/RESULTS.md) while the providers write the step journal
(:mod:`shoporg.engine.step_journal`, ``.shoporg/steps/<stack>.jsonl``). Once the engine
has saved the state (after a success or a failure) the journal is spent and removed; after a
kill it stays, this command refuses to start, and ``shoporg recover`` replays it into the
state. ``--checkpoints`` keeps the engine's default instead (no journal).

Exit codes: 0 applied (or nothing to do), 1 error or failed apply, 3 refused by the guard.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import tempfile
from pathlib import Path
from typing import Any, Final

from shoporg import notify
from shoporg.backends.ledger import Step
from shoporg.backends.settings import ledger_of, project_root
from shoporg.cli import Command
from shoporg.cli.recover import unsaved_journal
from shoporg.engine import step_journal
from shoporg.engine.cli import Pulumi
from shoporg.errors import ShoporgError
from shoporg.kinds import Ref, desired_world, parse_ref, urn_of
from shoporg.reports import journal
from shoporg.reports.build import review_from_preview
from shoporg.reports.guard import check_removals
from shoporg.reports.outcome import Outcome, Progress, outcome_of, progress_of, render_outcome
from shoporg.reports.render import render_markdown
from shoporg.reports.sources import engine_preview, org_from_file
from shoporg.reports.world import objects, plan_from_preview
from shoporg.stackconfig import selected_stack, stack_settings

EXIT_REFUSED: Final = 3


def register(subparsers: Any, command: Command) -> None:
    p = subparsers.add_parser(
        command.word, help=command.help,
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--stack", help="stack to update (default: the selected stack)")
    p.add_argument("--allow-removals", metavar="REASON",
                   help="apply even past the removal limits; the reason is journalled")
    p.add_argument("--max-removals", type=int, metavar="N",
                   help="also refuse a plan taking access (a sub-account or a grant) from "
                   "more than N people")
    p.add_argument("--review", type=Path, metavar="FILE",
                   help="write the Markdown review of the applied plan here")
    p.add_argument("--checkpoints", action="store_true",
                   help="the engine's default saves: the whole state twice per step, no step "
                   "journal (slower, quadratic in the stack's size; the default is one save at "
                   "the end plus shoporg's step journal, crash-safe through `shoporg recover`)")
    p.add_argument("--target", action="append", default=[], metavar="KIND:NAME",
                   help="only this object (repeatable; as drift and reviews name it, e.g. "
                   "role_grant:tb-youpin/li-na@tb-youpin-shop): read back from the account "
                   "system first, then previewed, guarded and applied like any up")
    # The journaled apply was opt-in before it became the default; old scripts keep working.
    p.add_argument("--journaled", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=run)


#: How the previewed plan is applied. ``--skip-preview``: the preview made the plan, and the
#: engine holds the apply to it (anything that changed since fails as "violates plan";
#: ``tests/engine/test_review_drift.py`` pins it). Without it ``pulumi up`` previews a second
#: time, one more program run and diff of every object: about 2 of the 6.5 CPU-s of a
#: one-object ``shoporg up`` on the repo org (measured; DECISIONS.md 2026-12-07).
APPLY_PLAN = ("up", "--yes", "--skip-preview", "--json", "--plan")


def run(args: argparse.Namespace) -> int:
    root = project_root()
    stack = args.stack or selected_stack(root)
    steps_file = step_journal.journal_path(root, stack)
    journaled = not args.checkpoints
    engine = Pulumi(root)
    if unsaved_journal(engine, root, stack) is not None:
        raise ShoporgError(
            f"{steps_file.relative_to(root)} holds steps the state of stack {stack!r} lacks: "
            "an `up` of it is still running, or was killed before its state was saved; if "
            f"none is running, run `shoporg recover --stack {stack}` first (it replays them "
            "into the state)")
    settings = stack_settings(root, stack)
    org_path = settings.org_file
    org = org_from_file(org_path)
    today = datetime.date.today()
    targets = target_urns(root, stack, args.target)
    if targets:
        # Only these objects, as they are now: a refresh of them alone (reads, and the
        # read-backs it closes), so the plan puts back what changed by hand.
        engine.run("refresh", "--yes", "--skip-preview", "--stack", stack,
                   *(arg for urn in targets for arg in ("--target", urn)))
    with tempfile.TemporaryDirectory(prefix="shoporg-plan-") as tmp:
        plan_file = Path(tmp) / "plan.json"
        preview = engine_preview(root, stack=stack, save_plan=plan_file, targets=targets)
        only = settings.shard(org)
        plan = plan_from_preview(preview, objects(desired_world(org, today, only)))
        review = review_from_preview(preview, org, today=today, only=only,
                                     source={"kind": "engine", "stack": stack})
        if args.review is not None:
            args.review.write_text(render_markdown(review), encoding="utf-8")
        totals = review.totals()
        print("plan: " + ", ".join(f"{n} to {op}" for op, n in totals.items()))
        if plan.empty:
            print("No changes.")
            return 0
        verdict = check_removals(plan, org, max_removals=args.max_removals)
        if verdict.refused and not args.allow_removals:
            print(f"shoporg up: {verdict.message()}", file=sys.stderr)
            return EXIT_REFUSED
        if verdict.refused:
            print(f"removal limits exceeded, allowed: {args.allow_removals}", file=sys.stderr)
        plan_hash = journal.sha256_file(plan_file)
        args_up = [*APPLY_PLAN, str(plan_file), "--stack", stack,
                   *(arg for urn in targets for arg in ("--target", urn))]
        ledger = ledger_of(settings.backend)  # this stack's steps only
        before = {s.id: s for s in ledger.steps()}
        save_mode(engine.env, steps_file if journaled else None)
        result = engine.run(*args_up, check=False)
        if journaled and result.returncode == 0:
            steps_file.unlink(missing_ok=True)  # the engine saved every step in state
        # A failed run whose engine still saved the state leaves a spent journal: gone here.
        kept = journaled and result.returncode != 0 and unsaved_journal(
            engine, root, stack) is not None
        after = ledger.steps()
        steps = manual_steps(before, after, journal.read(root))
    outcome = outcome_of(result.stdout, {s.ref: s.op for s in plan.steps})
    progress = progress_from(outcome, before, after)
    sys.stdout.write(render_outcome(outcome, progress))
    entry = {
        "who": journal.who(root),
        "stack": stack,
        "plan_sha256": plan_hash,
        "org_sha256": journal.sha256_file(org_path),
        "summary": totals,
        "risk_counts": review.risk_counts(),
        "removals": {"removed": verdict.removed, "existing": verdict.existing,
                     "people": {"lose_access": verdict.people.removed,
                                "of": verdict.people.existing},
                     "over_limit": [str(b) for b in verdict.breaches]},
        "reason": args.allow_removals,
        "result": "applied" if result.returncode == 0 else "failed",
        "manual_steps": steps,
        **outcome.to_json(),
        "progress": progress.to_json(),
    }
    path = journal.append(root, entry)
    notify.after_up(root, stack, org, entry)  # the team's chats (never fails the up)
    if kept:
        print(f"the step journal {steps_file.relative_to(root)} stays (the state was not "
              "saved after it): unless another `up` of this stack is running, run "
              f"`shoporg recover --stack {stack}` (it replays it into the state and "
              "refreshes) before the next `up`", file=sys.stderr)
    if result.returncode != 0:
        if outcome.failed or outcome.errors:
            raise ShoporgError(
                f"`pulumi up --plan` failed: {len(outcome.failed)} failed, "
                f"{len(outcome.not_reached)} not reached (listed above); journalled in "
                f"{path}")
        # Nothing the event stream explains (the engine itself failed): its own words.
        raise ShoporgError(
            f"`pulumi up --plan` failed (exit {result.returncode}); journalled in {path}:\n"
            f"{result.stderr[-3000:] or result.stdout[-3000:]}"
        )
    print(f"journalled in {path.relative_to(root)}", file=sys.stderr)
    return 0


def target_urns(root: Path, stack: str, targets: list[str]) -> list[str]:
    """``--target`` refs as the engine's URNs (a malformed one is an error naming the form)."""
    if not targets:
        return []
    from shoporg.engine.on_disk import project_name

    project = project_name(root)
    if project is None:
        raise ShoporgError(f"--target needs the project's name: no Pulumi.yaml in {root}")
    try:
        return [urn_of(parse_ref(t), stack, project) for t in targets]
    except ValueError as exc:
        raise ShoporgError(f"--target: {exc}") from None


def save_mode(env: dict[str, str], journal_file: Path | None) -> None:
    """Set the engine's environment for a journaled apply (one state save at the end, the
    providers journal into ``journal_file``) or, with None, for the engine's checkpoints
    (whatever the caller's environment said, and no journal)."""
    if journal_file is not None:
        env["PULUMI_SKIP_CHECKPOINTS"] = "true"
        env[step_journal.ENV] = str(journal_file)
    else:
        env.pop("PULUMI_SKIP_CHECKPOINTS", None)
        env[step_journal.ENV] = "off"


def progress_from(outcome: Outcome, before: dict[int, Step], after: list[Step]) -> Progress:
    """What the apply's objects came to, with the ledger saying which steps this run
    raised and which it reopened (its state says which objects wait and which closed)."""
    def objects(ids: list[int]) -> set[Ref]:
        return {Ref(s.kind, s.name) for s in after if s.id in ids}

    return progress_of(outcome, raised=objects(raised(before, after)),
                       reopened=objects(reopened(before, after)))


def raised(before: dict[int, Step], after: list[Step]) -> list[int]:
    """The steps an apply raised: open, and not in the ledger before it."""
    return sorted(s.id for s in after if s.id not in before and s.state == "open")


def reopened(before: dict[int, Step], after: list[Step]) -> list[int]:
    """The confirmed steps an apply opened again: the read-back does not show them."""
    return sorted(s.id for s in after if s.state == "open" and s.id in before
                  and before[s.id].state == "done")


def manual_steps(before: dict[int, Step], after: list[Step],
                 entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The ledger step ids an apply touched: ``raised`` (new), ``reopened`` (confirmed, but
    the read-back does not show it), ``confirmed`` (confirmations since the last apply,
    read by this one), and how many are still ``open``."""
    last = entries[-1].get("at") if entries else None
    since = datetime.datetime.fromisoformat(last) if last else None
    return {
        "raised": raised(before, after),
        "reopened": reopened(before, after),
        "confirmed": sorted(s.id for s in after if s.state == "done"
                            and (since is None or s.state_at > since)),
        "open": sum(1 for s in after if s.state == "open"),
    }
