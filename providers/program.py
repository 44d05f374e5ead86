"""The body of ``stacks/__main__.py``: read stack config, load org.yaml, build, export.

An invalid org.yaml fails the run before a single resource is registered, with every
``org.yaml:LINE:COL`` line, so a preview of a broken file changes nothing.

A shard stack names the accounts it owns in its stack config (README "Sharding")::

    config:
      shoporg:accounts: [tb-*, tm-youpin]   # ids or globs
      shoporg:platforms: [shopee]           # optional; with both, both must match
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import pulumi

from shoporg.backends.clock import account_system_today
from shoporg.backends.settings import (
    configure_from,
    ledger_of,
    open_backend,
    project_root,
    serve_stack,
)
from shoporg.errors import ConfigError, ConfigIssue
from shoporg.live_rules import live_accounts, live_issues, live_notices
from shoporg.readback import close_removals_seen
from shoporg.schema import load_org
from shoporg.stack import build
from shoporg.stackconfig import StackSettings


def fail(path: Path, issues: list[ConfigIssue]) -> NoReturn:
    lines = "\n".join(str(i) for i in issues)
    raise pulumi.RunError(
        f"{path.name} is invalid ({len(issues)} problem(s)); nothing was changed:\n{lines}"
    )


def main() -> None:
    config = pulumi.Config("shoporg")
    root = project_root()
    serve_stack(pulumi.get_stack())  # the ledger's steps are this stack's
    try:
        settings = StackSettings.read(config.get, root)
    except ConfigError as exc:
        _bad_stack_config(exc)
    path = settings.org_file
    try:
        org = load_org(path)
    except ConfigError as exc:
        fail(path, exc.issues)
    try:
        only = settings.shard(org)
    except ConfigError as exc:
        _bad_stack_config(exc)
    backend_settings = configure_from(config.get, root)
    backend = open_backend(backend_settings)
    text = path.read_text(encoding="utf-8-sig")
    accounts = live_accounts(org, backend, only)  # one read per account for both rule sets
    issues = live_issues(org, backend, text, str(path), only=only, accounts=accounts)
    if issues:
        fail(path, issues)
    for notice in live_notices(org, backend, text, str(path), only=only, accounts=accounts):
        pulumi.log.warn(str(notice))  # shown by preview and up, before any step runs
    if not pulumi.runtime.is_dry_run():  # an apply, not a preview: read-only unless told
        close_removals_seen(ledger_of(backend_settings), backend,
                            only if only is not None else [a.id for a in org.accounts])
    # Expired grants are disabled by the account system's day (its clock), as the review
    # and drift judge them.
    today = account_system_today(backend_settings)
    built = build(org, today=lambda: today, only=only)
    pulumi.export("company", org.company)
    if only is not None:
        pulumi.export("accounts", sorted(only))
    pulumi.export("summary", built.summary())


def _bad_stack_config(exc: ConfigError) -> NoReturn:
    lines = "\n".join(f"stack {pulumi.get_stack()}: {i.message}" for i in exc.issues)
    raise pulumi.RunError(f"the shard selection is invalid; nothing was changed:\n{lines}"
                          ) from None
