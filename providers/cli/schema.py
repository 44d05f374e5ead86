"""``shoporg schema``: print the JSON Schema of org.yaml (generated from the models).

::

    $ shoporg schema > schema/org.schema.json

org.yaml's first line, ``# yaml-language-server: $schema=./schema/org.schema.json``,
points editors at the committed copy; a test fails while that copy is stale.
"""

from __future__ import annotations

import argparse
import sys

from shoporg.cli import Command
from shoporg.schema import render_json_schema


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
             command: Command) -> None:
    parser = subparsers.add_parser(
        command.word, help=command.help,
        description="Print the JSON Schema of org.yaml; redirect it to "
        "schema/org.schema.json after changing providers/schema/models.py.",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(render_json_schema())
    return 0
