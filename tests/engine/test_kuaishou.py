"""Kuaishou end to end on the real engine: ``pulumi up`` moves a 快手小店's staff by API.

A stack whose Kuaishou account is served by the Kuaishou connector, pointed through stack
config alone at ``shoporg sandbox serve --protocol kuaishou`` (the open platform's protocol
over HTTP on loopback). The seller has the roles 客服 and 运营 (a Kuaishou seller's roles
are made in its seller centre; the API lists them). One company's weeks, in order, each an
``up`` and what the seller centre then shows: the first apply, a joiner, a role change, a
leaver, a hand change that ``shoporg drift`` names, and ``shoporg import`` reading the shop
back into org.yaml. No step of any of them is a manual one.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from shoporg.backends.sandbox import SandboxBackend
from shoporg.backends.sandbox.kuaishou_staff import KsStaff, KuaishouStaff
from shoporg.schema import validate_text
from tests.engine.conftest import StackProject, served

ORG = Path(__file__).resolve().parents[1] / "fixtures" / "kuaishou" / "org.yaml"
SELLER = 1001
ROLES = {11: "客服", 12: "运营"}
APP_KEY = "ks-engine-app"
SIGN_SECRET = "ks-sign-" + secrets.token_hex(8)
TOKEN = "ks-token-" + secrets.token_hex(8)
LI_NA, WANG_FANG = "13800010002", "13900020003"


def staff_of(project: StackProject) -> dict[str, KsStaff]:
    """The seller's staff by login phone, removed ones left out, as its seller centre shows."""
    backend = SandboxBackend(project.sandbox_path, instrumented=False)
    try:
        found, _ = KuaishouStaff(backend).staff_list(SELLER, include_disabled=True)
        return {s.phone: s for s in found}
    finally:
        backend.close()


def hand(project: StackProject) -> tuple[SandboxBackend, KuaishouStaff]:
    backend = SandboxBackend(project.sandbox_path, instrumented=False, actor="seller-center")
    return backend, KuaishouStaff(backend)


@pytest.fixture(scope="module")
def kuaishou(engine: None, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[StackProject]:
    """The Kuaishou-only project, its seller registered with two roles, the endpoint served
    and the stack's Kuaishou account routed to it through stack config."""
    project = StackProject(tmp_path_factory.mktemp("kuaishou"), org=ORG)
    backend, staff = hand(project)
    staff.register_seller(SELLER, "优品数码快手小店")
    for role_id, name in ROLES.items():
        staff.add_role(SELLER, role_id, name)
    backend.close()
    for key in ("SHOPORG_KUAISHOU_APP_KEY", "SHOPORG_KUAISHOU_SIGN_SECRET",
                "SHOPORG_KUAISHOU_ACCESS_TOKEN", "SHOPORG_KUAISHOU_ENDPOINT"):
        project.pulumi.env.pop(key, None)  # the stack config must be what is used
    with served(project, "--protocol", "kuaishou", "--app-key", APP_KEY, "--app-secret",
                SIGN_SECRET, "--token", json.dumps({str(SELLER): TOKEN})) as url:
        config = project.pulumi
        config.run("config", "set", "shoporg:connectors", "{ks-youpin: kuaishou}")
        config.run("config", "set", "shoporg:kuaishouEndpoint", url)
        config.run("config", "set", "shoporg:kuaishouAppKey", APP_KEY)
        config.run("config", "set", "--secret", "shoporg:kuaishouSignSecret", SIGN_SECRET)
        config.run("config", "set", "--secret", "shoporg:kuaishouAccessToken",
                   json.dumps({"ks-youpin": TOKEN}))
        yield project


def open_steps(project: StackProject) -> list[dict[str, Any]]:
    work = json.loads(project.shoporg("tasks", "--format", "json").stdout)
    return [s for p in work["platforms"] for a in p["accounts"] for g in a["pages"]
            for person in g["people"] for s in person["steps"]]


def member(org: dict[str, Any], member_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(m for m in org["members"] if m["id"] == member_id)
    return found


def test_each_week_is_one_up_that_moves_the_staff_by_api(kuaishou: StackProject) -> None:
    """The weeks depend on each other (a company's history), so they are one test."""
    project = kuaishou
    # The first apply: 李娜 is created with her role, by API.
    result = project.up()
    assert result.returncode == 0, result.stdout + result.stderr
    staff = staff_of(project)
    assert set(staff) == {LI_NA}
    assert staff[LI_NA].role_ids == (11,) and staff[LI_NA].nick_name == "李娜"
    assert staff[LI_NA].remarks == "li-na" and not staff[LI_NA].disabled
    assert open_steps(project) == []

    # A joiner: 王芳 on the shop as 客服, one up.
    project.edit(lambda org: org["members"].append({
        "id": "wang-fang", "name": "王芳", "department": "cs",
        "sub_accounts": [{"account": "ks-youpin", "login_name": WANG_FANG, "roles": ["ks-cs"]}],
    }))
    project.up()
    staff = staff_of(project)
    assert staff[WANG_FANG].role_ids == (11,) and staff[WANG_FANG].contact_phone == WANG_FANG

    # A role change: 李娜 also runs the shop (运营), one up.
    project.edit(lambda org: member(org, "li-na")["sub_accounts"][0].update(
        roles=["ks-cs", "ks-ops"]))
    project.up()
    assert staff_of(project)[LI_NA].role_ids == (11, 12)

    # A leaver: 王芳 leaves, one up stops her (she keeps her login and roles, disabled).
    project.edit(lambda org: member(org, "wang-fang").update(status="left"))
    project.up()
    staff = staff_of(project)
    assert staff[WANG_FANG].disabled and staff[LI_NA].role_ids == (11, 12)
    assert project.preview("--expect-no-changes").returncode == 0
    assert open_steps(project) == []

    # A hand change in the seller centre: 王芳 started again by someone. Drift names it.
    backend, seller_centre = hand(project)
    seller_centre.hand_set_disabled(SELLER, staff[WANG_FANG].staff_user_id, False)
    backend.close()
    drift = project.shoporg("drift", "--format", "json", check=False)
    assert drift.returncode == 2, drift.stdout + drift.stderr
    report = json.loads(drift.stdout)
    assert "ks-youpin/wang-fang" in {d["name"] for d in report["drifted"]}, report
    # An up that refreshes first puts it back.
    project.up("--refresh")
    assert staff_of(project)[WANG_FANG].disabled

    # Nothing of it was a manual step; no secret reached the state or the ledger.
    assert open_steps(project) == []
    state = project.pulumi.run("stack", "export").stdout
    assert SIGN_SECRET not in state and TOKEN not in state


def test_import_reads_the_kuaishou_shop_back_into_org_yaml(kuaishou: StackProject) -> None:
    """``shoporg import --backend kuaishou --org org.yaml`` with the stack's credentials: the
    staff with their roles, one added by hand in the seller centre too, as an org.yaml that
    validates (Kuaishou lists a seller's roles but not what they grant: the permissions come
    from the org.yaml given, by role name)."""
    project = kuaishou
    if not staff_of(project):
        project.up()
    backend, seller_centre = hand(project)
    seller_centre.create(SELLER, contact_phone="13700030004", nick_name="赵敏", role_ids=[12],
                         phone="13700030004", remarks="zhao-min")
    backend.close()
    out = project.shoporg("import", "--backend", "kuaishou", "--org", "org.yaml")
    text = out.stdout
    validate_text(text, "org.yaml")
    org = yaml.safe_load(text)
    subs = {(m["id"], s["login_name"]): s for m in org["members"] for s in m["sub_accounts"]}
    assert subs[("li-na", LI_NA)]["roles"] == ["ks-cs", "ks-ops"], text
    assert subs[("zhao-min", "13700030004")]["roles"] == ["ks-ops"], text
    assert {r["id"] for r in org["roles"]} == {"ks-cs", "ks-ops"}
    assert "imported" in out.stderr and SIGN_SECRET not in text + out.stderr
