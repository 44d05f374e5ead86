"""org.yaml → Pulumi resources, in dependency order (the stack program's body).

    accounts (platform facts, read) → departments → roles → sub-accounts → grants
    → bindings → chat groups

Resource names are derived from ids only (``<account>/<member>``, ...), never from list
positions, so reordering org.yaml changes nothing; a member's ``previously:`` ids become
aliases. Ordering comes from data flow: a sub-account takes its department's output, a
grant its sub-account's and roles' outputs, so the engine creates parents first and deletes
them last.

Sharding: a stack may own only some of the accounts (stack config ``shoporg:accounts`` —
ids or globs — and/or ``shoporg:platforms``, see :func:`select_accounts`). ``build`` then
registers only those accounts' departments, roles, sub-accounts, grants, bindings and chat
groups, so several stacks over one org.yaml can run as parallel jobs. Every object belongs
to exactly one account, so disjoint shards never touch the same object.
"""

from __future__ import annotations

import datetime
import fnmatch
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from providers.errors import ConfigError, ConfigIssue
from providers.platforms import DEPARTMENT_PLATFORMS
from providers.resources.chat_group import ChatGroup, ChatGroupArgs
from providers.resources.department import Department, DepartmentArgs
from providers.resources.role import Role, RoleArgs
from providers.resources.role_grant import RoleGrant, RoleGrantArgs
from providers.resources.shop_binding import ShopBinding, ShopBindingArgs
from providers.resources.sub_account import SubAccount, SubAccountArgs
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


def select_accounts(
    org: Org,
    accounts: Sequence[str] | None = None,
    platforms: Sequence[str] | None = None,
) -> frozenset[str]:
    """The account ids a (shard) stack owns: all of them unless config narrows it.

    ``accounts`` are ids or shell-style globs (``tb-*``); ``platforms`` are platform names.
    With both, an account must match both. A pattern or platform that matches no account
    is an error rather than an empty shard: a typo must not turn into "delete everything
    this stack created".
    """
    ids = [a.id for a in org.accounts]
    chosen = set(ids)
    issues: list[ConfigIssue] = []
    if accounts is not None:
        by_pattern = {p: {i for i in ids if fnmatch.fnmatchcase(i, p)} for p in accounts}
        issues += [
            _shard_issue(f"shoporg:accounts entry {p!r} matches no account in org.yaml")
            for p, hit in by_pattern.items() if not hit
        ]
        chosen &= set().union(*by_pattern.values()) if by_pattern else set()
    if platforms is not None:
        on = {a.id for a in org.accounts if a.platform in platforms}
        present = {a.platform for a in org.accounts}
        issues += [
            _shard_issue(f"shoporg:platforms entry {p!r} matches no account in org.yaml")
            for p in platforms if p not in present
        ]
        chosen &= on
    if not issues and not chosen:
        issues.append(_shard_issue("shoporg:accounts and shoporg:platforms select no account"))
    if issues:
        raise ConfigError(issues)
    return frozenset(chosen)


def _shard_issue(message: str) -> ConfigIssue:
    return ConfigIssue(file="stack config", line=0, column=0, message=message)


def build(
    org: Org,
    today: Callable[[], datetime.date] = datetime.date.today,
    only: Collection[str] | None = None,
) -> Built:
    """Register org's resources; ``only`` (from :func:`select_accounts`) limits the accounts."""
    built = Built()
    selected = [a for a in org.accounts if only is None or a.id in only]
    accounts = {a.id: a for a in selected}
    shop_account = {s.id: a for a in selected for s in a.shops}
    tree = [(d, p.id if p else None) for d, p in org.walk_departments()]

    # Departments: mirrored into every account whose seller centre has a tree.
    for account in selected:
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
    for account in selected:
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
            if entry.account not in accounts:
                continue  # another shard's account
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
                        login=account.login(entry.login_name),
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
                    login=sub.login,
                )
                built.add("role_grant", account.id)

    # Shop bindings (Douyin): official ones are protected by the resource itself.
    for binding in org.bindings:
        if binding.shop not in shop_account:
            continue
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
        if group.shop not in shop_account:
            continue
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
