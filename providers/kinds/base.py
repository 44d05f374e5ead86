"""What a resource kind is, as data: its name format, identity, expansion and live listing.

A :class:`Kind` is the one place that knows how one kind of object is named and where it
comes from. Everything else asks it:

* ``KIND.ref(*parts)`` is the only code that formats a resource name, ``KIND.parse(name)``
  the only code that reads one back; a :class:`Ref` (kind word + resource name) keys every
  world, plan, report and drift line, so a department, a role and a member that share an
  id never collide;
* ``KIND.expand(org, scope)`` yields the :class:`Desired` objects org.yaml declares, with the
  inputs the stack registers, the old names a ``previously:`` rename keeps (aliases) and
  which inputs are fed by other objects' outputs (wires, so the engine orders them);
* ``KIND.live(backend, account)`` lists what the account system holds, as refs with a
  human description (drift's "unmanaged" half);
* the rest of its surface is declared here too, so no layer keeps a list of kinds of its
  own: what ``shoporg sandbox ls`` shows of it (``table``, ``records``,
  ``table_columns``), what the validate summary counts (``counts``, ``Org.counts()``),
  how a runbook names it (``runbook_label``), its review sentence (``review``, called by
  ``shoporg.reports.interpret``), its manual step's object (``manual_object``, by
  ``shoporg.reports.manual_steps``) and its import into org.yaml (``imports``, by
  ``shoporg.importer``). Those three are functions written in the kind's own module; as
  those layers import this one, the kind module names their types only for the type
  checker and imports their helpers inside the function, when the layer calls it.
  ``tests/kinds/test_surface.py`` fails for a piece left out.

This module and the kind modules beside it import nothing from ``pulumi``, nor the reports
layer or the importer, when they are loaded: the desired world is a pure function of
org.yaml, computed the same way by the stack program, the config-only review, drift, the
removal guard and the tests. The Pulumi resource and dynamic provider of a kind live in
``providers/resources/<kind>.py`` (their module path is part of the state format, see
DECISIONS.md); ``Kind.resource_class()`` loads them.
"""

from __future__ import annotations

import datetime
import functools
import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from shoporg.backends.protocol import Backend
from shoporg.backends.retry import call_with_retries
from shoporg.platforms.rules import PlatformRule

if TYPE_CHECKING:  # annotations only: the layers a kind's functions serve import this one
    from collections.abc import Collection

    from shoporg.importer import Builder
    from shoporg.reports.context import Context, Holdings
    from shoporg.reports.model import Change
    from shoporg.reports.world import Obj, Step
    from shoporg.schema import Account, Org

#: Pulumi type of every kind: ``pulumi-python:dynamic/shoporg:<Kind.type_name>``.
TYPE_PREFIX: Final = "pulumi-python:dynamic/shoporg:"


@dataclass(frozen=True, order=True)
class Ref:
    """One object: its kind word and its resource name (the URN's last part).

    Build it with ``KIND.ref(*parts)``; ``str(ref)`` is ``kind:name``, the form audit rows,
    review lines and drift lines share."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class Wire:
    """Input ``input`` takes output ``output`` of ``sources`` (a list when ``many``)."""

    input: str
    sources: tuple[Ref, ...]
    output: str
    many: bool = False


@dataclass(frozen=True)
class Desired:
    """One object org.yaml declares, exactly as the stack registers it."""

    ref: Ref
    account: str
    inputs: Mapping[str, Any]
    aliases: tuple[Ref, ...] = ()  # names it had before a ``previously:`` rename
    wires: tuple[Wire, ...] = ()  # inputs fed by other objects' outputs
    after: tuple[Ref, ...] = ()  # other objects it needs first (beyond its wires)

    def get(self, key: str, default: Any = None) -> Any:
        return self.inputs.get(key, default)


@dataclass(frozen=True)
class LiveObject:
    """One object the account system holds, for drift's "not declared" half."""

    ref: Ref
    account: str
    detail: str  # what a person reads: "sub-account 店:小王 (小王, active)"


@dataclass(frozen=True)
class Scope:
    """What every expansion needs: the accounts this stack owns and today's date."""

    org: Org
    today: datetime.date
    accounts: Mapping[str, Account]

    @classmethod
    def of(cls, org: Org, today: datetime.date, only: Collection[str] | None = None) -> Scope:
        return cls(org, today, {a.id: a for a in org.accounts if only is None or a.id in only})

    @property
    def shop_account(self) -> dict[str, Account]:
        return {s.id: a for a in self.accounts.values() for s in a.shops}


@dataclass(frozen=True)
class Tally:
    """One number of the validate summary, ``Org.counts()[key]``: "7 departments"."""

    key: str  # its key in ``Org.counts()``: "sub_accounts"
    noun: str  # singular, for people; the summary adds the plural s: "sub-account"
    of: Callable[[Org], int]
    aside: Tally | None = None  # said in brackets after it, unpluralised: "(2 left)"


@dataclass(frozen=True)
class Kind:
    """Everything about one resource kind (see the module docstring)."""

    word: str  # backend / provider / report vocabulary: "role_grant"
    type_name: str  # Pulumi type suffix: "RoleGrant"
    label: str  # for people: "role grant"
    fields: tuple[str, ...]  # the parts of its name: ("account", "member", "shop")
    separators: tuple[str, ...]  # between the parts: ("/", "@")
    identity: tuple[str, ...]  # inputs whose change forces a replacement
    columns: tuple[str, ...]  # the inputs a table (or a test oracle) shows of one object
    expand: Callable[[Scope], Iterable[Desired]]
    live: Callable[[Backend, str], Iterable[LiveObject]]
    resource: str  # "shoporg.resources.role_grant:RoleGrant" (loaded on demand)
    # ``shoporg sandbox ls <table>``: the backend's records of one account, their columns
    table: str  # "grants"
    records: Callable[[Backend, str], Sequence[object]]  # dataclasses, one per object
    table_columns: tuple[str, ...]
    # What the validate summary counts of org.yaml for it, in order (none: it is declared
    # inside another kind's entries and counted there, as a grant in its sub-account's)
    counts: tuple[Tally, ...]
    runbook_label: str  # what a runbook calls it: "sub-account (子账号)"
    # Called by the layers that import this one, written in the kind's module (see the
    # module docstring). The review's Change for a plan step, given the holdings (account,
    # member, shop → permissions) before and after (providers/reports/interpret.py):
    review: Callable[[Step, Context, Holdings, Holdings], Change]
    # The object of a manual step in the review's words (providers/reports/manual_steps.py):
    manual_object: Callable[[Context, Obj], str]
    # Its part of org.yaml in ``shoporg import``, called in registry order (parents first):
    # writes its section's lines and counts into the builder (providers/importer.py).
    imports: Callable[[Builder], None]
    # How a runbook names its spec's fields that no shared label covers, in the words of the
    # seller-centre forms ("dispatch" → "dispatch (分流)"; providers/runbooks FIELD_LABELS).
    field_labels: Mapping[str, str]
    # Where it exists: the platform rule naming the seller centres that have it (a feature
    # rule such as ``chat_groups_unsupported``); None: every platform. A connector asked to
    # write it on another platform refuses with that rule, never with a manual step.
    feature: PlatformRule[Any] | None

    def __post_init__(self) -> None:
        if len(self.separators) != len(self.fields) - 1:
            raise ValueError(f"{self.word}: {len(self.fields)} fields need "
                             f"{len(self.fields) - 1} separators")

    @property
    def type(self) -> str:
        return TYPE_PREFIX + self.type_name

    def ref(self, *parts: str) -> Ref:
        """The only code that formats this kind's resource name."""
        if len(parts) != len(self.fields):
            raise ValueError(f"{self.word} names have {len(self.fields)} parts "
                             f"({', '.join(self.fields)}), got {parts!r}")
        return Ref(self.word, self._template.format(*parts))

    @functools.cached_property
    def _template(self) -> str:
        """``{}/{}@{}``: one ``str.format`` per name (a drift of 10,000 objects formats
        about 60,000 names), the separators as they are."""
        escaped = [sep.replace("{", "{{").replace("}", "}}") for sep in self.separators]
        return "{}" + "".join(sep + "{}" for sep in escaped)

    def parse(self, name: str) -> dict[str, str]:
        """A resource name back to its parts; the last part takes the rest (it may be free
        text, such as a chat group's name)."""
        parts: dict[str, str] = {}
        rest = name
        for fld, sep in zip(self.fields, self.separators, strict=False):
            head, found, rest = rest.partition(sep)
            if not found:
                raise ValueError(f"{name!r} is not a {self.word} name "
                                 f"({self.separators!r} expected)")
            parts[fld] = head
        parts[self.fields[-1]] = rest
        return parts

    def listing(self, backend: Backend, account: str) -> list[LiveObject]:
        """What ``live`` lists, retried as every backend call is (a transient fault or a
        throttled call is no finding)."""
        return call_with_retries(lambda: list(self.live(backend, account)))

    def resource_class(self) -> Any:
        """The Pulumi resource class (imports ``pulumi``: only the stack program calls it)."""
        module, _, name = self.resource.partition(":")
        return _attribute(module, name)

    def provider_class(self) -> Any:
        module, _, name = self.resource.partition(":")
        return _attribute(module, f"{name}Provider")


@functools.cache
def _attribute(module: str, name: str) -> Any:
    """``module.name``, imported once (asked for once per object by the program, drift and
    the review)."""
    return getattr(importlib.import_module(module), name)
