"""The growth curve: seconds per resource against stack size, from several runner outputs.

::

    .venv/bin/python -m benchmarks.curve small.json mid.json medium.json large.json \
        --png benchmarks/growth.png > curve.md

Each input is a ``benchmarks.run --json`` file of one size (the configurations measured
interleaved within it); several files of one size (repeated rounds) make one point each,
the median of all their samples. Prints a Markdown table — per size: resources, then seconds and
seconds per resource of every configuration's ``up``, no-op ``preview`` and ``refresh`` —
and the spread of shoporg journaled's ``up`` seconds per resource across sizes (issue 17's
"flat within ±20 %"), raw and above a fixed cost: raw seconds per resource include each
run's start-up (engine, language host, program imports, first reads), which falls per
resource as the stack grows — the floor's own raw values are not flat either — so a least-
squares line ``seconds = fixed + per_resource × resources`` is fitted to each configuration's
``up`` and ``(seconds − fixed) / resources`` is the per-resource cost whose flatness says
"linear". ``--png`` draws the curve (log-scaled seconds per resource): a run
stopped at the cap is a lower bound, drawn as an upward triangle.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: (configuration, label) in the order of the table and the legend.
SERIES = (
    ("floor-checkpoints", "floor, checkpoints (a)"),
    ("floor", "floor, one save (b)"),
    ("floor-wide", "floor, shoporg's width"),
    ("shaped", "floor, shoporg's shape"),
    ("journaled", "shoporg journaled (c)"),
    ("shoporg", "shoporg, one save, no journal"),
    ("checkpoints", "shoporg, checkpoints"),
)
OPERATIONS = ("up", "preview", "refresh")


@dataclass(frozen=True)
class Point:
    resources: int
    seconds: float
    capped: bool

    @property
    def per_resource(self) -> float:
        return self.seconds / self.resources


def points(runs: Sequence[dict[str, Any]], config: str, op: str) -> list[Point]:
    """One point per size holding ``config``'s ``op``: the median of its samples in all the
    runs of that size (repeated rounds of one size are one point), by size."""
    by_size: dict[int, list[dict[str, Any]]] = {}
    for run in runs:
        samples = run["results"].get(config, {}).get(op, [])
        by_size.setdefault(int(run["meta"]["resources"]), []).extend(samples)
    return [
        Point(resources=size, seconds=float(statistics.median(s["seconds"] for s in samples)),
              capped=any(s.get("capped") for s in samples))
        for size, samples in sorted(by_size.items()) if samples
    ]


def spread(series: Sequence[Point]) -> float | None:
    """Largest relative distance of seconds per resource from their mean (0.2 = ±20 %)."""
    if len(series) < 2:
        return None
    values = [p.per_resource for p in series]
    mean = statistics.fmean(values)
    return max(abs(v - mean) for v in values) / mean


@dataclass(frozen=True)
class Line:
    fixed: float  # seconds at zero resources: start-up
    per_resource: float  # seconds each further resource adds


def fit(series: Sequence[Point]) -> Line | None:
    """The least-squares line through the points; None below three or with a capped one."""
    if len(series) < 3 or any(p.capped for p in series):
        return None
    line = statistics.linear_regression([p.resources for p in series],
                                        [p.seconds for p in series])
    return Line(fixed=line.intercept, per_resource=line.slope)


def spread_above(series: Sequence[Point], fixed: float) -> float:
    """:func:`spread` of ``(seconds − fixed) / resources``."""
    return spread([Point(p.resources, p.seconds - fixed, p.capped) for p in series]) or 0.0


def linearity(runs: Sequence[dict[str, Any]]) -> list[str]:
    lines = []
    for config, label in SERIES:
        series = points(runs, config, "up")
        line = fit(series)
        if line is None:
            continue
        lines.append(
            f"{label} `up`: fixed {line.fixed:.1f} s + {line.per_resource * 1000:.2f} ms per "
            f"resource; raw s/resource within ±{(spread(series) or 0) * 100:.0f} % of their mean, "
            f"above the fixed cost within ±{spread_above(series, line.fixed) * 100:.0f} %")
    return lines


def table(runs: Sequence[dict[str, Any]]) -> str:
    sizes = sorted({int(r["meta"]["resources"]) for r in runs})
    lines = []
    for op in OPERATIONS:
        present = [(c, label) for c, label in SERIES if points(runs, c, op)]
        if not present:
            continue
        lines += [f"**{op}**", "",
                  "| resources | " + " | ".join(f"{label} s (s/res)" for _, label in present)
                  + " |",
                  "| ---: |" + " ---: |" * len(present)]
        for size in sizes:
            cells = []
            for config, _ in present:
                point = next((p for p in points(runs, config, op) if p.resources == size), None)
                if point is None:
                    cells.append("–")
                else:
                    bound = "> " if point.capped else ""
                    cells.append(f"{bound}{point.seconds:.1f} ({bound}{point.per_resource:.4f})")
            lines.append(f"| {size:,} | " + " | ".join(cells) + " |")
        lines.append("")
    journaled = points(runs, "journaled", "up")
    flat = spread(journaled)
    if flat is not None:
        lines.append(f"shoporg journaled `up`, seconds per resource across "
                     f"{len(journaled)} sizes: within ±{flat * 100:.0f} % of their mean")
    fitted = linearity(runs)
    if fitted:
        lines += ["", "Linear fit of `up` (seconds = fixed + per resource × resources):", ""]
        lines += [f"- {line}" for line in fitted]
    cpu = cpu_table(runs)
    if cpu:
        lines += ["", *cpu]
    return "\n".join(lines) + "\n"


#: The process roles of a run's CPU (``benchmarks.run``'s ``cpu_roles``), in table order.
ROLES = ("pulumi-engine", "program", "provider", "language-host")


def cpu_table(runs: Sequence[dict[str, Any]], op: str = "up") -> list[str]:
    """CPU seconds of ``op`` per configuration and process role, by size (runs that
    recorded them); where a configuration's time goes beyond the floor's."""
    rows = []
    for run in sorted(runs, key=lambda r: int(r["meta"]["resources"])):
        for config, label in SERIES:
            samples = [s for s in run["results"].get(config, {}).get(op, [])
                       if s.get("cpu_roles") and not s.get("capped")]
            if not samples:
                continue
            sample = samples[0]
            roles = [f"{sample['cpu_roles'][role]:.1f}" if role in sample["cpu_roles"] else "–"
                     for role in ROLES]
            rows.append(f"| {int(run['meta']['resources']):,} | {label} | {sample['seconds']:.1f} "
                        f"| {sample['cpu_s']:.1f} | " + " | ".join(roles) + " |")
    if not rows:
        return []
    return [f"**{op}: CPU seconds by process** (sampled every 0.5 s; the total from `wait4`)",
            "", "| resources | configuration | wall s | CPU s | " + " | ".join(ROLES) + " |",
            "| ---: | --- | ---: | ---: |" + " ---: |" * len(ROLES), *rows, ""]


def plot(runs: Sequence[dict[str, Any]], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a build machine
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), dpi=120)
    for ax, op in zip(axes, ("up", "preview"), strict=True):
        for color, (config, label) in enumerate(SERIES):  # one colour per configuration
            series = points(runs, config, op)
            if not series:
                continue
            xs = [p.resources for p in series]
            ys = [p.per_resource for p in series]
            ax.plot(xs, ys, marker="o", label=label, color=f"C{color}")
            capped = [p for p in series if p.capped]
            if capped:
                ax.scatter([p.resources for p in capped], [p.per_resource for p in capped],
                           marker="^", s=90, color=f"C{color}", zorder=3)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("resources in the stack")
        ax.set_ylabel("seconds per resource")
        ax.set_title(f"{op} (no-op)" if op == "preview" else "up from empty")
        ax.grid(True, which="both", alpha=0.3)
    for ax in axes:
        ax.legend(fontsize=8)
    fig.text(0.01, 0.01, "▲ stopped at the cap: a lower bound", fontsize=8)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(png)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.curve", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path, help="benchmarks.run --json files")
    ap.add_argument("--png", type=Path, help="draw the curve into this PNG")
    args = ap.parse_args(argv)
    runs = [json.loads(path.read_text()) for path in args.runs]
    sys.stdout.write(table(runs))
    if args.png is not None:
        plot(runs, args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
