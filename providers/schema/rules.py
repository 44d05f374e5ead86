"""Cross-object rules: what no single model can check on its own.

::

    accounts:
      - {id: tb-flagship, platform: taobao, nick: 优品数码旗舰店, seat_quota: 2,
         shops: [{id: tb-flagship-shop, name: 优品数码旗舰店}]}
    members:
      - id: li-na
        name: 李娜
        department: cs-aftersale        # must name a declared department
        sub_accounts:
          - account: tb-flagship        # must name a declared account (one seat each)
            login_name: 李娜            # not 优品数码旗舰店:李娜, never a full-width ：
            roles: [tb-cs, tb-pricing]  # declared taobao roles; no toxic pair in their union

Each rule is a function over a :class:`Context` that reports ``(path, message)``; paths
are the same tuples the loader recorded positions for, so every message lands on
``org.yaml:LINE:COL``. Rules run on the objects that passed the model check; objects that
failed it are left out, but their ids still count as declared so one broken member does
not turn every reference to it into a second, misleading "unknown member" error.

Platform facts (catalogues, sites) come from :mod:`shoporg.platforms`, and each platform
rule's statement from its table (:mod:`shoporg.platforms.rules`), so the validator and the
sandbox cannot disagree. A rule of the table that is a predicate is evaluated from there: the
validator builds its subject's facts from org.yaml and reports every rule :func:`broken`
returns; it decides only where and in which words (the object, "first at line N", a
suggestion, what to change), and a rule it has no words for is stated with the facts.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shoporg.errors import ConfigIssue
from shoporg.platforms import (
    CATALOGUES,
    DOUYIN_MAX_CHANNEL_ACCOUNTS,
    SHOPEE_SITES,
    SITE_PLATFORMS,
)
from shoporg.platforms.facts import (
    ChatGroupFacts,
    CreatorFacts,
    Facts,
    SeatFacts,
    ShopBindingFacts,
    ShopFacts,
    ShopsFacts,
    StaffRolesFacts,
    UserFacts,
)
from shoporg.platforms.rules import (
    CHANNEL_LIMIT,
    CHANNEL_SOURCE,
    CHANNEL_UNBIND_TOO_EARLY,
    EMAIL_REQUIRED,
    LOGIN_FORMAT,
    NICK_NAME,
    OFFICIAL_EXISTS,
    PHONE_LOGIN,
    SEAT_QUOTA,
    SELF_OPERATED_TAKEN,
    SHOPEE_SITE,
    SINGLE_SHOP,
    PlatformRule,
    broken,
)
from shoporg.schema.loader import Loaded, Path
from shoporg.schema.models import Account, Department, Member, Org, Shop, SubAccount

# Full-width and other look-alike colons that IMEs produce; Taobao logins need U+003A.
_LOOKALIKE_COLONS = "：﹕︓"


@dataclass
class Context:
    """What every rule needs: the org, positions, and which ids were declared."""

    org: Org
    loaded: Loaded
    # Section -> original list index of each element that survived the model check.
    index: dict[str, list[int]] = field(default_factory=dict)
    # Kind -> ids declared by elements that failed the model check; None = section unusable.
    broken_ids: dict[str, set[str] | None] = field(default_factory=dict)
    issues: list[ConfigIssue] = field(default_factory=list)

    def __post_init__(self) -> None:
        org = self.org
        self.accounts = {a.id: a for a in reversed(org.accounts)}  # first declaration wins
        self.shops: dict[str, tuple[Account, Shop]] = {}
        for a in reversed(org.accounts):
            for s in reversed(a.shops):
                self.shops[s.id] = (a, s)
        self.departments = {d.id: d for d, _ in reversed(list(org.walk_departments()))}
        self.roles = {r.id: r for r in reversed(org.roles)}
        self.members = {m.id: m for m in reversed(org.members)}

    def at(self, section: str, i: int, *rest: str | int) -> Path:
        """Path of element ``i`` of a top-level list, as written in the file."""
        original = self.index.get(section)
        return (section, original[i] if original is not None else i, *rest)

    def report(self, path: Path, message: str) -> None:
        self.issues.append(self.loaded.issue(path, message))

    def line_of(self, path: Path) -> int:
        return self.loaded.position(path)[0]

    def declared(self, kind: str, ident: str) -> bool:
        """Is ``ident`` declared (or possibly declared by an object that failed its check)?"""
        kinds: dict[str, Mapping[str, object]] = {
            "account": self.accounts,
            "shop": self.shops,
            "department": self.departments,
            "role": self.roles,
            "member": self.members,
        }
        known = kinds[kind]
        if ident in known:
            return True
        broken = self.broken_ids.get(kind, set())
        return broken is None or ident in broken


Rule = Callable[[Context], None]


def _plainly(ctx: Context, at: Path, facts: Facts, rule: PlatformRule[Any]) -> None:
    """Report a broken platform rule the validator has no words of its own for: the facts and
    the rule, at the subject's node. The words above each such loop add what org.yaml knows."""
    ctx.report(at, f"{facts.describe()} ({rule.message}: change or remove this entry)")


def _member_label(m: Member) -> str:
    return f"member {m.name} ({m.id})"


def _suggest(word: str, choices: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1)
    return f"did you mean {match[0]!r}? " if match else ""


def _duplicates(ctx: Context, what: str, items: Iterable[tuple[str, Path]], hint: str) -> None:
    first: dict[str, Path] = {}
    for key, path in items:
        if key in first:
            ctx.report(
                path,
                f"duplicate {what} {key!r} (first declared at line {ctx.line_of(first[key])}; "
                f"{hint})",
            )
        else:
            first[key] = path


def _department_paths(ctx: Context) -> list[tuple[str, str, str | None, Path]]:
    """(id, name, parent id, path of the department) for the whole tree."""
    out: list[tuple[str, str, str | None, Path]] = []
    stack: list[tuple[Department, str | None, Path]] = [
        (d, None, ctx.at("departments", i)) for i, d in enumerate(ctx.org.departments)
    ]
    stack.reverse()
    while stack:
        dept, parent, path = stack.pop()
        out.append((dept.id, dept.name, parent, path))
        kids = [(c, dept.id, (*path, "children", j)) for j, c in enumerate(dept.children)]
        stack.extend(reversed(kids))
    return out


def unique_ids(ctx: Context) -> None:
    org = ctx.org
    unique = "ids must be unique, they key the Pulumi resources"
    _duplicates(
        ctx,
        "account id",
        ((a.id, ctx.at("accounts", i, "id")) for i, a in enumerate(org.accounts)),
        unique,
    )
    _duplicates(
        ctx,
        "shop id",
        (
            (s.id, ctx.at("accounts", i, "shops", j, "id"))
            for i, a in enumerate(org.accounts)
            for j, s in enumerate(a.shops)
        ),
        "shop ids must be unique across all accounts",
    )
    _duplicates(
        ctx,
        "main account nick",
        (
            (f"{a.platform}:{a.nick}", ctx.at("accounts", i, "nick"))
            for i, a in enumerate(org.accounts)
        ),
        "declare each platform account once",
    )
    depts = _department_paths(ctx)
    _duplicates(ctx, "department id", ((d, (*p, "id")) for d, _, _, p in depts), unique)
    _duplicates(
        ctx,
        "department name",
        ((name, (*p, "name")) for _, name, parent, p in depts if parent is None),
        "top-level department names must differ",
    )
    by_parent: dict[str, list[tuple[str, Path]]] = defaultdict(list)
    for _, name, parent, p in depts:
        if parent is not None:
            by_parent[parent].append((name, (*p, "name")))
    for parent, names in by_parent.items():
        _duplicates(ctx, "department name", names, f"names under {parent!r} must differ")
    _duplicates(
        ctx,
        "role id",
        ((r.id, ctx.at("roles", i, "id")) for i, r in enumerate(org.roles)),
        unique,
    )
    _duplicates(
        ctx,
        "role name",
        (
            (f"{r.platform}:{r.name}", ctx.at("roles", i, "name"))
            for i, r in enumerate(org.roles)
        ),
        "a seller centre shows roles by name, so names must differ per platform",
    )
    # A member's earlier ids share the namespace with current ids: a reused id would make
    # "rename" ambiguous.
    member_ids: list[tuple[str, Path]] = []
    for i, m in enumerate(org.members):
        member_ids.append((m.id, ctx.at("members", i, "id")))
    for i, m in enumerate(org.members):
        for j, old in enumerate(m.previously):
            member_ids.append((old, ctx.at("members", i, "previously", j)))
    member_ids.sort(key=lambda item: ctx.loaded.position(item[1]))
    _duplicates(ctx, "member id", member_ids, "current and previous member ids must be unique")
    _duplicates(
        ctx,
        "chat group",
        (
            (f"{g.shop}/{g.name}", ctx.at("chat_groups", i, "name"))
            for i, g in enumerate(org.chat_groups)
        ),
        "merge the two groups",
    )


def account_shape(ctx: Context) -> None:
    for i, a in enumerate(ctx.org.accounts):
        shops = ShopsFacts(a.platform, a.id, len(a.shops))
        for rule in broken(shops, "validate"):
            here = ctx.at("accounts", i, "shops")
            if rule is SINGLE_SHOP:
                ctx.report(here, f"{len(a.shops)} shops are declared under account {a.id!r} "
                                 f"({rule.message}: declare one account per shop)")
            else:
                _plainly(ctx, here, shops, rule)
        colons = ":" + _LOOKALIKE_COLONS
        if LOGIN_FORMAT.applies_to(a.platform) and any(c in a.nick for c in colons):
            ctx.report(
                ctx.at("accounts", i, "nick"),
                f"nick {a.nick!r} contains a colon ({LOGIN_FORMAT.message}: write only the "
                "main account name; sub-account logins are built as nick:login_name)",
            )
        for j, s in enumerate(a.shops):
            shop = ShopFacts(a.platform, s.id, s.site)
            for shop_rule in broken(shop, "validate"):
                here = ctx.at("accounts", i, "shops", j)
                if shop_rule is not SHOPEE_SITE:
                    _plainly(ctx, here, shop, shop_rule)
                elif s.site is None:
                    ctx.report(here, f"{a.platform} shop {s.id!r} has no site "
                                     f"({shop_rule.message}: add site:)")
                else:
                    ctx.report((*here, "site"),
                               f"unknown {a.platform} site {s.site!r} "
                               f"({_suggest(s.site.upper(), SHOPEE_SITES)}{shop_rule.message})")
            if not SHOPEE_SITE.applies_to(a.platform) and s.site is not None:
                ctx.report(
                    ctx.at("accounts", i, "shops", j, "site"),
                    f"site is only for {' and '.join(sorted(SITE_PLATFORMS))} shops, shop "
                    f"{s.id!r} is on {a.platform} (remove it)",
                )


def references(ctx: Context) -> None:
    for dept_id, _, _, path in _department_paths(ctx):
        manager = ctx.departments[dept_id].manager
        if manager is not None and not ctx.declared("member", manager):
            ctx.report(
                (*path, "manager"),
                f"department {dept_id!r} is managed by unknown member {manager!r} "
                f"({_suggest(manager, ctx.members)}the manager must be a member)",
            )
    for i, m in enumerate(ctx.org.members):
        if not ctx.declared("department", m.department):
            ctx.report(
                ctx.at("members", i, "department"),
                f"{_member_label(m)} is in unknown department {m.department!r} "
                f"({_suggest(m.department, ctx.departments)}declare it under departments:)",
            )
        seen_accounts: dict[str, Path] = {}
        for j, sub in enumerate(m.sub_accounts):
            here = ctx.at("members", i, "sub_accounts", j)
            if not ctx.declared("account", sub.account):
                ctx.report(
                    (*here, "account"),
                    f"{_member_label(m)} has a sub-account on unknown account {sub.account!r} "
                    f"({_suggest(sub.account, ctx.accounts)}declare it under accounts:)",
                )
            elif sub.account in seen_accounts:
                ctx.report(
                    (*here, "account"),
                    f"{_member_label(m)} has a second sub-account on account {sub.account!r} "
                    f"(first at line {ctx.line_of(seen_accounts[sub.account])}; one person, "
                    "one sub-account per account: merge the entries)",
                )
            seen_accounts.setdefault(sub.account, (*here, "account"))
            account = ctx.accounts.get(sub.account)
            _check_sub_account(ctx, m, sub, account, here)


def _check_sub_account(
    ctx: Context, m: Member, sub: SubAccount, account: Account | None, here: Path
) -> None:
    for k, shop_id in enumerate(sub.shops or []):
        if not ctx.declared("shop", shop_id):
            ctx.report(
                (*here, "shops", k),
                f"unknown shop {shop_id!r} ({_suggest(shop_id, ctx.shops)}"
                "declare it under its account's shops:)",
            )
        elif account is not None and shop_id in ctx.shops and ctx.shops[shop_id][0] is not account:
            ctx.report(
                (*here, "shops", k),
                f"shop {shop_id!r} belongs to account {ctx.shops[shop_id][0].id!r}, not "
                f"{account.id!r} (shops of {account.id!r}: "
                f"{', '.join(s.id for s in account.shops)})",
            )
    for k, role_id in enumerate(sub.roles):
        role = ctx.roles.get(role_id)
        if not ctx.declared("role", role_id):
            ctx.report(
                (*here, "roles", k),
                f"unknown role {role_id!r} ({_suggest(role_id, ctx.roles)}"
                "declare it under roles:)",
            )
        elif role is not None and account is not None and role.platform != account.platform:
            ctx.report(
                (*here, "roles", k),
                f"role {role_id!r} is a {role.platform} role but account {account.id!r} is "
                f"on {account.platform} (use a {account.platform} role)",
            )


def department_defaults(ctx: Context) -> None:
    """A department's ``defaults`` name declared accounts and roles, each role of that
    account's platform (the entries that inherit them take only such roles)."""
    for dept_id, name, _, path in _department_paths(ctx):
        dept = ctx.departments.get(dept_id)
        if dept is None:
            continue
        for account_id, role_ids in dept.defaults.items():
            here = (*path, "defaults", account_id)
            account = ctx.accounts.get(account_id)
            if not ctx.declared("account", account_id):
                ctx.issues.append(ctx.loaded.issue(here, (
                    f"department {name} ({dept_id}) has defaults for unknown account "
                    f"{account_id!r} ({_suggest(account_id, ctx.accounts)}declare it under "
                    "accounts:)"), key=True))
                continue
            for k, role_id in enumerate(role_ids):
                role = ctx.roles.get(role_id)
                if not ctx.declared("role", role_id):
                    ctx.report((*here, k), f"unknown role {role_id!r} in department {name}'s "
                               f"defaults ({_suggest(role_id, ctx.roles)}declare it under "
                               "roles:)")
                elif role is not None and account is not None and (
                        role.platform != account.platform):
                    ctx.report((*here, k), (
                        f"role {role_id!r} is a {role.platform} role but account "
                        f"{account_id!r} is on {account.platform} (department {name}'s "
                        f"defaults: use a {account.platform} role)"))


def dates(ctx: Context) -> None:
    """A grant's ``valid_from`` (first day) is not after its ``expires`` (last day): such an
    entry would never be in force. The same day is one day of access."""
    for i, m in enumerate(ctx.org.members):
        for j, sub in enumerate(m.sub_accounts):
            if sub.valid_from is None or sub.expires is None or sub.valid_from <= sub.expires:
                continue
            ctx.report(
                ctx.at("members", i, "sub_accounts", j, "valid_from"),
                f"{_member_label(m)}: the sub-account on {sub.account!r} starts "
                f"{sub.valid_from.isoformat()}, after it expires {sub.expires.isoformat()} "
                "(valid_from is the first day of access and expires the last: it would never "
                "be in force; swap or fix the dates)",
            )


def logins(ctx: Context) -> None:
    """Login format (Taobao/Tmall ``main:sub``) and unique logins per account."""
    taken: dict[str, dict[str, tuple[Member, Path]]] = defaultdict(dict)
    for i, m in enumerate(ctx.org.members):
        for j, sub in enumerate(m.sub_accounts):
            path = ctx.at("members", i, "sub_accounts", j, "login_name")
            account = ctx.accounts.get(sub.account)
            if account is None:
                continue
            name = sub.login_name
            if LOGIN_FORMAT.applies_to(account.platform):
                lookalike = next((c for c in _LOOKALIKE_COLONS if c in name), None)
                if lookalike is not None:
                    tail = name.split(lookalike, 1)[1] if name.startswith(account.nick) else name
                    ctx.report(
                        path,
                        f"login_name {name!r} contains the full-width colon {lookalike!r} "
                        f"({LOGIN_FORMAT.message}, and login_name is only the part after it: "
                        f"write {tail.replace(lookalike, '')!r})",
                    )
                    continue
                if ":" in name:
                    tail = name.removeprefix(f"{account.nick}:")
                    ctx.report(
                        path,
                        f"login_name {name!r} contains ':' ({LOGIN_FORMAT.message}, and "
                        f"login_name is only the part after the colon: write "
                        f"{tail.replace(':', '')!r}; the login "
                        f"{account.login(tail.replace(':', ''))!r} is computed)",
                    )
                    continue
            login = account.login(name)
            if login in taken[account.id]:
                other, other_path = taken[account.id][login]
                ctx.report(
                    path,
                    f"duplicate login {login!r} on account {account.id!r} (already used by "
                    f"{_member_label(other)} at line {ctx.line_of(other_path)}; "
                    "sub-account names are unique per account and can never be renamed)",
                )
            else:
                taken[account.id][login] = (m, path)


def role_permissions(ctx: Context) -> None:
    for i, r in enumerate(ctx.org.roles):
        catalogue = CATALOGUES[r.platform]
        for k, code in enumerate(r.permissions):
            if code not in catalogue:
                ctx.report(
                    ctx.at("roles", i, "permissions", k),
                    f"unknown {r.platform} permission code {code!r} in role {r.id!r} "
                    f"({_suggest(code, catalogue.points)}see the {r.platform} catalogue in "
                    "providers/platforms/catalogue.py)",
                )


def seat_quota(ctx: Context) -> None:
    # Every declared sub-account holds a seat, including disabled ones of people who left:
    # the seller centres count disabled sub-accounts against the quota until deleted.
    used: dict[str, list[str]] = defaultdict(list)
    for m in ctx.org.members:
        for sub in m.sub_accounts:
            used[sub.account].append(m.id)
    for i, a in enumerate(ctx.org.accounts):
        holders = used.get(a.id, [])
        seats = SeatFacts(a.platform, a.id, len(holders), a.seat_quota)
        for rule in broken(seats, "validate"):
            here = ctx.at("accounts", i, "seat_quota")
            if rule is SEAT_QUOTA:
                ctx.report(
                    here,
                    f"account {a.id!r} has seat_quota {a.seat_quota} but {len(holders)} "
                    f"sub-accounts are declared ({rule.message}: buy seats and raise "
                    f"seat_quota, or remove {len(holders) - a.seat_quota} sub-account(s); "
                    f"members: {', '.join(holders)})",
                )
            else:
                _plainly(ctx, here, seats, rule)


def bindings(ctx: Context) -> None:
    """Each binding is held to the table's rules over the facts it would leave, as the account
    system applies org.yaml in file order: a binding it would refuse is reported and left out
    of the facts the next one is judged by."""
    held: dict[str, ShopBindingFacts] = {}  # shop -> the bindings it would keep
    official: dict[str, Path] = {}  # shop -> its official binding
    self_operated: dict[str, tuple[str, Path]] = {}  # creator -> the first shop holding it
    seen: dict[tuple[str, str], Path] = {}
    over_limit: set[str] = set()  # shops told they have too many channel accounts (once each)
    for i, b in enumerate(ctx.org.bindings):
        here = ctx.at("bindings", i)
        if not ctx.declared("shop", b.shop):
            ctx.report(
                (*here, "shop"),
                f"binding on unknown shop {b.shop!r} ({_suggest(b.shop, ctx.shops)}"
                "declare it under its account's shops:)",
            )
        if b.kind != "channel" and b.source is not None:
            ctx.report(
                (*here, "source"),
                f"source is only for channel bindings, this one is {b.kind} (remove it)",
            )
        key = (b.shop, b.external_account)
        if key in seen:
            ctx.report(
                (*here, "external_account"),
                f"account {b.external_account!r} is bound to shop {b.shop!r} twice "
                f"(first at line {ctx.line_of(seen[key])}; keep one binding)",
            )
            continue
        seen[key] = (*here, "external_account")
        owner = ctx.shops.get(b.shop)
        if owner is None:
            continue  # an undeclared shop (reported) or a broken account: no platform to judge
        platform = owner[0].platform
        shop = held.get(b.shop, ShopBindingFacts(platform, b.shop)).plus(b.kind, b.source)
        refused = broken(shop, "validate")
        for rule in refused:
            if rule.feature:
                ctx.report((*here, "shop"), f"shop {b.shop!r} is on {platform} "
                                            f"({rule.message}: remove the binding)")
            elif rule is CHANNEL_SOURCE:
                ctx.report(here, f"a channel binding needs a source ({rule.message}: add "
                                 "source: where the channel account lives)")
            elif rule is CHANNEL_LIMIT:
                if b.shop not in over_limit:  # said once: the words speak of the shop
                    over_limit.add(b.shop)
                    ctx.report(
                        here,
                        f"shop {b.shop!r} has more than {DOUYIN_MAX_CHANNEL_ACCOUNTS} channel "
                        f"accounts ({rule.message}: remove one, and note "
                        f"{CHANNEL_UNBIND_TOO_EARLY.message})",
                    )
            elif rule is OFFICIAL_EXISTS:
                ctx.report(here, f"shop {b.shop!r} already has an official account (line "
                                 f"{ctx.line_of(official[b.shop])}; {rule.message}: keep one)")
            else:
                _plainly(ctx, here, shop, rule)
        if b.kind == "self_operated":
            first = self_operated.get(b.external_account)
            creator = CreatorFacts(platform, b.external_account,
                                   frozenset({b.shop} if first is None else {first[0], b.shop}))
            taken = broken(creator, "validate")
            for creator_rule in taken:
                if creator_rule is SELF_OPERATED_TAKEN and first is not None:
                    ctx.report(
                        (*here, "external_account"),
                        f"creator {b.external_account!r} is already self-operated for shop "
                        f"{first[0]!r} (line {ctx.line_of(first[1])}; {creator_rule.message}: "
                        "bind it here as a channel account or unmark it there)",
                    )
                else:
                    _plainly(ctx, here, creator, creator_rule)
            if taken:
                continue
        if refused:
            continue
        held[b.shop] = shop
        if b.kind == "official":
            official.setdefault(b.shop, here)
        elif b.kind == "self_operated":
            self_operated.setdefault(b.external_account, (b.shop, here))


def chat_groups(ctx: Context) -> None:
    groups: dict[str, int] = defaultdict(int)  # shop -> its groups so far
    for i, g in enumerate(ctx.org.chat_groups):
        here = ctx.at("chat_groups", i)
        owner = ctx.shops.get(g.shop)
        if not ctx.declared("shop", g.shop):
            ctx.report(
                (*here, "shop"),
                f"chat group {g.name!r} is on unknown shop {g.shop!r} "
                f"({_suggest(g.shop, ctx.shops)}declare it under its account's shops:)",
            )
        elif owner is not None:
            groups[g.shop] += 1
            facts = ChatGroupFacts(owner[0].platform, g.shop, groups[g.shop])
            for rule in broken(facts, "validate"):
                if rule.feature:
                    ctx.report((*here, "shop"), f"shop {g.shop!r} is on {facts.platform} "
                                                f"({rule.message}: remove the group)")
                    owner = None  # no platform to hold its members to
                else:
                    _plainly(ctx, here, facts, rule)
        for k, member_id in enumerate(g.members):
            member = ctx.members.get(member_id)
            if not ctx.declared("member", member_id):
                ctx.report(
                    (*here, "members", k),
                    f"chat group {g.name!r} names unknown member {member_id!r} "
                    f"({_suggest(member_id, ctx.members)}declare them under members:)",
                )
            elif member is not None and owner is not None and not _serves(member, owner[0], g.shop):
                ctx.report(
                    (*here, "members", k),
                    f"{_member_label(member)} is in chat group {g.name!r} of shop {g.shop!r} "
                    f"but has no sub-account there (add a sub_accounts entry for "
                    f"{owner[0].id!r} covering {g.shop!r})",
                )


def _serves(member: Member, account: Account, shop_id: str) -> bool:
    return any(
        sub.account == account.id and shop_id in sub.shop_ids(account)
        for sub in member.sub_accounts
    )


def users(ctx: Context) -> None:
    # The user behind each sub-account, as its seller centre takes one: invited by email
    # (Ozon), logging in with a mobile number and named by a short nickname (Kuaishou).
    for i, m in enumerate(ctx.org.members):
        for j, sub in enumerate(m.sub_accounts):
            account = ctx.accounts.get(sub.account)
            if account is None:
                continue
            user = UserFacts(account.platform, m.id, m.email,
                             login=account.login(sub.login_name), display_name=m.name)
            for rule in broken(user, "validate"):
                here = ctx.at("members", i, "sub_accounts", j, "account")
                if rule is EMAIL_REQUIRED:
                    ctx.report(
                        here,
                        f"{_member_label(m)} has a sub-account on {account.platform} account "
                        f"{account.id!r} but no email ({rule.message}: add email: to the "
                        "member)",
                    )
                elif rule is PHONE_LOGIN:
                    ctx.report(
                        ctx.at("members", i, "sub_accounts", j, "login_name"),
                        f"{_member_label(m)}'s login_name {sub.login_name!r} on account "
                        f"{account.id!r} is not a mobile number ({rule.message}: write the "
                        "number they log in with)",
                    )
                elif rule is NICK_NAME:
                    ctx.report(
                        ctx.at("members", i, "name"),
                        f"{_member_label(m)} has a sub-account on account {account.id!r}, "
                        f"whose seller centre shows the name ({rule.message}: shorten it)",
                    )
                else:
                    _plainly(ctx, here, user, rule)
            for shop_id in sub.shop_ids(account):
                held = StaffRolesFacts(account.platform, m.id, shop_id, len(sub.roles))
                for missing in broken(held, "validate"):
                    ctx.report(
                        ctx.at("members", i, "sub_accounts", j, "roles"),
                        f"{_member_label(m)}'s sub-account on account {account.id!r} names no "
                        f"role for shop {shop_id!r} ({missing.message}: add roles:, or a "
                        "defaults: entry to their department)",
                    )


def toxic_pairs(ctx: Context) -> None:
    pairs = ctx.org.policies.toxic_pairs
    for k, pair in enumerate(pairs):
        for n, code in enumerate(pair.permissions):
            lacking = [p for p in dict.fromkeys(pair.platforms) if code not in CATALOGUES[p]]
            if lacking:
                ctx.report(
                    ("policies", "toxic_pairs", k, "permissions", n),
                    f"unknown {', '.join(lacking)} permission code {code!r} in toxic pair "
                    f"({_suggest(code, CATALOGUES[lacking[0]].points)}every platform listed "
                    "must know both codes)",
                )
    # Roles are expanded once each: granting a point grants its ancestors and descendants,
    # so a role with ``item`` holds ``item-price`` too.
    held_by_role = {
        r.id: CATALOGUES[r.platform].expand(p for p in r.permissions if p in CATALOGUES[r.platform])
        for r in ctx.org.roles
    }
    for i, m in enumerate(ctx.org.members):
        if m.status == "left":
            continue  # every sub-account of a leaver is disabled: they hold nothing
        for j, sub in enumerate(m.sub_accounts):
            account = ctx.accounts.get(sub.account)
            if account is None:
                continue
            roles = [r for r in sub.roles if r in held_by_role]
            held = frozenset().union(*(held_by_role[r] for r in roles))
            for pair in pairs:
                a, b = pair.permissions
                if account.platform in pair.platforms and a in held and b in held:
                    via_a = [r for r in roles if a in held_by_role[r]]
                    via_b = [r for r in roles if b in held_by_role[r]]
                    both = [r for r in via_a if r in via_b]
                    fix = (
                        f"role {both[0]} alone grants both: split it"
                        if both
                        else f"{a} via {', '.join(via_a)}, {b} via {', '.join(via_b)}: "
                        "give these roles to different people"
                    )
                    ctx.report(
                        ctx.at("members", i, "sub_accounts", j, "roles"),
                        f"{_member_label(m)} would hold the toxic pair {a} + {b} on account "
                        f"{account.id!r} ({pair.reason}; {fix})",
                    )


RULES: tuple[Rule, ...] = (
    unique_ids,
    account_shape,
    references,
    department_defaults,
    dates,
    logins,
    role_permissions,
    seat_quota,
    bindings,
    chat_groups,
    users,
    toxic_pairs,
)


def check(ctx: Context) -> list[ConfigIssue]:
    """Run every rule; returns all issues found (unsorted)."""
    for rule in RULES:
        rule(ctx)
    return ctx.issues
