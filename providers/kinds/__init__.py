"""The table of contents: every resource kind, in dependency order, and the desired world.

    accounts (platform facts, read) → departments → roles → sub-accounts → grants
    → bindings → chat groups

Every layer reads this registry instead of keeping its own list of kinds: the stack
registers :func:`desired_world`, reviews and the removal guard diff it, drift lists
``kind.live`` for each kind, reports look kinds up by word or Pulumi type, and the review's
sentences, the manual steps' objects, runbook labels, the validate summary, ``shoporg
import`` and ``shoporg sandbox ls`` take their per-kind part from the ``Kind``. Adding a
kind is a new module here plus its resource in ``providers/resources/`` (ARCHITECTURE.md);
``tests/kinds/test_registry.py`` and ``tests/kinds/test_surface.py`` fail when a layer
lacks it.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from typing import TYPE_CHECKING, Final

from shoporg.kinds.base import (
    TYPE_PREFIX,
    Desired,
    Kind,
    LiveObject,
    Ref,
    Scope,
    Tally,
    Wire,
)
from shoporg.kinds.chat_group import CHAT_GROUP
from shoporg.kinds.department import DEPARTMENT
from shoporg.kinds.role import ROLE
from shoporg.kinds.role_grant import ROLE_GRANT
from shoporg.kinds.shop_binding import SHOP_BINDING
from shoporg.kinds.sub_account import SUB_ACCOUNT, sub_account_enabled

if TYPE_CHECKING:  # annotations only: `shoporg tasks` reads the kinds, not the schema
    from shoporg.schema import Org

#: Every kind, parents before children: the order of registration and of reports.
KINDS: Final[tuple[Kind, ...]] = (
    DEPARTMENT, ROLE, SUB_ACCOUNT, ROLE_GRANT, SHOP_BINDING, CHAT_GROUP,
)
BY_WORD: Final[dict[str, Kind]] = {k.word: k for k in KINDS}
BY_TYPE: Final[dict[str, Kind]] = {k.type: k for k in KINDS}
BY_TABLE: Final[dict[str, Kind]] = {k.table: k for k in KINDS}  # `shoporg sandbox ls <table>`

World = dict[Ref, Desired]


def kind_of(ref: Ref) -> Kind:
    return BY_WORD[ref.kind]


def ref_of_urn(urn: str) -> Ref | None:
    """``urn:pulumi:<stack>::<project>::<type>::<name>`` → its ref (None: not one of ours)."""
    parts = urn.split("::", 3)
    if len(parts) != 4:
        return None
    kind = BY_TYPE.get(parts[2])
    return Ref(kind.word, parts[3]) if kind is not None else None


def urn_of(ref: Ref, stack: str, project: str) -> str:
    """The inverse of :func:`ref_of_urn`: the URN the engine gives ``ref`` in ``stack`` of
    ``project`` (what ``pulumi up --target`` takes)."""
    return f"urn:pulumi:{stack}::{project}::{kind_of(ref).type}::{ref.name}"


def parse_ref(text: str) -> Ref:
    """``kind:name`` (as reviews, drift and the journal print a ref) back to a ref."""
    word, sep, name = text.partition(":")
    if not sep or word not in BY_WORD or not name:
        raise ValueError(f"{text!r} is not kind:name with a kind of "
                         f"{', '.join(BY_WORD)} (e.g. role_grant:tb/li-na@tb-shop)")
    BY_WORD[word].parse(name)  # a name of that kind, or ValueError naming the format
    return Ref(word, name)


def desired_world(org: Org, today: datetime.date,
                  only: Collection[str] | None = None) -> World:
    """What org.yaml declares, keyed by ref, in dependency order; ``only`` limits it to a
    shard stack's accounts. Pure: no engine, no backend, no ``pulumi``."""
    scope = Scope.of(org, today, only)
    world: World = {}
    for kind in KINDS:
        for desired in kind.expand(scope):
            if desired.ref in world:  # validate rejects this first; never register it twice
                raise ValueError(f"{desired.ref} is declared twice")
            world[desired.ref] = desired
    return world

