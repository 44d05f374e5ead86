"""How long a ``shoporg`` command that starts no engine takes, start-up included.

Run::

    .venv/bin/python -m benchmarks.cli_start                 # 5 rounds, 1,000 open steps
    .venv/bin/python -m benchmarks.cli_start --rounds 9 --steps 200 --json out.json

Every command is a fresh interpreter, as an operator or a script runs it, measured
**interleaved** (round after round, each command once per round) so a busy machine slows
them alike; the result is each command's median wall time and its ratio to the baseline
measured in the same rounds, ``python -c pass``. Two references frame it: the Pulumi SDK's
own import (what every command paid while the CLI imported all of its commands) and
``every command imported`` (the parser of every command built: the CLI before it imported
only the command it runs). ``tasks`` reads a ledger of ``--steps`` open steps in a temp dir
with the repository's org.yaml. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shoporg.backends.ledger import Ledger

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
BASELINE = "python -c pass"


def commands(work: Path) -> dict[str, list[str]]:
    """name -> argv, the baseline first."""
    cli = [PY, "-m", "shoporg.cli.main"]
    return {
        BASELINE: [PY, "-c", "pass"],
        "import pulumi (reference)": [PY, "-c", "import pulumi"],
        "every command imported (before)": [
            PY, "-c", "from shoporg.cli.main import build_parser; build_parser()"],
        "shoporg --help": [*cli, "--help"],
        "shoporg validate org.yaml": [*cli, "validate", str(work / "org.yaml")],
        "shoporg tasks": [*cli, "tasks", "--ledger", str(work / "ledger.db")],
        "shoporg tasks --format json": [*cli, "tasks", "--ledger", str(work / "ledger.db"),
                                        "--format", "json"],
    }


def open_steps(path: Path, count: int) -> None:
    """A ledger with ``count`` open create steps on the repo org's Shopee account."""
    ledger = Ledger(path)
    for n in range(count):
        ledger.raise_step(
            kind="sub_account", name=f"sp-youpin/staff-{n:05d}", account="sp-youpin",
            platform="shopee", operation="create",
            desired={"login": f"staff{n:05d}", "display_name": f"员工{n}"},
            page="Shopee Seller Centre › Sub Account Platform › Members",
            person=f"员工{n} (staff-{n:05d})", runbook="add the sub-account")


def measure(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def run(rounds: int, steps: int, work: Path) -> dict[str, list[float]]:
    shutil.copy(REPO / "org.yaml", work / "org.yaml")
    open_steps(work / "ledger.db", steps)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for key in [k for k in env if k.startswith("SHOPORG_")]:
        del env[key]
    argvs = commands(work)
    samples: dict[str, list[float]] = {name: [] for name in argvs}
    for argv in argvs.values():  # warm the file cache once
        measure(argv, work, env)
    for _ in range(rounds):
        for name, argv in argvs.items():
            samples[name].append(measure(argv, work, env))
    return samples


def report(samples: dict[str, list[float]]) -> str:
    base = statistics.median(samples[BASELINE])
    lines = ["| command | median s | × baseline | samples (s) |", "| --- | ---: | ---: | --- |"]
    for name, values in samples.items():
        median = statistics.median(values)
        lines.append(f"| `{name}` | {median:.3f} | {median / base:.1f} | "
                     + ", ".join(f"{v:.3f}" for v in values) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.cli_start", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=1000, help="open steps in the ledger")
    ap.add_argument("--json", type=Path, help="also write the raw samples here")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="shoporg-cli-start-") as tmp:
        samples = run(args.rounds, args.steps, Path(tmp))
    print(report(samples))
    if args.json is not None:
        args.json.write_text(json.dumps({"rounds": args.rounds, "steps": args.steps,
                                         "samples": samples}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
