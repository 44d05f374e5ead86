"""The taobao backend against ``shoporg sandbox serve``'s endpoint, in process over HTTP on
loopback: reads mapped to protocol values, writes through TOP, manual steps for the rest,
the endpoint's checks, and a provider's pending → active life cycle."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import shoporg.backends.taobao.backend as top_backend
from shoporg.backends.capabilities import TOP
from shoporg.backends.protocol import DepartmentSpec, GrantSpec, RoleSpec, SubAccountSpec
from shoporg.backends.sandbox import SandboxBackend, SellerCenter
from shoporg.backends.sandbox.top_server import TopServer, TopService
from shoporg.backends.taobao import Directory, TaobaoBackend, TopCredentials
from shoporg.backends.taobao.backend import canonical_codes, normalise_status, status_note
from shoporg.errors import AuthError, BackendError, ManualStepRequired, ThrottledError
from shoporg.platforms import CATALOGUES
from shoporg.schema import validate_text

ORG = """
company: 测试
accounts:
  - {id: tb, platform: taobao, nick: 优品, seat_quota: 5, shops: [{id: tb-shop, name: 优品店}]}
  - {id: sp, platform: shopee, nick: youpin, seat_quota: 5,
     shops: [{id: sp-my, name: MY, site: MY}]}
departments:
  - {id: cs, name: 客服部, children: [{id: cs-presale, name: 售前}]}
roles:
  - {id: tb-cs, platform: taobao, name: 客服, permissions: [ww-chat, trade-view]}
  - {id: tb-lead, platform: taobao, name: 主管, permissions: [ww, ww-chat]}
members:
  - id: zhang-wei
    name: 张伟
    department: cs-presale
    sub_accounts: [{account: tb, login_name: 张伟, roles: [tb-cs], dispatch: true}]
"""
CREDS = TopCredentials("app", "s3cret", "sess")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[SandboxBackend, str]]:
    org = validate_text(ORG, "org.yaml")
    seller = SandboxBackend(tmp_path / "s.db", instrumented=False)
    sc = SellerCenter(seller)
    for a in org.accounts:
        sc.register_account(a.id, a.platform, a.nick, a.seat_quota)
        for s in a.shops:
            sc.add_shop(a.id, s.id, s.name, s.site)
    service = TopService(SandboxBackend(tmp_path / "s.db", actor="top-api"),
                         app_key="app", app_secret="s3cret", session="sess")
    with TopServer(service) as server:
        yield seller, server.url
        for backend in _opened:
            backend.close()
        _opened.clear()
    seller.close()


_opened: list[TaobaoBackend] = []


def taobao(url: str, creds: TopCredentials = CREDS, **kw: object) -> TaobaoBackend:
    backend = TaobaoBackend(url, creds, Directory.from_org(validate_text(ORG, "org.yaml")),
                            ttl=0, **kw)  # type: ignore[arg-type]
    _opened.append(backend)
    return backend


STATUSES = [
    ("SubUserInfo 1 is active", "SubUserInfo", 1, "active"),
    ("SubUserInfo -1 is deleted: not there", "SubUserInfo", -1, None),
    ("SubUserInfo 2 (frozen) is disabled", "SubUserInfo", 2, "disabled"),
    ("SubAccountInfo 3 (punished) is disabled", "SubAccountInfo", 3, "disabled"),
    ("SubUserInfo 3 (punished, in account_status's domain) is disabled", "SubUserInfo", 3,
     "disabled"),
    ("SubUserFullInfo 3 (punished) is disabled", "SubUserFullInfo", 3, "disabled"),
    ("SubUserFullInfo -1 is deleted: not there", "SubUserFullInfo", -1, None),
    ("an undocumented code is read as disabled, never a crash", "SubUserInfo", 9, "disabled"),
    ("a code that is not a number is read as disabled", "SubUserFullInfo", "abc", "disabled"),
    ("SubUserFullInfo 2 (disabled by the seller) is disabled", "SubUserFullInfo", 2, "disabled"),
    ("SubUserFullInfo 1 is active", "SubUserFullInfo", "1", "active"),
]


@pytest.mark.parametrize(("case", "encoding", "value", "status"), STATUSES,
                         ids=[s[0] for s in STATUSES])
def test_the_three_top_status_encodings_normalise(
    case: str, encoding: str, value: object, status: str | None
) -> None:
    assert normalise_status(encoding, value) == status  # type: ignore[arg-type]


NOTES = [
    ("normal needs no note", "SubUserInfo", 1, None),
    ("frozen needs no note", "SubUserFullInfo", 2, None),
    ("punished says so", "SubUserFullInfo", 3, "TOP status 3: punished (处罚)"),
    ("an undocumented code is named with its encoding", "SubUserInfo", 9,
     "TOP status 9 is not documented for SubUserInfo (read as disabled)"),
]


@pytest.mark.parametrize(("case", "encoding", "value", "note"), NOTES, ids=[n[0] for n in NOTES])
def test_a_status_that_is_not_plainly_normal_or_frozen_is_reported_per_object(
    case: str, encoding: str, value: object, note: str | None
) -> None:
    assert status_note(encoding, value) == note  # type: ignore[arg-type]


CODES = [
    ("leaves stay leaves", ["ww-chat", "trade-view"], ["trade-view", "ww-chat"]),
    ("a complete subtree collapses to its root", ["ww"], ["ww"]),
    ("a subtree listed leaf by leaf collapses too", ["ww-chat", "ww-dispatch"], ["ww"]),
]


@pytest.mark.parametrize(("case", "granted", "canonical"), CODES, ids=[c[0] for c in CODES])
def test_the_smallest_codes_expand_to_what_top_reports(
    case: str, granted: list[str], canonical: list[str]
) -> None:
    cat = CATALOGUES["taobao"]
    assert list(canonical_codes(cat.expand(granted), cat)) == canonical
    assert cat.expand(canonical) == cat.expand(granted)


def test_reads_map_top_numbers_back_to_org_yaml_ids(world: tuple[SandboxBackend, str]) -> None:
    seller, url = world
    seller.create_department("tb", DepartmentSpec("d1", "客服部"))
    seller.create_department("tb", DepartmentSpec("d2", "售前", "d1"))
    seller.create_role("tb", RoleSpec("r1", "客服", ("ww-chat", "trade-view")))
    seller.create_sub_account("tb", SubAccountSpec("anything", "优品:张伟", "张伟", "d2",
                                                   dispatch=True))
    seller.set_grant("tb", GrantSpec("anything", "tb-shop", ("r1",)))
    tb = taobao(url)
    departments = sorted((d.id, d.parent_id, d.member_ids) for d in tb.list_departments("tb"))
    assert departments == [("cs", None, ()), ("cs-presale", "cs", ("zhang-wei",))]
    sub = tb.get_sub_account("tb", "zhang-wei")
    assert sub is not None
    assert (sub.login, sub.department_id, sub.dispatch, sub.status) == (
        "优品:张伟", "cs-presale", True, "active")
    role = tb.get_role("tb", "tb-cs")
    assert role is not None and role.permissions == ("trade-view", "ww-chat")
    assert [g.role_ids for g in tb.list_grants("tb")] == [("tb-cs",)]


def test_a_role_is_created_and_a_sub_account_disabled_through_top(
    world: tuple[SandboxBackend, str],
) -> None:
    seller, url = world
    seller.create_sub_account("tb", SubAccountSpec("zhang-wei", "优品:张伟", "张伟"))
    tb = taobao(url)
    role = tb.create_role("tb", RoleSpec("tb-lead", "主管", ("ww", "ww-chat")))
    assert role.id == "tb-lead" and role.permissions == ("ww", "ww-chat")
    assert tb.set_sub_account_status("tb", "zhang-wei", "disabled").status == "disabled"
    actors = {(e.actor, e.operation) for e in SellerCenter(seller).audit_log()}
    assert {("top-api", "create_role"), ("top-api", "set_sub_account_status")} <= actors
    assert tb.calls["taobao.sellercenter.role.add"] == 1


MANUAL = [
    ("creating a sub-account", "taobao", "sub_account", "create",
     lambda tb: tb.create_sub_account("tb", SubAccountSpec("li-na", "优品:李娜", "李娜", "cs"))),
    ("creating a department", "taobao", "department", "create",
     lambda tb: tb.create_department("tb", DepartmentSpec("ops", "运营部"))),
    ("granting roles", "taobao", "role_grant", "create",
     lambda tb: tb.set_grant("tb", GrantSpec("zhang-wei", "tb-shop", ("tb-cs",)))),
]


@pytest.mark.parametrize(("case", "platform", "kind", "operation", "call"), MANUAL,
                         ids=[m[0] for m in MANUAL])
def test_what_no_api_can_do_is_a_manual_step_with_a_runbook(
    world: tuple[SandboxBackend, str], case: str, platform: str, kind: str, operation: str,
    call: object,
) -> None:
    _, url = world
    with pytest.raises(ManualStepRequired) as caught:
        call(taobao(url))  # type: ignore[operator]
    step = caught.value.runbook
    assert (step.platform, step.kind, step.operation) == (platform, kind, operation)
    assert step.page and step.text and step.fields


def test_a_write_the_capability_table_does_not_automate_is_a_manual_step(
    world: tuple[SandboxBackend, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The writes ask capabilities.TOP: a pair it stops listing is a step, never a TOP call.
    seller, url = world
    seller.create_sub_account("tb", SubAccountSpec("zhang-wei", "优品:张伟", "张伟"))
    monkeypatch.setattr(top_backend, "TOP", replace(TOP, automated=frozenset()))
    tb = taobao(url)
    writes = [
        ("role", "create", lambda: tb.create_role("tb", RoleSpec("tb-lead", "主管", ("ww",)))),
        ("sub_account", "update",
         lambda: tb.set_sub_account_status("tb", "zhang-wei", "disabled")),
    ]
    for kind, operation, call in writes:
        with pytest.raises(ManualStepRequired) as caught:
            call()
        step = caught.value.runbook
        assert (step.platform, step.kind, step.operation) == ("taobao", kind, operation)
    assert not {"taobao.sellercenter.role.add", "taobao.subuser.info.update"} & set(tb.calls)


def test_an_account_top_cannot_serve_is_listed_and_reads_empty_without_asking_top(
    world: tuple[SandboxBackend, str],
) -> None:
    # Never routed to TOP, but `shoporg import --backend taobao --org` reads a whole org.yaml.
    _, url = world
    tb = taobao(url)
    sp = next(a for a in tb.list_accounts() if a.id == "sp")
    assert (sp.platform, sp.seats_used, [s.id for s in sp.shops]) == ("shopee", 0, ["sp-my"])
    tb.reset_calls()
    for read in (tb.list_departments, tb.list_roles, tb.list_sub_accounts, tb.list_grants,
                 tb.list_bindings, tb.list_chat_groups):
        assert read("sp") == []
    assert tb.calls == {}


def test_a_manual_sub_account_runbook_names_the_page_fields_and_person(
    world: tuple[SandboxBackend, str],
) -> None:
    _, url = world
    with pytest.raises(ManualStepRequired) as caught:
        taobao(url).create_sub_account(
            "tb", SubAccountSpec("li-na", "优品:李娜", "李娜", "cs-presale"), "pw-never-shown")
    step = caught.value.runbook
    assert step.person == "李娜 (li-na)"
    assert step.fields["department (部门)"] == "客服部 › 售前"
    assert step.fields["工号 (employee no.)"] == "li-na"
    assert "子账号管理" in step.page and "pw-never-shown" not in step.text


ENDPOINT = [
    ("a wrong secret fails the signature check", TopCredentials("app", "wrong", "sess"), {},
     AuthError, "shoporg:taobaoAppSecret"),
    ("a wrong session names the session key", TopCredentials("app", "s3cret", "nope"), {},
     AuthError, "shoporg:taobaoSession"),
    ("a clock 11 minutes off is refused", CREDS,
     {"now": lambda: datetime.now(UTC) - timedelta(minutes=11)}, BackendError, "Timestamp"),
]


@pytest.mark.parametrize(("case", "creds", "kw", "kind", "text"), ENDPOINT,
                         ids=[e[0] for e in ENDPOINT])
def test_the_endpoint_checks_signature_session_and_timestamp(
    world: tuple[SandboxBackend, str], case: str, creds: TopCredentials, kw: dict[str, object],
    kind: type[BackendError], text: str,
) -> None:
    _, url = world
    with pytest.raises(kind, match=text):
        taobao(url, creds, **kw).list_roles("tb")


@pytest.mark.parametrize("method", ["md5", "hmac", "hmac-sha256"])
def test_every_sign_method_is_accepted_end_to_end(
    world: tuple[SandboxBackend, str], method: str
) -> None:
    _, url = world
    assert taobao(url, sign_method=method).list_roles("tb") == []


def test_a_throttle_arrives_as_code_7_with_the_wait_plus_one(
    world: tuple[SandboxBackend, str],
) -> None:
    seller, url = world
    from shoporg.backends.sandbox import FaultConfig

    SellerCenter(seller).set_faults(FaultConfig.from_mapping(
        {"throttle_rate": "1", "retry_after": "3", "seed": "1"}))
    waits: list[float] = []
    with pytest.raises(ThrottledError) as caught:
        taobao(url, attempts=3, sleep=waits.append).list_roles("tb")
    assert caught.value.retry_after == 4
    assert waits == [4, 4]  # retried after the wait TOP asked for, then given up
