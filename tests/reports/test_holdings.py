"""Only the holdings that may differ are computed, and none that differs is left out."""

from __future__ import annotations

import dataclasses
import datetime
import re
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shoporg.kinds import ROLE_GRANT, desired_world
from shoporg.reports.context import Context, holdings, holdings_that_may_differ
from shoporg.reports.risks import _by_member_account, _toxic
from shoporg.reports.world import Obj, Plan, objects
from shoporg.schema import load_org

REPO = Path(__file__).resolve().parents[2]
TODAY = datetime.date(2026, 12, 1)
ORG = load_org(REPO / "org.yaml")
WORLD = objects(desired_world(ORG, TODAY))
BY_KIND = {kind: sorted((r for r in WORLD if r.kind == kind), key=str)
           for kind in ("sub_account", "role", "role_grant")}
PERMISSIONS = sorted({p for r in BY_KIND["role"] for p in WORLD[r].get("permissions") or ()})
TOXIC = [list(pair.permissions) for pair in ORG.policies.toxic_pairs]


def changed(o: Obj, **inputs: Any) -> Obj:
    return dataclasses.replace(o, inputs={**o.inputs, **inputs})


@st.composite
def edits(draw: st.DrawFn) -> dict[Any, Obj | None]:
    """A few changes to the repo org's world, as a plan's new side holds them: sub-accounts
    disabled or re-enabled, roles' permissions edited, grants' roles changed or removed, and
    (sometimes) an unchanged object as an equal copy rather than the same instance."""
    out: dict[Any, Obj | None] = {}
    for ref in draw(st.lists(st.sampled_from(BY_KIND["sub_account"]), max_size=3)):
        out[ref] = changed(WORLD[ref], enabled=not WORLD[ref].get("enabled", True))
    for ref in draw(st.lists(st.sampled_from(BY_KIND["role"]), max_size=3)):
        perms = draw(st.lists(st.sampled_from(PERMISSIONS), max_size=4, unique=True)
                     | st.sampled_from(TOXIC))  # a toxic pair in one role, now and then
        out[ref] = changed(WORLD[ref], permissions=perms)
    for ref in draw(st.lists(st.sampled_from(BY_KIND["role_grant"]), max_size=3)):
        if draw(st.booleans()):
            out[ref] = None
        else:
            roles = [r.name.split("/", 1)[1] for r in BY_KIND["role"]
                     if r.name.startswith(WORLD[ref].account + "/")]
            out[ref] = changed(WORLD[ref], role_ids=draw(
                st.lists(st.sampled_from(roles), min_size=1, max_size=2, unique=True)))
    for ref in draw(st.lists(st.sampled_from(BY_KIND["role_grant"]), max_size=2)):
        # The same person granted on a second shop of the account (other roles): a pair
        # split across two shops is still theirs.
        o = WORLD[ref]
        roles = [r.name.split("/", 1)[1] for r in BY_KIND["role"]
                 if r.name.startswith(o.account + "/")]
        second = ROLE_GRANT.ref(o.account, str(o.get("member_id")), "second-shop")
        out[second] = Obj(second.kind, second.name, {**o.inputs, "shop_id": "second-shop",
                                                     "role_ids": [draw(st.sampled_from(roles))]})
    for ref in draw(st.lists(st.sampled_from(sorted(WORLD, key=str)), max_size=3)):
        out.setdefault(ref, dataclasses.replace(WORLD[ref]))  # equal, not identical
    return out


def context(edit: dict[Any, Obj | None], edited_side_is_new: bool) -> Context:
    """A plan between the repo org's world and that world with ``edit`` made (None: the
    object removed), the edited world on the new side or the old."""
    edited = {**WORLD, **{r: o for r, o in edit.items() if o is not None}}
    for ref in (r for r, o in edit.items() if o is None):
        edited.pop(ref)
    old, new = (WORLD, edited) if edited_side_is_new else (edited, WORLD)
    return Context(ORG, ORG, Plan(old=old, new=new, steps=()), TODAY)


@settings(max_examples=200, deadline=None)
@given(edits(), st.booleans())
def test_every_holding_that_differs_is_there_and_as_the_whole_world_computes_it(
    edit: dict[Any, Obj | None], edited_side_is_new: bool,
) -> None:
    ctx = context(edit, edited_side_is_new)
    old, new = ctx.plan.old, ctx.plan.new
    whole_old, whole_new = holdings(old, ctx), holdings(new, ctx)
    part_old, part_new = holdings_that_may_differ(old, new, ctx)
    differ = {k for k in whole_old.keys() | whole_new.keys()
              if whole_old.get(k) != whole_new.get(k)}
    assert differ <= part_old.keys() | part_new.keys()
    assert part_old == {k: whole_old[k] for k in part_old}
    assert part_new == {k: whole_new[k] for k in part_new}
    assert part_old.keys() <= whole_old.keys() and part_new.keys() <= whole_new.keys()


def test_with_nothing_changed_no_holding_is_computed() -> None:
    ctx = Context(ORG, ORG, Plan(old=WORLD, new=dict(WORLD), steps=()), TODAY)
    assert holdings_that_may_differ(WORLD, dict(WORLD), ctx) == ({}, {})


def toxic_from_the_whole_world(ctx: Context) -> list[tuple[str, str, str]]:
    """The toxic pairs new to anyone, from everyone's holdings (the reference)."""
    old = _by_member_account(holdings(ctx.plan.old, ctx))
    new = _by_member_account(holdings(ctx.plan.new, ctx))
    return sorted(
        (account, member, "+".join(pair.permissions))
        for (account, member), held in new.items()
        for pair in ctx.new_org.policies.toxic_pairs
        if ctx.platform(account) in pair.platforms and set(pair.permissions) <= held
        and not set(pair.permissions) <= old.get((account, member), frozenset()))


@settings(max_examples=100, deadline=None)
@given(edits(), st.booleans())
def test_a_toxic_pair_is_flagged_exactly_where_everyone_s_holdings_say(
    edit: dict[Any, Obj | None], edited_side_is_new: bool,
) -> None:
    ctx = context(edit, edited_side_is_new)
    flagged = sorted((r.account, str(r.member), "+".join(re.findall(r"\(([a-z-]+)\)", r.text)))
                     for r in _toxic(ctx))
    assert flagged == toxic_from_the_whole_world(ctx)
