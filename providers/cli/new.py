"""``shoporg new DIR``: start a company's own org repository, or update its generated files.

::

    shoporg new acme-org --company "Acme Trading"   # a new repository, ready for `make try`
    shoporg new . --force                           # after upgrading shoporg: move the pin

Writes a starter ``org.yaml`` (valid: ``shoporg validate`` says so), the Pulumi project and
its three-line program calling the installed shoporg, the stacks' config (the sandbox for
``dev``), ``.gitignore``, the CI workflows, the pin file (``requirements.txt``: the version
CI installs), a ``Makefile`` with the repository's two commands and a README for the ops team
(:mod:`shoporg.scaffold.generate` says which files are yours and which shoporg's). Refuses
when any of those files exists; ``--force`` rewrites shoporg's files that differ, printing
each diff, and keeps yours. Exit 0 done, 1 refused or failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shoporg.cli import Command


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
             command: Command) -> None:
    parser = subparsers.add_parser(
        command.word, help=command.help,
        description="Scaffold a company's org repository in DIR (created if missing).",
    )
    parser.add_argument("dir", type=Path, help="the repository's directory")
    parser.add_argument("--company", help="the company's name in org.yaml and the README "
                        "(default: the directory's name)")
    parser.add_argument("--force", action="store_true",
                        help="update shoporg's generated files that differ (diff shown); "
                             "org.yaml, README.md and the stack config are kept")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from shoporg.scaffold.generate import files, write

    target: Path = args.dir
    company = args.company or target.resolve().name
    outcomes = write(target, files(company), force=args.force)
    for outcome in outcomes:
        if outcome.diff:
            sys.stdout.write(outcome.diff)
    width = max(len(o.path) for o in outcomes)
    for outcome in outcomes:
        print(f"  {outcome.path:<{width}}  {outcome.action}")
    if not args.force:
        print(f"\n{target}: a new org repository for {company}. Next:\n"
              f"  cd {target} && git init && make try")
    return 0
