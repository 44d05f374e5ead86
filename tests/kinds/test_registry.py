"""The registry of kinds: one place per kind, and every layer reads it.

These tests enumerate ``shoporg.kinds.KINDS``: a kind that a layer forgets (no resource,
a provider that disagrees on word, identity or name, no live listing, no expansion)
fails here instead of silently missing from a report.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shoporg.backends.protocol import Backend
from shoporg.kinds import BY_TYPE, KINDS, Kind, Ref, desired_world, ref_of_urn
from shoporg.schema import load_org

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EVERY_KIND = FIXTURES / "org" / "valid" / "small-org-touching-every-kind.yaml"
TODAY = datetime.date(2026, 12, 1)


@pytest.mark.parametrize("kind", KINDS, ids=[k.word for k in KINDS])
def test_every_kind_has_a_provider_and_resource_that_agree_with_it(kind: Kind) -> None:
    provider = kind.provider_class()
    resource = kind.resource_class()
    assert provider.kind == kind.word
    assert provider.identity == kind.identity
    assert set(kind.identity) <= set(provider.args_model.model_fields)
    assert resource.__name__ == kind.type_name
    assert BY_TYPE[kind.type] is kind


@pytest.mark.parametrize("kind", KINDS, ids=[k.word for k in KINDS])
def test_every_kind_is_expanded_from_an_org_touching_every_kind(kind: Kind) -> None:
    world = desired_world(load_org(EVERY_KIND), TODAY)
    mine = [d for ref, d in world.items() if ref.kind == kind.word]
    assert mine, f"{kind.word}: org.yaml declares some, but the desired world has none"
    provider = kind.provider_class()
    for desired in mine:
        args = provider.args_model(**desired.inputs)  # the inputs are exactly its Args
        assert provider().object_name(args) == desired.ref.name


@pytest.mark.parametrize("kind", KINDS, ids=[k.word for k in KINDS])
def test_every_kind_lists_its_live_objects_for_drift(kind: Kind) -> None:
    calls: list[str] = []

    class Recorder:
        def __getattr__(self, name: str) -> Any:
            calls.append(name)
            return lambda *args: []

    list(kind.live(Recorder(), "acct"))  # type: ignore[arg-type]
    assert calls and all(c.startswith("list_") for c in calls)
    assert all(hasattr(Backend, c) for c in calls)


@pytest.mark.parametrize(
    ("kind", "parts", "name"),
    [
        pytest.param(KINDS[0], ("tb", "cs"), "tb/cs", id="a department is account/department"),
        pytest.param(KINDS[1], ("tb", "cs"), "tb/cs", id="a role is account/role"),
        pytest.param(KINDS[2], ("tb", "li"), "tb/li", id="a sub-account is account/member"),
        pytest.param(KINDS[3], ("tb", "li", "shop"), "tb/li@shop",
                     id="a grant is account/member@shop"),
        pytest.param(KINDS[4], ("dy", "channel", "x/1"), "dy/channel/x/1",
                     id="a binding is shop/kind/external and the external keeps its slashes"),
        pytest.param(KINDS[5], ("sp-my", "售前/VIP"), "sp-my/售前/VIP",
                     id="a chat group is shop/name and the name keeps its slashes"),
    ],
)
def test_a_name_formats_and_parses_back_to_its_parts(
    kind: Kind, parts: tuple[str, ...], name: str
) -> None:
    assert kind.ref(*parts) == Ref(kind.word, name)
    assert tuple(kind.parse(name).values()) == parts


def test_a_name_with_the_wrong_number_of_parts_is_refused() -> None:
    with pytest.raises(ValueError, match="names have 3 parts"):
        KINDS[3].ref("tb", "li")


def test_a_urn_maps_to_its_ref_and_a_foreign_one_to_none() -> None:
    urn = "urn:pulumi:dev::shoporg::pulumi-python:dynamic/shoporg:RoleGrant::tb/li@shop"
    assert ref_of_urn(urn) == Ref("role_grant", "tb/li@shop")
    assert ref_of_urn("urn:pulumi:dev::shoporg::pulumi:pulumi:Stack::shoporg-dev") is None


def test_the_desired_world_is_computed_without_importing_pulumi() -> None:
    code = (
        "import sys, datetime; from shoporg.kinds import desired_world; "
        "from shoporg.schema import load_org; "
        f"desired_world(load_org({str(EVERY_KIND)!r}), datetime.date(2026, 12, 1)); "
        "print('pulumi' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("recorded", ["org", "big-org"])
def test_names_types_and_inputs_are_those_of_the_code_before_the_registry(recorded: str) -> None:
    """Existing stacks must see no change: the recording was made by the code before."""
    data = json.loads((FIXTURES / "kinds" / f"{recorded}.before-registry.json").read_text())
    world = desired_world(load_org(Path(__file__).resolve().parents[2] / data["source"]),
                          datetime.date.fromisoformat(data["today"]))
    now = [{"type": next(k.type for k in KINDS if k.word == ref.kind), "name": ref.name,
            "inputs": dict(d.inputs)} for ref, d in world.items()]
    key = lambda o: (o["type"], o["name"])  # noqa: E731
    assert sorted(now, key=key) == sorted(data["objects"], key=key)


def test_the_sandbox_audit_names_objects_as_the_registry_does(tmp_path: Path) -> None:
    """An audit row, a review line and a drift line about one object carry one name."""
    from shoporg.backends.protocol import BindingSpec, GrantSpec, RoleSpec, SubAccountSpec
    from shoporg.backends.sandbox import SandboxBackend, SellerCenter
    from shoporg.kinds import ROLE, ROLE_GRANT, SHOP_BINDING, SUB_ACCOUNT

    backend = SandboxBackend(tmp_path / "sandbox.db", environ={})
    try:
        sc = SellerCenter(backend)
        sc.register_account("tb", "taobao", "测试", 5)
        sc.add_shop("tb", "tb-shop", "店", None)
        sc.register_account("dy", "douyin", "抖", 5)
        sc.add_shop("dy", "dy-shop", "抖店", None)
        backend.create_role("tb", RoleSpec("cs", "客服", ("ww-chat",)))
        backend.create_sub_account("tb", SubAccountSpec("li", "测试:李", "李"))
        backend.set_grant("tb", GrantSpec("li", "tb-shop", ("cs",)))
        backend.bind("dy", BindingSpec("dy-shop", "official", "dy-1"))
        rows = {(e.kind, e.name) for e in sc.audit_log() if e.actor != "seller-center"}
    finally:
        backend.close()
    for ref in (ROLE.ref("tb", "cs"), SUB_ACCOUNT.ref("tb", "li"),
                ROLE_GRANT.ref("tb", "li", "tb-shop"),
                SHOP_BINDING.ref("dy-shop", "official", "dy-1")):
        assert (ref.kind, ref.name) in rows, (ref, sorted(rows))
