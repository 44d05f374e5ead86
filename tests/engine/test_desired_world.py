"""The desired world against the real engine, in the same run, and against old state.

* A real ``pulumi preview`` of org.yaml registers exactly the objects, names and inputs that
  :func:`shoporg.kinds.desired_world` computes (no recorded file in between).
* A stack written by the code before the kinds registry (commit ``BEFORE_REGISTRY``, taken
  from this repository's history) is read and refreshed by today's code without a single
  change, then updated by it: names, types and the pickled providers' module paths are the
  state format.
"""

from __future__ import annotations

import datetime
import io
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from shoporg.engine.cli import Pulumi
from shoporg.kinds import desired_world, ref_of_urn
from shoporg.reports.world import UNKNOWN, clean_inputs
from shoporg.schema import load_org
from tests.engine.conftest import REPO, StackProject

# What its engines run is covered by the other engine modules and the unit tier (measured:
# docs/testing.md), so coverage does not trace its child processes (tests/conftest.py).
pytestmark = pytest.mark.children_untraced

#: The last commit before providers/kinds existed.
BEFORE_REGISTRY = "c12185e"


def test_a_real_preview_registers_exactly_the_desired_world(engine: None, tmp_path: Path) -> None:
    project = StackProject(tmp_path)
    preview = json.loads(project.preview("--json").stdout)
    engine = {
        ref_of_urn(s["urn"]): clean_inputs(s["newState"]["inputs"])
        for s in preview["steps"] if ref_of_urn(s["urn"]) is not None
    }
    world = desired_world(load_org(project.org_file), datetime.date.today())
    assert set(engine) == set(world)
    for ref, desired in world.items():
        known = {k: v for k, v in engine[ref].items() if v != UNKNOWN and v is not None}
        assert {k: desired.inputs.get(k) for k in known} == known, ref


def _old_code(into: Path) -> Path:
    proc = subprocess.run(["git", "-C", str(REPO), "archive", BEFORE_REGISTRY, "providers"],
                          capture_output=True)
    if proc.returncode != 0:
        pytest.fail(f"commit {BEFORE_REGISTRY} is not in this clone's history (a shallow "
                    f"clone?): {proc.stderr.decode()[:300]}")
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as archive:
        archive.extractall(into, filter="data")
    return into


def _old_file(path: str) -> bytes:
    proc = subprocess.run(["git", "-C", str(REPO), "show", f"{BEFORE_REGISTRY}:{path}"],
                          capture_output=True)
    if proc.returncode != 0:
        pytest.fail(f"commit {BEFORE_REGISTRY} is not in this clone's history: "
                    f"{proc.stderr.decode()[:300]}")
    return proc.stdout


def _old_org(into: Path) -> Path:
    """org.yaml as of that commit: the old code knows only the keys it had then."""
    into.write_bytes(_old_file("org.yaml"))
    return into


def test_a_stack_written_by_the_code_before_the_registry_sees_no_change(
        engine: None, tmp_path: Path) -> None:
    old_code = _old_code(tmp_path / "old-code")
    (tmp_path / "project").mkdir()
    project = StackProject(tmp_path / "project", _old_org(tmp_path / "old-org.yaml"))
    # The same project, its program the old one, importing the old package (then named
    # `providers`, as every state written before the rename pickles its providers).
    program = project.root / "stacks" / "__main__.py"
    program.write_bytes(_old_file("stacks/__main__.py"))
    old = Pulumi(project.root, {**project.pulumi.env, "PYTHONPATH": str(old_code)})
    # Its sandbox as the old code made it: a file today's code made has a newer schema,
    # which the old code rightly refuses (today's code migrates an old file forward).
    for made in project.sandbox_path.parent.glob(project.sandbox_path.name + "*"):
        made.unlink()
    subprocess.run([sys.executable, "-m", "providers.cli.main", "sandbox", "init", "--org",
                    "org.yaml", "--demo-creators"], cwd=project.root, env=old.env, check=True,
                   capture_output=True)
    old.run("up", "--yes", "--skip-preview")
    shutil.copy(REPO / "stacks" / "__main__.py", program)
    state = json.loads(old.run("stack", "export").stdout)
    old_urns = sorted(r["urn"] for r in state["deployment"]["resources"] if ref_of_urn(r["urn"]))
    assert old_urns, "the old code registered nothing"

    # Today's code: no change planned, refresh finds nothing, and an edit applies in place.
    project.preview("--expect-no-changes")
    project.pulumi.run("refresh", "--yes", "--skip-preview", "--expect-no-changes")
    project.preview("--expect-no-changes")
    state = json.loads(project.pulumi.run("stack", "export").stdout)
    assert sorted(r["urn"] for r in state["deployment"]["resources"]
                  if ref_of_urn(r["urn"])) == old_urns

    def rename_first_member(org: dict[str, object]) -> None:
        members = org["members"]
        assert isinstance(members, list)
        members[0]["name"] = members[0]["name"] + "（新）"

    project.edit(rename_first_member)
    project.up()
    project.preview("--expect-no-changes")
