"""``shoporg evidence``: the auditor's pack for a period, and its check.

::

    shoporg evidence --from 2026-04-01 --to 2026-06-30 --out evidence-q2 --stack prod
    shoporg evidence --verify evidence-q2        # exit 0 as written, 1 with what differs

The pack (:mod:`shoporg.reports.evidence`) assembles org.yaml's git history (each change,
its author and who merged it), the apply journal, the manual-step ledger and its
attestations, and the access matrix at the start and end of the period, into a folder with
an HTML index, JSON and CSV, and a SHA-256 manifest. Read-only on everything but ``--out``,
which must be new or empty. Run it in the org repository's clone with its history fetched
(``fetch-depth: 0`` in CI).
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path
from typing import Any

from shoporg.cli import Command


def register(sub: Any, command: Command) -> None:
    p = sub.add_parser(command.word, help=command.help,
                       description="Write an evidence pack for a period, or verify one.")
    p.add_argument("--from", dest="start", type=datetime.date.fromisoformat,
                   metavar="YYYY-MM-DD", help="first day of the period")
    p.add_argument("--to", dest="end", type=datetime.date.fromisoformat,
                   metavar="YYYY-MM-DD", help="last day of the period (included)")
    p.add_argument("--out", type=Path, help="the pack's folder (new or empty)")
    p.add_argument("--stack", help="the stack whose ledger and applies (default: selected)")
    p.add_argument("--org", type=Path, help="org.yaml (default: the project's)")
    p.add_argument("--verify", type=Path, metavar="DIR",
                   help="check a pack against its manifest instead")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from shoporg.backends.settings import project_root
    from shoporg.errors import ShoporgError
    from shoporg.reports.evidence import collect, verify, write_pack
    from shoporg.stackconfig import settings_of

    if args.verify is not None:
        problems = verify(args.verify)
        for problem in problems:
            print(f"{args.verify}/{problem}")
        print(f"{args.verify}: " + ("as written" if not problems else
                                    f"{len(problems)} problem(s): not the pack as written"),
              file=sys.stderr)
        return 1 if problems else 0
    if args.start is None or args.end is None or args.out is None:
        raise ShoporgError("evidence: name the period and the folder: --from YYYY-MM-DD "
                           "--to YYYY-MM-DD --out DIR (or --verify DIR)")
    root = project_root()
    settings = settings_of(root, args.stack).backend
    pack = collect(root, args.org or root / "org.yaml", settings, args.start, args.end)
    names = write_pack(pack, args.out)
    counts = ", ".join(f"{n} {name}" for name, n in pack.meta["counts"].items())
    print(f"{args.out}: {len(names)} files ({counts}); check with "
          f"`shoporg evidence --verify {args.out}`")
    return 0
