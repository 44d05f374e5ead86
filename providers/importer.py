"""``shoporg import``: read a live account system and write the org.yaml that declares it.

A shop run by hand adopts shoporg by importing what exists, reviewing the file, and running
``pulumi up``, whose creates adopt the identical live objects (nothing changes). Read-only:
only ``list_*`` calls. The result passes ``shoporg validate`` (checked before it is
returned) and round-trips: the stack built from it plans no change against the same system.

How live objects become org.yaml::

    accounts      list_accounts (id, platform, nick, seat quota, shops + sites)
    departments   the union of the Taobao/Tmall accounts' trees (by id)
    roles         per platform, by id; a role held by no one on TOP whose permissions cannot
                  be read is left out (commented)
    members       one per member id. The same person across accounts is the same member id
                  (the sandbox's ids; on TOP the 工号 the runbooks ask for). Sub-accounts
                  that carry only a synthetic id (``sub-<n>``) join the member with the same
                  e-mail, else the same phone; otherwise they stay a member of their own.
                  ``status: left`` when every sub-account is disabled; a single disabled
                  sub-account of an active member gets ``expires:`` yesterday.
    grants        a sub-account's roles and the shops they apply to (all shops → no ``shops:``)
    bindings, chat_groups   as listed

Each kind's section is written by its ``Kind.imports``, a function of its own module
(``shoporg.kinds.department.department_section`` ...) given the :class:`Builder` below,
called in registry order; the records it reads are its ``Kind.records``.

What org.yaml cannot say is written as a ``# note:`` comment and returned as a warning
(e.g. a member whose department no read can show: Shopee, Ozon and Douyin have no tree).
"""

from __future__ import annotations

import datetime
import functools
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import yaml

from shoporg.backends.protocol import (
    Account,
    Backend,
    Department,
    Grant,
    Role,
    SubAccount,
)
from shoporg.backends.retry import call_with_retries
from shoporg.kinds import (
    DEPARTMENT,
    KINDS,
    ROLE,
    ROLE_GRANT,
    SUB_ACCOUNT,
    Kind,
)
from shoporg.platforms import COLON_LOGIN_PLATFORMS, DEPARTMENT_PLATFORMS
from shoporg.schema import validate_text

T = TypeVar("T")
SYNTHETIC_MEMBER = re.compile(r"^sub-\d+$")
UNASSIGNED = ("unassigned", "未分配")


@dataclass
class Imported:
    text: str
    counts: dict[str, int]
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class _Live:
    accounts: list[Account]
    records: dict[str, dict[str, Sequence[object]]]  # kind word → account id → its records

    def of(self, kind: Kind, record: type[T], account: str) -> list[T]:
        """``kind``'s records in ``account``, as the protocol's ``record`` type."""
        records = self.records[kind.word][account]
        typed = [r for r in records if isinstance(r, record)]
        if len(typed) != len(records):  # a connector's bug: never drop objects unsaid
            raise TypeError(f"{kind.word} records of {account} are not all {record.__name__}")
        return typed


def read_live(backend: Backend, accounts: Iterable[str] | None = None) -> _Live:
    """Every list the import needs, one ``list_*`` per account and kind (``Kind.records``,
    with retries)."""
    wanted = set(accounts) if accounts is not None else None
    live = [a for a in call_with_retries(backend.list_accounts)
            if wanted is None or a.id in wanted]
    live.sort(key=lambda a: a.id)

    def each(kind: Kind) -> dict[str, Sequence[object]]:
        return {a.id: call_with_retries(functools.partial(kind.records, backend, a.id))
                for a in live}

    return _Live(accounts=live, records={kind.word: each(kind) for kind in KINDS})


def import_org(
    backend: Backend,
    company: str,
    *,
    accounts: Iterable[str] | None = None,
    today: Callable[[], datetime.date] = datetime.date.today,
    source: str = "",
) -> Imported:
    started = time.perf_counter()
    live = read_live(backend, accounts)
    warnings: list[str] = []
    out = Builder(live, warnings, today())
    text = out.render(company, source)
    validate_text(text, "imported org.yaml")  # ConfigError: a bug here, never a bad file out
    return Imported(text, out.counts, warnings, time.perf_counter() - started)


def _section(key: str, lines: list[str]) -> list[str]:
    """``key:`` and its items; ``key: []`` when nothing but notes (or nothing) is under it,
    so the file never says ``key: null``."""
    empty = all(line.lstrip().startswith("#") for line in lines)
    return ["", f"{key}:" + (" []" if empty else ""), *lines]


class _Dumper(yaml.SafeDumper):
    """Quotes text that YAML 1.1 (PyYAML) or 1.2 (org.yaml, providers/schema/loader.py)
    would read as something else: PyYAML alone leaves ``1e3`` and ``0o17`` bare."""


_Dumper.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"))
_Dumper.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^0o[0-7]+$"), ["0"])


def _flow(value: dict[str, Any]) -> str:
    return yaml.dump(
        value, Dumper=_Dumper, allow_unicode=True, default_flow_style=True, sort_keys=False,
        width=10**9,
    ).strip()


def _scalar(value: object) -> str:
    text = yaml.dump(value, Dumper=_Dumper, allow_unicode=True, width=10**9).strip()
    return text.removesuffix("...").strip()


class Builder:
    """The imported org.yaml as it is written: each kind's ``Kind.imports`` (in registry
    order) reads the live records and writes its section, counts and notes here."""

    def __init__(self, live: _Live, warnings: list[str], today: datetime.date) -> None:
        self.live = live
        self.warnings = warnings
        self.today = today
        self.counts: dict[str, int] = {}
        self.platform = {a.id: a.platform for a in live.accounts}
        # What each kind's section (``Kind.imports``, in registry order) writes: org.yaml's
        # sections in file order, the ones left out when empty, and what later kinds read.
        self.sections: dict[str, list[str]] = {}
        self.optional: set[str] = set()
        self.fallback_dept: str | None = None  # the departments' first root
        self.declared_roles: set[tuple[str, str]] = set()  # (platform, role id)

    def note(self, text: str) -> str:
        self.warnings.append(text)
        return f"# note: {text}"

    # --- departments ----------------------------------------------------------------------

    def departments(self) -> tuple[list[str], str | None]:
        depts: dict[str, Department] = {}
        notes: list[str] = []
        for account in self.live.accounts:
            for d in self.live.of(DEPARTMENT, Department, account.id):
                seen = depts.setdefault(d.id, d)
                if (seen.name, seen.parent_id) != (d.name, d.parent_id):
                    notes.append("  " + self.note(
                        f"department {d.id} is {seen.name!r} in {seen.account_id} but "
                        f"{d.name!r} in {d.account_id}: kept the first"))
        children: dict[str | None, list[Department]] = defaultdict(list)
        for d in depts.values():
            parent = d.parent_id if d.parent_id in depts else None
            children[parent].append(d)
        lines: list[str] = []

        def emit(parent: str | None, indent: int) -> None:
            for d in sorted(children.get(parent, []), key=lambda d: d.id):
                pad = " " * indent
                lines.append(f"{pad}- id: {_scalar(d.id)}")
                lines.append(f"{pad}  name: {_scalar(d.name)}")
                if children.get(d.id):
                    lines.append(f"{pad}  children:")
                    emit(d.id, indent + 4)

        emit(None, 2)
        lines = notes + lines
        self.counts["departments"] = len(depts)
        roots = sorted(children.get(None, []), key=lambda d: d.id)
        return lines, roots[0].id if roots else None

    # --- roles ----------------------------------------------------------------------------

    def roles(self) -> tuple[list[str], set[tuple[str, str]]]:
        by_platform: dict[str, dict[str, Role]] = defaultdict(dict)
        where: dict[tuple[str, str], set[str]] = defaultdict(set)
        lines: list[str] = []
        for account in self.live.accounts:
            for r in self.live.of(ROLE, Role, account.id):
                if not r.permissions:
                    lines.append(self.note(
                        f"role {r.name!r} ({r.id}) in {account.id}: the account system does "
                        "not show its permissions (TOP for a role held by no one, Kuaishou for "
                        "any role): left out; declare it, or import with --org"))
                    continue
                seen = by_platform[account.platform].setdefault(r.id, r)
                where[(account.platform, r.id)].add(account.id)
                if (seen.name, sorted(seen.permissions)) != (r.name, sorted(r.permissions)):
                    lines.append(self.note(
                        f"role {r.id} differs between {seen.account_id} and {account.id}: "
                        "kept the first"))
        declared: set[tuple[str, str]] = set()
        for platform in sorted(by_platform):
            accounts = {a.id for a in self.live.accounts if a.platform == platform}
            for role_id, r in sorted(by_platform[platform].items()):
                missing = sorted(accounts - where[(platform, role_id)])
                if missing:
                    lines.append(self.note(
                        f"role {role_id} is missing in {', '.join(missing)}: declaring it "
                        "creates it there"))
                item: dict[str, Any] = {"id": role_id, "platform": platform, "name": r.name,
                                        "permissions": sorted(r.permissions)}
                if r.description:
                    item["description"] = r.description
                lines.append(f"  - {_flow(item)}")
                declared.add((platform, role_id))
        self.counts["roles"] = len(declared)
        return lines, declared

    # --- members --------------------------------------------------------------------------

    def people(self) -> dict[str, list[SubAccount]]:
        """member id → sub-accounts, with synthetic ids merged by e-mail, then phone."""
        groups: dict[str, list[SubAccount]] = defaultdict(list)
        for account in self.live.accounts:
            for s in self.live.of(SUB_ACCOUNT, SubAccount, account.id):
                groups[s.member_id].append(s)
        real = {m: subs for m, subs in groups.items() if not SYNTHETIC_MEMBER.match(m)}
        by_email = {s.email.lower(): m for m, subs in real.items() for s in subs if s.email}
        by_phone = {s.phone: m for m, subs in real.items() for s in subs if s.phone}
        merged: dict[str, list[SubAccount]] = {m: list(subs) for m, subs in real.items()}
        for m, subs in sorted(groups.items()):
            if m in real:
                continue
            target = next((by_email[s.email.lower()] for s in subs
                           if s.email and s.email.lower() in by_email), None)
            target = target or next((by_phone[s.phone] for s in subs
                                     if s.phone and s.phone in by_phone), None)
            taken = {s.account_id for s in merged.get(target or "", [])}
            if target and not taken & {s.account_id for s in subs}:
                merged[target].extend(subs)
            else:
                merged[m] = list(subs)
                for s in subs:
                    if s.email:
                        by_email.setdefault(s.email.lower(), m)
                    if s.phone:
                        by_phone.setdefault(s.phone, m)
        return merged

    def members(self, declared_roles: set[tuple[str, str]], fallback_dept: str | None
                ) -> tuple[list[str], bool]:
        grants: dict[tuple[str, str], dict[str, tuple[str, ...]]] = defaultdict(dict)
        for account in self.live.accounts:
            for g in self.live.of(ROLE_GRANT, Grant, account.id):
                grants[(account.id, g.member_id)][g.shop_id] = tuple(sorted(g.role_ids))
        shops = {a.id: [s.id for s in a.shops] for a in self.live.accounts}
        nick = {a.id: a.nick for a in self.live.accounts}
        lines: list[str] = []
        needs_unassigned = False
        people = self.people()
        subs_total = 0
        left = 0
        for member_id in sorted(people):
            subs = sorted(people[member_id], key=lambda s: s.account_id)
            first = subs[0]
            dept = next((s.department_id for s in subs if s.department_id), None)
            active = [s for s in subs if s.status != "disabled"]
            notes = []
            if dept is None:
                if fallback_dept is None:
                    needs_unassigned = True
                dept = fallback_dept or UNASSIGNED[0]
                if any(self.platform[s.account_id] in DEPARTMENT_PLATFORMS for s in subs):
                    notes.append(f"{member_id} has no department on "
                                 f"{', '.join(s.account_id for s in subs)}; set one")
                else:
                    notes.append(f"{member_id}: no read shows a department on "
                                 f"{', '.join(sorted({self.platform[s.account_id] for s in subs}))}"
                                 f"; placed in {dept}, review")
            email = next((s.email for s in subs if s.email), None)
            phone = next((s.phone for s in subs if s.phone), None)
            for note in notes:
                lines.append(f"  {self.note(note)}")
            lines.append(f"  - id: {_scalar(member_id)}")
            lines.append(f"    name: {_scalar(first.display_name)}")
            lines.append(f"    department: {_scalar(dept)}")
            if email:
                lines.append(f"    email: {_scalar(email)}")
            if phone:
                lines.append(f"    phone: {_scalar(phone)}")
            if not active:
                lines.append("    status: left")
                left += 1
            lines.append("    sub_accounts:")
            for s in subs:
                lines.extend(self._entry(s, bool(active), grants.get((s.account_id, member_id), {}),
                                         shops[s.account_id], nick[s.account_id], declared_roles))
                subs_total += 1
        self.counts["members"] = len(people)
        self.counts["left"] = left
        self.counts["sub_accounts"] = subs_total
        return lines, needs_unassigned

    def _entry(
        self, s: SubAccount, member_active: bool, grants: dict[str, tuple[str, ...]],
        account_shops: list[str], nick: str, declared_roles: set[tuple[str, str]],
    ) -> list[str]:
        lines: list[str] = []
        platform = self.platform[s.account_id]
        login = s.login
        if platform in COLON_LOGIN_PLATFORMS:
            prefix = f"{nick}:"
            if login.startswith(prefix):
                login = login[len(prefix):]
            else:
                lines.append(f"      {self.note(f'{s.login!r} does not start with {prefix!r}')}")
        item: dict[str, Any] = {"account": s.account_id, "login_name": login}
        role_sets = Counter(grants.values())
        if role_sets:
            roles, _ = role_sets.most_common(1)[0]
            if len(role_sets) > 1:
                lines.append(f"      {self.note(f'{SUB_ACCOUNT.ref(s.account_id, s.member_id).name} has different roles per shop; declared the most common set')}")  # noqa: E501
            on = sorted(shop for shop, r in grants.items() if r == roles)
            if on != sorted(account_shops):
                item["shops"] = on
            unknown = [r for r in roles if (platform, r) not in declared_roles]
            if unknown:
                lines.append(f"      {self.note(f'{SUB_ACCOUNT.ref(s.account_id, s.member_id).name} holds undeclared roles {unknown}: left out')}")  # noqa: E501
            item["roles"] = [r for r in roles if (platform, r) in declared_roles]
        else:
            item["roles"] = []
        if s.status == "disabled" and member_active:
            item["expires"] = self.today - datetime.timedelta(days=1)
        if s.dispatch:
            item["dispatch"] = True
        if s.two_factor:
            lines.append(f"      {self.note(f'{SUB_ACCOUNT.ref(s.account_id, s.member_id).name} has two-factor on; org.yaml cannot declare it')}")  # noqa: E501
        lines.append(f"      - {_flow(item)}")
        return lines

    # --- the file ---------------------------------------------------------------------------

    def render(self, company: str, source: str) -> str:
        out = [
            "# yaml-language-server: $schema=./schema/org.schema.json",
            f"# imported by `shoporg import`{' from ' + source if source else ''} on "
            f"{self.today.isoformat()}: review it, then `pulumi up` adopts what exists.",
            "",
            f"company: {_scalar(company)}",
            "",
            "accounts:",
        ]
        for a in self.live.accounts:
            out.append(f"  - id: {_scalar(a.id)}")
            out.append(f"    platform: {a.platform}")
            out.append(f"    nick: {_scalar(a.nick)}")
            if a.seats_used > a.seat_quota:  # a quota the account system does not tell
                told = (f"{a.id} reports {a.seat_quota} seat(s) and uses {a.seats_used}: "
                        "declared the seats in use")
                out.append(f"    {self.note(told)}")
            out.append(f"    seat_quota: {max(a.seat_quota, a.seats_used)}")
            out.append("    shops:")
            for shop in a.shops:
                item: dict[str, Any] = {"id": shop.id, "name": shop.name}
                if shop.site:
                    item["site"] = shop.site
                out.append(f"      - {_flow(item)}")
        self.counts["accounts"] = len(self.live.accounts)
        for kind in KINDS:
            kind.imports(self)
        for key, lines in self.sections.items():
            if lines or key not in self.optional:
                out += _section(key, lines)
        return "\n".join(out) + "\n"
