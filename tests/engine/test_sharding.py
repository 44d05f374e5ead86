"""Sharding: several stacks over one org.yaml, each owning some accounts, run in parallel.

Shard stacks select accounts in their stack config (``shoporg:accounts`` ids or globs,
``shoporg:platforms``); together they must build exactly what one stack builds, never touch
each other's objects, and an empty or mistyped selection must fail before any change.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from shoporg.engine.install import ENGINE_BINARY
from shoporg.errors import ConfigError
from shoporg.schema import load_org
from shoporg.stackconfig import select_accounts
from tests.engine.conftest import REPO, StackProject

SHARDS = {
    "tmall-taobao": ["tb-*", "tm-youpin"],
    "rest": ["sp-youpin", "oz-youpin", "dy-youpin", "ks-youpin"],
}


# -- selection (no engine needed, but kept beside the engine cases it explains) ----------------


def test_a_selection_by_glob_and_platform_picks_the_intersection() -> None:
    org = load_org(REPO / "org.yaml")
    assert select_accounts(org, ["tb-*", "tm-youpin"]) == {"tb-youpin", "tm-youpin"}
    assert select_accounts(org, None, ["shopee", "ozon"]) == {"sp-youpin", "oz-youpin"}
    assert select_accounts(org, ["*-youpin"], ["douyin"]) == {"dy-youpin"}


def test_a_selection_that_matches_nothing_is_an_error_not_an_empty_shard() -> None:
    org = load_org(REPO / "org.yaml")
    with pytest.raises(ConfigError) as err:
        select_accounts(org, ["tb-youpni"])
    assert "'tb-youpni' matches no account" in str(err.value)
    with pytest.raises(ConfigError):
        select_accounts(org, ["tb-youpin"], ["shopee"])


# -- shard stacks on the engine -------------------------------------------------------------------


def outputs(project: StackProject, stack: str) -> dict[str, Any]:
    out = project.pulumi.run("stack", "output", "--json", "--stack", stack).stdout
    data: dict[str, Any] = json.loads(out)
    return data


@pytest.fixture(scope="module")
def sharded(engine: None, tmp_path_factory: pytest.TempPathFactory) -> StackProject:
    project = StackProject(tmp_path_factory.mktemp("sharded"))
    for stack, accounts in SHARDS.items():
        project.pulumi.run("stack", "init", stack)
        project.pulumi.run("config", "set", "--stack", stack, "shoporg:accounts",
                           json.dumps(accounts))
    return project


def test_shards_apply_in_parallel_and_together_build_the_whole_org(
    sharded: StackProject,
) -> None:
    engine = str(Path(sharded.pulumi.env["PATH"].split(":")[0]) / ENGINE_BINARY)
    jobs = {
        stack: subprocess.Popen(
            [engine, "up", "--yes", "--skip-preview", "--stack", stack], cwd=sharded.root,
            env=sharded.pulumi.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for stack in SHARDS
    }
    for stack, job in jobs.items():
        out, _ = job.communicate(timeout=900)
        assert job.returncode == 0, f"{stack}:\n{out}"
    org = sharded.org()
    backend = sharded.backend()
    live = {(a.id, s.member_id) for a in backend.list_accounts()
            for s in backend.list_sub_accounts(a.id)}
    assert live == {(s["account"], m["id"]) for m in org["members"]
                    for s in m.get("sub_accounts", [])}
    assert {b.external_id for b in backend.list_bindings("dy-youpin")} == {
        b["external_account"] for b in org["bindings"]
    }


def test_each_shard_registers_only_its_own_accounts(sharded: StackProject) -> None:
    first = outputs(sharded, "tmall-taobao")
    assert first["accounts"] == ["tb-youpin", "tm-youpin"]
    assert set(first["summary"]["per_account"]) == {"tb-youpin", "tm-youpin"}
    rest = outputs(sharded, "rest")
    assert set(rest["summary"]["per_account"]) == set(SHARDS["rest"])
    assert "department" not in rest["summary"]["resources"]  # trees are Taobao/Tmall only


def test_each_shard_previews_no_changes_after_the_other_applied(sharded: StackProject) -> None:
    for stack in SHARDS:
        result = sharded.pulumi.run("preview", "--expect-no-changes", "--refresh",
                                    "--stack", stack, check=False)
        assert result.returncode == 0, result.output


def test_a_mistyped_shard_fails_the_preview_before_any_change(sharded: StackProject) -> None:
    sharded.pulumi.run("stack", "init", "typo")
    sharded.pulumi.run("config", "set", "--stack", "typo", "shoporg:accounts", "tb-youpni")
    result = sharded.pulumi.run("preview", "--stack", "typo", check=False)
    assert result.returncode != 0
    assert "'tb-youpni' matches no account" in result.output
