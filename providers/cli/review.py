"""``shoporg review``: what a change to org.yaml will do, for a pull request.

::

    shoporg review                                # engine preview of the selected stack
    shoporg review --preview-file preview.json    # a saved `pulumi preview --json`
    shoporg review --base origin/main             # config-only: org.yaml at REF vs now
    shoporg review --old base.yaml --new org.yaml # config-only: two files
    shoporg review --markdown review.md --json review.json

The engine-backed forms need the stack's state and read access to the account system
(trusted CI); the config-only forms need neither and are safe for pull requests from forks.
Both interpret the change the same way and render the same templates. Exit 0 when the
review was written (whatever it says), 1 on an error. Read-only: nothing is changed.

The review lists the manual steps the change will raise (the stack's connectors:
``shoporg:backend`` / ``shoporg:connectors``). Config-only and saved-preview reviews read
them from ``--stack``'s config, else the selected stack's, else the project defaults (the
sandbox, which raises none).
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path
from typing import Any

from shoporg.backends.clock import account_system_today
from shoporg.backends.settings import BackendSettings, project_root
from shoporg.cli import Command
from shoporg.cli.report import write_review_html
from shoporg.errors import ShoporgError
from shoporg.reports.build import review_from_orgs, review_from_preview
from shoporg.reports.model import Review
from shoporg.reports.render import render_json, render_markdown
from shoporg.reports.sources import (
    engine_preview,
    org_at_revision,
    org_from_file,
    read_preview,
    repo_path,
)


def register(subparsers: Any, command: Command) -> None:
    p = subparsers.add_parser(
        command.word, help=command.help,
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--org", type=Path,
                   help="the proposed org.yaml (default: org.yaml of the project)")
    p.add_argument("--stack", help="stack to preview, and whose connectors say what becomes "
                   "a manual step (default: the selected stack)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--preview-file", type=Path, help="a saved `pulumi preview --json` file")
    src.add_argument("--base", metavar="REF", help="config-only: compare with org.yaml at REF")
    src.add_argument("--old", type=Path, help="config-only: the base org.yaml (with --new)")
    p.add_argument("--new", type=Path, help="config-only: the proposed org.yaml (with --old)")
    add_output_args(p)
    p.add_argument("--html", type=Path, help="write the self-contained HTML page here")
    p.set_defaults(func=run)


def add_output_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--markdown", type=Path, help="write the Markdown report here")
    p.add_argument("--json", type=Path, help="write the JSON report here")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown",
                   help="what to print on stdout when no file is named (default markdown)")
    p.add_argument("--today", type=datetime.date.fromisoformat,
                   help="the date expiry is judged against (default: the account "
                   "system's today: the sandbox's clock, else this machine's)")


def build(args: argparse.Namespace) -> Review:
    root = project_root()
    org_path: Path = args.org if args.org is not None else root / "org.yaml"
    if args.old is not None or args.new is not None:
        if args.old is None or args.new is None:
            raise ShoporgError("--old and --new go together: name both org.yaml files")
        routing = connectors(root, args.stack)
        return review_from_orgs(
            org_from_file(args.old), org_from_file(args.new), today=today_of(args, routing),
            source={"kind": "config", "old": repo_path(args.old, Path.cwd()),
                    "new": repo_path(args.new, Path.cwd())},
            connectors=routing,
        )
    if args.base:
        shown = repo_path(org_path, Path.cwd())  # the PR comment says REF:org.yaml → org.yaml
        routing = connectors(root, args.stack)
        return review_from_orgs(
            org_at_revision(args.base, str(org_path), Path.cwd()), org_from_file(org_path),
            today=today_of(args, routing),
            source={"kind": "config", "old": f"{args.base}:{shown}", "new": shown},
            connectors=routing,
        )
    org = org_from_file(org_path)
    if args.preview_file is not None:
        routing = connectors(root, args.stack)
        return review_from_preview(
            read_preview(args.preview_file), org, today=today_of(args, routing),
            source={"kind": "preview-file", "file": args.preview_file.name},
            connectors=routing,
        )
    from shoporg.stackconfig import selected_stack, stack_settings  # engine path only

    stack = args.stack or selected_stack(root)
    preview = engine_preview(root, stack=stack)
    settings = stack_settings(root, stack)
    today = today_of(args, settings.backend)
    return review_from_preview(preview, org, today=today, only=settings.shard(org),
                               source={"kind": "engine", "stack": stack},
                               connectors=settings.backend)


def today_of(args: argparse.Namespace, routing: BackendSettings) -> datetime.date:
    """``--today``, else the account system's day (:mod:`shoporg.backends.clock`): the one
    "today" the program, the review and drift judge expiry and time locks by."""
    given: datetime.date | None = args.today
    return given or account_system_today(routing)


def connectors(root: Path, stack: str | None) -> BackendSettings:
    """The routing of ``stack``, else of the selected stack, else the project defaults: what
    a review without an engine run knows of which account is served by which connector."""
    from shoporg.stackconfig import settings_of

    return settings_of(root, stack).backend


def emit(review: Review, args: argparse.Namespace, markdown: str | None = None) -> None:
    """Write the reports where asked; print one on stdout when no file is named."""
    json_name = args.json.name if args.json is not None else "review.json"
    text = markdown if markdown is not None else render_markdown(review, json_name=json_name)
    if args.markdown is not None:
        args.markdown.write_text(text, encoding="utf-8")
    if args.json is not None:
        args.json.write_text(render_json(review), encoding="utf-8")
    if args.markdown is None and args.json is None:
        sys.stdout.write(render_json(review) if args.format == "json" else text)
    write_review_html(args, review)  # --html: the org page with the change highlighted


def run(args: argparse.Namespace) -> int:
    emit(build(args), args)
    return 0
