"""``shoporg import`` without the engine: a sandbox set up through the backend API, read back
into org.yaml by :func:`shoporg.importer.import_org`.

The engine tier (tests/engine/test_import.py) proves the imported file plans no change;
this tier checks what the file says, object by object, and the notes it writes for what
org.yaml cannot express."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shoporg.backends.protocol import (
    BindingSpec,
    ChatGroupSpec,
    DepartmentSpec,
    GrantSpec,
    RoleSpec,
    SubAccountSpec,
)
from shoporg.backends.sandbox import FixedClock, SandboxBackend, SellerCenter
from shoporg.importer import Imported, import_org
from shoporg.kinds import sub_account_enabled
from shoporg.platforms import DEPARTMENT_PLATFORMS
from shoporg.schema import Org, load_org, validate_text

SMALL_ORG = Path(__file__).parent / "fixtures/org/valid/small-org-touching-every-kind.yaml"
START = datetime.datetime(2026, 5, 1, 9, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 6, 1)  # before li-na's Taobao expiry (2026-12-31)


@dataclass
class World:
    backend: SandboxBackend
    seller_center: SellerCenter

    def import_org(self, today: datetime.date = TODAY) -> tuple[Imported, Org]:
        imported = import_org(self.backend, "测试贸易有限公司", today=lambda: today)
        return imported, validate_text(imported.text, "imported.yaml")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    backend = SandboxBackend(tmp_path / "sandbox.db", "acme", actor="seller-center",
                             clock=FixedClock(START), environ={})
    yield World(backend, SellerCenter(backend))
    backend.close()


def set_up_by_hand(world: World, org: Org, today: datetime.date) -> None:
    """What a seller does in the seller centres, object by object, for ``org``."""
    backend, sc = world.backend, world.seller_center
    for account in org.accounts:
        sc.register_account(account.id, account.platform, account.nick, account.seat_quota)
        for shop in account.shops:
            sc.add_shop(account.id, shop.id, shop.name, shop.site)
        if account.platform in DEPARTMENT_PLATFORMS:
            for dept, parent in org.walk_departments():
                backend.create_department(
                    account.id, DepartmentSpec(dept.id, dept.name, parent.id if parent else None)
                )
        for role in org.roles:
            if role.platform == account.platform:
                backend.create_role(account.id, RoleSpec(
                    role.id, role.name, tuple(role.permissions), role.description or "",
                ))
    accounts = {a.id: a for a in org.accounts}
    for member in org.members:
        for entry in member.sub_accounts:
            account = accounts[entry.account]
            has_tree = account.platform in DEPARTMENT_PLATFORMS
            backend.create_sub_account(account.id, SubAccountSpec(
                member_id=member.id, login=account.login(entry.login_name),
                display_name=member.name, department_id=member.department if has_tree else None,
                email=member.email, phone=member.phone, dispatch=entry.dispatch,
            ))
            if entry.roles:
                for shop_id in entry.shop_ids(account):
                    backend.set_grant(
                        account.id, GrantSpec(member.id, shop_id, tuple(entry.roles))
                    )
            if not sub_account_enabled(member, entry, today):
                backend.set_sub_account_status(account.id, member.id, "disabled")
    shop_account = {s.id: a.id for a in org.accounts for s in a.shops}
    for b in org.bindings:
        if b.kind == "self_operated":  # the creator consented and sells mostly here
            sc.set_consent(b.external_account, b.shop)
            sc.record_gmv(b.external_account, 8000, shop_id=b.shop)
        backend.bind(shop_account[b.shop], BindingSpec(b.shop, b.kind, b.external_account,
                                                       b.source))
    for g in org.chat_groups:
        backend.set_chat_group(shop_account[g.shop], ChatGroupSpec(g.shop, g.name,
                                                                   tuple(g.members)))


# --- the small org touching every kind ------------------------------------------------------


@pytest.fixture
def small(world: World) -> tuple[Org, Imported, Org]:
    declared = load_org(SMALL_ORG)
    set_up_by_hand(world, declared, TODAY)
    imported, parsed = world.import_org()
    return declared, imported, parsed


def test_the_imported_file_validates_and_counts_what_it_declares(
    small: tuple[Org, Imported, Org],
) -> None:
    declared, imported, parsed = small
    expected = {k: v for k, v in declared.counts().items() if k != "shops"}
    assert imported.counts == expected
    assert {k: v for k, v in parsed.counts().items() if k != "shops"} == expected
    assert parsed.company == "测试贸易有限公司"


def test_the_accounts_and_shops_round_trip(small: tuple[Org, Imported, Org]) -> None:
    declared, _, parsed = small
    assert sorted(parsed.accounts, key=lambda a: a.id) == sorted(
        declared.accounts, key=lambda a: a.id
    )


def test_the_department_tree_round_trips(small: tuple[Org, Imported, Org]) -> None:
    declared, _, parsed = small

    def tree(org: Org) -> set[tuple[str, str, str | None]]:
        return {(d.id, d.name, p.id if p else None) for d, p in org.walk_departments()}

    assert tree(parsed) == tree(declared)
    assert len(tree(parsed)) == 4


def test_the_roles_round_trip(small: tuple[Org, Imported, Org]) -> None:
    declared, _, parsed = small

    def roles(org: Org) -> set[tuple[str, str, str, tuple[str, ...]]]:
        return {(r.id, r.platform, r.name, tuple(sorted(r.permissions))) for r in org.roles}

    assert roles(parsed) == roles(declared)


def test_the_members_round_trip(small: tuple[Org, Imported, Org]) -> None:
    declared, _, parsed = small

    def people(org: Org) -> dict[str, tuple[str, str, str | None, str | None, str]]:
        return {m.id: (m.name, m.department, m.email, m.phone, m.status) for m in org.members}

    assert people(parsed) == people(declared)


def test_the_sub_accounts_and_their_grants_round_trip(small: tuple[Org, Imported, Org]) -> None:
    declared, _, parsed = small

    def subs(org: Org) -> set[tuple[str, str, str, tuple[str, ...], tuple[str, ...], bool]]:
        accounts = {a.id: a for a in org.accounts}
        return {
            (m.id, s.account, s.login_name, tuple(sorted(s.roles)),
             tuple(s.shop_ids(accounts[s.account])), s.dispatch)
            for m in org.members for s in m.sub_accounts
        }

    assert subs(parsed) == subs(declared)
    assert ("zhang-wei", "tb", "张伟", ("tb-cs",), ("tb-shop",), True) in subs(parsed)


def test_a_future_expiry_is_not_visible_in_the_live_system_so_it_is_not_imported(
    small: tuple[Org, Imported, Org],
) -> None:
    declared, _, parsed = small

    def expiry(org: Org) -> datetime.date | None:
        li_na = next(m for m in org.members if m.id == "li-na")
        return next(s.expires for s in li_na.sub_accounts if s.account == "tb")

    assert expiry(declared) == datetime.date(2026, 12, 31)
    assert expiry(parsed) is None


def test_bindings_and_chat_groups_round_trip(small: tuple[Org, Imported, Org]) -> None:
    declared, _, parsed = small
    assert sorted(parsed.bindings, key=repr) == sorted(declared.bindings, key=repr)
    assert parsed.chat_groups == declared.chat_groups


def test_policies_live_only_in_org_yaml_and_are_not_imported(
    small: tuple[Org, Imported, Org],
) -> None:
    declared, _, parsed = small
    assert declared.policies.toxic_pairs and not parsed.policies.toxic_pairs


def test_an_org_yaml_can_express_all_of_it_so_there_are_no_notes(
    small: tuple[Org, Imported, Org],
) -> None:
    _, imported, _ = small
    assert imported.warnings == []
    assert "# note:" not in imported.text


def test_the_import_is_read_only(world: World) -> None:
    set_up_by_hand(world, load_org(SMALL_ORG), TODAY)
    before = len(world.seller_center.audit_log())
    world.backend.reset_calls()
    world.import_org()
    calls = world.backend.calls
    assert len(world.seller_center.audit_log()) == before
    assert calls["list_accounts"] == 1 and calls["list_sub_accounts"] == 4
    assert all(m.startswith("list_") for m in calls), calls


def test_the_import_says_when_and_from_where_it_was_made(world: World) -> None:
    set_up_by_hand(world, load_org(SMALL_ORG), TODAY)
    imported = import_org(world.backend, "测试", today=lambda: TODAY, source="the sandbox")
    assert "# imported by `shoporg import` from the sandbox on 2026-06-01" in imported.text
    assert imported.text.startswith("# yaml-language-server: $schema=./schema/org.schema.json")


def test_one_account_can_be_imported_alone(world: World) -> None:
    set_up_by_hand(world, load_org(SMALL_ORG), TODAY)
    imported = import_org(world.backend, "测试", accounts=["tb"], today=lambda: TODAY)
    parsed = validate_text(imported.text, "imported.yaml")
    assert [a.id for a in parsed.accounts] == ["tb"]
    assert [m.id for m in parsed.members] == ["li-na", "wang-fang", "zhang-wei"]
    assert parsed.bindings == [] and parsed.chat_groups == []


# --- statuses ----------------------------------------------------------------------------------


def test_a_member_whose_every_sub_account_is_disabled_has_left(world: World) -> None:
    org = load_org(SMALL_ORG)
    set_up_by_hand(world, org, TODAY)
    for account in ("tb", "oz"):
        world.backend.set_sub_account_status(account, "wang-fang", "disabled")
    _, parsed = world.import_org()
    wang = next(m for m in parsed.members if m.id == "wang-fang")
    assert wang.status == "left"
    assert all(s.expires is None for s in wang.sub_accounts)


def test_a_single_disabled_sub_account_of_an_active_member_expired_yesterday(
    world: World,
) -> None:
    after_expiry = datetime.date(2027, 1, 15)
    set_up_by_hand(world, load_org(SMALL_ORG), after_expiry)  # li-na's tb grant has expired
    _, parsed = world.import_org(after_expiry)
    li_na = next(m for m in parsed.members if m.id == "li-na")
    assert li_na.status == "active"
    expires = {s.account: s.expires for s in li_na.sub_accounts}
    assert expires == {"tb": datetime.date(2027, 1, 14), "dy": None}


# --- what org.yaml cannot express: notes --------------------------------------------------------


def shopee(world: World, seats: int = 5) -> None:
    world.seller_center.register_account("sp", "shopee", "acme.main", seats)
    world.seller_center.add_shop("sp", "sp-my", "Acme MY", "MY")
    world.seller_center.add_shop("sp", "sp-sg", "Acme SG", "SG")


def taobao(world: World, account: str = "tb", nick: str = "acme旗舰店") -> None:
    world.seller_center.register_account(account, "taobao", nick, 5)
    world.seller_center.add_shop(account, f"{account}-shop", nick, None)


def sub(
    world: World, account: str, member: str, login: str, *, name: str = "王丽",
    department_id: str | None = None, email: str | None = None, phone: str | None = None,
    two_factor: bool = False,
) -> None:
    world.backend.create_sub_account(account, SubAccountSpec(
        member, login, name, department_id=department_id, email=email, phone=phone,
        two_factor=two_factor,
    ))


def member_only_on_shopee(world: World) -> None:
    shopee(world)
    sub(world, "sp", "alice", "alice.acme")


def taobao_member_without_department(world: World) -> None:
    taobao(world)
    world.backend.create_department("tb", DepartmentSpec("cs", "客服部"))
    sub(world, "tb", "alice", "acme旗舰店:alice")


def ozon_two_factor(world: World) -> None:
    world.seller_center.register_account("oz", "ozon", "acme-ozon", 5)
    world.seller_center.add_shop("oz", "oz-shop", "Acme Ozon", None)
    sub(world, "oz", "alice", "alice", email="alice@example.com", two_factor=True)


def different_roles_per_shop(world: World) -> None:
    shopee(world)
    world.backend.create_role("sp", RoleSpec("sp-cs", "Customer service", ("chat-reply",)))
    world.backend.create_role("sp", RoleSpec("sp-ret", "Returns", ("return-approve",)))
    sub(world, "sp", "alice", "alice.acme")
    world.backend.set_grant("sp", GrantSpec("alice", "sp-my", ("sp-cs",)))
    world.backend.set_grant("sp", GrantSpec("alice", "sp-sg", ("sp-cs", "sp-ret")))


def role_without_readable_permissions(world: World) -> None:
    taobao(world)
    world.backend.create_role("tb", RoleSpec("tb-cs", "客服", ("ww-chat",)))
    world.backend.create_role("tb", RoleSpec("ghost", "幽灵", ()))


def only_role_without_readable_permissions(world: World) -> None:
    taobao(world)
    world.backend.create_role("tb", RoleSpec("ghost", "幽灵", ()))


def undeclarable_role_held(world: World) -> None:
    role_without_readable_permissions(world)
    world.backend.create_department("tb", DepartmentSpec("cs", "客服部"))
    sub(world, "tb", "alice", "acme旗舰店:alice", department_id="cs")
    world.backend.set_grant("tb", GrantSpec("alice", "tb-shop", ("ghost",)))


def role_missing_in_one_account(world: World) -> None:
    taobao(world)
    taobao(world, "tb2", "acme专营店")
    world.backend.create_role("tb", RoleSpec("tb-cs", "客服", ("ww-chat",)))


def role_differs_between_accounts(world: World) -> None:
    taobao(world)
    taobao(world, "tb2", "acme专营店")
    world.backend.create_role("tb", RoleSpec("tb-cs", "客服", ("ww-chat",)))
    world.backend.create_role("tb2", RoleSpec("tb-cs", "客服", ("ww-chat", "trade-view")))


def department_differs_between_accounts(world: World) -> None:
    taobao(world)
    taobao(world, "tb2", "acme专营店")
    world.backend.create_department("tb", DepartmentSpec("cs", "客服部"))
    world.backend.create_department("tb2", DepartmentSpec("cs", "客服中心"))


@pytest.mark.parametrize(
    ("set_up", "note"),
    [
        pytest.param(
            member_only_on_shopee,
            "alice: no read shows a department on shopee; placed in unassigned, review",
            id="a member only on shopee is placed in unassigned for review",
        ),
        pytest.param(
            taobao_member_without_department, "alice has no department on tb; set one",
            id="a taobao sub-account outside every department is asked to get one",
        ),
        pytest.param(
            ozon_two_factor, "oz/alice has two-factor on; org.yaml cannot declare it",
            id="an ozon two-factor flag cannot be declared",
        ),
        pytest.param(
            different_roles_per_shop,
            "sp/alice has different roles per shop; declared the most common set",
            id="different roles per shop are reduced to the most common set",
        ),
        pytest.param(
            role_without_readable_permissions,
            "role '幽灵' (ghost) in tb: the account system does not show its permissions (TOP "
            "for a role held by no one, Kuaishou for any role): left out; declare it, or "
            "import with --org",
            id="a role whose permissions cannot be read is left out",
        ),
        pytest.param(
            undeclarable_role_held, "tb/alice holds undeclared roles ['ghost']: left out",
            id="a grant of a role left out is left out too",
        ),
        pytest.param(
            role_missing_in_one_account,
            "role tb-cs is missing in tb2: declaring it creates it there",
            id="a role on only one of two taobao accounts will be created on the other",
        ),
        pytest.param(
            role_differs_between_accounts, "role tb-cs differs between tb and tb2: kept the first",
            id="a role that differs between accounts keeps the first",
        ),
        pytest.param(
            department_differs_between_accounts,
            "department cs is '客服部' in tb but '客服中心' in tb2: kept the first",
            id="a department named differently on two accounts keeps the first",
        ),
        pytest.param(
            only_role_without_readable_permissions,
            "role '幽灵' (ghost) in tb: the account system does not show its permissions (TOP "
            "for a role held by no one, Kuaishou for any role): left out; declare it, or "
            "import with --org",
            id="an account whose only role is left out still imports",
        ),
    ],
)
def test_what_org_yaml_cannot_express_becomes_a_note_and_a_warning(
    world: World, set_up: Callable[[World], None], note: str
) -> None:
    set_up(world)
    imported, _ = world.import_org()  # still a valid org.yaml
    assert note in imported.warnings
    assert f"# note: {note}" in imported.text


def test_a_member_only_on_shopee_gets_the_unassigned_department(world: World) -> None:
    member_only_on_shopee(world)
    _, parsed = world.import_org()
    assert [(d.id, d.name) for d in parsed.departments] == [("unassigned", "未分配")]
    assert [m.department for m in parsed.members] == ["unassigned"]


def test_different_roles_per_shop_declare_the_most_common_set_on_its_shops(
    world: World,
) -> None:
    different_roles_per_shop(world)
    world.backend.set_grant("sp", GrantSpec("alice", "sp-sg", ("sp-cs",)))
    world.seller_center.add_shop("sp", "sp-th", "Acme TH", "TH")
    world.backend.set_grant("sp", GrantSpec("alice", "sp-th", ("sp-ret",)))
    _, parsed = world.import_org()
    (entry,) = parsed.members[0].sub_accounts
    assert (entry.roles, entry.shops) == (["sp-cs"], ["sp-my", "sp-sg"])


def test_a_sub_account_with_a_synthetic_id_joins_the_member_with_the_same_email(
    world: World,
) -> None:
    taobao(world)
    shopee(world)
    world.backend.create_department("tb", DepartmentSpec("cs", "客服部"))
    sub(world, "tb", "alice", "acme旗舰店:alice", department_id="cs", email="a@example.com")
    sub(world, "sp", "sub-7", "alice.acme", email="A@example.com")
    sub(world, "sp", "sub-8", "bob.acme", name="Bob", phone="13800000009")
    _, parsed = world.import_org()
    members = {m.id: sorted(s.account for s in m.sub_accounts) for m in parsed.members}
    assert members == {"alice": ["sp", "tb"], "sub-8": ["sp"]}
