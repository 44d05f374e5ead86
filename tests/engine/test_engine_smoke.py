"""The engine path end to end, with the smallest dynamic resource (``shoporg.engine.floor``):
up from empty, a no-change preview, refresh, destroy — and what ends up in state."""

from __future__ import annotations

import base64
import json

import pytest

from shoporg.engine.cli import Pulumi

PROGRAM = """\
import pulumi
from shoporg.engine.floor import Floor

probes = [Floor(f"probe-{i}", value=f"value-{i}") for i in range(3)]
pulumi.export("values", [p.value for p in probes])
pulumi.export("credential_seen", probes[0].credential_seen)
"""

PROJECT = """\
name: smoke
runtime:
  name: python
  options:
    toolchain: pip
"""

CREDENTIAL = "probe-credential-7f3a91c2"


@pytest.fixture(scope="module")
def stack(engine: None, tmp_path_factory: pytest.TempPathFactory) -> Pulumi:
    project = tmp_path_factory.mktemp("smoke")
    (project / "Pulumi.yaml").write_text(PROJECT)
    (project / "__main__.py").write_text(PROGRAM)
    pulumi = Pulumi(project)
    pulumi.run("stack", "init", "test")
    pulumi.run("config", "set", "--secret", "shoporg:probeToken", CREDENTIAL)
    return pulumi


def exported(stack: Pulumi) -> dict:  # type: ignore[type-arg]
    return json.loads(stack.run("stack", "export").stdout)


def test_up_from_empty_creates_every_resource(stack: Pulumi) -> None:
    result = stack.run("up", "--yes", "--skip-preview")
    assert "+ 4 created" in result.stdout, result.output


def test_preview_after_up_expects_no_changes(stack: Pulumi) -> None:
    result = stack.run("preview", "--expect-no-changes", check=False)
    assert result.returncode == 0, result.output


def test_configure_receives_the_credential_but_state_never_holds_it(stack: Pulumi) -> None:
    outputs = stack.run("stack", "output", "--json").stdout
    assert json.loads(outputs)["credential_seen"] is True
    text = json.dumps(exported(stack))
    assert CREDENTIAL not in text
    assert base64.b64encode(CREDENTIAL.encode()).decode() not in text


def test_provider_class_is_pickled_by_reference_not_by_value(stack: Pulumi) -> None:
    resources = exported(stack)["deployment"]["resources"]
    blobs = [r["inputs"]["__provider"] for r in resources if "__provider" in r.get("inputs", {})]
    assert len(blobs) == 3
    for blob in blobs:
        pickled = base64.b64decode(blob)
        assert b"shoporg.engine.floor" in pickled and b"FloorProvider" in pickled
        # By value, dill would embed the code object (co_code, the method names' bodies).
        assert b"create" not in pickled and b"hashlib" not in pickled
        assert len(pickled) < 200


def test_refresh_finds_nothing_changed(stack: Pulumi) -> None:
    result = stack.run("refresh", "--yes", "--skip-preview")
    assert "4 unchanged" in result.stdout, result.output


def test_destroy_removes_every_resource_quietly(stack: Pulumi) -> None:
    result = stack.run("destroy", "--yes", "--skip-preview")
    assert "4 deleted" in result.stdout, result.output
    assert "error" not in result.output.lower()
    assert exported(stack)["deployment"].get("resources") in (None, [])
