"""``shoporg review-access``: the periodic access review (recertification) per department
or per manager.

::

    shoporg review-access --department cs            # who holds which roles on which shop
    shoporg review-access --manager chen-jing        # the departments she manages (org.yaml)
    shoporg review-access --department cs --attest --note "Q4 review with 客服 lead"
    shoporg review-access --attest                   # the whole org, account objects too

Lists every person of the department (and its sub-departments) × shop × roles, with the
evidence for each: the platform's read API (sandbox, TOP), or — where there is none — the
ledger's last confirmation or attestation and its age. A review of the whole org (no
``--department`` / ``--manager``) also lists what the ledger accounts hold beyond people:
roles, bindings, chat groups. ``--attest`` records, in the ledger, that the reviewer checked
the listed ledger objects in the seller centre as they are (``--by`` defaults to the git
identity); ``shoporg drift`` reports ledger objects not verified for
``policies.attestation_days`` (default 90) as unverified. Read-only without ``--attest``.

A review with decisions, per line, recorded append-only in the ledger::

    shoporg review-access --department cs --open q4-cs --deadline 2026-12-20 --default flag
    shoporg review-access --review q4-cs --keep zhang-wei --revoke sp/li-na@sp-my --note "…"
    shoporg review-access --review q4-cs                 # each line and its latest decision
    shoporg review-access --review q4-cs --close         # -> q4-cs.patch (git apply, PR)

``--open`` freezes the selected lines; ``--keep``/``--revoke``/``--flag`` take a role grant
or a member id (all their lines); ``--close`` gives the lines nobody decided the review's
default once its deadline has passed (refused before), and writes the revocations as an
org.yaml patch (:mod:`shoporg.reports.access_decisions`): nothing is applied until that
change is reviewed and ``shoporg up`` applies it, through the removal guard.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from shoporg.backends.ledger import Ledger
from shoporg.backends.ledger.store import DECISIONS, ReviewLine
from shoporg.backends.settings import project_root
from shoporg.cli import Command
from shoporg.cli.tasks import identity
from shoporg.errors import ShoporgError
from shoporg.kinds import BY_WORD, ROLE_GRANT, SUB_ACCOUNT, World, desired_world
from shoporg.reports.render import environment
from shoporg.reports.sources import org_from_file
from shoporg.schema import Org
from shoporg.stackconfig import StackSettings, settings_of


@dataclass(frozen=True)
class AccessLine:
    department: str
    member: str
    name: str
    account: str
    shop: str
    roles: tuple[str, ...]
    evidence: str  # "read API" | "ledger" | "pending (not confirmed)"
    verified: str | None  # ISO date of the last confirmation / attestation (ledger)
    age_days: int | None
    kind: str
    object: str


@dataclass(frozen=True)
class ObjectLine:
    """Something a ledger account holds that is no one person's access (a role's
    permissions, a binding, a chat group): reviewed with the whole org."""

    kind: str
    label: str
    object: str
    account: str
    details: str
    evidence: str
    verified: str | None
    age_days: int | None


def register(subparsers: Any, command: Command) -> None:
    p = subparsers.add_parser(
        command.word, help=command.help,
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--department", action="append", metavar="ID",
                   help="a department id (with its sub-departments); repeatable; default all")
    p.add_argument("--manager", action="append", metavar="MEMBER",
                   help="the departments this member manages (org.yaml departments' "
                        "manager:), with their sub-departments; repeatable")
    p.add_argument("--stack", help="whose config and ledger (default: the selected stack)")
    p.add_argument("--attest", action="store_true", help="record the review in the ledger")
    p.add_argument("--by", help="the reviewer (default: your git identity)")
    p.add_argument("--note", help="recorded with the attestation")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown")
    p.add_argument("--as-of", type=datetime.date.fromisoformat, metavar="YYYY-MM-DD",
                   help="compute ages on this day (default today)")
    g = p.add_argument_group("a review with decisions (keep / revoke / flag per line)")
    g.add_argument("--open", metavar="NAME", help="open a review of the selected lines, "
                   "frozen as they are, recorded in the ledger")
    g.add_argument("--deadline", type=datetime.date.fromisoformat, metavar="YYYY-MM-DD",
                   help="with --open: the last day for decisions")
    g.add_argument("--default", choices=DECISIONS, default="flag",
                   help="with --open: what a line nobody decided by the deadline gets "
                        "(default flag; a revoke still goes through the review and the "
                        "removal guard of `shoporg up`)")
    g.add_argument("--review", metavar="NAME", help="the review to show, decide or close")
    for decision in DECISIONS:
        g.add_argument(f"--{decision}", action="append", default=[], metavar="OBJECT|MEMBER",
                       help=f"with --review: record '{decision}' for a line (a role grant) "
                            "or for all of a member's lines; repeatable")
    g.add_argument("--close", action="store_true", help="with --review: settle it (the "
                   "default for undecided lines once the deadline passed) and write the "
                   "revocations as an org.yaml patch")
    g.add_argument("--patch", type=Path, help="with --close: where to write the patch "
                   "(default: <review>.patch); apply it with `git apply` and open a PR")
    p.set_defaults(func=run)


def departments_under(org: Org, roots: list[str] | None) -> set[str]:
    if not roots:
        return {d.id for d, _ in org.walk_departments()}
    known = {d.id for d, _ in org.walk_departments()}
    unknown = [r for r in roots if r not in known]
    if unknown:
        raise ShoporgError(f"review-access: no department {', '.join(map(repr, unknown))} in "
                           f"org.yaml (known: {', '.join(sorted(known))})")
    chosen = set(roots)
    for dept, parent in org.walk_departments():  # parents come first
        if parent is not None and parent.id in chosen:
            chosen.add(dept.id)
    return chosen


def managed_by(org: Org, managers: list[str]) -> list[str]:
    """The departments whose ``manager`` is one of ``managers`` (refused when none is)."""
    known = {m.id for m in org.members}
    unknown = [m for m in managers if m not in known]
    if unknown:
        raise ShoporgError(f"review-access: no member {', '.join(map(repr, unknown))} in "
                           "org.yaml")
    roots = [d.id for d, _ in org.walk_departments() if d.manager in managers]
    if not roots:
        raise ShoporgError(
            f"review-access: {', '.join(map(repr, managers))} manage no department (set "
            "`manager:` on a department in org.yaml, or review with --department)")
    return roots


def _evidence(on_ledger: bool, at: datetime.datetime | None) -> str:
    return "read API" if not on_ledger else ("ledger" if at else "pending (not confirmed)")


@dataclass(frozen=True)
class Known:
    """What both kinds of lines read: the stack's desired world and the ledger's last
    confirmation per object — computed once per review (:func:`known`)."""

    world: World
    verified: Mapping[tuple[str, str], datetime.datetime]


def known(org: Org, settings: StackSettings, today: datetime.date) -> Known:
    return Known(world=desired_world(org, today, settings.shard(org)),
                 verified=Ledger(settings.backend.ledger_path,
                                 stack=settings.backend.stack).verified_at())


def object_lines(org: Org, settings: StackSettings, today: datetime.date,
                 facts: Known | None = None) -> list[ObjectLine]:
    """Every object on a ledger account that is not a person's sub-account or grant."""
    facts = facts or known(org, settings, today)
    world, verified = facts.world, facts.verified
    platform = {a.id: a.platform for a in org.accounts}
    lines = []
    for ref, desired in world.items():
        account = desired.account
        if ref.kind in (ROLE_GRANT.word, SUB_ACCOUNT.word) or settings.backend.connector_for(
                account, platform[account]) != "ledger":
            continue
        kind = BY_WORD[ref.kind]
        # What a reviewer compares with the seller centre: the declared values.
        shown = [f"{k}: {_value(v)}" for k, v in desired.inputs.items()
                 if k != "account_id" and v not in (None, "", [], ())]
        at = verified.get((ref.kind, ref.name))
        lines.append(ObjectLine(
            kind=ref.kind, label=kind.label, object=ref.name, account=account,
            details="; ".join(shown), evidence=_evidence(True, at),
            verified=at.date().isoformat() if at else None,
            age_days=(today - at.date()).days if at else None,
        ))
    return sorted(lines, key=lambda x: (x.account, x.kind, x.object))


def _value(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)


def access_lines(org: Org, settings: StackSettings, departments: set[str],
                 today: datetime.date, facts: Known | None = None) -> list[AccessLine]:
    facts = facts or known(org, settings, today)
    world, verified = facts.world, facts.verified
    platform = {a.id: a.platform for a in org.accounts}
    people = {m.id: m for m in org.members if m.department in departments}
    with_grants = {(d.account, d.get("member_id")) for r, d in world.items()
                   if r.kind == ROLE_GRANT.word}
    lines = []
    for ref, desired in world.items():
        if ref.kind not in (ROLE_GRANT.word, SUB_ACCOUNT.word):
            continue
        member = people.get(str(desired.get("member_id")))
        if member is None or (ref.kind == SUB_ACCOUNT.word
                              and (desired.account, member.id) in with_grants):
            continue  # a sub-account with grants is reviewed through its grants
        account = desired.account
        on_ledger = settings.backend.connector_for(account, platform[account]) == "ledger"
        at = verified.get((ref.kind, ref.name)) if on_ledger else None
        evidence = _evidence(on_ledger, at)
        lines.append(AccessLine(
            department=member.department, member=member.id, name=member.name, account=account,
            shop=str(desired.get("shop_id") or "—"),
            roles=tuple(desired.get("role_ids") or ()), evidence=evidence,
            verified=at.date().isoformat() if at else None,
            age_days=(today - at.date()).days if at else None, kind=ref.kind, object=ref.name,
        ))
    return sorted(lines, key=lambda x: (x.department, x.member, x.account, x.shop))


def run(args: argparse.Namespace) -> int:
    if args.open is not None or args.review is not None:
        return run_decisions(args)
    root = project_root()
    settings = settings_of(root, args.stack)
    org = org_from_file(settings.org_file)
    today = args.as_of or datetime.date.today()
    managed = managed_by(org, args.manager) if args.manager else []
    roots = [*(args.department or []), *managed] or None
    facts = known(org, settings, today)
    lines = access_lines(org, settings, departments_under(org, roots), today, facts)
    # Roles, bindings and groups belong to no department: reviewed with the whole org.
    objects = object_lines(org, settings, today, facts) if roots is None else []
    if args.format == "json":
        sys.stdout.write(json.dumps({"schema": "shoporg.access/v1", "as_of": today.isoformat(),
                                     "managers": args.manager or [],
                                     "lines": [asdict(x) for x in lines],
                                     "objects": [asdict(x) for x in objects]},
                                    ensure_ascii=False, indent=2) + "\n")
    else:
        names = {d.id: d.name for d, _ in org.walk_departments()}
        people = {m.id: m.name for m in org.members}
        sys.stdout.write(environment().get_template("access.md.j2").render(
            lines=lines, objects=objects, departments=names, today=today.isoformat(),
            days=org.policies.attestation_days,
            managers=[f"{people[m]} ({m})" for m in args.manager or []]))
    if args.attest:
        attested = [(x.kind, x.object, x.account) for x in lines if x.evidence == "ledger"]
        # A person's sub-account is reviewed through their grants, so it is attested with them.
        attested += [(SUB_ACCOUNT.word, SUB_ACCOUNT.ref(x.account, x.member).name, x.account)
                     for x in lines if x.evidence != "read API" and x.kind == ROLE_GRANT.word]
        attested += [(x.kind, x.object, x.account) for x in objects if x.evidence == "ledger"]
        count = Ledger(settings.backend.ledger_path, stack=settings.backend.stack).attest(
            attested, by=args.by or identity(), note=args.note)
        print(f"attested {count} ledger object(s)", file=sys.stderr)
    return 0


def run_decisions(args: argparse.Namespace) -> int:
    """``--open``, and ``--review`` with ``--keep/--revoke/--flag`` or ``--close``."""
    from shoporg.reports.access_decisions import close

    root = project_root()
    settings = settings_of(root, args.stack)
    ledger = Ledger(settings.backend.ledger_path, stack=settings.backend.stack)
    by = args.by or identity()
    if args.open is not None:
        if args.deadline is None:
            raise ShoporgError("--open needs --deadline YYYY-MM-DD: the last day for decisions")
        org = org_from_file(settings.org_file)
        today = args.as_of or datetime.date.today()
        managed = managed_by(org, args.manager) if args.manager else []
        roots = [*(args.department or []), *managed] or None
        lines = [ReviewLine(x.object, x.member, x.account, x.shop, x.roles)
                 for x in access_lines(org, settings, departments_under(org, roots), today)
                 if x.kind == ROLE_GRANT.word]
        ledger.open_review(args.open, scope={"departments": args.department or [],
                                             "managers": args.manager or []},
                           deadline=args.deadline, fallback=args.default, lines=lines, by=by)
        print(f"access review {args.open}: {len(lines)} line(s) to decide by {args.deadline} "
              f"(undecided then: {args.default})")
        return 0
    review: str = args.review
    for decision in DECISIONS:
        chosen: list[str] = getattr(args, decision)
        if chosen:
            ledger.decide(review, chosen, decision, by=by, note=args.note)
    if args.close:
        org_path = Path(settings.org_file)
        closed = close(ledger, review, org_path.read_text(encoding="utf-8"), org_path.name,
                       args.as_of or datetime.date.today())
        patch = args.patch or Path(f"{review}.patch")
        patch.write_text(closed.patch, encoding="utf-8")
        print(f"access review {review}: {len(closed.decided('keep'))} kept, "
              f"{len(closed.decided('revoke'))} revoked, {len(closed.decided('flag'))} flagged "
              f"({closed.defaulted} by the default); the revocations: {patch} "
              f"(`git apply {patch}`, then a pull request)")
        for x in closed.decided("flag"):
            print(f"  flagged: {x.line.object} ({', '.join(x.line.roles)}): {x.note or ''}")
        return 0
    header, lines_ = ledger.review(review)
    print(f"access review {review} (deadline {header['deadline']}, undecided then: "
          f"{header['fallback']})")
    for x in lines_:
        said = (f"{x.decision} by {x.by} at {x.at}" + (f": {x.note}" if x.note else "")
                if x.decision else "undecided")
        print(f"  {x.line.object}  [{' '.join(x.line.roles)}]  {said}")
    return 0


__all__ = [
    "AccessLine",
    "Known",
    "ObjectLine",
    "access_lines",
    "departments_under",
    "known",
    "managed_by",
    "object_lines",
]
