"""A kind carries its whole surface: every layer it reaches is declared on its ``Kind``.

A new kind is a ``Kind`` with every piece filled in; no layer keeps a list of kinds of its
own. These tests build a throwaway kind (``shop_notice``) and leave each piece out in turn,
or declare it without writing it, and check that the failure names the piece; then they
hold the real kinds to the same check and show that each layer reads the registry.
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib
import inspect
import pkgutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import pytest

from shoporg.backends.protocol import Backend
from shoporg.importer import Builder
from shoporg.kinds import DEPARTMENT, KINDS, Kind, Tally, desired_world
from shoporg.platforms.rules import CHAT_GROUPS_UNSUPPORTED, SEAT_QUOTA
from shoporg.reports.context import Context, Holdings
from shoporg.reports.model import Change
from shoporg.reports.world import Obj, Step
from shoporg.schema import Org, load_org

EVERY_KIND = (Path(__file__).resolve().parents[1] / "fixtures" / "org" / "valid"
              / "small-org-touching-every-kind.yaml")
TODAY = datetime.date(2026, 12, 1)
FACT_TABLES = ("accounts", "shops")  # `shoporg sandbox ls` tables that are no kind's
FACT_COUNTS = ("accounts", "shops")  # Org.counts() keys that are no kind's

#: Every field of a Kind and, for people, the layer that reads it.
PIECES: dict[str, str] = {
    "word": "its word (refs, reports, backends)",
    "type_name": "its Pulumi type",
    "label": "its label in reports",
    "fields": "the parts of its name",
    "separators": "the separators of its name",
    "identity": "the inputs that force a replacement",
    "columns": "the inputs a table or the oracle shows",
    "expand": "its org.yaml expansion",
    "live": "its live listing for drift",
    "resource": "its Pulumi resource",
    "table": "its `shoporg sandbox ls` table",
    "records": "the records its `shoporg sandbox ls` table and the import read",
    "table_columns": "its `shoporg sandbox ls` columns",
    "counts": "its counts in Org.counts() and the validate summary",
    "runbook_label": "its name in runbooks",
    "review": "its review sentence",
    "manual_object": "its object in a manual step",
    "imports": "its section in `shoporg import`",
    "field_labels": "its spec's fields in runbooks",
    "feature": "the seller centres that have it (its feature rule)",
}

#: The pieces a kind writes as functions of its own module for a layer that imports the
#: kinds (so the kinds cannot import it): the layer that calls it, with how many arguments.
HOOKS: dict[str, tuple[str, int]] = {
    "review": ("shoporg.reports.interpret", 4),  # step, context, holdings before and after
    "manual_object": ("shoporg.reports.manual_steps", 2),  # context, object
    "imports": ("shoporg.importer", 1),  # the import's builder
}


def home(kind: Kind) -> str:
    """The kind's own module, where its functions for those layers are written."""
    return f"shoporg.kinds.{kind.word}"


def gaps(kind: Kind, registry: tuple[Kind, ...] = KINDS) -> list[str]:
    """The pieces of ``kind`` that are declared but missing or unusable, by field name."""
    others = [k for k in registry if k.word != kind.word]
    missing: list[str] = []
    if not kind.table or kind.table in FACT_TABLES or kind.table in {k.table for k in others}:
        missing.append("table")
    if not _lists_from_the_backend(kind.records):
        missing.append("records")
    if not kind.table_columns:
        missing.append("table_columns")
    taken = {*FACT_COUNTS} | {c.key for k in others for t in k.counts
                                     for c in (t, t.aside) if c is not None}
    if any(t.key in taken or not t.noun for t in kind.counts):
        missing.append("counts")
    if not kind.runbook_label:
        missing.append("runbook_label")
    if kind.feature is not None and not (kind.feature.platforms
                                         and kind.feature.code.endswith("_unsupported")):
        missing.append("feature")
    shared = {key: label for k in others for key, label in k.field_labels.items()}
    if any(not label or shared.get(key, label) != label
           for key, label in kind.field_labels.items()):
        missing.append("field_labels")
    for piece, (_, arguments) in HOOKS.items():
        if not _written_in(getattr(kind, piece), home(kind), arguments):
            missing.append(piece)
    return missing


def _written_in(function: object, module: str, arguments: int) -> bool:
    """``function`` is a function of ``module`` that takes the layer's ``arguments``."""
    if not callable(function) or getattr(function, "__module__", None) != module:
        return False
    try:
        inspect.signature(function).bind(*range(arguments))
    except TypeError:
        return False
    return True


def _lists_from_the_backend(records: Callable[[Backend, str], Any]) -> bool:
    """``records`` calls one ``list_*`` method of the Backend protocol for the account."""
    calls: list[str] = []

    class Recorder:
        def __getattr__(self, name: str) -> Any:
            calls.append(name)
            return lambda *args: []

    records(Recorder(), "acct")
    return len(calls) == 1 and calls[0].startswith("list_") and hasattr(Backend, calls[0])


def _nothing(*args: Any) -> Iterator[Any]:
    return iter(())


NOTICE_MODULE = "shoporg.kinds.shop_notice"
F = TypeVar("F", bound=Callable[..., Any])


def _of_the_notice(function: F) -> F:
    """``function`` as the throwaway kind's module (never written) would define it."""
    function.__module__ = NOTICE_MODULE
    return function


@_of_the_notice
def shop_notice_change(step: Step, ctx: Context, old_h: Holdings, new_h: Holdings) -> Change:
    return DEPARTMENT.review(step, ctx, old_h, new_h)


@_of_the_notice
def shop_notice_object(ctx: Context, o: Obj) -> str:
    return DEPARTMENT.manual_object(ctx, o)


@_of_the_notice
def shop_notice_section(b: Builder) -> None:
    DEPARTMENT.imports(b)


@_of_the_notice
def shop_notice_unwritten() -> None:
    """A placeholder in the kind's module that takes none of a layer's arguments."""


#: A complete throwaway kind: its functions for the layers borrow the department's words,
#: its records the chat groups' listing (it has no backend calls of its own).
NOTICE: dict[str, Any] = {
    "word": "shop_notice", "type_name": "ShopNotice", "label": "shop notice",
    "fields": ("shop", "notice"), "separators": ("/",),
    "identity": ("account_id", "shop_id", "notice_id"),
    "columns": ("account_id", "shop_id", "notice_id"),
    "expand": _nothing, "live": _nothing,
    "resource": "shoporg.resources.shop_notice:ShopNotice",
    "table": "notices",
    "records": lambda backend, account: backend.list_chat_groups(account),
    "table_columns": ("account_id", "shop_id", "notice_id"),
    "counts": (Tally("notices", "notice", lambda org: 0),),
    "runbook_label": "shop notice (店铺公告)",
    "review": shop_notice_change,
    "manual_object": shop_notice_object,
    "imports": shop_notice_section,
    "field_labels": {"notice_id": "notice"},
    "feature": CHAT_GROUPS_UNSUPPORTED,
}

#: Each piece declared but not written (what a forgotten layer looks like in a Kind), and
#: the case's name.
UNWRITTEN: list[tuple[str, Any, str]] = [
    ("table", "", "a kind with a blank sandbox ls table"),
    ("records", lambda backend, account: [], "a kind whose records ask the backend nothing"),
    ("table_columns", (), "a kind with no sandbox ls columns"),
    ("counts", (Tally("sub_accounts", "notice", lambda org: 0),),
     "a kind counted under another kind's key"),
    ("runbook_label", "", "a kind with a blank runbook label"),
    ("field_labels", {"notice_id": ""}, "a kind with a blank field label"),
    ("feature", SEAT_QUOTA, "a kind whose feature is a rule that is no feature's"),
    ("field_labels", {"member_ids": "people"},
     "a kind labelling a field another kind labels otherwise"),
    *[case for piece, (layer, _) in HOOKS.items() for case in (
        (piece, f"{layer}:shop_notice_{piece}",
         f"a kind naming {PIECES[piece]} as the `module:function` of its layer"),
        (piece, getattr(DEPARTMENT, piece),
         f"a kind borrowing another kind's {PIECES[piece].removeprefix('its ')}"),
        (piece, shop_notice_unwritten,
         f"a kind whose {PIECES[piece].removeprefix('its ')} takes none of its layer's "
         "arguments"),
    )],
]


def test_the_pieces_are_every_field_of_a_kind_and_none_has_a_default() -> None:
    """A default would let a new kind forget a layer without a word."""
    fields = dataclasses.fields(Kind)
    assert [f.name for f in fields] == list(PIECES)
    assert all(f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
               for f in fields)


def test_the_throwaway_kind_is_complete() -> None:
    assert gaps(Kind(**NOTICE)) == []


@pytest.mark.parametrize("piece", list(PIECES),
                         ids=[f"a kind without {what} is refused, naming {piece}"
                              for piece, what in PIECES.items()])
def test_a_kind_left_without_a_piece_is_refused_naming_it(piece: str) -> None:
    declared = {k: v for k, v in NOTICE.items() if k != piece}
    with pytest.raises(TypeError, match=f"'{piece}'"):
        Kind(**declared)


@pytest.mark.parametrize(("piece", "value"), [(piece, value) for piece, value, _ in UNWRITTEN],
                         ids=[f"{case} fails naming {piece}" for piece, _, case in UNWRITTEN])
def test_a_kind_with_a_piece_declared_but_not_written_fails_naming_it(
    piece: str, value: Any,
) -> None:
    kind = Kind(**{**NOTICE, piece: value})
    assert gaps(kind) == [piece]


def test_the_kinds_load_without_the_layers_their_functions_serve() -> None:
    """The stack program and the pickled providers import the kinds: writing a kind's
    review sentence, manual-step object and import section in its module must not load
    the reports layer, the importer or ``pulumi`` with it."""
    code = "import sys, shoporg.kinds; print(' '.join(sorted(sys.modules)))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split())
    layers = {layer for layer, _ in HOOKS.values()}
    assert not {m for m in loaded if m.startswith("shoporg.reports") or m in layers
                or m.split(".")[0] == "pulumi"}


def unlisted(modules: list[ModuleType]) -> list[str]:
    """Kinds a kind module defines that the registry does not list (so no layer sees them)."""
    return [value.word for module in modules for value in vars(module).values()
            if isinstance(value, Kind) and value not in KINDS]


def _kind_modules() -> list[ModuleType]:
    import shoporg.kinds

    return [importlib.import_module(f"shoporg.kinds.{m.name}")
            for m in pkgutil.iter_modules(shoporg.kinds.__path__) if m.name != "base"]


def test_a_kind_module_left_out_of_kinds_fails_naming_its_kind() -> None:
    module = ModuleType("shoporg.kinds.shop_notice")
    module.SHOP_NOTICE = Kind(**NOTICE)  # type: ignore[attr-defined]
    assert unlisted([*_kind_modules(), module]) == ["shop_notice"]


def test_every_kind_module_is_listed_in_kinds() -> None:
    assert unlisted(_kind_modules()) == []


@pytest.mark.parametrize("kind", KINDS, ids=[k.word for k in KINDS])
def test_every_kind_carries_its_whole_surface(kind: Kind) -> None:
    assert gaps(kind) == []


# --- each layer reads the registry ------------------------------------------------------


@pytest.fixture(scope="module")
def every_kind() -> Org:
    return load_org(EVERY_KIND)


def test_sandbox_ls_offers_the_platform_facts_then_every_kinds_table() -> None:
    from shoporg.cli.sandbox import TABLES

    assert TABLES == (*FACT_TABLES, *(k.table for k in KINDS))


@pytest.mark.parametrize("kind", [k for k in KINDS if k.counts],
                         ids=[k.word for k in KINDS if k.counts])
def test_the_validate_summary_counts_what_each_kind_declares(kind: Kind, every_kind: Org) -> None:
    counts, summary = every_kind.counts(), every_kind.summary()
    for tally in kind.counts:
        n = counts[tally.key]
        assert n > 0, f"{tally.key}: the org touching every kind declares none"
        assert f"{n} {tally.noun}{'' if n == 1 else 's'}" in summary


def test_runbooks_call_every_kind_by_its_runbook_label() -> None:
    from shoporg.runbooks import KIND_LABELS

    assert {k.word: KIND_LABELS[k.word] for k in KINDS} == {k.word: k.runbook_label
                                                             for k in KINDS}


def _from_nothing(org: Org) -> Org:
    """The evidence pack's "before the first commit" (one list of sections, the model's)."""
    from shoporg.reports.evidence import nothing_declared

    return nothing_declared(org)


def test_nothing_declared_declares_nothing(every_kind: Org) -> None:
    assert desired_world(_from_nothing(every_kind), TODAY) == {}


def test_the_review_and_its_manual_steps_say_every_kind_in_its_own_words(
    every_kind: Org,
) -> None:
    """Everything created from nothing, every account on the ledger: each kind's sentence
    and manual-step object come from its own functions, never the plain "<kind> <name>"
    fallback."""
    from shoporg.backends.settings import BackendSettings
    from shoporg.reports.build import review_from_orgs

    review = review_from_orgs(
        _from_nothing(every_kind), every_kind, today=TODAY, source={},
        connectors=BackendSettings(kind="ledger"),
    )
    manual = [s for p in review.manual_steps for a in p.accounts for s in a.steps]
    for kind in KINDS:
        said = [c for c in review.changes if c.kind == kind.word]
        assert said, f"{kind.word}: no sentence in the review"
        fallback = [c.text for c in said if c.text.startswith(f"{c.kind} {c.name} ")]
        assert not fallback, f"{kind.word}: said plainly, without its sentence: {fallback}"
        steps = [s for s in manual if s.kind == kind.word]
        assert steps, f"{kind.word}: no manual step on the ledger"
        plain = [s.object for s in steps
                 if s.object == f"{s.kind.replace('_', ' ')} {s.name}"]
        assert not plain, f"{kind.word}: a manual step without its object's words: {plain}"
        pageless = [s.page for s in steps if "›" not in s.page]
        assert not pageless, f"{kind.word}: a manual step on no seller-centre page: {pageless}"
