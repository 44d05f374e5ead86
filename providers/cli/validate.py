"""``shoporg validate [PATH]``: check org.yaml without touching any account system.

::

    $ shoporg validate
    org.yaml: valid — 5 accounts, 6 shops, 7 departments, 23 roles, 16 members (2 left), ...
    $ shoporg validate broken.yaml
    broken.yaml:12:7: unknown key 'departmnet' (did you mean 'department'? allowed keys: ...)
    broken.yaml:40:9: member 张伟 (zhang-wei) is in unknown department 'cs-pre' (...)

Exit 0 when valid, 1 with every problem (one ``file:line:col: message`` line each, on
stdout so editors and CI annotators can parse them) otherwise. Read-only.
"""

from __future__ import annotations

import argparse
import sys

from shoporg.cli import Command
from shoporg.errors import ConfigError
from shoporg.schema import Org, load_org


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
             command: Command) -> None:
    parser = subparsers.add_parser(
        command.word, help=command.help,
        description="Validate org.yaml (schema and cross-object rules). Exit 0 when valid, "
        "1 with one line per problem otherwise.",
    )
    parser.add_argument(
        "path", nargs="?", default="org.yaml", help="the org file (default: org.yaml)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        org = load_org(args.path)
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue)
        count = len(exc.issues)
        print(
            f"shoporg: {args.path}: {count} problem{'s' if count != 1 else ''}", file=sys.stderr
        )
        return 1
    print(f"{args.path}: valid — {summary(org)}")
    return 0


def summary(org: Org) -> str:
    """``5 accounts, 6 shops, ...``: one count per kind (``Org.summary``)."""
    return org.summary()
