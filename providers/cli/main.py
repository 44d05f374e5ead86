"""``shoporg`` entry point.

Each subcommand lives in its own module under ``providers/cli/`` and exposes
``register(subparsers, command)``, which adds its parser and sets ``func`` to a callable
taking the parsed ``argparse.Namespace`` and returning an exit code. Add a
:class:`~providers.cli.Command` to :data:`~providers.cli.COMMANDS` to make it available.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from providers import __version__
from providers.cli import COMMANDS
from providers.errors import ShoporgError


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or, given the command line about to be parsed, of the
    command it names alone (the others listed by name and help, their modules not imported)."""
    parser = argparse.ArgumentParser(
        prog="shoporg",
        description="Manage a seller organization (org.yaml) with Pulumi.",
    )
    parser.add_argument("--version", action="version", version=f"shoporg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    # The top-level parser has no option that takes a value: the first word is the command.
    named = next((a for a in argv if not a.startswith("-")), None) if argv is not None else None
    for command in COMMANDS:
        if argv is None or command.word == named:
            importlib.import_module(f"providers.cli.{command.module}").register(sub, command)
        else:
            sub.add_parser(command.word, help=command.help)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser(sys.argv[1:] if argv is None else argv).parse_args(argv)
    try:
        code: int = args.func(args)
    except ShoporgError as exc:
        # Expected failures print their own where/what message, never a traceback.
        print(f"shoporg: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
