"""``shoporg engine``: find or build the Pulumi engine and install the launchers.

    shoporg engine install     # what `make setup` runs (and an installed tool's first step)
    shoporg engine path        # print the engine binary in use

The launchers go beside the Python running shoporg (a checkout's ``.venv/bin``, or the
``pipx``/``uv tool`` environment), the engine into the shared cache, exactly as ``make
setup`` does.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from shoporg.cli import Command
from shoporg.engine import ENGINE_VERSION
from shoporg.engine.cli import engine_available, launcher_dir
from shoporg.engine.install import ENGINE_BINARY, ensure_engine, write_launchers


def _install(args: argparse.Namespace) -> int:
    engine = ensure_engine()
    write_launchers(launcher_dir(), engine, args.project_root)
    print(f"pulumi v{ENGINE_VERSION} ready: {launcher_dir() / 'pulumi'}")
    return 0


def _path(args: argparse.Namespace) -> int:
    if not engine_available():
        print("no engine installed: run `shoporg engine install`", file=sys.stderr)
        return 1
    print(launcher_dir() / ENGINE_BINARY)
    return 0


def register(sub: Any, command: Command) -> None:
    parser = sub.add_parser(command.word, help=command.help)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    install = actions.add_parser("install", help="find or build pulumi, write the launchers")
    install.add_argument("--project-root", type=Path, default=None,
                         help="where `pulumi` keeps state when run outside any project "
                              "(default: shoporg's cache)")
    install.set_defaults(func=_install)
    path = actions.add_parser("path", help="print the engine binary in use")
    path.set_defaults(func=_path)
