"""The scale benchmark's runner works end to end at the tiny size (timings are not checked).

The real runs take minutes to an hour (benchmarks/RESULTS.md); this only keeps
``make bench`` from rotting: generator → valid org.yaml, three projects, interleaved engine
runs, call counts read back from the sandbox, the report table.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from providers.schema import validate_text
from tests.engine.conftest import REPO


def _orggen() -> ModuleType:
    """benchmarks/orggen.py: benchmarks/ is not an installed package (the runner is run with
    ``python -m`` from the repo root)."""
    spec = importlib.util.spec_from_file_location("orggen", REPO / "benchmarks" / "orggen.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("orggen", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_every_named_size_generates_a_valid_org_of_the_announced_size() -> None:
    orggen = _orggen()
    for size in orggen.SIZES.values():
        if size.members > 1000:
            continue  # the large one is covered by the runner's own validation
        org = validate_text(orggen.generate(size), "org.yaml")
        counts = orggen.expected_resources(size)
        assert counts["sub_account"] == sum(len(m.sub_accounts) for m in org.members)


def test_the_runner_measures_floor_and_shoporg_at_the_tiny_size(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--size", "tiny", "--configs",
         "floor,shoporg", "--ops", "up,refresh", "--validate-members", "100",
         "--work", str(tmp_path / "work"), "--json", str(tmp_path / "out.json")],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "| refresh |" in proc.stdout
    data = json.loads((tmp_path / "out.json").read_text())
    accounts, resources = data["meta"]["size"]["accounts"], data["meta"]["resources"]
    calls = data["results"]["shoporg"]["refresh"][0]["calls"]
    # Bulk reads: a refresh lists each kind about once per account, not once per resource.
    listings = {m: n for m, n in calls.items() if m.startswith("list_")}
    assert listings and all(n <= 2 * accounts for n in listings.values()), calls
    assert sum(calls.values()) < resources, calls


def test_the_runner_measures_the_journaled_up_against_one_save(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--size", "tiny", "--configs",
         "shoporg,journaled", "--ops", "up", "--validate-members", "0",
         "--work", str(tmp_path / "work")],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "| shoporg journaled s |" in proc.stdout
    # The journaled configuration really journaled: one line per created resource, plus
    # each provider process's Configure.
    lines = (tmp_path / "work" / "journaled" / ".shoporg" / "steps" / "bench.jsonl"
             ).read_text().splitlines()
    stats = proc.stdout.split("state after up, journaled: ")[1].splitlines()[0]
    resources = ast.literal_eval(stats)["resources"]
    assert len(lines) > resources
    assert not (tmp_path / "work" / "shoporg" / ".shoporg" / "steps").exists()
