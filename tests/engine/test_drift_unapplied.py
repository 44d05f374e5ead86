"""A change merged into org.yaml but not applied yet is not drift, on the real engine.

The example CI runs drift nightly and the apply in the afternoon, so every day a pull request
adds a joiner there is a night when org.yaml declares objects the stack never created. The
refresh plan has a ``create`` for each, as for an object deleted by hand; the stack's state
from before the refresh tells them apart: never in it is *not applied yet* (listed, exit 0,
no risk flag), in it and gone live is *deleted by hand* (drift, exit 2), as ever. Both the
engine-free refresh and ``--engine`` (``pulumi preview --refresh``) must say so.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.engine.conftest import StackProject

JOINER_SUB = "tb-youpin/qian-lu"
JOINER_GRANT = "tb-youpin/qian-lu@tb-youpin-shop"


def join(org: dict[str, Any]) -> None:
    """A joiner with one sub-account, merged, not applied (the shape of 杨磊's entry)."""
    org["members"].append({
        "id": "qian-lu", "name": "钱璐", "department": "ops", "email": "qian.lu@youpin-ec.com",
        "sub_accounts": [{"account": "tb-youpin", "login_name": "钱璐", "roles": ["tb-ops"]}],
    })


def drift(project: StackProject, *args: str) -> tuple[int, dict[str, Any], str]:
    result = project.shoporg("drift", "--format", "json", *args, check=False)
    assert result.returncode in (0, 2, 3), result.stdout + result.stderr
    markdown = project.shoporg("drift", *args, check=False).stdout
    report: dict[str, Any] = json.loads(result.stdout)
    return result.returncode, report, markdown


ENGINE = [pytest.param((), id="engine-free"), pytest.param(("--engine",), id="--engine")]


@pytest.mark.parametrize("args", ENGINE)
def test_a_joiner_merged_but_not_applied_is_not_drift(
    applied_copy: StackProject, args: tuple[str, ...],
) -> None:
    applied_copy.edit(join)
    code, report, markdown = drift(applied_copy, *args)
    assert report["drifted"] == [] and report["risks"] == [], report
    assert code == 0 and report["exit_code"] == 0 and report["drift"] is False
    assert {(o["kind"], o["name"]) for o in report["not_applied"]} == {
        ("sub_account", JOINER_SUB), ("role_grant", JOINER_GRANT)}
    assert all("钱璐" in o["text"] for o in report["not_applied"]), report["not_applied"]
    assert "deleted by hand" not in markdown and "Risky hand changes" not in markdown
    assert "Not applied yet (2)" in markdown and "shoporg up" in markdown


@pytest.mark.parametrize("args", ENGINE)
def test_a_joiner_not_applied_beside_a_sub_account_deleted_by_hand(
    applied_copy: StackProject, args: tuple[str, ...],
) -> None:
    """The hand deletion is drift exactly as before; the joiner stays out of it."""
    applied_copy.edit(join)
    applied_copy.shoporg("sandbox", "sub", "delete", "tm-youpin", "yang-lei")
    code, report, markdown = drift(applied_copy, *args)
    assert code == 2 and report["exit_code"] == 2
    missing = {d["name"] for d in report["drifted"] if d["what"] == "missing"}
    assert "tm-youpin/yang-lei" in missing and not missing & {JOINER_SUB, JOINER_GRANT}
    assert "removal" in {r["code"] for r in report["risks"]}
    assert {o["name"] for o in report["not_applied"]} == {JOINER_SUB, JOINER_GRANT}
    assert "deleted by hand" in markdown or "loses sub-account" in markdown
    assert "Not applied yet (2)" in markdown


def test_both_paths_report_the_same(applied_copy: StackProject) -> None:
    applied_copy.edit(join)
    applied_copy.shoporg("sandbox", "sub", "delete", "tm-youpin", "yang-lei")
    assert drift(applied_copy)[:2] == drift(applied_copy, "--engine")[:2]


def test_once_applied_the_joiner_deleted_by_hand_is_drift(applied_copy: StackProject) -> None:
    """After ``shoporg up`` the joiner is in the stack's state: gone live is a hand deletion."""
    applied_copy.edit(join)
    applied_copy.shoporg("up")
    applied_copy.shoporg("sandbox", "sub", "delete", "tb-youpin", "qian-lu")
    code, report, _ = drift(applied_copy)
    assert code == 2 and "not_applied" not in report
    assert JOINER_SUB in {d["name"] for d in report["drifted"] if d["what"] == "missing"}
