"""What a review knows besides the plan: names from org.yaml and effective permissions.

:class:`Context` answers "who is tb-youpin/zhang-wei, in which department, what is role
tb-cs-presale called" from the proposed org.yaml (and the base one, for people who are
removed), falling back to the objects in the plan. :func:`holdings` is what each person
effectively holds per shop (``catalogue.expand`` of their roles, nothing on a disabled
sub-account); :func:`names` turns codes into the catalogue's names for sentences.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from shoporg.kinds import ROLE, ROLE_GRANT, SUB_ACCOUNT, Ref
from shoporg.platforms import CATALOGUES, PermissionCatalogue
from shoporg.reports.world import Obj, Plan
from shoporg.schema import Account, Member, Org, SubAccount

Holdings = dict[tuple[str, str, str], frozenset[str]]  # (account, member, shop) -> codes


@dataclass(frozen=True)
class Context:
    """Names and facts for sentences, from the proposed org.yaml (and the base one).

    Lookups go through indexes built once (``cached_property``), so a 1,000-person change
    costs no quadratic scans; the proposed org wins over the base one."""

    new_org: Org
    old_org: Org | None
    plan: Plan
    today: datetime.date

    def orgs(self) -> list[Org]:
        return [self.new_org] + ([self.old_org] if self.old_org is not None else [])

    @cached_property
    def _accounts(self) -> dict[str, Account]:
        return {a.id: a for org in reversed(self.orgs()) for a in org.accounts}

    @cached_property
    def _members(self) -> dict[str, Member]:
        return {m.id: m for org in reversed(self.orgs()) for m in org.members}

    @cached_property
    def _departments(self) -> dict[str, tuple[str, str, str | None]]:
        """id -> (id, name, parent id)."""
        return {
            d.id: (d.id, d.name, p.id if p else None)
            for org in reversed(self.orgs()) for d, p in org.walk_departments()
        }

    @cached_property
    def _subs(self) -> dict[str, list[Obj]]:
        """member id -> their sub-account objects (new world first, then old)."""
        out: dict[str, list[Obj]] = {}
        for world in (self.plan.new, self.plan.old):
            for o in world.values():
                if o.kind == "sub_account":
                    out.setdefault(str(o.get("member_id")), []).append(o)
        return out

    def platform(self, account: str) -> str:
        found = self._accounts.get(account)
        return found.platform if found else "unknown"

    def nick(self, account: str) -> str:
        found = self._accounts.get(account)
        return found.nick if found else account

    def catalogue(self, account: str) -> PermissionCatalogue | None:
        return CATALOGUES.get(self.platform(account))

    def member_name(self, member: str) -> str:
        found = self._members.get(member)
        if found is not None:
            return found.name
        subs = self._subs.get(member)
        return str(subs[0].get("display_name")) if subs else member

    def member_department(self, member: str) -> str | None:
        found = self._members.get(member)
        if found is not None:
            return found.department
        # Only Taobao/Tmall sub-accounts carry a department; keep looking past others.
        for o in self._subs.get(member, []):
            if o.get("department_id"):
                return str(o.get("department_id"))
        return None

    def department_chain(self, dept: str | None) -> list[tuple[str, str]]:
        """(id, name) from the root down to ``dept``."""
        if dept is None:
            return []
        if dept not in self._departments:
            return [(dept, dept)]
        chain: list[tuple[str, str]] = []
        here: str | None = dept
        while here is not None:
            d_id, name, parent = self._departments[here]
            chain.append((d_id, name))
            here = parent
        return list(reversed(chain))

    def department_order(self) -> dict[str | None, int]:
        order: dict[str | None, int] = {}
        for org in self.orgs():
            for d, _ in org.walk_departments():
                order.setdefault(d.id, len(order))
        return order

    def account_order(self) -> list[str]:
        seen: dict[str, None] = {}
        for org in self.orgs():
            for a in org.accounts:
                seen.setdefault(a.id, None)
        for s in self.plan.steps:
            seen.setdefault(s.obj.account, None)
        return list(seen)

    def shop_name(self, shop: str) -> str:
        for account in self._accounts.values():
            for s in account.shops:
                if s.id == shop:
                    return s.name
        return shop

    def role_name(self, account: str, role_id: str, world: Mapping[Ref, Obj]) -> str:
        role = world.get(ROLE.ref(account, role_id))
        return str(role.get("name")) if role is not None else role_id

    def entry(self, account: str, member: str) -> SubAccount | None:
        """The member's ``sub_accounts`` entry on ``account`` in the proposed org.yaml."""
        found = self._members.get(member) if self._is_new(member) else None
        for e in found.sub_accounts if found else []:
            if e.account == account:
                return e
        return None

    def old_entry(self, account: str, member: str) -> SubAccount | None:
        """The same entry in the base org.yaml (config-only reviews; None without a base)."""
        found = self._old_members.get(member)
        for e in found.sub_accounts if found else []:
            if e.account == account:
                return e
        return None

    def expires(self, account: str, member: str) -> datetime.date | None:
        e = self.entry(account, member)
        return e.expires if e is not None else None

    def old_expires(self, account: str, member: str) -> datetime.date | None:
        """``expires:`` of the base org.yaml (config-only reviews; None without a base)."""
        e = self.old_entry(account, member)
        return e.expires if e is not None else None

    def valid_from(self, account: str, member: str) -> datetime.date | None:
        e = self.entry(account, member)
        return e.valid_from if e is not None else None

    def old_valid_from(self, account: str, member: str) -> datetime.date | None:
        """``valid_from:`` of the base org.yaml (config-only reviews; None without a base)."""
        e = self.old_entry(account, member)
        return e.valid_from if e is not None else None

    def temporary(self, account: str, member: str) -> str:
        """``"temporary access 2026-12-03 to 2026-12-17, 15 days"`` for a grant whose
        ``valid_from`` and ``expires`` are at most ``TEMPORARY_DAYS`` apart (a short
        elevation, ``SubAccount.temporary``), else ``""``."""
        e = self.entry(account, member)
        if e is None or not e.temporary():
            return ""
        assert e.valid_from is not None and e.expires is not None
        days = (e.expires - e.valid_from).days + 1
        return (f"temporary access {e.valid_from.isoformat()} to {e.expires.isoformat()}, "
                f"{days} day{'s' if days != 1 else ''}")

    def roles_from(self, account: str, member: str) -> str:
        """``"from 运营部's defaults"`` when the entry's roles are its department's
        (``Department.defaults``), else ``""``: the review says where a role comes from."""
        e = self.entry(account, member)
        if e is None or e.roles_from is None:
            return ""
        found = self._departments.get(e.roles_from)
        return f"from {found[1] if found else e.roles_from}'s defaults"

    @cached_property
    def _old_members(self) -> dict[str, Member]:
        return {m.id: m for m in self.old_org.members} if self.old_org is not None else {}

    def status(self, member: str) -> str:
        found = self._members.get(member) if self._is_new(member) else None
        return found.status if found else "active"

    @cached_property
    def _new_ids(self) -> frozenset[str]:
        return frozenset(m.id for m in self.new_org.members)

    def _is_new(self, member: str) -> bool:
        return member in self._new_ids


def holdings(world: Mapping[Ref, Obj], ctx: Context,
             only: Iterable[Ref] | None = None) -> Holdings:
    """What each person effectively holds on each shop: nothing on a disabled sub-account.
    ``only``: just these grants (those of them in ``world``)."""
    out: Holdings = {}
    grants = world.values() if only is None else (world[r] for r in only if r in world)
    for o in grants:
        if o.kind != ROLE_GRANT.word:
            continue
        account, member, shop = o.account, str(o.get("member_id")), str(o.get("shop_id"))
        sub = world.get(SUB_ACCOUNT.ref(account, member))
        if sub is None or not sub.get("enabled", True):
            continue
        cat = ctx.catalogue(account)
        codes: set[str] = set()
        for role_id in o.get("role_ids") or []:
            role = world.get(ROLE.ref(account, role_id))
            if role is not None:
                codes.update(role.get("permissions") or [])
        known = [c for c in codes if cat is None or c in cat]
        out[(account, member, shop)] = cat.expand(known) if cat else frozenset(known)
    return out


def holdings_that_may_differ(old: Mapping[Ref, Obj], new: Mapping[Ref, Obj],
                             ctx: Context) -> tuple[Holdings, Holdings]:
    """``holdings`` of ``old`` and of ``new`` for the grants whose holding may differ: a grant
    changed, or its sub-account, or one of its roles. Every other grant holds the same on both
    sides and is left out of both (a 10,000-object drift with one hand change computed all
    of them twice: a fifth of its time)."""
    # An unchanged object is usually the same instance on both sides (a plan's worlds share
    # what has no step), so identity answers first.
    moved = [r for r in old.keys() | new.keys()
             if (a := old.get(r)) is not (b := new.get(r)) and a != b]
    grants = {r for r in moved if r.kind == ROLE_GRANT.word}
    people = {r for r in moved if r.kind == SUB_ACCOUNT.word}
    roles = {r for r in moved if r.kind == ROLE.word}
    if people or roles:
        # Compared as (account, id) pairs: building two refs per grant of a 10,000-object
        # world, twice, was most of this function's time.
        holders = {(p["account"], p["member"]) for p in map(SUB_ACCOUNT.parse,
                                                             (r.name for r in people))}
        granted = {(p["account"], p["role"]) for p in map(ROLE.parse, (r.name for r in roles))}
        for world in (old, new):
            for ref, o in world.items():
                if o.kind != ROLE_GRANT.word or ref in grants:
                    continue
                account = o.account
                if (account, str(o.get("member_id"))) in holders or any(
                        (account, r) in granted for r in o.get("role_ids") or ()):
                    grants.add(ref)
    return holdings(old, ctx, grants), holdings(new, ctx, grants)


def cover(codes: Iterable[str], cat: PermissionCatalogue | None) -> list[str]:
    """The fewest codes that say ``codes``: a point whose whole subtree is in the set stands
    for the subtree; ancestors granted only as menu entries are left out of sentences."""
    held = set(codes)
    if cat is None:
        return sorted(held)
    full = {c for c in held if c in cat and set(cat.descendants(c)) <= held}
    top = [c for c in full if cat.points[c].parent not in full]
    order = list(cat.points)
    return sorted(top, key=order.index)


def names(codes: Iterable[str], cat: PermissionCatalogue | None) -> str:
    shown = cover(codes, cat)
    return "、".join(cat.points[c].name if cat and c in cat else c for c in shown)
