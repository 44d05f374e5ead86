"""``shoporg`` entry point.

Each subcommand lives in its own module under ``providers/cli/`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a callable taking the
parsed ``argparse.Namespace`` and returning an exit code. Add a module name to
``COMMANDS`` to make it available.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from providers import __version__
from providers.errors import ShoporgError

COMMANDS: tuple[str, ...] = (
    "engine", "validate", "schema", "sandbox", "review", "drift", "up", "recover", "import_",
    "tasks", "review_access", "report",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shoporg",
        description="Manage a seller organization (org.yaml) with Pulumi.",
    )
    parser.add_argument("--version", action="version", version=f"shoporg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"providers.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except ShoporgError as exc:
        # Expected failures print their own where/what message, never a traceback.
        print(f"shoporg: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
