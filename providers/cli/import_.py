"""``shoporg import``: write the org.yaml that declares what a live account system holds.

    shoporg import                                  # the sandbox ($SHOPORG_SANDBOX), to stdout
    shoporg import --backend sandbox --file .sandbox/sandbox.db --tenant acme --out org.yaml
    shoporg import --backend taobao --stack prod --org org.yaml --out imported.yaml
    shoporg import --backend taobao --account tb-main=taobao:优品数码专营 ...
    shoporg import --backend kuaishou --account ks-main=kuaishou:优品快手小店 --out ks.yaml

Read-only. ``--backend taobao`` reads the endpoint, app key, secret and session from the
stack's config as ``pulumi up`` does (``--stack``, default the selected stack; secrets
decrypted by the engine), each one the config lacks from ``SHOPORG_TAOBAO_ENDPOINT`` /
``SHOPORG_TAOBAO_APP_KEY`` / ``SHOPORG_TAOBAO_APP_SECRET`` / ``SHOPORG_TAOBAO_SESSION``
(credentials never from the command line); ``--endpoint`` overrides the endpoint.
``--backend kuaishou`` does the same with ``shoporg:kuaishouEndpoint``, ``kuaishouAppKey``,
``kuaishouSignSecret`` and ``kuaishouAccessToken`` (``SHOPORG_KUAISHOU_*``). Neither open
platform can list main accounts (a session or token is one seller), so they come from ``--org``
(an existing org.yaml: its accounts, and its ids for what it already declares) and/or
``--account id=platform:nick``. The written file passes ``shoporg validate``; notes on
what org.yaml cannot express go to stderr and into the file as ``# note:`` comments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from shoporg.backends.protocol import Backend, Shop
from shoporg.backends.settings import SANDBOX_CONNECTOR
from shoporg.cli import Command
from shoporg.errors import BackendError, ConfigError
from shoporg.importer import import_org
from shoporg.platforms import OPEN_PLATFORMS


def register(subparsers: Any, command: Command) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        command.word, help=command.help,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--backend", choices=(SANDBOX_CONNECTOR, *OPEN_PLATFORMS),
                        default=SANDBOX_CONNECTOR)
    parser.add_argument("--out", help="file to write (default: stdout)")
    parser.add_argument("--company", help="org.yaml `company:` (default: the tenant, or "
                                          "--org's company)")
    parser.add_argument("--file", help="sandbox file (default $SHOPORG_SANDBOX or "
                                       ".sandbox/sandbox.db)")
    parser.add_argument("--tenant", help="sandbox company (default $SHOPORG_COMPANY or default)")
    parser.add_argument("--stack", help="an open platform: whose config holds the endpoint "
                                        "and credentials (default: the selected stack)")
    parser.add_argument("--endpoint", help="an open platform: its URL (default: the stack's "
                                           "shoporg:taobaoEndpoint / kuaishouEndpoint, else "
                                           "$SHOPORG_TAOBAO_ENDPOINT / "
                                           "$SHOPORG_KUAISHOU_ENDPOINT)")
    parser.add_argument("--org", help="an open platform: an org.yaml whose accounts (and ids) "
                                      "to use")
    parser.add_argument("--account", action="append", default=[], metavar="ID=PLATFORM:NICK",
                        help="an open platform: a main account to read (repeatable)")
    parser.set_defaults(func=run)


def _open_platform(args: argparse.Namespace) -> tuple[Backend, str]:
    """The connector of ``--backend`` (an open platform), with the accounts to read."""
    from shoporg.backends.directory import AccountFacts, Directory
    from shoporg.backends.settings import open_connector, project_root
    from shoporg.schema import load_org
    from shoporg.stackconfig import settings_of

    # The stack's settings register its credentials (read, and decrypted, when the
    # connector first asks) as the program's configure does; a stack without them leaves
    # the environment's.
    settings = settings_of(project_root(), args.stack).backend
    company = args.company or "imported"
    directory = Directory()
    if args.org:
        org = load_org(args.org)
        directory = Directory.from_org(org)
        company = args.company or org.company
    for spec in args.account:
        account_id, _, rest = spec.partition("=")
        platform, _, nick = rest.partition(":")
        if not (account_id and platform and nick):
            raise SystemExit(f"shoporg import: --account {spec!r}: expected ID=PLATFORM:NICK")
        directory.add_account(AccountFacts(account_id, platform, nick, 0,
                                           (Shop(account_id, f"{account_id}-shop", nick),)))
    if not directory.accounts:
        raise SystemExit(f"shoporg import: {args.backend} cannot list main accounts: give "
                         "--org or --account")
    # One snapshot: every read of the import shares the same answers.
    try:
        connector = open_connector(settings, args.backend, directory=directory,
                                   endpoint=args.endpoint, ttl=3600)
        return connector, company
    except BackendError as exc:
        raise SystemExit(f"shoporg import: {exc}") from None


def run(args: argparse.Namespace) -> int:
    if args.backend in OPEN_PLATFORMS:
        backend, company = _open_platform(args)
        source = f"{args.backend} ({backend!r})"
    else:
        from shoporg.backends.sandbox import SandboxBackend

        sandbox = SandboxBackend(args.file, args.tenant, instrumented=False)
        backend, company = sandbox, args.company or sandbox.company
        source = f"the sandbox {sandbox.path} (company {sandbox.company})"
    try:
        result = import_org(backend, company, source=source)
    except ConfigError as exc:
        print(f"shoporg import: the imported file does not validate (a bug):\n{exc}",
              file=sys.stderr)
        return 1
    for warning in result.warnings:
        print(f"note: {warning}", file=sys.stderr)
    counts = ", ".join(f"{v} {k}" for k, v in result.counts.items())
    calls = sum(backend.calls.values())
    summary = f"imported {counts} in {result.seconds:.2f}s ({calls} backend calls)"
    if args.out:
        Path(args.out).write_text(result.text, encoding="utf-8")
        print(f"{summary} → {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(result.text)
        print(summary, file=sys.stderr)
    return 0
