"""Shared ids on the real engine: a department, a role and a member all called ``pricing``.

The engine keys them apart by type; the engine review and drift must too (the config review,
drift and the guard are covered without the engine in ``tests/kinds/test_shared_ids.py``).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest

from tests.engine.conftest import REPO, StackProject

SHARED = REPO / "tests" / "fixtures" / "kinds"


@pytest.fixture(scope="module")
def project(engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProject]:
    yield StackProject(tmp_path_factory.mktemp("shared"), SHARED / "shared-ids.base.yaml")


def test_the_org_applies_with_three_objects_of_one_name(project: StackProject) -> None:
    project.up()
    state = json.loads(project.pulumi.run("stack", "export").stdout)
    types = sorted(r["type"].rsplit(":", 1)[-1] for r in state["deployment"]["resources"]
                   if r["urn"].endswith("::tb/pricing"))
    assert types == ["Department", "Role", "SubAccount"]


def test_the_engine_review_flags_the_high_risk_grant_and_nothing_else(
    project: StackProject,
) -> None:
    original = project.org_file.read_text(encoding="utf-8")
    shutil.copy(SHARED / "shared-ids.new.yaml", project.org_file)
    try:
        result = project.shoporg("review", "--format", "json")
    finally:
        project.org_file.write_text(original, encoding="utf-8")
    review = json.loads(result.stdout)
    assert [(r["code"], r["kind"], r["name"]) for r in review["risks"]] == [
        ("high_risk_permission", "role_grant", "tb/pricing@tb-shop"),
    ]


def test_drift_finds_a_hand_made_role_named_like_a_declared_member(
    project: StackProject,
) -> None:
    text = project.org_file.read_text(encoding="utf-8")
    project.org_file.write_text(text.replace(
        "  - {id: pricing, platform: taobao, name: 改价, permissions: [item-price]}\n", ""),
        encoding="utf-8")
    try:
        project.up()  # the stack forgets its role; the live one stays, made by hand
        project.shoporg("sandbox", "role", "add", "tb", "pricing", "改价", "item-price")
        result = project.shoporg("drift", "--format", "json", check=False)
    finally:
        project.org_file.write_text(text, encoding="utf-8")
    assert result.returncode == 2, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert [(u["kind"], u["name"]) for u in report["unmanaged"]] == [("role", "tb/pricing")]
    assert report["drifted"] == []
