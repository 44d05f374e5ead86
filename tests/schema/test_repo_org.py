"""The repo's org.yaml is a valid, realistic example that exercises every concept."""

from __future__ import annotations

from pathlib import Path

from shoporg.platforms import PLATFORMS
from shoporg.schema import Org, load_org

ORG_YAML = Path(__file__).parents[2] / "org.yaml"


def _org() -> Org:
    return load_org(ORG_YAML)


def test_repo_org_yaml_is_valid() -> None:
    assert isinstance(_org(), Org)


def test_repo_org_yaml_points_editors_at_the_committed_schema() -> None:
    first = ORG_YAML.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=./schema/org.schema.json"
    assert (ORG_YAML.parent / "schema" / "org.schema.json").is_file()


def test_repo_org_yaml_has_an_account_on_every_platform() -> None:
    assert {a.platform for a in _org().accounts} == set(PLATFORMS)


def test_repo_org_yaml_has_the_departments_of_the_seed_guides() -> None:
    org = _org()
    tree = {d.name: [c.name for c in d.children] for d in org.departments}
    assert tree["客服部"] == ["售前", "售后"]
    assert {"运营部", "美工部", "财务部", "仓储部"} <= set(tree)


def test_repo_org_yaml_has_about_fifteen_members_some_of_whom_left() -> None:
    members = _org().members
    assert 14 <= len(members) <= 20
    assert sum(m.status == "left" and bool(m.sub_accounts) for m in members) >= 2


def test_repo_org_yaml_has_roles_on_every_platform() -> None:
    assert {r.platform for r in _org().roles} == set(PLATFORMS)


def test_repo_org_yaml_binds_douyin_accounts_of_all_three_kinds() -> None:
    assert {b.kind for b in _org().bindings} == {"official", "channel", "self_operated"}


def test_repo_org_yaml_has_a_shopee_merchant_in_two_sites_with_chat_groups() -> None:
    org = _org()
    shopee = [a for a in org.accounts if a.platform == "shopee"]
    sites = {s.site for a in shopee for s in a.shops}
    assert len(sites) >= 2
    shops = {s.id for a in shopee for s in a.shops}
    assert {g.shop for g in org.chat_groups} == shops


def test_repo_org_yaml_declares_toxic_pairs() -> None:
    assert _org().policies.toxic_pairs
