"""Risk rules: what a reviewer must not miss, the same for engine and config-only reviews.

=========================  ==============================================================
code                       raised when
=========================  ==============================================================
toxic_pair                 after the change someone holds both codes of a
                           ``policies.toxic_pairs`` entry on one account (newly)
irreversible_binding       a Douyin official account is bound (never unbindable) or its
                           removal is attempted
time_locked_binding        a channel account is bound (the unbind lock) or unbound before
                           its ``unbind_allowed_from`` date
immutable_login_replaced   a sub-account's login changes: a new account, the old is deleted
high_risk_permission       someone gains a catalogue ``high_risk`` permission
removal                    a sub-account, grant, binding, chat group, role or department
                           is deleted
expiring_grant             a sub-account's ``expires:`` is within 14 days, whether or not
                           anything else about it changes (a leaver's is not flagged)
manual_step                a step no API can do: Ozon invitation, QR-code binding, creator
                           consent, or any pending object's ``runbook`` output
=========================  ==============================================================
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping

from shoporg.backends.capabilities import CAPABILITIES
from shoporg.kinds import ROLE_GRANT, SUB_ACCOUNT, Ref
from shoporg.platforms import (
    DOUYIN_CHANNEL_UNBIND_AFTER_DAYS,
    DOUYIN_SELF_OPERATED_GMV_WINDOW_DAYS,
    DOUYIN_SELF_OPERATED_MIN_GMV_SHARE,
    PLATFORM_TITLES,
)
from shoporg.platforms.rules import EMAIL_UNCONFIRMED
from shoporg.reports.context import Context, holdings, holdings_that_may_differ, names
from shoporg.reports.manual_steps import ConnectorOf, connectors_of
from shoporg.reports.model import RISK_CODES, Change, Risk
from shoporg.reports.world import Obj, Step

EXPIRY_WINDOW = datetime.timedelta(days=14)
SANDBOX_ONLY: ConnectorOf = connectors_of(None)


def reads_back(ctx: Context, connector_of: ConnectorOf, account: str) -> bool:
    """Whether the connector serving ``account`` can read it back (an API on its platform):
    then the next `up`/`refresh` closes a step done by hand; else only a person's
    confirmation in the ledger can."""
    platform = ctx.platform(account)
    return platform in CAPABILITIES[connector_of(account, platform)].platforms


def _closing(ctx: Context, connector_of: ConnectorOf, account: str, read_back: str,
             done: str) -> str:
    """How a step on ``account`` closes: ``read_back`` where its connector reads the
    platform, else the operator's confirmation once ``done`` (e.g. "they have")."""
    if reads_back(ctx, connector_of, account):
        return read_back
    return (f"; nothing reads it back here (the ledger serves {account}): once {done}, "
            "record it with `shoporg tasks done ID` (the ID is in `shoporg tasks`)")


def _by_member_account(h: dict[tuple[str, str, str], frozenset[str]]
                       ) -> dict[tuple[str, str], frozenset[str]]:
    out: dict[tuple[str, str], frozenset[str]] = {}
    for (account, member, _shop), codes in h.items():
        out[(account, member)] = out.get((account, member), frozenset()) | codes
    return out


def _grants_of(people: set[tuple[str, str]], world: Mapping[Ref, Obj]) -> list[Ref]:
    """The grants of these (account, member) pairs."""
    return [ref for ref, o in world.items() if o.kind == ROLE_GRANT.word
            and (o.account, str(o.get("member_id"))) in people]


def _toxic(ctx: Context) -> Iterable[Risk]:
    pairs = ctx.new_org.policies.toxic_pairs
    if not pairs:
        return
    # A pair is new only to a person whose holdings moved; their holdings on every shop count.
    moved = holdings_that_may_differ(ctx.plan.old, ctx.plan.new, ctx)
    people = {(account, member) for part in moved for account, member, _shop in part}
    old = _by_member_account(holdings(ctx.plan.old, ctx, _grants_of(people, ctx.plan.old)))
    new = _by_member_account(holdings(ctx.plan.new, ctx, _grants_of(people, ctx.plan.new)))
    for (account, member), held in sorted(new.items()):
        platform = ctx.platform(account)
        before = old.get((account, member), frozenset())
        for pair in pairs:
            a, b = pair.permissions
            if platform in pair.platforms and {a, b} <= held and not {a, b} <= before:
                cat = ctx.catalogue(account)
                yield Risk(
                    "toxic_pair",
                    f"{ctx.member_name(member)} would hold both {names([a], cat)} ({a}) and "
                    f"{names([b], cat)} ({b}) on {account}: {pair.reason}",
                    account, SUB_ACCOUNT.word, SUB_ACCOUNT.ref(account, member).name, member,
                )


def _binding(step: Step, ctx: Context, connector_of: ConnectorOf) -> Iterable[Risk]:
    o = step.obj
    kind, ext, shop = o.get("kind"), o.get("external_id"), str(o.get("shop_id"))
    if step.op in ("create", "replace") and step.new is not None:
        if kind == "official":
            yield Risk("irreversible_binding",
                       f"official account {ext} is bound to {shop}: it can never be unbound",
                       o.account, step.kind, step.name)
            yield Risk("manual_step", f"bind official account {ext} to {shop}", o.account,
                       step.kind, step.name, runbook=(
                           f"抖店 → 店铺 → 账号绑定: the owner of {ext} scans the QR code in the "
                           "Douyin app and confirms" + _closing(
                               ctx, connector_of, o.account, "; then run `pulumi refresh`",
                               "they have")))
        elif kind == "channel":
            until = ctx.today + datetime.timedelta(days=DOUYIN_CHANNEL_UNBIND_AFTER_DAYS)
            yield Risk("time_locked_binding",
                       f"channel account {ext} on {shop} cannot be unbound for "
                       f"{DOUYIN_CHANNEL_UNBIND_AFTER_DAYS} days (not before "
                       f"{until.isoformat()})", o.account, step.kind, step.name)
        elif kind == "self_operated":
            yield Risk("manual_step", f"creator {ext} must consent to be self-operated for "
                       f"{shop}", o.account, step.kind, step.name, runbook=(
                           f"the creator {ext} confirms in the Douyin app (抖音 → 创作者服务 → "
                           "自营账号授权); their GMV for this shop must be ≥ "
                           f"{DOUYIN_SELF_OPERATED_MIN_GMV_SHARE:.0%} of the last "
                           f"{DOUYIN_SELF_OPERATED_GMV_WINDOW_DAYS} days"))
    if step.op in ("delete", "replace") and step.old is not None:
        if kind == "official":
            yield Risk("irreversible_binding",
                       f"official account {ext} cannot be unbound from {shop}: `pulumi "
                       "preview` refuses it (the resource is protected); keep it in org.yaml",
                       o.account, step.kind, step.name)
        elif kind == "channel":
            allowed = step.old.outputs.get("unbind_allowed_from")
            if allowed and str(allowed) > ctx.today.isoformat():
                yield Risk("time_locked_binding",
                           f"channel account {ext} cannot be unbound from {shop} before "
                           f"{allowed}: `pulumi preview` refuses it; keep it in org.yaml until "
                           "then", o.account, step.kind, step.name)


def _sub_account(step: Step, ctx: Context, connector_of: ConnectorOf) -> Iterable[Risk]:
    o = step.obj
    member = str(o.get("member_id"))
    who = ctx.member_name(member)
    if step.op == "replace" and step.old is not None and step.new is not None:
        if step.old.get("login") != step.new.get("login"):
            yield Risk("immutable_login_replaced",
                       f"{who}: login `{step.old.get('login')}` on {o.account} cannot be "
                       f"renamed; it is deleted and `{step.new.get('login')}` created (its "
                       "history and chat records stay with the old login)",
                       o.account, step.kind, step.name, member)
    if step.op in ("create", "replace") and step.new is not None:
        platform = ctx.platform(o.account)
        # The platform invites by email and the user stays invited until they confirm it.
        if EMAIL_UNCONFIRMED.applies_to(platform) and step.new.get("enabled", True):
            email = step.new.get("email") or "(no email)"
            title = PLATFORM_TITLES[platform]
            yield Risk("manual_step", f"{who} must confirm the {title} invitation", o.account,
                       step.kind, step.name, member, runbook=(
                           f"{title} sends an invitation to {email}; the sub-account stays "
                           "pending until it is confirmed" + _closing(
                               ctx, connector_of, o.account,
                               ", then `pulumi refresh` shows it active", "it is")))


def _pending(step: Step, ctx: Context) -> Iterable[Risk]:
    """Any object a manual step left ``pending``: its runbook stays on the review until the
    platform shows the step done (sub-accounts, departments, roles, grants, bindings...)."""
    if step.old is None or step.op == "delete":
        return
    runbook = step.old.outputs.get("runbook")
    if not runbook:
        return
    o = step.obj
    if step.kind == "sub_account":
        member = str(o.get("member_id"))
        yield Risk("manual_step", f"{ctx.member_name(member)} is still pending on {o.account}",
                   o.account, step.kind, step.name, member, runbook=str(runbook))
    else:
        yield Risk("manual_step", f"{step.kind.replace('_', ' ')} {step.name} is still "
                   f"pending on {o.account}", o.account, step.kind, step.name, runbook=str(runbook))


def _removal(step: Step, ctx: Context, deleted_subs: set[Ref]) -> Iterable[Risk]:
    if step.op != "delete":
        return
    o = step.obj
    if step.kind == "role_grant":
        if SUB_ACCOUNT.ref(o.account, str(o.get("member_id"))) in deleted_subs:
            return  # said once, on the sub-account
        yield Risk("removal", f"{ctx.member_name(str(o.get('member_id')))} loses their roles "
                   f"on {o.get('shop_id')}", o.account, step.kind, step.name,
                   str(o.get("member_id")))
    elif step.kind == "sub_account":
        yield Risk("removal", f"{ctx.member_name(str(o.get('member_id')))}'s sub-account "
                   f"`{o.get('login')}` on {o.account} is deleted (frees a seat; cannot be "
                   "undone with the same history)", o.account, step.kind, step.name,
                   str(o.get("member_id")))
    else:
        label = o.get("name") or o.get("external_id") or step.name
        yield Risk("removal", f"{step.kind.replace('_', ' ')} {label} on {o.account} is "
                   "removed", o.account, step.kind, step.name)


def _high_risk(changes: Iterable[Change], ctx: Context) -> Iterable[Risk]:
    for c in changes:
        cat = ctx.catalogue(c.account)
        if cat is None or not c.permissions_gained or c.member is None:
            continue
        risky = cat.high_risk(c.permissions_gained)
        if risky:
            yield Risk("high_risk_permission",
                       f"{c.member_name} gains {names(risky, cat)} on {c.shop}",
                       c.account, c.kind, c.name, c.member)


def expiring_soon(expires: datetime.date | None, today: datetime.date) -> bool:
    return expires is not None and today <= expires <= today + EXPIRY_WINDOW


def starting_soon(valid_from: datetime.date | None, today: datetime.date) -> bool:
    """A start day still ahead, within the review's 14-day window."""
    return valid_from is not None and today < valid_from <= today + EXPIRY_WINDOW


def _expiring(ctx: Context) -> Iterable[Risk]:
    """Every sub-account the proposed org.yaml keeps whose access ends within the window:
    a reviewer sees it on any change, not only one that touches that sub-account."""
    for o in ctx.plan.new.values():
        if o.kind != SUB_ACCOUNT.word:
            continue
        account, member = o.account, str(o.get("member_id"))
        expires = ctx.expires(account, member)
        if ctx.status(member) == "left" or not expiring_soon(expires, ctx.today):
            continue
        assert expires is not None
        days = (expires - ctx.today).days
        yield Risk("expiring_grant",
                   f"{ctx.member_name(member)}'s access on {account} expires "
                   f"{expires.isoformat()} (in {days} day{'s' if days != 1 else ''})",
                   account, SUB_ACCOUNT.word, o.name, member)


def find_risks(ctx: Context, changes: list[Change],
               connector_of: ConnectorOf = SANDBOX_ONLY) -> list[Risk]:
    """Every risk of the change; ``connector_of``: the stack's routing, which says how a
    manual step closes (the read-back, or ``shoporg tasks done``; default: the sandbox)."""
    deleted_subs = {
        s.ref for s in ctx.plan.steps if s.kind == SUB_ACCOUNT.word and s.op == "delete"
    }
    out: list[Risk] = list(_toxic(ctx))
    for step in ctx.plan.steps:
        if step.kind == "shop_binding":
            out.extend(_binding(step, ctx, connector_of))
        elif step.kind == "sub_account":
            out.extend(_sub_account(step, ctx, connector_of))
        out.extend(_pending(step, ctx))
        out.extend(_removal(step, ctx, deleted_subs))
    out.extend(_high_risk(changes, ctx))
    out.extend(_expiring(ctx))
    order = list(RISK_CODES)
    # Stable, readable order: by severity, then account, then object.
    return sorted(dict.fromkeys(out), key=lambda r: (order.index(r.code), r.account, r.name,
                                                     r.text))
