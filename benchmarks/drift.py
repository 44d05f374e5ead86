"""Drift at scale: engine-free ``shoporg drift`` against the engine's refresh preview and the
engine floor's refresh, interleaved in one run (issue 31).

Run::

    .venv/bin/python -m benchmarks.drift --size small --rounds 3          # ≈1,000 resources
    .venv/bin/python -m benchmarks.drift --size large --rounds 3 --json out.json   # ≈10,000

One generated org (``benchmarks/orggen.py``) is applied to a sandbox (``shoporg``), and a
flat program of as many ``Floor`` resources (a dynamic resource that touches nothing) to a
second project (``floor``). One hand change is made in the seller centre, so every drift has
a finding to report. Then, round after round, each of three commands runs once as an operator
runs it (a fresh process, Python start-up included):

* ``shoporg drift --format json`` — the desired world and the stack's state read back
  through the providers in process (``providers/reports/refresh.py``);
* ``shoporg drift --format json --engine`` — the same report from ``pulumi preview
  --refresh --json``;
* ``pulumi preview --refresh`` of the floor — the engine's own cost of refreshing as many
  resources, with no platform behind them.

Reported: each command's median wall time, the raw samples, and ratios against the
engine-free drift measured in the same rounds. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.orggen import add_size_flags, size_from_args
from benchmarks.run import STACK, Project, make_projects
from shoporg.engine.cli import launcher_dir
from shoporg.engine.install import ENGINE_BINARY

ENGINE_FREE = "shoporg drift"
ENGINE = "shoporg drift --engine"
FLOOR = "floor: pulumi preview --refresh"


def timed(cmd: list[str], project: Project, ok: tuple[int, ...]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=project.root, env=project.pulumi.env,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return elapsed


def run(size_args: argparse.Namespace, rounds: int, work: Path) -> dict[str, object]:
    size = size_from_args(size_args)
    # The ups only set the stage: one state save at the end, as the other benchmarks do.
    (floor, shoporg), count = make_projects(work, size, ["floor", "shoporg"],
                                            {"PULUMI_SKIP_CHECKPOINTS": "true"})
    for project in (floor, shoporg):
        project.pulumi.run("up", "--yes", "--skip-preview", "--stack", STACK)
    # One hand change: the first member's first sub-account disabled in the seller centre.
    sub = shoporg.seller_center().backend.list_sub_accounts(
        shoporg.seller_center().backend.list_accounts()[0].id)[0]
    shoporg.shoporg("sandbox", "sub", "disable", sub.account_id, sub.member_id)
    drift = [sys.executable, "-m", "shoporg.cli.main", "drift", "--format", "json",
             "--stack", STACK]
    commands = {
        ENGINE_FREE: (drift, shoporg, (2,)),
        ENGINE: ([*drift, "--engine"], shoporg, (2,)),
        FLOOR: ([str(launcher_dir() / ENGINE_BINARY), "preview", "--refresh",
                 "--expect-no-changes", "--stack", STACK], floor, (0,)),
    }
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, (cmd, project, ok) in commands.items():
            samples[name].append(round(timed(cmd, project, ok), 3))
    medians = {name: statistics.median(s) for name, s in samples.items()}
    return {
        "resources": count,
        "rounds": rounds,
        "samples_s": samples,
        "median_s": medians,
        "ratio_to_engine_free": {name: round(m / medians[ENGINE_FREE], 1)
                                 for name, m in medians.items()},
    }


def markdown(result: dict[str, object]) -> str:
    samples = result["samples_s"]
    medians = result["median_s"]
    ratios = result["ratio_to_engine_free"]
    assert isinstance(samples, dict) and isinstance(medians, dict) and isinstance(ratios, dict)
    lines = [f"{result['resources']} resources, {result['rounds']} interleaved rounds",
             "", "| command | median s | × engine-free | samples (s) |",
             "| --- | ---: | ---: | --- |"]
    for name, values in samples.items():
        lines.append(f"| `{name}` | {medians[name]:.2f} | {ratios[name]} | "
                     f"{', '.join(f'{v:.2f}' for v in values)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_size_flags(parser)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the result here")
    parser.add_argument("--work", type=Path, help="work directory (default: a temp dir)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="shoporg-drift-bench-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        result = run(args, args.rounds, work)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    sys.stdout.write(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
