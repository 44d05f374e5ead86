"""``shoporg`` entry point.

Each subcommand lives in its own module under ``providers/cli/`` and exposes
``register(subparsers, command)``, which adds its parser and sets ``func`` to a callable
taking the parsed ``argparse.Namespace`` and returning an exit code. Add a
:class:`~shoporg.cli.Command` to :data:`~shoporg.cli.COMMANDS` to make it available.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import os
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

from shoporg import __version__
from shoporg.cli import COMMANDS, collector_paused
from shoporg.errors import ShoporgError


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
            importlib.import_module(f"shoporg.cli.{command.module}").register(sub, command)
        else:
            sub.add_parser(command.word, help=command.help)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    with collector_paused():  # the command's imports: nothing they build is garbage
        args = build_parser(sys.argv[1:] if argv is None else argv).parse_args(argv)
    if args.command != "new":  # `new --force` is how the pin moves: no warning about it
        _warn_about_the_pin()
    try:
        code: int = args.func(args)
    except ShoporgError as exc:
        # Expected failures print their own where/what message, never a traceback.
        print(f"shoporg: {exc}", file=sys.stderr)
        return 1
    return code


def _warn_about_the_pin() -> None:
    """A shoporg other than the one this org repository pins (its CI's) says so, once."""
    from shoporg.engine.environment import project_root
    from shoporg.scaffold import version_warning

    warning = version_warning(project_root())
    if warning is not None:
        print(f"shoporg: {warning}", file=sys.stderr)


def console() -> NoReturn:
    """The ``shoporg`` command: :func:`main`, then an exit without the interpreter's teardown.

    A 10,000-object ``shoporg drift`` leaves a heap of a few hundred thousand objects that a
    normal exit frees one by one: 0.17-0.25 s, a tenth of the command (measured; issue 31).
    Nothing in it needs freeing, so, once no other thread runs, the exit handlers run as
    they would (coverage's data, logging), the standard streams are flushed, and the process
    ends. An exception or ``SystemExit`` (``--help``, a usage error) exits the usual way."""
    code = main()
    if threading.active_count() == 1:
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe: what is unsaid stays unsaid
                code = code or 1
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    console()
