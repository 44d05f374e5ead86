"""The scale benchmark's runner works end to end at the tiny size (timings are not checked).

The real runs take minutes to an hour (benchmarks/RESULTS.md); this only keeps
``make bench`` from rotting: generator → valid org.yaml, three projects, interleaved engine
runs, call counts read back from the sandbox, the report table.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import curve, orggen, run
from shoporg.schema import validate_text
from tests.engine.conftest import REPO

pytestmark = pytest.mark.children_untraced  # a scenario (tests/conftest.py)


@pytest.mark.parametrize(("per_resource", "spread"), [
    ([0.02, 0.02, 0.02], 0.0),
    ([0.018, 0.02, 0.022], 0.1),
    ([0.01, 0.03], 0.5),
    ([0.02], None),
], ids=["equal seconds per resource: flat", "±10 % around the mean",
        "a tripling is ±50 %", "one size has no spread"])
def test_the_curve_reports_how_flat_seconds_per_resource_are(
        per_resource: list[float], spread: float | None) -> None:
    series = [curve.Point(resources=1000 * (i + 1), seconds=s * 1000 * (i + 1), capped=False)
              for i, s in enumerate(per_resource)]
    got = curve.spread(series)
    assert got == spread if spread is None else got == pytest.approx(spread)


@pytest.mark.parametrize(("seconds", "fixed", "per_resource", "above"), [
    ([5 + 0.01 * n for n in (1000, 2500, 5000, 10000)], 5.0, 0.01, 0.0),
    ([0.01 * n for n in (1000, 2500, 5000, 10000)], 0.0, 0.01, 0.0),
], ids=["a start-up cost and a constant cost per resource: linear, flat above the start-up",
        "no start-up: the line goes through zero"])
def test_the_curve_fits_a_line_and_measures_flatness_above_the_fixed_cost(
        seconds: list[float], fixed: float, per_resource: float, above: float) -> None:
    series = [curve.Point(resources=n, seconds=s, capped=False)
              for n, s in zip((1000, 2500, 5000, 10000), seconds, strict=True)]
    line = curve.fit(series)
    assert line is not None
    assert line.fixed == pytest.approx(fixed, abs=1e-9)
    assert line.per_resource == pytest.approx(per_resource)
    assert curve.spread_above(series, line.fixed) == pytest.approx(above, abs=1e-9)


def test_the_curve_makes_repeated_rounds_of_one_size_one_point_their_median() -> None:
    def run(resources: int, *seconds: float) -> dict[str, object]:
        samples = [{"seconds": s, "capped": False} for s in seconds]
        return {"meta": {"resources": resources}, "results": {"floor": {"up": samples}}}

    rounds = [run(1000, 10.0), run(2000, 30.0), run(1000, 14.0, 12.0), run(2000)]
    assert curve.points(rounds, "floor", "up") == [
        curve.Point(1000, 12.0, False), curve.Point(2000, 30.0, False)]
    assert curve.points(rounds, "journaled", "up") == []


def test_the_curve_fits_no_line_through_a_capped_run_or_two_points() -> None:
    capped = [curve.Point(1000, 10.0, False), curve.Point(2000, 20.0, False),
              curve.Point(4000, 30.0, True)]
    assert curve.fit(capped) is None
    assert curve.fit(capped[:2]) is None


def test_the_curve_tables_cpu_by_process_for_runs_that_recorded_it() -> None:
    sample = {"seconds": 9.5, "cpu_s": 12.0, "capped": False,
              "cpu_roles": {"pulumi-engine": 4.0, "program": 3.5, "provider": 4.25}}
    recorded = {"meta": {"resources": 1048}, "results": {
        "floor": {"up": [sample]},
        "floor-checkpoints": {"up": [{**sample, "capped": True}]},  # a lower bound: left out
        "journaled": {"up": [{"seconds": 20.0, "capped": False}]},  # recorded before CPU was
    }}
    assert curve.cpu_table([recorded])[4:] == [
        "| 1,048 | floor, one save (b) | 9.5 | 12.0 | 4.0 | 3.5 | 4.2 | – |", ""]  # no host
    assert curve.cpu_table([{**recorded, "results": {}}]) == []


@pytest.mark.parametrize(("argv", "role"), [
    (["/x/.venv/bin/pulumi-engine", "up"], "pulumi-engine"),
    (["/x/.venv/bin/python", "-u", "-m", "shoporg.engine.dynamic_provider", "127.0.0.1:1"],
     "provider"),
    (["/x/.venv/bin/python", "-u", "-m", "shoporg.engine.language_host", "127.0.0.1:1"],
     "language-host"),
    (["/x/.venv/bin/python", "-u", "/x/.venv/bin/pulumi-language-python-exec", "--project",
      "shoporg", "--root_directory", "/tmp/providers-bench", "/tmp/providers-bench/stacks"],
     "program"),
    ([], "?"),
], ids=["the engine by its binary", "the dynamic provider", "the language host",
        "the program, whatever its directory is called", "a process already gone"])
def test_the_runner_tells_the_processes_of_a_run_apart(argv: list[str], role: str) -> None:
    assert run.role_of(argv) == role


@pytest.mark.parametrize(("config", "known", "floor", "width"), [
    ("floor", True, True, 0),
    ("floor-wide", True, True, 6.4),
    ("floor-w16", True, True, 16),
    ("shaped", True, True, 0),
    ("journaled", True, False, 0),
    ("floor-wx", False, False, 0),
    ("floors", False, False, 0),
], ids=["the floor has no extra properties", "the wide floor is as wide as it is told",
        "floor-w<N> has N", "the shaped floor runs a floor program of its own",
        "shoporg's configurations run the stack", "a width must be a number",
        "a near miss is no configuration"])
def test_the_runner_knows_its_floor_configurations_and_their_widths(
        config: str, known: bool, floor: bool, width: float) -> None:
    assert run.known_config(config) is known
    assert run.is_floor(config) is floor
    assert run.floor_width(config, wide=6.4) == width


def test_the_wide_floor_is_as_wide_as_the_resources_of_the_org() -> None:
    org = validate_text(orggen.generate(orggen.SIZES["small"]), "org.yaml")
    # shoporg's small org: 28 departments, 30 roles, 450 sub-accounts and 540 grants of
    # about 3, 5, 8 and 5 properties: 6.4 on average (the engine test below checks that
    # the states agree).
    assert run.shaped_width(org) == pytest.approx(6.41, abs=0.01)


def test_every_named_size_generates_a_valid_org_of_the_announced_size() -> None:
    for size in orggen.SIZES.values():
        if size.members > 1000:
            continue  # the large one is covered by the runner's own validation
        org = validate_text(orggen.generate(size), "org.yaml")
        counts = orggen.expected_resources(size)
        assert counts["sub_account"] == sum(len(m.sub_accounts) for m in org.members)


def test_the_runner_measures_floor_and_shoporg_at_the_tiny_size(engine: None,
                                                                tmp_path: Path) -> None:
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


def test_the_runner_measures_the_journaled_up_against_the_floors_and_caps_one(
        engine: None, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--size", "tiny", "--configs",
         "floor-checkpoints,floor,floor-wide,shaped,journaled,shoporg", "--ops", "up,preview",
         "--validate-members", "0", "--cap-minutes", "0.01",  # 0.6 s: stops (a) early
         "--work", str(tmp_path / "work"), "--json", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "| shoporg journaled (c) s |" in proc.stdout
    data = json.loads(out.read_text())
    resources = data["meta"]["resources"]
    [capped] = data["results"]["floor-checkpoints"]["up"]
    assert capped["capped"] and capped["seconds"] >= 0.6 and capped["done"] < resources
    assert "preview" not in data["results"]["floor-checkpoints"]  # the floor's own program
    assert f"of {resources} done)" in proc.stdout
    # The journaled configuration really journaled: one line per created resource, plus
    # each provider process's Configure; no other configuration journaled.
    lines = (tmp_path / "work" / "journaled" / ".shoporg" / "steps" / "bench.jsonl"
             ).read_text().splitlines()
    stats = proc.stdout.split("state after up, journaled: ")[1].splitlines()[0]
    assert len(lines) > ast.literal_eval(stats)["resources"]
    for other in ("shoporg", "floor", "floor-checkpoints", "floor-wide", "shaped"):
        assert not (tmp_path / "work" / other / ".shoporg" / "steps").exists(), other
    # The shaped floor stands in for every object shoporg registers, with its inputs.
    assert data["meta"]["state"]["shaped"]["resources"] == data["meta"]["state"]["journaled"][
        "resources"] == resources
    state = data["meta"]["state"]
    assert state["shaped"]["state_mb"] > state["floor"]["state_mb"]
    # The wide floor gives the engine as many properties per resource as shoporg's shape,
    # the plain floor one (``value``).
    assert state["floor"]["inputs_per_resource"] == 1
    assert state["floor-wide"]["inputs_per_resource"] == pytest.approx(
        state["shaped"]["inputs_per_resource"], abs=0.02), state
    assert state["shaped"]["inputs_per_resource"] == pytest.approx(
        state["journaled"]["inputs_per_resource"] + 1), state  # + the floor's ``value``
    [up] = data["results"]["journaled"]["up"]
    assert up["cpu_s"] > 0 and {"program", "provider"} <= set(up["cpu_roles"]), up

    # The growth curve of that run: its table and a real PNG of it.
    png = tmp_path / "curve.png"
    drawn = subprocess.run(
        [sys.executable, "-m", "benchmarks.curve", str(out), "--png", str(png)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert drawn.returncode == 0, drawn.stderr
    assert f"| {resources:,} | > " in drawn.stdout  # (a) capped: a lower bound
    from PIL import Image

    with Image.open(png) as image:
        assert image.format == "PNG" and image.width > 1000


def test_the_cli_start_up_benchmark_runs_every_command_and_reports_ratios(
        tmp_path: Path) -> None:
    from benchmarks import cli_start

    samples = cli_start.run(rounds=1, steps=3, work=tmp_path)
    assert set(samples) == set(cli_start.commands(tmp_path)) and all(
        len(v) == 1 and v[0] > 0 for v in samples.values())
    table = cli_start.report({**samples, cli_start.BASELINE: [0.5], "x": [1.0]})
    assert "| `x` | 1.000 | 2.0 | 1.000 |" in table
