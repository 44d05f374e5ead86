"""A kill that tears the file backend's metadata sidecar mid-write (seen in CI): every
pulumi command then fails with ``failed to load checkpoint: EOF``; ``shoporg recover``
repairs it and nothing of the state is lost. Deterministic: the tear is made by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.engine.conftest import StackProject

pytestmark = pytest.mark.children_untraced  # a scenario (tests/conftest.py)


def resources(project: StackProject) -> dict[str, object]:
    # Decrypted: a refresh re-encrypts secret outputs with fresh nonces.
    export = json.loads(project.pulumi.run("stack", "export", "--show-secrets").stdout)
    return {r["urn"]: r.get("outputs") for r in export["deployment"]["resources"]}


@pytest.mark.slow
def test_recover_repairs_a_state_whose_metadata_sidecar_a_kill_tore(
    applied_copy: StackProject,
) -> None:
    project = applied_copy
    before = resources(project)
    state = Path(project.pulumi.env["PULUMI_BACKEND_URL"].removeprefix("file://"))
    [sidecar] = state.glob(".pulumi/stacks/*/test.json.attrs")
    sidecar.write_text("")  # what a SIGKILL during the in-place write leaves

    broken = project.preview(check=False)
    assert broken.returncode != 0 and "failed to load checkpoint: EOF" in broken.output

    out = project.shoporg("recover", "--stack", "test").stdout
    assert "torn by the killed engine" in out, out
    assert resources(project) == before  # the refresh rewrote the manifest, nothing else
    assert project.preview("--expect-no-changes", check=False).returncode == 0
