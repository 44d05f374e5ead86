"""Sub-accounts (子账号): a member's login on one platform account::

    members:
      - id: alice
        name: 王小丽
        department: cs-pre
        sub_accounts:
          - account: tb-main
            login_name: 小丽        # login <main nick>:小丽 on Taobao/Tmall (immutable)
            roles: [tb-cs]

Name ``<account>/<member>``; a ``previously:`` id keeps the old name as an alias, so a
rename is a re-key, not delete + create. Leavers and expired entries are disabled, never
deleted. On platforms with departments it takes its department's output.

Dates, by the account system's "today" (``shoporg.backends.clock``), both days included::

    members:
      - id: bob
        name: 李波
        department: cs-pre
        sub_accounts:             # covers the Taobao shop over a holiday: temporary access
          - {account: tb-main, login_name: 李波, roles: [tb-cs],
             valid_from: 2026-12-03, expires: 2026-12-17}

Before ``valid_from`` the entry is not declared at all (no sub-account, no grant: nothing is
created, no seat is taken on the platform, no dormant login waits); from that day to
``expires`` it is enabled; from the day after ``expires`` it is disabled. The daily
``shoporg up`` that disables an expired entry is the one that creates a starting one.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import TYPE_CHECKING

from shoporg.backends.protocol import SubAccountBackend
from shoporg.kinds.base import Desired, Kind, LiveObject, Scope, Tally, Wire
from shoporg.kinds.department import DEPARTMENT, has_tree
from shoporg.platforms import contact_of

if TYPE_CHECKING:  # annotations only: the kinds load without the schema's models, and the
    # layers its review sentence, manual-step object and import section serve import them
    from shoporg.importer import Builder
    from shoporg.reports.context import Context, Holdings
    from shoporg.reports.model import Change
    from shoporg.reports.world import Obj, Step
    from shoporg.schema import Member
    from shoporg.schema import SubAccount as SubAccountDecl


def sub_account_enabled(member: Member, entry: SubAccountDecl, today: datetime.date) -> bool:
    """Leavers and expired grants are disabled, never deleted (DECISIONS.md)."""
    if member.status == "left":
        return False
    return entry.expires is None or entry.expires >= today


def _expand(scope: Scope) -> Iterator[Desired]:
    for member in scope.org.members:
        for entry in member.sub_accounts:
            account = scope.accounts.get(entry.account)
            if account is None:
                continue  # another shard's account
            if not entry.started(scope.today):
                continue  # created on its valid_from day, not before
            tree = has_tree(account.platform)
            wires: tuple[Wire, ...] = ()
            if tree:
                wires = (Wire("department_id", (DEPARTMENT.ref(account.id, member.department),),
                              "department_id"),)
            login = account.login(entry.login_name)
            email, phone = contact_of(account.platform, login, member.email, member.phone)
            yield Desired(
                SUB_ACCOUNT.ref(account.id, member.id), account.id,
                {"account_id": account.id, "member_id": member.id,
                 "login": login, "display_name": member.name,
                 "department_id": member.department if tree else None,
                 "email": email, "phone": phone, "dispatch": entry.dispatch,
                 "two_factor": False,
                 "enabled": sub_account_enabled(member, entry, scope.today)},
                aliases=tuple(SUB_ACCOUNT.ref(account.id, old) for old in member.previously),
                wires=wires,
            )


def _live(backend: SubAccountBackend, account: str) -> Iterator[LiveObject]:
    for s in backend.list_sub_accounts(account):
        yield LiveObject(SUB_ACCOUNT.ref(account, s.member_id), account,
                         f"sub-account {s.login} ({s.display_name}, {s.status})")


# --- its review sentence, manual-step object and import section (``Kind.review``,
# ``manual_object``, ``imports``): those layers import the kinds, so their helpers are
# imported when they call these, never when a kind is loaded.


def sub_account_change(step: Step, ctx: Context, old_h: Holdings, new_h: Holdings) -> Change:
    """``SUB_ACCOUNT.review``: the person's sub-account gained, lost, replaced or changed."""
    from shoporg.reports.interpret import sub_account_lines
    from shoporg.reports.model import Change

    o = step.obj
    text, fields = sub_account_lines(step, ctx)
    member = str(o.get("member_id"))
    return Change(
        op=step.op, kind=step.kind, name=step.name, account=o.account, text=text,
        member=member, member_name=ctx.member_name(member), fields=fields,
    )


def sub_account_object(ctx: Context, o: Obj) -> str:
    """``SUB_ACCOUNT.manual_object``: the login and whose it is."""
    from shoporg.reports.manual_steps import person_of

    return f"sub-account `{o.get('login')}` of {person_of(ctx, o)}"


def sub_account_section(b: Builder) -> None:
    """``SUB_ACCOUNT.imports``: the members, each with its sub-accounts and their roles (the
    grants)."""
    from shoporg.importer import UNASSIGNED, _flow

    lines, unassigned = b.members(b.declared_roles, b.fallback_dept)
    if unassigned:
        b.sections["departments"].append(
            f"  - {_flow({'id': UNASSIGNED[0], 'name': UNASSIGNED[1]})}")
    b.sections["members"] = lines


SUB_ACCOUNT = Kind(
    word="sub_account", type_name="SubAccount", label="sub-account",
    fields=("account", "member"), separators=("/",),
    identity=("account_id", "login"),
    columns=("account_id", "member_id", "login", "enabled"),
    expand=_expand, live=_live, resource="shoporg.resources.sub_account:SubAccount",
    table="sub-accounts", records=lambda backend, account: backend.list_sub_accounts(account),
    table_columns=("account_id", "member_id", "login", "display_name", "department_id",
                   "status", "email", "email_confirmed", "dispatch", "two_factor"),
    # Declared under members:, so the summary counts the members (and leavers) first.
    counts=(Tally("members", "member", lambda org: len(org.members),
                  aside=Tally("left", "left",
                              lambda org: sum(1 for m in org.members if m.status == "left"))),
            Tally("sub_accounts", "sub-account",
                  lambda org: sum(len(m.sub_accounts) for m in org.members))),
    runbook_label="sub-account (子账号)",
    field_labels={"dispatch": "dispatch (分流)", "two_factor": "two-factor authentication"},
    feature=None,
    review=sub_account_change, manual_object=sub_account_object, imports=sub_account_section,
)
