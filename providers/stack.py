"""org.yaml → Pulumi resources, in dependency order (the stack program's body).

    accounts (platform facts, read) → departments → roles → sub-accounts → grants
    → bindings → chat groups

Resource names are derived from ids only (``<account>/<member>``, ...), never from list
positions, so reordering org.yaml changes nothing; a member's ``previously:`` ids become
aliases. Ordering comes from data flow: a sub-account takes its department's output, a
grant its sub-account's and roles' outputs, so the engine creates parents first and deletes
them last.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi

from providers.platforms import DEPARTMENT_PLATFORMS
from providers.resources.chat_group import ChatGroup, ChatGroupArgs
from providers.resources.department import Department, DepartmentArgs
from providers.resources.role import Role, RoleArgs
from providers.resources.role_grant import RoleGrant, RoleGrantArgs
from providers.resources.shop_binding import ShopBinding, ShopBindingArgs
from providers.resources.sub_account import SubAccount, SubAccountArgs
from providers.schema import Department as DepartmentDecl
from providers.schema import Member, Org
from providers.schema import SubAccount as SubAccountDecl


def sub_account_enabled(member: Member, entry: SubAccountDecl, today: datetime.date) -> bool:
    """Leavers and expired grants are disabled, never deleted (DECISIONS.md)."""
    if member.status == "left":
        return False
    return entry.expires is None or entry.expires >= today


@dataclass
class Built:
    """What the program registered, for the stack's exported summary and for tests."""

    counts: Counter[str] = field(default_factory=Counter)
    per_account: dict[str, Counter[str]] = field(default_factory=dict)
    departments: dict[tuple[str, str], Department] = field(default_factory=dict)
    roles: dict[tuple[str, str], Role] = field(default_factory=dict)
    sub_accounts: dict[tuple[str, str], SubAccount] = field(default_factory=dict)

    def add(self, kind: str, account_id: str) -> None:
        self.counts[kind] += 1
        self.per_account.setdefault(account_id, Counter())[kind] += 1

    def summary(self) -> dict[str, Any]:
        return {
            "resources": dict(sorted(self.counts.items())),
            "per_account": {
                account: dict(sorted(c.items())) for account, c in sorted(self.per_account.items())
            },
        }


def _walk(
    departments: list[DepartmentDecl], parent: str | None = None
) -> list[tuple[DepartmentDecl, str | None]]:
    out: list[tuple[DepartmentDecl, str | None]] = []
    for d in departments:
        out.append((d, parent))
        out.extend(_walk(d.children, d.id))
    return out


def build(org: Org, today: Callable[[], datetime.date] = datetime.date.today) -> Built:
    built = Built()
    accounts = {a.id: a for a in org.accounts}
    shop_account = {s.id: a for a in org.accounts for s in a.shops}
    tree = _walk(org.departments)

    # Departments: mirrored into every account whose seller centre has a tree.
    for account in org.accounts:
        if account.platform not in DEPARTMENT_PLATFORMS:
            continue
        for decl, parent in tree:
            parent_res = built.departments.get((account.id, parent)) if parent else None
            dept = Department(
                f"{account.id}/{decl.id}",
                DepartmentArgs(
                    account_id=account.id, department_id=decl.id, name=decl.name, parent_id=parent
                ),
                parent_id=parent_res.department_id if parent_res else None,
            )
            built.departments[(account.id, decl.id)] = dept
            built.add("department", account.id)

    # Roles: every role of a platform exists in every account of that platform.
    for account in org.accounts:
        for role in org.roles:
            if role.platform != account.platform:
                continue
            built.roles[(account.id, role.id)] = Role(
                f"{account.id}/{role.id}",
                RoleArgs(
                    account_id=account.id,
                    role_id=role.id,
                    name=role.name,
                    description=role.description or "",
                    permissions=list(role.permissions),
                ),
            )
            built.add("role", account.id)

    # Sub-accounts and their grants, one per member and account.
    day = today()
    for member in org.members:
        for entry in member.sub_accounts:
            account = accounts[entry.account]
            has_tree = account.platform in DEPARTMENT_PLATFORMS
            dept_res = built.departments.get((account.id, member.department)) if has_tree else None
            enabled = sub_account_enabled(member, entry, day)
            sub = SubAccount(
                f"{account.id}/{member.id}",
                SubAccountArgs(
                    account_id=account.id,
                    member_id=member.id,
                    login=account.login(entry.login_name),
                    display_name=member.name,
                    department_id=member.department if has_tree else None,
                    email=member.email,
                    phone=member.phone,
                    dispatch=entry.dispatch,
                    enabled=enabled,
                ),
                opts=pulumi.ResourceOptions(
                    aliases=[pulumi.Alias(name=f"{account.id}/{old}") for old in member.previously]
                ),
                department_id=dept_res.department_id if dept_res else None,
            )
            built.sub_accounts[(account.id, member.id)] = sub
            built.add("sub_account", account.id)
            if not entry.roles:
                continue
            role_deps: list[pulumi.Resource] = [sub]
            role_deps += [built.roles[(account.id, r)] for r in entry.roles]
            for shop_id in entry.shop_ids(account):
                RoleGrant(
                    f"{account.id}/{member.id}@{shop_id}",
                    RoleGrantArgs(
                        account_id=account.id,
                        member_id=member.id,
                        shop_id=shop_id,
                        role_ids=list(entry.roles),
                    ),
                    opts=pulumi.ResourceOptions(
                        depends_on=role_deps,
                        aliases=[
                            pulumi.Alias(name=f"{account.id}/{old}@{shop_id}")
                            for old in member.previously
                        ],
                    ),
                    member_id=sub.member_id,
                )
                built.add("role_grant", account.id)

    # Shop bindings (Douyin): official ones are protected by the resource itself.
    for binding in org.bindings:
        account = shop_account[binding.shop]
        ShopBinding(
            f"{binding.shop}/{binding.kind}/{binding.external_account}",
            ShopBindingArgs(
                account_id=account.id,
                shop_id=binding.shop,
                kind=binding.kind,
                external_id=binding.external_account,
                source=binding.source,
            ),
        )
        built.add("shop_binding", account.id)

    # Chat groups (Shopee): after the sub-accounts they name.
    for group in org.chat_groups:
        account = shop_account[group.shop]
        members = [built.sub_accounts[(account.id, m)] for m in sorted(group.members)]
        ChatGroup(
            f"{group.shop}/{group.name}",
            ChatGroupArgs(
                account_id=account.id, shop_id=group.shop, name=group.name,
                member_ids=sorted(group.members),
            ),
            member_ids=pulumi.Output.all(*[m.member_id for m in members]),
        )
        built.add("chat_group", account.id)
    return built
