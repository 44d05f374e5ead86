"""The suite's tiers, chosen by fixture, not by folder.

A test is in the **engine tier** when it asks for the ``engine`` fixture, directly or through
another fixture (``project``, ``applied``, ...): pytest's ``fixturenames`` is the transitive
closure, so the marker follows the dependency wherever the test lives. Everything else is the
**unit tier** (``-m "not engine"``: ``make check`` and the other Pythons' runs).

Two promises keep the split honest:
- Locally an engine-tier test skips, with the reason, when the engine is missing; with
  ``CI=true`` that is a failure, never a skip (non-negotiable 2).
- A unit-tier test cannot start the engine by accident: while it runs, the engine counts as
  absent, so a ``StackProject`` or ``Pulumi`` built without asking for ``engine`` fails loudly
  ("no Pulumi engine beside ...") on every machine, instead of passing here and breaking the
  unit runs on a machine without an engine.
"""

from __future__ import annotations

import os
import resource
from collections import defaultdict
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

import shoporg.cli.engine
import shoporg.engine.cli
from shoporg.engine.cli import engine_available
from tests.engine.conftest import StackProject


def require_engine() -> None:
    if engine_available():
        return
    reason = "the Pulumi engine is not installed beside this Python: run `make setup`"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def engine() -> None:
    """The engine tier's entry: skips (locally) or fails (CI=true) without the engine.

    Session-scoped so fixtures of every scope can depend on it."""
    require_engine()


#: Figures the reliability scenarios measured (``tests.reliability.conftest.report``), gathered
#: from the reports so that those run by pytest-xdist workers are printed too.
FIGURES: dict[str, str] = {}


#: CPU seconds per test module: this process's and every process it started and waited for
#: (the engine and its plugins, ``shoporg`` commands), each phase measured where it ran and
#: carried on its report. On two cores the suite is CPU-bound, so this — not the wall time
#: of ``--durations``, which includes waiting for the CPU the other workers use — is the
#: profile to cut from (docs/testing.md).
CPU: defaultdict[str, float] = defaultdict(float)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--cpu-top", type=int, default=0, metavar="N",
                     help="print the N test modules that used the most CPU (with children)")


#: The CPU seconds at the end of the item's last phase (its start, before setup).
_CPU_MARK = pytest.StashKey[float]()


def _cpu_seconds() -> float:
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                          resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    # The phase has ended when its report is made: from the previous report to this one.
    now = _cpu_seconds()
    report.user_properties.append(("cpu", round(now - item.stash.get(_CPU_MARK, now), 3)))
    item.stash[_CPU_MARK] = now
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.stash[_CPU_MARK] = _cpu_seconds()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for key, value in report.user_properties:
        if isinstance(key, str) and key.startswith("figure:"):
            FIGURES[key.removeprefix("figure:")] = str(value)
        elif key == "cpu" and isinstance(value, int | float):
            CPU[report.nodeid.split("::", 1)[0]] += value


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    top = int(config.getoption("--cpu-top"))
    if top and CPU:
        terminalreporter.section(f"CPU seconds by module (with child processes), top {top}")
        terminalreporter.write_line(f"{sum(CPU.values()):9.1f}  all {len(CPU)} modules")
        for module, seconds in sorted(CPU.items(), key=lambda kv: -kv[1])[:top]:
            terminalreporter.write_line(f"{seconds:9.1f}  {module}")
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for name, value in FIGURES.items():
        terminalreporter.write_line(f"{name}: {value}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "engine" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.engine)
    # The longest modules first: those with slow engine cases (the reliability scenarios),
    # then the other engine modules, then the unit tier's slow modules (a real browser, the
    # independent SDKs), then the rest (a stable sort: each module's cases keep their order).
    # With pytest-xdist's loadfile in collection order (--no-loadscope-reorder, Makefile) the
    # long modules start at once and the short ones fill the gaps, instead of a worker
    # starting a long module when the others are done.
    weight: dict[Path, int] = {}
    for item in items:
        slow = item.get_closest_marker("slow") is not None
        tier = 0 if item.get_closest_marker("engine") else 2
        weight[item.path] = min(weight.get(item.path, tier + 1), tier + (0 if slow else 1))
    items.sort(key=lambda item: weight[item.path])


@pytest.fixture(autouse=True)
def _unit_tier_has_no_engine(request: pytest.FixtureRequest,
                             monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if request.node.get_closest_marker("engine") is None:
        monkeypatch.setattr(shoporg.engine.cli, "engine_available", lambda: False)
        monkeypatch.setattr(shoporg.cli.engine, "engine_available", lambda: False)
    yield


# --- coverage in child processes -------------------------------------------------------------

#: coverage.py's ``patch = ["subprocess"]`` hands its configuration to every child Python in
#: this variable; a child without it is not traced.
_COVERAGE_CHILDREN = "COVERAGE_PROCESS_CONFIG"


@pytest.fixture(scope="module", autouse=True)
def _children_untraced_in_scenarios(request: pytest.FixtureRequest) -> Iterator[None]:
    """A module marked ``children_untraced`` (a scenario: the lifecycle model, the reliability
    runs) starts its engines and CLIs without coverage's tracing, about a third of an engine
    run's CPU. Its own process is still traced, and its child processes' lines are covered by
    the modules that are their home: measured, dropping these modules' child data moved the
    total by 0.18 points (docs/testing.md); the floor in pyproject.toml still guards it.
    Module-scoped and autouse, so it is in place before the module's own fixtures build their
    projects (a project copies the environment it is built in)."""
    config = os.environ.get(_COVERAGE_CHILDREN)
    if config is None or request.node.get_closest_marker("children_untraced") is None:
        yield
        return
    del os.environ[_COVERAGE_CHILDREN]
    try:
        yield
    finally:
        os.environ[_COVERAGE_CHILDREN] = config


# --- an applied stack, built once -------------------------------------------------------------


@pytest.fixture(scope="session")
def repo_org_applied(engine: None, tmp_path_factory: pytest.TempPathFactory) -> StackProject:
    """The repo's org.yaml applied to a fresh sandbox, once per test run (per pytest-xdist
    worker). Never used directly: tests take a copy (``applied_copy``), so none sees
    another's changes."""
    project = StackProject(tmp_path_factory.mktemp("repo-org-applied"))
    project.up()
    return project


@pytest.fixture
def applied_copy(repo_org_applied: StackProject, tmp_path: Path) -> StackProject:
    """A project where the repo's org.yaml is already applied: for tests that start from an
    applied stack rather than test the ``up`` from empty (tests/engine/test_stack.py does)."""
    return repo_org_applied.copy_to(tmp_path / "project")
