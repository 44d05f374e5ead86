"""The engine's files read without starting it agree with what the CLI says about them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from shoporg.engine import on_disk
from tests.engine.conftest import StackProject


def cli_selected(project: StackProject) -> str:
    return project.pulumi.run("stack", "--show-name").stdout.strip()


def cli_resources(project: StackProject, stack: str) -> list[on_disk.Resource]:
    """What ``pulumi stack export`` lists, decoded as the on-disk reader decodes; checked
    field by field against the export's plain JSON, so the two cannot agree by a shared
    mistake."""
    out = project.pulumi.run("stack", "export", "--stack", stack).stdout
    resources = on_disk.exported_resources(out)
    plain = json.loads(out)["deployment"].get("resources") or []
    assert [(r["urn"], r["type"], r.get("custom", False), r.get("delete", False),
             r.get("id", ""), r.get("inputs"), r.get("outputs")) for r in plain] == [
        (r.urn, r.type, r.custom, r.delete, r.id, r.inputs, r.outputs) for r in resources]
    return resources


def test_the_selected_stack_and_its_checkpoint_read_from_disk_are_the_cli_s(
    applied_copy: StackProject, monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = applied_copy.root
    monkeypatch.setattr(os, "environ", applied_copy.pulumi.env)  # the project's backend
    assert on_disk.selected_stack(root) == cli_selected(applied_copy) == "test"
    assert on_disk.checkpoint_resources(root, "test") == cli_resources(applied_copy, "test")
    # Another stack, selected and still empty; then the first again.
    applied_copy.pulumi.run("stack", "init", "other")
    assert on_disk.selected_stack(root) == cli_selected(applied_copy) == "other"
    assert on_disk.checkpoint_resources(root, "other") == cli_resources(applied_copy, "other")
    applied_copy.pulumi.run("stack", "select", "test")
    assert on_disk.selected_stack(root) == "test"


def test_what_is_not_a_plain_file_backend_is_left_to_the_cli(
    applied_copy: StackProject, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    root = applied_copy.root
    env = dict(applied_copy.pulumi.env)
    monkeypatch.setattr(os, "environ", env)
    assert on_disk.checkpoint_resources(root, "organization/shoporg/test") is None
    assert on_disk.checkpoint_resources(root, "missing") is None
    env["PULUMI_BACKEND_URL"] = "postgres://127.0.0.1:1/state"
    assert on_disk.checkpoint_resources(root, "test") is None
    assert on_disk.selected_stack(root) is None  # no stack selected on that backend
