"""The TOP and ledger connectors raise a manual step exactly where
``shoporg.backends.capabilities`` says (the table the review lists manual steps from).

Every (kind, operation) of the registry is driven against each connector on the accounts it
can be routed (TOP: a Taobao one; the ledger: a Taobao and a Shopee one), whose objects exist
(so an update, a delete, a disable or an enable is asked of something that is there):
``ManualStepRequired`` must be raised iff the declaration calls the pair manual, and an
automated write must come back done.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from shoporg.backends.capabilities import (
    CAPABILITIES,
    LEDGER,
    TOP,
    Capability,
    Operation,
    every_pair,
)
from shoporg.backends.ledger import Ledger
from shoporg.backends.ledger.backend import LedgerBackend
from shoporg.backends.protocol import (
    BindingSpec,
    ChatGroupSpec,
    DepartmentSpec,
    GrantSpec,
    RoleSpec,
    SubAccountSpec,
)
from shoporg.backends.sandbox import SandboxBackend, SellerCenter
from shoporg.backends.sandbox.top_server import TopServer, TopService
from shoporg.backends.taobao import Directory, TaobaoBackend, TopCredentials
from shoporg.errors import ManualStepRequired, RuleViolation
from shoporg.kinds import (
    BY_WORD,
    CHAT_GROUP,
    DEPARTMENT,
    ROLE,
    ROLE_GRANT,
    SHOP_BINDING,
    SUB_ACCOUNT,
    Ref,
)
from shoporg.schema import Org, validate_text

ORG = """
company: 测试
accounts:
  - {id: tb, platform: taobao, nick: 优品, seat_quota: 5, shops: [{id: tb-shop, name: 优品店}]}
  - {id: sp, platform: shopee, nick: youpin, seat_quota: 5,
     shops: [{id: sp-my, name: MY, site: MY}]}
departments: [{id: cs, name: 客服部}, {id: ops, name: 运营部}]
roles:
  - {id: tb-cs, platform: taobao, name: 客服, permissions: [ww-chat]}
members:
  - {id: li-na, name: 李娜, department: cs, sub_accounts: [{account: tb, login_name: 李娜}]}
  - {id: wang-fang, name: 王芳, department: cs, sub_accounts: [{account: tb, login_name: 王芳}]}
"""
SHOPS = {"tb": "tb-shop", "sp": "sp-my"}
LI_NA = SubAccountSpec("li-na", "优品:李娜", "李娜", "cs")  # active, holds tb-cs on the shop
WANG_FANG = SubAccountSpec("wang-fang", "优品:王芳", "王芳", "cs")  # disabled


@dataclass(frozen=True)
class Write:
    """One write a connector is asked for; ``changes``: the inputs an update changes."""

    call: Callable[[Any, str, str], object]  # (backend, account, shop)
    changes: tuple[str, ...] = ()


WRITES: dict[tuple[str, Operation], Write] = {
    (DEPARTMENT.word, "create"): Write(
        lambda b, a, s: b.create_department(a, DepartmentSpec("ops", "运营部"))),
    (DEPARTMENT.word, "update"): Write(
        lambda b, a, s: b.update_department(a, DepartmentSpec("cs", "客服中心")), ("name",)),
    (DEPARTMENT.word, "delete"): Write(lambda b, a, s: b.delete_department(a, "cs")),
    (ROLE.word, "create"): Write(
        lambda b, a, s: b.create_role(a, RoleSpec("tb-lead", "主管", ("ww", "ww-chat")))),
    (ROLE.word, "update"): Write(
        lambda b, a, s: b.update_role(a, RoleSpec("tb-cs", "客服", ("ww-chat", "trade-view"))),
        ("permissions",)),
    (ROLE.word, "delete"): Write(lambda b, a, s: b.delete_role(a, "tb-cs")),
    (SUB_ACCOUNT.word, "create"): Write(lambda b, a, s: b.create_sub_account(
        a, SubAccountSpec("zhao-lei", "优品:赵磊", "赵磊", "cs"), "never-shown")),
    (SUB_ACCOUNT.word, "update"): Write(
        lambda b, a, s: b.update_sub_account(a, replace(LI_NA, display_name="李娜娜")),
        ("display_name",)),
    (SUB_ACCOUNT.word, "delete"): Write(lambda b, a, s: b.delete_sub_account(a, "li-na")),
    (SUB_ACCOUNT.word, "disable"): Write(
        lambda b, a, s: b.set_sub_account_status(a, "li-na", "disabled")),
    (SUB_ACCOUNT.word, "enable"): Write(
        lambda b, a, s: b.set_sub_account_status(a, "wang-fang", "active")),
    (ROLE_GRANT.word, "create"): Write(
        lambda b, a, s: b.set_grant(a, GrantSpec("wang-fang", s, ("tb-cs",)))),
    (ROLE_GRANT.word, "update"): Write(
        lambda b, a, s: b.set_grant(a, GrantSpec("li-na", s, ("tb-cs", "tb-lead"))),
        ("role_ids",)),
    (ROLE_GRANT.word, "delete"): Write(lambda b, a, s: b.delete_grant(a, "li-na", s)),
    (SHOP_BINDING.word, "create"): Write(
        lambda b, a, s: b.bind(a, BindingSpec(s, "channel", "ext-new", "douyin"))),
    (SHOP_BINDING.word, "delete"): Write(lambda b, a, s: b.unbind(a, s, "ext-old")),
    (CHAT_GROUP.word, "create"): Write(
        lambda b, a, s: b.set_chat_group(a, ChatGroupSpec(s, "售后", ("li-na",)))),
    (CHAT_GROUP.word, "update"): Write(
        lambda b, a, s: b.set_chat_group(a, ChatGroupSpec(s, "售前", ("li-na", "wang-fang"))),
        ("member_ids",)),
    (CHAT_GROUP.word, "delete"): Write(lambda b, a, s: b.delete_chat_group(a, s, "售前")),
}


def declared_manual(capability: Capability, kind: str, operation: Operation, platform: str,
                    changes: tuple[str, ...]) -> bool:
    """What the review concludes for the same write (shoporg.reports.manual_steps)."""
    if operation == "update":
        return bool(capability.manual_inputs(kind, platform, changes))
    return not capability.automates(kind, operation, platform)


# --- the two connectors, on accounts whose objects exist ----------------------------------


@pytest.fixture
def top(tmp_path: Path) -> Iterator[TaobaoBackend]:
    """TOP over the sandbox's endpoint; on Taobao li-na and wang-fang exist. (A Shopee account
    is never routed to TOP — ``BackendSettings.connector_for`` — so it is not driven here.)"""
    seller = SandboxBackend(tmp_path / "s.db", instrumented=False)
    sc = SellerCenter(seller)
    sc.register_account("tb", "taobao", "优品", 5)
    sc.add_shop("tb", "tb-shop", "优品店", None)
    seller.create_department("tb", DepartmentSpec("cs", "客服部"))
    seller.create_role("tb", RoleSpec("tb-cs", "客服", ("ww-chat",)))
    seller.create_sub_account("tb", LI_NA)
    seller.create_sub_account("tb", WANG_FANG)
    seller.set_sub_account_status("tb", "wang-fang", "disabled")
    seller.set_grant("tb", GrantSpec("li-na", "tb-shop", ("tb-cs",)))
    service = TopService(SandboxBackend(tmp_path / "s.db", actor="top-api"),
                         app_key="app", app_secret="s3cret", session="sess")
    with TopServer(service) as server:
        backend = TaobaoBackend(server.url, TopCredentials("app", "s3cret", "sess"),
                                Directory.from_org(org()), ttl=0)
        yield backend
        backend.close()
    seller.close()


def org() -> Org:
    return validate_text(ORG, "org.yaml")


@pytest.fixture
def ledger(tmp_path: Path) -> LedgerBackend:
    """The ledger with a confirmed step for every object that exists, on both accounts."""
    store = Ledger(tmp_path / "ledger.db")
    for account, shop in SHOPS.items():
        sub = {"login": LI_NA.login, "display_name": "李娜", "department_id": "cs",
               "email": None, "phone": None, "dispatch": False, "two_factor": False}
        exists: list[tuple[Ref, dict[str, Any]]] = [
            (DEPARTMENT.ref(account, "cs"),
             {"department_id": "cs", "name": "客服部", "parent_id": None}),
            (ROLE.ref(account, "tb-cs"),
             {"role_id": "tb-cs", "name": "客服", "permissions": ["ww-chat"], "description": ""}),
            (SUB_ACCOUNT.ref(account, "li-na"), {**sub, "member_id": "li-na", "enabled": True}),
            (SUB_ACCOUNT.ref(account, "wang-fang"),
             {**sub, "member_id": "wang-fang", "login": WANG_FANG.login, "enabled": False}),
            (ROLE_GRANT.ref(account, "li-na", shop),
             {"member_id": "li-na", "shop_id": shop, "role_ids": ["tb-cs"]}),
            (SHOP_BINDING.ref(shop, "channel", "ext-old"),
             {"shop_id": shop, "kind": "channel", "external_id": "ext-old", "source": "douyin"}),
            (CHAT_GROUP.ref(shop, "售前"),
             {"shop_id": shop, "name": "售前", "member_ids": ["li-na"]}),
        ]
        for ref, desired in exists:
            step = store.raise_step(kind=ref.kind, name=ref.name, account=account,
                                    platform="taobao" if account == "tb" else "shopee",
                                    operation="create", desired=desired, page="p", person=None,
                                    runbook="r")
            store.mark([step.id], "done", by="test")
    return LedgerBackend(store, org())


CONNECTORS = [
    # (case, connector fixture, capability, account, platform)
    ("TOP on a Taobao account", "top", TOP, "tb", "taobao"),
    ("the ledger on a Shopee account", "ledger", LEDGER, "sp", "shopee"),
    ("the ledger on a Taobao account", "ledger", LEDGER, "tb", "taobao"),
]


def test_every_kind_and_operation_of_the_registry_has_a_write_driven_here() -> None:
    assert set(WRITES) == set(every_pair())
    assert set(CAPABILITIES) == {"sandbox", "taobao", "kuaishou", "ledger"}
    assert all(CAPABILITIES["sandbox"].automates(k, op, "douyin") for k, op in every_pair())


@pytest.mark.parametrize("pair", every_pair(), ids=[f"{k} {op}" for k, op in every_pair()])
@pytest.mark.parametrize(("case", "fixture", "capability", "account", "platform"), CONNECTORS,
                         ids=[c[0] for c in CONNECTORS])
def test_a_write_raises_a_manual_step_exactly_where_the_declaration_says_so(
    case: str, fixture: str, capability: Capability, account: str, platform: str,
    pair: tuple[str, Operation], request: pytest.FixtureRequest,
) -> None:
    backend = request.getfixturevalue(fixture)
    kind, operation = pair
    write = WRITES[pair]
    manual = declared_manual(capability, kind, operation, platform, write.changes)
    feature = BY_WORD[kind].feature
    if capability.platforms and feature is not None and not feature.applies_to(platform):
        # A connector with an API somewhere refuses what this seller centre does not have at
        # all with the kind's feature rule: no page to do it on, so no manual step.
        with pytest.raises(RuleViolation) as refused:
            write.call(backend, account, SHOPS[account])
        assert refused.value.rule == feature.code and feature.message in str(refused.value)
        return
    try:
        result = write.call(backend, account, SHOPS[account])
    except ManualStepRequired as step:
        assert manual, f"{case}: {kind} {operation} is declared automated but raised a step"
        assert step.runbook.kind == kind and step.runbook.page
        assert "never-shown" not in step.runbook.text
    else:
        assert not manual, f"{case}: {kind} {operation} is declared manual but was done"
        assert result is not None or operation == "delete"


SUB_ACCOUNT_INPUTS = [
    # (input an update changes alone, the spec with it changed, how the read-back shows it)
    ("dispatch", replace(LI_NA, dispatch=True), lambda s: s.dispatch),
    ("display_name", replace(LI_NA, display_name="李娜娜"), lambda s: s.display_name == "李娜娜"),
    ("department_id", replace(LI_NA, department_id=None), lambda s: s.department_id is None),
    ("phone", replace(LI_NA, phone="13800000000"), lambda s: s.phone == "13800000000"),
    ("email", replace(LI_NA, email="li.na@example.com"), lambda s: s.email is not None),
]


@pytest.mark.parametrize(("field", "spec", "shows"), SUB_ACCOUNT_INPUTS,
                         ids=[f"changing only {c[0]}" for c in SUB_ACCOUNT_INPUTS])
def test_top_sets_by_api_exactly_the_sub_account_inputs_declared_and_nothing_else(
    field: str, spec: SubAccountSpec, shows: Callable[[Any], bool], top: TaobaoBackend,
) -> None:
    by_api = field in TOP.inputs_by_api(SUB_ACCOUNT.word, "taobao")
    try:
        top.update_sub_account("tb", spec)
    except ManualStepRequired:
        assert not by_api, f"{field} is declared settable by API but raised a step"
    else:
        assert by_api, f"{field} is declared manual but no step was raised"
        live = top.get_sub_account("tb", "li-na")
        assert live is not None and shows(live)  # done, not silently dropped
