"""Plan → Review: one domain sentence per change, grouped account → department → person.

::

    Step(update, role_grant, "tb-youpin/zhang-wei@tb-youpin-shop", roles [tb-cs-presale] →
         [tb-cs-presale, tb-cs-aftersale])
    →  "张伟 gains 同意退款, 查看退款 on tb-youpin-shop (roles: 售前客服, 售后客服)"

Permissions are compared as the platform applies them (``catalogue.expand``: a granted
point brings its ancestors and descendants), per (account, member, shop), in the old and the
new world; so a role edit shows up as gains and losses of every person holding the role.
Each kind's sentence is its ``Kind.review``, written in its own module
(``shoporg.kinds.department.department_change`` ...) with the helpers below
(:func:`object_change`, :func:`sub_account_lines`). Risk rules live in
:mod:`shoporg.reports.risks`; this module only says what happens.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Final

from shoporg.backends.settings import BackendSettings
from shoporg.kinds import BY_WORD, ROLE_GRANT, SUB_ACCOUNT, Ref
from shoporg.reports.context import Context, Holdings, holdings_that_may_differ, names
from shoporg.reports.diagram import access_matrix, mermaid_tree
from shoporg.reports.manual_steps import connectors_of, manual_steps
from shoporg.reports.model import (
    AccountSection,
    AccountSummary,
    Change,
    DepartmentSection,
    FieldChange,
    PersonSection,
    Review,
)
from shoporg.reports.risks import expiring_soon, find_risks, starting_soon
from shoporg.reports.world import Plan, Step
from shoporg.schema import Org

# --- sentences ----------------------------------------------------------------------------

#: A kind's review sentence, its ``Kind.review``: its plan step as a Change, given the
#: holdings (account, member, shop → permissions) before and after, from which a grant's
#: gains and losses are told.
Sentence = Callable[[Step, Context, Holdings, Holdings], Change]


def sub_account_lines(step: Step, ctx: Context) -> tuple[str, tuple[FieldChange, ...]]:
    """What happens to a person's sub-account, and the fields that change
    (``SUB_ACCOUNT.review``'s words)."""
    o = step.obj
    member = str(o.get("member_id"))
    who, account = ctx.member_name(member), o.account
    if step.op == "create":
        notes = [] if o.get("enabled", True) else ["disabled"]
        start = ctx.valid_from(account, member)
        temporary = ctx.temporary(account, member)
        if temporary:
            notes.append(temporary)
        elif start is not None:
            notes.append(f"valid from {start.isoformat()}")
        state = f" ({'; '.join(notes)})" if notes else ""
        return f"{who} gets sub-account `{o.get('login')}` on {account}{state}", ()
    if step.op == "delete":
        start = ctx.valid_from(account, member)
        why = "deleted"
        if start is not None and start > ctx.today:
            why = (f"deleted: org.yaml now starts it on {start.isoformat()}, the day it is "
                   "created again")
        return f"{who} loses sub-account `{o.get('login')}` on {account} ({why})", ()
    assert step.old is not None and step.new is not None
    fields = tuple(
        FieldChange(k, step.old.get(k), step.new.get(k)) for k in step.changed_keys()
    )
    if step.op == "replace":
        return (
            f"{who}'s sub-account on {account} is replaced: `{step.old.get('login')}` → "
            f"`{step.new.get('login')}` (a new account; the old login is deleted)",
            fields,
        )
    parts: list[str] = []
    for f in fields:
        if f.key == "enabled":
            if f.new:
                parts.append(f"is re-enabled on {account}")
            else:
                exp = ctx.expires(account, str(o.get("member_id")))
                why = (
                    "left the company" if ctx.status(str(o.get("member_id"))) == "left"
                    else f"grant expired {exp.isoformat()}" if exp and exp < ctx.today
                    else "disabled"
                )
                parts.append(f"is disabled on {account} ({why})")
        elif f.key == "department_id":
            old = " / ".join(n for _, n in ctx.department_chain(f.old)) or "no department"
            new = " / ".join(n for _, n in ctx.department_chain(f.new)) or "no department"
            parts.append(f"moves from {old} to {new} on {account}")
        elif f.key == "dispatch":
            parts.append(f"{'joins' if f.new else 'leaves'} chat dispatch (分流) on {account}")
        elif f.key == "display_name":
            parts.append(f"is renamed {f.old} → {f.new} on {account}")
        else:
            parts.append(f"{f.key.replace('_', ' ')} changes on {account}")
    return f"{who} " + "; ".join(parts or [f"sub-account on {account} is updated"]), fields


#: What happens to an object that is no one's, by plan operation.
VERBS: Final = {"create": "is created", "delete": "is removed", "update": "changes",
                "replace": "is re-created"}


def object_change(step: Step, text: str) -> Change:
    """An object that is no one's (a department, a role, a binding, a chat group)."""
    o = step.obj
    fields = tuple(
        FieldChange(k, step.old.get(k), step.new.get(k)) for k in step.changed_keys()
    ) if step.old is not None and step.new is not None else ()
    return Change(
        op=step.op, kind=step.kind, name=step.name, account=o.account, text=text,
        fields=fields, shop=str(o.get("shop_id")) if o.get("shop_id") else None,
    )


def _sentence(word: str) -> Sentence:
    """The kind's review sentence (``Kind.review``); a step of no registered kind is said
    plainly."""
    kind = BY_WORD.get(word)
    if kind is None:
        return lambda step, ctx, old_h, new_h: object_change(
            step, f"{step.kind} {step.name} {VERBS[step.op]}")
    return kind.review


def _expiry_changes(ctx: Context) -> list[Change]:
    """A sub-account's ``expires:`` added, moved or removed (config-only reviews, which know
    the base), and any expiring within the 14-day window (both reviews): nothing changes on
    the platform now, but the access ends (or no longer ends) on that day, so a reviewer
    must see it. Said once, by the disable / re-enable line, where the plan toggles it."""
    toggled = {s.ref for s in ctx.plan.steps
               if s.kind == SUB_ACCOUNT.word and "enabled" in s.changed_keys()}
    out: list[Change] = []
    for o in ctx.plan.new.values():
        if o.kind != SUB_ACCOUNT.word:
            continue
        account, member = o.account, str(o.get("member_id"))
        if o.ref in toggled or ctx.status(member) == "left":
            continue
        new = ctx.expires(account, member)
        old = ctx.old_expires(account, member) if ctx.old_org is not None else new
        if old == new and not expiring_soon(new, ctx.today):
            continue
        who, lead = ctx.member_name(member), f"{ctx.member_name(member)}'s access on {account}"
        existed = o.ref in ctx.plan.old
        if new is None:
            text = f"{lead} no longer expires (was {old})"
        elif old is None or old == new:
            text = f"{lead} expires {new.isoformat()}" + (
                " (no expiry before)" if old is None and existed and ctx.old_org is not None
                else "")
        else:
            text = f"{lead} now expires {new.isoformat()} (was {old.isoformat()})"
        if new is not None and new < ctx.today:
            text += "; that day is past: the sub-account stays disabled"
        elif new is not None:
            text += (f"; the sub-account is disabled from {new + datetime.timedelta(days=1)} "
                     "(the first `shoporg up` on or after that day; nothing changes now)")
        temporary = ctx.temporary(account, member)
        if temporary:
            text += f"; {temporary}"
        out.append(Change(
            op="expiry", kind=SUB_ACCOUNT.word, name=o.name, account=account, text=text,
            member=member, member_name=who,
            fields=(FieldChange("expires", old.isoformat() if old else None,
                                new.isoformat() if new else None),),
        ))
    return out


def _start_changes(ctx: Context) -> list[Change]:
    """A sub-account's ``valid_from:`` added, moved or removed (config-only reviews, which
    know the base), and any start day still ahead within the 14-day window (both reviews).
    Before its day the sub-account is not declared, so no plan step says it: the person
    waits, and the first `shoporg up` on or after that day creates the sub-account and grants
    its roles; a reviewer must see that now. A start day that has come is said by the create
    line (``valid from ...``) where the plan creates it."""
    in_scope = {o.account for world in (ctx.plan.new, ctx.plan.old) for o in world.values()}
    created = {s.ref for s in ctx.plan.steps if s.kind == SUB_ACCOUNT.word and s.op == "create"}
    out: list[Change] = []
    for m in ctx.new_org.members:
        if m.status == "left":
            continue  # never created, or disabled: a start day changes nothing for a leaver
        for e in m.sub_accounts:
            account, ref = e.account, SUB_ACCOUNT.ref(e.account, m.id)
            if account not in in_scope:
                continue  # another shard's account
            new = e.valid_from
            old = ctx.old_valid_from(account, m.id) if ctx.old_org is not None else new
            waiting = new is not None and new > ctx.today
            if old == new and not (waiting and starting_soon(new, ctx.today)):
                continue
            if not waiting and new is not None and ref in created:
                continue  # said by the create line
            lead = f"{m.name}'s access on {account}"
            if new is None:
                text = f"{lead} no longer has a start date (was {old})"
                if ref in created:
                    text += "; the sub-account is created now"
            else:
                notes: list[str] = []
                if waiting:
                    days = (new - ctx.today).days
                    notes.append(f"in {days} day{'s' if days != 1 else ''}")
                if old is not None and old != new:
                    notes.append(f"was {old.isoformat()}")
                elif old is None and ctx.old_entry(account, m.id) is not None:
                    notes.append("no start date before")
                text = (f"{lead} {'starts' if old == new or old is None else 'now starts'} "
                        f"{new.isoformat()}" + (f" ({'; '.join(notes)})" if notes else ""))
                text += ("; the sub-account is created and its roles granted on that day (the "
                         "first `shoporg up` on or after it; nothing is created now)" if waiting
                         else "; that day has come: the sub-account is declared from it")
            temporary = ctx.temporary(account, m.id)
            if temporary:
                text += f"; {temporary}"
            elif e.expires is not None and waiting:
                text += f"; it expires {e.expires.isoformat()}"
            out.append(Change(
                op="expiry", kind=SUB_ACCOUNT.word, name=ref.name, account=account, text=text,
                member=m.id, member_name=m.name,
                fields=(FieldChange("valid_from", old.isoformat() if old else None,
                                    new.isoformat() if new else None),),
            ))
    return out


def _changes(ctx: Context) -> list[Change]:
    old_h, new_h = holdings_that_may_differ(ctx.plan.old, ctx.plan.new, ctx)
    out: list[Change] = []
    stepped_grants: set[tuple[str, str, str]] = set()
    toggled: set[tuple[str, str]] = set()
    for step in ctx.plan.steps:
        o = step.obj
        out.append(_sentence(step.kind)(step, ctx, old_h, new_h))
        # What the effects below must not say twice: a person's access toggled, a grant
        # stepped (its sentence already says the gains and losses).
        if step.kind == SUB_ACCOUNT.word:
            if step.old is None or step.new is None or "enabled" in step.changed_keys():
                toggled.add((o.account, str(o.get("member_id"))))
        elif step.kind == ROLE_GRANT.word:
            stepped_grants.add((o.account, str(o.get("member_id")), str(o.get("shop_id"))))
    out.extend(_expiry_changes(ctx))
    out.extend(_start_changes(ctx))
    # Effects: a person's permissions moved although their grant did not (a role edit).
    for key in sorted(set(old_h) | set(new_h)):
        account, member, shop = key
        if key in stepped_grants or (account, member) in toggled:
            continue
        before, after = old_h.get(key, frozenset()), new_h.get(key, frozenset())
        if before == after:
            continue
        cat = ctx.catalogue(account)
        bits = []
        if after - before:
            bits.append(f"gains {names(after - before, cat)}")
        if before - after:
            bits.append(f"loses {names(before - after, cat)}")
        who = ctx.member_name(member)
        out.append(Change(
            op="effect", kind=ROLE_GRANT.word, name=ROLE_GRANT.ref(account, member, shop).name,
            account=account,
            text=f"{who} {' and '.join(bits)} on {shop} (a role they hold changed)",
            member=member, member_name=who, shop=shop,
            permissions_gained=tuple(sorted(after - before)),
            permissions_lost=tuple(sorted(before - after)),
        ))
    return [
        replace(c, department=ctx.member_department(c.member)) if c.member else c for c in out
    ]


def _person_statuses(plan: Plan) -> dict[str, str]:
    """member id -> added (no sub-account before) | removed (none after) | changed."""
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    for world, counts in ((plan.old, before), (plan.new, after)):
        for o in world.values():
            if o.kind == SUB_ACCOUNT.word:
                counts[str(o.get("member_id"))] += 1
    out: dict[str, str] = {}
    for member in set(before) | set(after):
        if not before[member]:
            out[member] = "added"
        elif not after[member]:
            out[member] = "removed"
        else:
            out[member] = "changed"
    return out


def _sections(changes: list[Change], ctx: Context, statuses: Mapping[str, str]
              ) -> list[AccountSection]:
    order = ctx.department_order()
    by_account: dict[str, list[Change]] = defaultdict(list)
    for c in changes:
        by_account[c.account].append(c)
    sections: list[AccountSection] = []
    for account in ctx.account_order():
        items = by_account.get(account)
        if not items:
            continue
        people: dict[str | None, dict[str, list[Change]]] = defaultdict(lambda: defaultdict(list))
        objects: list[Change] = []
        for c in items:
            if c.member is None:
                objects.append(c)
            else:
                people[c.department][c.member].append(c)
        depts: list[DepartmentSection] = []
        for dept in sorted(people, key=lambda d: (order.get(d, len(order)), d or "")):
            persons = tuple(
                PersonSection(
                    member=m, name=ctx.member_name(m), status=statuses.get(m, "changed"),
                    changes=tuple(cs),
                )
                for m, cs in sorted(people[dept].items(), key=lambda kv: kv[0])
            )
            path = " / ".join(n for _, n in ctx.department_chain(dept)) or "(no department)"
            depts.append(DepartmentSection(id=dept, path=path, people=persons))
        sections.append(AccountSection(
            id=account, platform=ctx.platform(account), nick=ctx.nick(account),
            objects=tuple(objects), departments=tuple(depts),
        ))
    return sections


def _summaries(ctx: Context, changes: list[Change]) -> list[AccountSummary]:
    """Step counts per account; an account whose only change is an expiry is listed with
    zeros (nothing is applied there now, but the review is not empty)."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for s in ctx.plan.steps:
        counts[s.obj.account][s.op] += 1
    for c in changes:
        counts.setdefault(c.account, defaultdict(int))  # listed, with zero steps
    return [
        AccountSummary(
            id=a, platform=ctx.platform(a), nick=ctx.nick(a),
            create=counts[a]["create"], update=counts[a]["update"],
            replace=counts[a]["replace"], delete=counts[a]["delete"],
        )
        for a in ctx.account_order()
        if a in counts
    ]


def build_review(
    plan: Plan,
    new_org: Org,
    *,
    old_org: Org | None = None,
    today: datetime.date,
    source: dict[str, Any],
    connectors: BackendSettings | None = None,
) -> Review:
    """The one review model every renderer, the guard and the CLI read; ``connectors``: the
    stack's routing, which says what becomes a manual step (None: the sandbox, none)."""
    ctx = Context(new_org=new_org, old_org=old_org, plan=plan, today=today)
    changes = _changes(ctx)
    risks = find_risks(ctx, changes, connectors_of(connectors))
    flagged: dict[Ref, list[str]] = defaultdict(list)
    for r in risks:
        if r.code not in flagged[Ref(r.kind, r.name)]:
            flagged[Ref(r.kind, r.name)].append(r.code)
    changes = [replace(c, risks=tuple(flagged.get(Ref(c.kind, c.name), ()))) for c in changes]
    statuses = _person_statuses(plan)
    people = {
        c.member: statuses.get(c.member, "changed") for c in changes if c.member is not None
    }
    shops, matrix = access_matrix(ctx, sorted(people))
    return Review(
        source=source,
        company=new_org.company,
        today=today.isoformat(),
        accounts=tuple(_summaries(ctx, changes)),
        sections=tuple(_sections(changes, ctx, statuses)),
        risks=tuple(risks),
        changes=tuple(changes),
        mermaid=mermaid_tree(ctx, people),
        matrix_shops=tuple(shops),
        matrix=tuple(matrix),
        people=people,
        manual_steps=manual_steps(ctx, connectors_of(connectors)),
    )
