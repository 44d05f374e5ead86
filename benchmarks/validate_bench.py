"""Validation cost of a generated 10,000-member org.yaml, as a ratio to plain YAML parsing.

Run: ``.venv/bin/python benchmarks/validate_bench.py [--members N] [--repeat R]``

The baselines are measured in the same run on the same text, so the ratios are
comparable across machines:

* ``yaml.safe_load`` (pure-Python loader): what a naive validator would at least pay;
* ``yaml.load(..., CSafeLoader)`` (libyaml): the fastest way to get the data without
  positions.

``validate_text`` does more than either (positions for every node, pydantic models,
cross-object rules), so a ratio near or below 1x against ``safe_load`` is good. Timings
are printed, never asserted in tests.

Recorded run (2 CPUs container shared with a test run, Python 3.11, libyaml present;
best of 3; org from ``benchmarks/orggen.py``)::

    org: 10000 members, 22500 sub-accounts, 82685 lines, 2.9 MB
    yaml.safe_load (pure Python)                 16763.8 ms
    yaml CSafeLoader (libyaml)                    6273.8 ms
    validate_text (positions + models + rules)    1659.1 ms
    ratio validate / safe_load: 0.10x
    ratio validate / libyaml:   0.26x

validate_text beats both because it builds the data straight from libyaml's events and
constructs only non-text scalars, where the loaders build a node graph and then construct
every node in Python.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import orggen
from shoporg.schema import validate_text


def generate(members: int) -> str:
    """A valid org with ``members`` people over 25 accounts (the benchmark's own generator)."""
    return orggen.generate(orggen.Size(members=members, accounts=25))


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    text = generate(args.members)
    org = validate_text(text, "bench.yaml")  # also proves the generated org is valid
    subs = sum(len(m.sub_accounts) for m in org.members)
    print(
        f"org: {len(org.members)} members, {subs} sub-accounts, "
        f"{len(text.splitlines())} lines, {len(text.encode()) / 1e6:.1f} MB"
    )
    timings = {
        "yaml.safe_load (pure Python)": best_of(args.repeat, lambda: yaml.safe_load(text)),
        "yaml CSafeLoader (libyaml)": best_of(
            args.repeat, lambda: yaml.load(text, Loader=yaml.CSafeLoader)
        ),
        "validate_text (positions + models + rules)": best_of(
            args.repeat, lambda: validate_text(text, "bench.yaml")
        ),
    }
    width = max(map(len, timings))
    for name, seconds in timings.items():
        print(f"{name:<{width}}  {seconds * 1000:8.1f} ms")
    validate = timings["validate_text (positions + models + rules)"]
    print(f"ratio validate / safe_load: {validate / timings['yaml.safe_load (pure Python)']:.2f}x")
    print(f"ratio validate / libyaml:   {validate / timings['yaml CSafeLoader (libyaml)']:.2f}x")
    print(f"(best of {args.repeat} runs each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
