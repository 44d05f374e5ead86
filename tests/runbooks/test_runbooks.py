"""Runbooks: the manual steps rendered from ``providers/runbooks/templates/<platform>/*.j2``
for the person who does them, and their structured ``manual_step`` form."""

from __future__ import annotations

from typing import Any

import jinja2
import jinja2.meta
import pytest

from shoporg.errors import ManualStepRequired
from shoporg.platforms.rules import RULES_BY_CODE
from shoporg.runbooks import (
    KIND_LABELS,
    PAGES,
    PLATFORM_NAMES,
    TEMPLATES,
    THIRD_PARTIES,
    UNNAMED_PERSON,
    Operation,
    ThirdParty,
    _environment,
    manual_step,
    runbook,
)

PERSON = "张伟 (zhang-wei)"


def case(
    platform: str, kind: str, operation: Operation, account: str, name: str,
    fields: dict[str, object | None], template: str, marker: str, *, names_object: bool = True,
    names_person: bool = True,
) -> Any:
    """One rendered runbook: ``template`` is the file it must come from, ``marker`` a phrase
    only that template says."""
    article = "an" if platform[0] in "aeiou" else "a"
    return pytest.param(
        platform, kind, operation, account, name, fields, template, marker, names_object,
        names_person, id=f"{article} {platform} {kind} {operation} comes from {template}",
    )


CASES = [
    case("taobao", "sub_account", "create", "tb", "tb/zhang-wei",
         {"login": "测试数码:张伟", "department": "售前"},
         "taobao/sub_account_create.j2", "click 新建员工 and create the sub-account",
         names_object=False),
    case("taobao", "role_grant", "create", "tb", "tb/zhang-wei@tb-shop",
         {"shop": "tb-shop", "roles": ["tb-cs", "tb-refund"]},
         "taobao/role_grant_create.j2", f"give {PERSON} exactly these roles",
         names_object=False),
    case("taobao", "role_grant", "update", "tb", "tb/zhang-wei@tb-shop",
         {"shop": "tb-shop", "roles": ["tb-cs"]},
         "taobao/role_grant_update.j2", f"give {PERSON} exactly these roles",
         names_object=False),
    case("taobao", "department", "create", "tb", "tb/cs", {"name": "客服部", "parent": "(top)"},
         "taobao/create.j2", "add the department (部门) tb/cs", names_person=False),
    case("taobao", "role", "update", "tb", "tb/tb-cs", {"permissions": ["ww-chat"]},
         "taobao/update.j2", "edit the role (岗位/角色) tb/tb-cs", names_person=False),
    case("taobao", "sub_account", "delete", "tb", "tb/zhang-wei", {"login": "测试数码:张伟"},
         "taobao/delete.j2", "delete the sub-account (子账号) tb/zhang-wei"),
    case("tmall", "sub_account", "create", "tm", "tm/zhang-wei", {"login": "测试天猫:张伟"},
         "taobao/sub_account_create.j2", "click 新建员工", names_object=False),
    case("shopee", "sub_account", "create", "sp", "sp/zhang-wei", {"login": "zhangwei"},
         "shopee/create.j2", "(main account sp), add the sub-account (子账号) sp/zhang-wei"),
    case("shopee", "chat_group", "update", "sp", "sp-my/售前", {"members": ["zhang-wei"]},
         "shopee/update.j2", "change the chat group sp-my/售前", names_person=False),
    case("shopee", "role", "delete", "sp", "sp/sp-cs", {"name": "Customer service"},
         "shopee/delete.j2", "remove the role (岗位/角色) sp/sp-cs", names_person=False),
    case("ozon", "sub_account", "create", "oz", "oz/wang-fang",
         {"login": "wang.fang", "email": "wang.fang@example.com"},
         "ozon/sub_account_create.j2", f"invite {PERSON}", names_object=False),
    case("ozon", "role", "create", "oz", "oz/oz-manager", {"permissions": ["products"]},
         "ozon/create.j2", "add the role (岗位/角色) oz/oz-manager", names_person=False),
    case("ozon", "role_grant", "update", "oz", "oz/wang-fang@oz-shop", {"roles": ["oz-manager"]},
         "ozon/update.j2", "change the role grant oz/wang-fang@oz-shop"),
    case("ozon", "sub_account", "delete", "oz", "oz/wang-fang", {"login": "wang.fang"},
         "ozon/delete.j2", "remove the sub-account (子账号) oz/wang-fang"),
    case("douyin", "shop_binding", "create", "dy", "dy-shop/channel/tt-555",
         {"shop": "dy-shop", "kind": "channel", "account": "tt-555", "source": "toutiao"},
         "douyin/shop_binding_create.j2", "bind the external account",
         names_object=False, names_person=False),
    case("douyin", "sub_account", "create", "dy", "dy/li-na", {"login": "测试-李娜"},
         "douyin/create.j2", "add the sub-account (子账号) dy/li-na"),
    case("douyin", "role_grant", "update", "dy", "dy/li-na@dy-shop", {"roles": ["dy-cs"]},
         "douyin/update.j2", "change the role grant dy/li-na@dy-shop"),
    case("douyin", "shop_binding", "delete", "dy", "dy-shop/channel/tt-555",
         {"kind": "channel"}, "douyin/delete.j2", "remove the account binding",
         names_person=False),
    case("kuaishou", "role", "create", "ks", "ks/ks-cs",
         {"name": "客服", "permissions": ["cs-reply"]},
         "kuaishou/role_create.j2", "Give it exactly this name", names_object=False,
         names_person=False),
    case("kuaishou", "sub_account", "create", "ks", "ks/li-na",
         {"login": "13800010002", "roles": ["客服"]},
         "kuaishou/create.j2", "add the sub-account (子账号) ks/li-na"),
    case("kuaishou", "sub_account", "update", "ks", "ks/li-na", {"nickname": "李娜"},
         "kuaishou/update.j2", "its update call takes the contact phone"),
    case("kuaishou", "role", "delete", "ks", "ks/ks-cs", {"name": "客服"},
         "kuaishou/delete.j2", "remove the role (岗位/角色) ks/ks-cs", names_person=False),
]  # fmt: skip


def _templates() -> set[str]:
    return {
        p.relative_to(TEMPLATES).as_posix()
        for p in TEMPLATES.rglob("*.j2")
        if not p.name.startswith("_")
    }


#: Steps that wait on a third party: (platform, kind, waits_on, fields, template, marker).
THIRD_PARTY_CASES = [
    pytest.param("douyin", "shop_binding", "consent",
                 {"shop": "dy-shop", "external account": "creator-9"},
                 "douyin/shop_binding_consent.j2", "accept the invitation in their own Douyin app",
                 id="a creator's consent is asked of the creator in their own app"),
    pytest.param("shopee", "sub_account", "activation", {"login": "zhangwei"},
                 "shopee/activation.j2", "The next `up` then adds the sub-account",
                 id="a sub-account under an unactivated account waits for the activation"),
    pytest.param("shopee", "role_grant", "activation", {"shop": "sp-my", "roles": "sp-cs"},
                 "shopee/activation.j2", "The next `up` then adds the role grant",
                 id="so does anything else under it, such as a role grant"),
    pytest.param("shopee", "account", "activation", {},
                 "shopee/account_activation.j2", "nothing can be created under it",
                 id="an unactivated main account is invited again"),
]


def test_every_template_is_rendered_by_a_case_here() -> None:
    covered = {p.values[6] for p in CASES} | {p.values[4] for p in THIRD_PARTY_CASES}
    assert covered == _templates()


@pytest.mark.parametrize(
    ("platform", "kind", "waits_on", "fields", "template", "marker"), THIRD_PARTY_CASES)
def test_a_third_party_step_says_whom_it_waits_on_and_that_the_platform_completes_it(
    platform: str, kind: str, waits_on: ThirdParty, fields: dict[str, object | None],
    template: str, marker: str,
) -> None:
    step = runbook(platform, kind, "create", account_id="acct", name="acct/x", fields=fields,
                   person=PERSON, note="the link expired at 2025-03-04T09:00:00+00:00",
                   waits_on=waits_on)
    assert marker in step.text and "acct" in step.text
    assert "None" not in step.text and step.text == " ".join(step.text.split())
    assert step.waits_on == THIRD_PARTIES[waits_on]
    assert step.as_output()["waits_on"] == THIRD_PARTIES[waits_on]
    for field, value in fields.items():
        assert f"{field}: {value}" in step.text


@pytest.mark.parametrize(
    ("platform", "kind", "operation", "account", "name", "fields", "template", "marker",
     "names_object", "names_person"),
    CASES,
)
def test_a_runbook_names_the_page_the_person_and_the_fields(
    platform: str, kind: str, operation: Operation, account: str, name: str,
    fields: dict[str, object | None], template: str, marker: str, names_object: bool,
    names_person: bool,
) -> None:
    person = PERSON if names_person else None
    step = runbook(platform, kind, operation, account_id=account, name=name, fields=fields,
                   person=person)
    page = f"{PLATFORM_NAMES[platform]} › {PAGES[platform][kind]}"
    assert step.page == page
    assert page in step.text
    assert marker in step.text
    assert account in step.text
    if names_object:
        assert name in step.text
    if names_person:
        assert PERSON in step.text
    for field, value in fields.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        assert f"{field}: {shown}" in step.text
    assert "None" not in step.text
    assert step.text == " ".join(step.text.split())  # one line: terminals, tables, state


@pytest.mark.parametrize(
    ("platform", "kind", "operation", "account", "name", "fields", "template", "marker",
     "names_object", "names_person"),
    CASES,
)
def test_the_structured_form_carries_the_same_facts_as_the_text(
    platform: str, kind: str, operation: Operation, account: str, name: str,
    fields: dict[str, object | None], template: str, marker: str, names_object: bool,
    names_person: bool,
) -> None:
    person = PERSON if names_person else None
    step = runbook(platform, kind, operation, account_id=account, name=name, fields=fields,
                   person=person)
    out = step.as_output()
    assert out == {
        "platform": platform, "kind": kind, "operation": operation, "account": account,
        "object": name, "page": step.page, "person": person, "fields": dict(step.fields),
    }
    assert str(out["page"]) in step.text
    assert step.fields and all(f"{k}: {v}" in step.text for k, v in step.fields.items())


def test_field_values_are_shown_as_a_person_reads_them() -> None:
    step = runbook(
        "taobao", "sub_account", "update", account_id="tb", name="tb/zhang-wei", person=PERSON,
        fields={"dispatch": True, "two-factor": False, "roles": ["tb-cs", "tb-ops"],
                "shops": [], "phone": None, "seats": 3},
    )
    assert dict(step.fields) == {
        "dispatch": "yes", "two-factor": "no", "roles": "tb-cs, tb-ops", "shops": "(none)",
        "seats": "3",
    }
    assert "dispatch: yes; two-factor: no; roles: tb-cs, tb-ops; shops: (none); seats: 3" in (
        step.text
    )
    assert "phone" not in step.text  # a field with no value is left out


@pytest.mark.parametrize(
    ("platform", "kind", "operation", "expected"),
    [
        pytest.param("taobao", "role_grant", "delete", "delete the role grant tb/x",
                     id="a kind without its own template falls back to the operation template"),
        pytest.param("taobao", "sub_account", "update", "edit the sub-account (子账号) tb/x",
                     id="a sub-account update has no own template and uses update"),
        pytest.param("ozon", "role_grant", "create", "add the role grant tb/x",
                     id="an ozon grant create uses the generic create not sub_account_create"),
        pytest.param("tmall", "role_grant", "create", "exactly these roles",
                     id="tmall falls back to taobao's own kind template"),
    ],
)
def test_an_unknown_template_falls_back_to_the_operation_template(
    platform: str, kind: str, operation: Operation, expected: str
) -> None:
    step = runbook(platform, kind, operation, account_id="tb", name="tb/x", person=PERSON,
                   fields={"roles": ["r"]})
    assert expected in step.text


def test_tmall_shares_taobaos_templates_but_names_its_own_seller_centre() -> None:
    step = runbook("tmall", "department", "create", account_id="tm", name="tm/cs",
                   fields={"name": "客服部"})
    assert step.text.startswith("In 天猫 千牛商家中心 › 子账号管理 › 组织架构 (部门) of account tm")
    assert "淘宝" not in step.text


def test_a_kind_with_no_page_names_only_the_seller_centre_in_the_structured_form() -> None:
    step = runbook("taobao", "stocktake", "create", account_id="tb", name="tb/x",
                   fields={"a": "b"})
    assert step.page == "淘宝 千牛卖家中心"
    assert "add the stocktake tb/x" in step.text  # no label: the kind's own word


def test_a_shopee_wallet_password_runbook_names_its_seller_centre_page() -> None:
    step = runbook("shopee", "wallet", "update", account_id="sp", name="sp",
                   fields={"who": "the main account"})
    assert step.page != PLATFORM_NAMES["shopee"]
    assert "› (" not in step.text


def test_an_unknown_platform_has_no_runbooks() -> None:
    with pytest.raises(ValueError, match="no runbooks for platform 'lazada'"):
        runbook("lazada", "sub_account", "create", account_id="lz", name="lz/a", fields={})


def test_an_operation_with_no_template_at_all_is_an_error_not_a_blank_step() -> None:
    with pytest.raises(jinja2.TemplatesNotFound, match=r"taobao/rename\.j2"):
        runbook("taobao", "sub_account", "rename",  # type: ignore[arg-type]
                account_id="tb", name="tb/a", fields={})


def test_the_templates_are_rendered_with_strict_undefined() -> None:
    env = _environment()
    assert env.undefined is jinja2.StrictUndefined
    with pytest.raises(jinja2.UndefinedError, match="'shop' is undefined"):
        env.from_string("In {{ page }} bind {{ shop }}").render(page="店铺")


CONTEXT: dict[str, object] = {
    "platform": "taobao", "platform_name": "淘宝 千牛卖家中心", "page": "子账号管理",
    "kind": "sub_account", "kind_label": "sub-account", "operation": "create", "account": "tb",
    "object": "tb/a", "person": PERSON, "for_whom": PERSON, "fields": {"login": "x"},
    "note": "n", "rules": RULES_BY_CODE,
}


def _uses() -> list[Any]:
    env = _environment()
    assert env.loader is not None
    params = []
    for template in sorted(_templates()):
        source = env.loader.get_source(env, template)[0]
        for variable in sorted(jinja2.meta.find_undeclared_variables(env.parse(source))):
            params.append(pytest.param(
                template, variable, id=f"{template} without {variable} raises"))
    return params


@pytest.mark.parametrize(("template", "variable"), _uses())
def test_a_template_missing_a_value_it_uses_raises_instead_of_printing_a_blank(
    template: str, variable: str
) -> None:
    assert variable in CONTEXT, f"{template} uses {variable!r}, which runbook() never passes"
    env = _environment()
    full = env.get_template(template).render(**CONTEXT)
    assert full
    with pytest.raises(jinja2.UndefinedError, match=variable):
        env.get_template(template).render(**{k: v for k, v in CONTEXT.items() if k != variable})


@pytest.mark.parametrize(
    ("platform", "kind", "operation"),
    [
        pytest.param("taobao", "sub_account", "create",
                     id="a taobao sub-account create without a person"),
        pytest.param("taobao", "role_grant", "create",
                     id="a taobao role grant create without a person"),
        pytest.param("taobao", "role_grant", "update",
                     id="a taobao role grant update without a person"),
        pytest.param("ozon", "sub_account", "create",
                     id="an ozon sub-account create without a person"),
    ],
)
def test_a_step_for_a_person_never_prints_none_for_them(
    platform: str, kind: str, operation: Operation
) -> None:
    text = runbook(platform, kind, operation, account_id="a", name="a/b",
                   fields={"login": "b"}).text
    assert "None" not in text
    assert UNNAMED_PERSON in text


def test_a_step_for_a_named_person_names_them() -> None:
    text = runbook("taobao", "sub_account", "create", account_id="a", name="a/b",
                   fields={"login": "b"}, person="王芳 (wang-fang)").text
    assert "王芳 (wang-fang)" in text and UNNAMED_PERSON not in text


def test_a_manual_step_error_carries_the_runbook_and_says_what_to_do() -> None:
    error = manual_step("ozon", "sub_account", "create", account_id="oz", name="oz/wang-fang",
                        fields={"email": "wang.fang@example.com"}, person="王芳 (wang-fang)",
                        note="Ask for 2FA.")
    assert isinstance(error, ManualStepRequired)
    assert (error.kind, error.name, error.operation) == ("sub_account", "oz/wang-fang", "create")
    assert error.runbook.person == "王芳 (wang-fang)"
    assert "Ask for 2FA." in error.runbook.text
    assert str(error).startswith("sub_account 'oz/wang-fang': create failed: manual step "
                                 "required on ozon: In the Ozon Seller cabinet › Settings ›")


def test_every_kind_a_page_exists_for_has_a_label() -> None:
    kinds = {kind for pages in PAGES.values() for kind in pages}
    assert kinds <= set(KIND_LABELS)
    assert set(PAGES) == set(PLATFORM_NAMES)


def test_templates_live_where_the_module_says() -> None:
    assert (TEMPLATES / "taobao" / "create.j2").is_file()
    assert not (TEMPLATES / "tmall").exists()  # tmall uses taobao's
