"""No runbook prints a raw field key: every key that reaches ``labelled`` has its words.

``FIELD_LABELS`` turns a backend's field names into the words of the seller-centre forms
("display_name" → "name (姓名)"); ``labelled`` keeps a key it does not know as it is, so a
field added without a label would print its raw key without a word said. These tests list
every field a runbook can print through ``labelled`` — each field of each backend ``*Spec``
dataclass, and every key any caller of ``labelled`` in ``providers/`` passes (read from the
source: a dict literal's keys, an ``asdict(spec)``'s fields, followed through the parameters
of the helper that calls it) — and fail naming the one without a label, or a call whose keys
cannot be told. A label no runbook can print fails too.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

import shoporg
from shoporg.backends import protocol
from shoporg.runbooks import FIELD_LABELS

PROVIDERS = Path(shoporg.__file__).resolve().parent

#: Every spec of the backend protocol: what a connector is asked to write, field by field.
SPECS: tuple[type, ...] = tuple(
    value for name, value in vars(protocol).items()
    if name.endswith("Spec") and isinstance(value, type) and dataclasses.is_dataclass(value)
)


@dataclass(frozen=True)
class Passed:
    """A key a caller passes to ``labelled``: the key, and where it is written."""

    key: str
    where: str  # "backends/ledger/backend.py:161" or "SubAccountSpec (…:239)"


def unlabelled_fields(spec: type) -> list[str]:
    """``Spec.field`` of each field of ``spec`` without a label."""
    return [f"{spec.__name__}.{f.name}" for f in dataclasses.fields(spec)
            if f.name not in FIELD_LABELS]


class _Module:
    """One module's source, read for what it passes to ``labelled``."""

    def __init__(self, source: str, path: str, namespace: Mapping[str, object]) -> None:
        self.tree = ast.parse(source)
        self.path = path
        self.namespace = namespace  # the module's globals: the classes its annotations name
        self.parent: dict[ast.AST, ast.AST] = {
            child: node for node in ast.walk(self.tree) for child in ast.iter_child_nodes(node)}
        self.functions: dict[str, list[ast.FunctionDef]] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.FunctionDef):
                self.functions.setdefault(node.name, []).append(node)

    def at(self, node: ast.AST) -> str:
        return f"{self.path}:{getattr(node, 'lineno', '?')}"

    def function_of(self, node: ast.AST) -> ast.FunctionDef | None:
        while node in self.parent:
            node = self.parent[node]
            if isinstance(node, ast.FunctionDef):
                return node
        return None

    def calls_to(self, name: str) -> Iterator[ast.Call]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and _called(node) == name:
                yield node

    def keys(self, expr: ast.expr, seen: frozenset[int] = frozenset()
             ) -> Iterator[Passed | str]:
        """The keys ``expr`` holds, or (a str) the place whose keys cannot be told."""
        if id(expr) in seen:
            return
        seen |= {id(expr)}
        function = self.function_of(expr)
        if isinstance(expr, ast.Dict):
            for key, value in zip(expr.keys, expr.values, strict=True):
                if key is None:  # {**more}
                    yield from self.keys(value, seen)
                elif isinstance(key, ast.Constant) and isinstance(key.value, str):
                    yield Passed(key.value, self.at(key))
                else:
                    yield self.at(key)
        elif isinstance(expr, ast.Call) and _called(expr) == "asdict" and len(expr.args) == 1:
            spec = self._annotated_class(expr.args[0], function)
            if spec is None:
                yield self.at(expr)
            else:
                yield from (Passed(f.name, f"{spec.__name__} ({self.at(expr)})")
                            for f in dataclasses.fields(spec))
        elif isinstance(expr, ast.Name) and function is not None:
            yield from self._name(expr, function, seen)
        else:
            yield self.at(expr)

    def _name(self, name: ast.Name, function: ast.FunctionDef, seen: frozenset[int]
              ) -> Iterator[Passed | str]:
        """A parameter: what every call of its function passes; a local: what it is given."""
        params = [*function.args.posonlyargs, *function.args.args]
        names = [p.arg for p in params]
        if name.id in names or name.id in {p.arg for p in function.args.kwonlyargs}:
            index = names.index(name.id) if name.id in names else None
            method = bool(names) and names[0] in ("self", "cls")
            for call in self.calls_to(function.name):
                given = next((k.value for k in call.keywords if k.arg == name.id), None)
                if given is None and index is not None:
                    position = index - (method and isinstance(call.func, ast.Attribute))
                    if 0 <= position < len(call.args):
                        given = call.args[position]
                if given is not None:  # else its default: nothing passed
                    yield from self.keys(given, seen)
            return
        assigned = [node.value for node in ast.walk(function) if isinstance(node, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == name.id for t in node.targets)]
        if not assigned:
            yield self.at(name)
        for value in assigned:
            yield from self.keys(value, seen)

    def _annotated_class(self, expr: ast.expr, function: ast.FunctionDef | None
                         ) -> type | None:
        """The dataclass a parameter is annotated with (``spec: SubAccountSpec``)."""
        if not isinstance(expr, ast.Name) or function is None:
            return None
        for param in [*function.args.posonlyargs, *function.args.args,
                      *function.args.kwonlyargs]:
            if param.arg == expr.id and param.annotation is not None:
                value = self.namespace.get(ast.unparse(param.annotation).strip("'\""))
                if isinstance(value, type) and dataclasses.is_dataclass(value):
                    return value
        return None

    def passed_to_labelled(self) -> Iterator[Passed | str]:
        for call in self.calls_to("labelled"):
            if len(call.args) != 1:
                yield self.at(call)
            else:
                yield from self.keys(call.args[0])


def _called(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def passed_to_labelled() -> tuple[list[Passed], list[str]]:
    """Every key a caller of ``labelled`` in ``providers/`` passes, and the calls whose keys
    cannot be told."""
    passed: list[Passed] = []
    untold: list[str] = []
    for path in sorted(PROVIDERS.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if "labelled(" not in source or path == PROVIDERS / "runbooks" / "__init__.py":
            continue
        relative = path.relative_to(PROVIDERS)
        module = ".".join(("shoporg", *relative.with_suffix("").parts))
        read = _Module(source, str(relative), vars(importlib.import_module(module)))
        for found in read.passed_to_labelled():
            (passed.append if isinstance(found, Passed) else untold.append)(found)
    return passed, untold


def unlabelled(passed: list[Passed]) -> list[str]:
    return sorted({f"{p.key} ({p.where})" for p in passed if p.key not in FIELD_LABELS})


# --- the real runbooks -----------------------------------------------------------------------


def test_the_backend_protocol_has_its_specs() -> None:
    assert {s.__name__ for s in SPECS} >= {
        "DepartmentSpec", "RoleSpec", "SubAccountSpec", "GrantSpec", "BindingSpec",
        "ChatGroupSpec"}


@pytest.mark.parametrize("spec", SPECS, ids=[s.__name__ for s in SPECS])
def test_every_field_of_a_spec_has_its_runbook_label(spec: type) -> None:
    missing = unlabelled_fields(spec)
    assert not missing, f"no label in FIELD_LABELS, a runbook prints it raw: {missing}"


def test_every_key_passed_to_labelled_has_its_runbook_label() -> None:
    passed, untold = passed_to_labelled()
    assert passed, "no caller of labelled() found: the reading of the source is broken"
    assert not untold, f"labelled() is given keys the source does not tell: {untold}"
    missing = unlabelled(passed)
    assert not missing, f"no label in FIELD_LABELS, a runbook prints it raw: {missing}"


def test_no_label_is_left_that_no_runbook_prints() -> None:
    passed, _ = passed_to_labelled()
    printed = {p.key for p in passed} | {f.name for s in SPECS for f in dataclasses.fields(s)}
    unused = sorted(set(FIELD_LABELS) - printed)
    assert not unused, f"labels of no spec field and no key passed to labelled(): {unused}"


# --- a new field without a label fails, naming it ---------------------------------------------


@dataclass(frozen=True)
class NoticeSpec:
    """A throwaway kind's spec: one field with a label (``shop_id``), one without."""

    shop_id: str
    headline: str


NOTICE_BACKEND = '''
from dataclasses import asdict


class NoticeBackend:
    def _manual(self, kind, operation, fields, person=None):
        return manual_step(kind, operation, fields=labelled(fields), person=person)

    def create_notice(self, account_id, spec: NoticeSpec):
        raise self._manual("shop_notice", "create", asdict(spec))

    def pin_notice(self, account_id, notice_id):
        pinned = {"id": notice_id, "pinned_until": "tomorrow"}
        raise self._manual("shop_notice", "update", {**pinned, "status": "pinned"})

    def delete_notice(self, account_id, notice_id):
        raise self._manual("shop_notice", "delete", fields={"notice": notice_id})

    def reword_notice(self, account_id, words):
        raise self._manual("shop_notice", "update", dict(words))
'''


def test_a_spec_field_without_a_label_fails_naming_it() -> None:
    assert unlabelled_fields(NoticeSpec) == ["NoticeSpec.headline"]


def test_a_key_passed_to_labelled_without_a_label_fails_naming_it() -> None:
    read = _Module(NOTICE_BACKEND, "notice.py", {"NoticeSpec": NoticeSpec})
    found = list(read.passed_to_labelled())
    passed = [f for f in found if isinstance(f, Passed)]
    assert unlabelled(passed) == [
        "headline (NoticeSpec (notice.py:10))", "notice (notice.py:17)",
        "pinned_until (notice.py:13)",
    ]
    assert [f for f in found if isinstance(f, str)] == ["notice.py:20"]  # dict(words): untold
