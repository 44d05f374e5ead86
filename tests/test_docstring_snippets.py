"""Every org.yaml snippet in a ``providers/`` docstring is a shape org.yaml really has.

The sandbox's docstrings went on showing ``grants:`` and ``parent:`` long after org.yaml said
``sub_accounts:`` and ``children:``, because tests/kinds/test_docstrings.py checks only the
kinds' modules. This test walks the AST of every module under ``providers/`` and looks at the
docstring of every module, class and function, so a new module's snippet is checked without
anyone listing it. A snippet is a literal block of a docstring: the indented block after a
line ending in ``::``, a ``.. code-block:: yaml`` block, or a fenced block (```` ``` ```` or
```` ```yaml ````).

**The rule for "this snippet is org.yaml"** (:func:`is_org_yaml`), both of:

1. It is written as a YAML block: its first line that is neither blank nor a ``#`` comment is
   a mapping key (``accounts:``) or a list item (``- id: ...``). JSON payloads (the sandbox's
   faults, TOP's ``{"error_response": ...}``, journal lines), CLI transcripts (``$ shoporg
   validate``, ``shoporg drift  # ...``), file layouts, trees, tables and Python never start
   that way.
2. Either its first key is one of Org's fields (company, accounts, departments, roles,
   members, bindings, chat_groups, policies), or it is a list of mappings (bare, or the value
   of its only key) whose items share at least two keys with one of org.yaml's models
   (Account, Shop, Department, Role, Member, SubAccount, Binding, ChatGroup, ToxicPair,
   Webhook, ...): a section under a name org.yaml does not have (``grants:``) is still an
   org.yaml snippet, a stale one. Stack config (``config:``, ``shoporg:backend: ...``) is not.

**How a snippet is checked** (:func:`check`), read with org.yaml's own loader (YAML 1.2, no
duplicate keys, no aliases). It starts at org.yaml's top: its top-level keys are Org's fields.

* A **document** -- it has every field Org requires (company, accounts, departments,
  members) -- must pass :func:`shoporg.schema.validate_text` as it is: the shapes and the
  cross-object rules (references, quotas, platform rules).
* **Sections** -- any other snippet, deliberately partial -- are validated with the Org model,
  which validates each item with its section's model (Department, Role, Member, ...); the only
  error allowed is a section the snippet leaves out. The items themselves are complete: a
  snippet shows what org.yaml must say, and gets copied.
* An **error example** quotes shoporg's messages in its comments (``# org.yaml:4:5: unknown
  key 'departmnet' ...``): :func:`~shoporg.schema.validate_text` must report each quoted
  message at that line and column, ``...`` standing for any text.
"""

from __future__ import annotations

import ast
import re
import textwrap
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from inspect import isclass
from pathlib import Path
from typing import Any, Final

import pytest
from pydantic import BaseModel, ValidationError

import shoporg
from shoporg.errors import ConfigError
from shoporg.kinds import KINDS
from shoporg.schema import Org, validate_text
from shoporg.schema.loader import load_text

PROVIDERS: Final = Path(shoporg.__file__).resolve().parent
ROOT: Final = PROVIDERS.parent

SECTIONS: Final = frozenset(Org.model_fields)
REQUIRED: Final = frozenset(name for name, f in Org.model_fields.items() if f.is_required())

# The first line of a YAML block: ``key:`` or ``- key:`` (an org.yaml key is a plain word).
FIRST_KEY: Final = re.compile(r"(- +\{? *)?([A-Za-z_][A-Za-z0-9_-]*) *:(\s|$)")
# ``# org.yaml:4:5: unknown key ...``: a message an error example quotes.
QUOTED: Final = re.compile(r"#\s*org\.yaml:(\d+):(\d+):\s*(.+?)\s*$")
DIRECTIVE: Final = re.compile(r"\.\. (code-block|code|sourcecode):: *(yaml|yml)")
FENCE: Final = re.compile(r"```\s*(yaml|yml)?\s*$")


def _models(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    """The models ``model``'s fields hold, directly or nested (list[...], ... | None)."""
    stack: list[Any] = [f.annotation for f in model.model_fields.values()]
    while stack:
        tp = stack.pop()
        if isclass(tp) and typing.get_origin(tp) is None and issubclass(tp, BaseModel):
            yield tp
        else:
            stack.extend(typing.get_args(tp))


def _item_models() -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    todo: list[type[BaseModel]] = [Org]
    while todo:
        for m in _models(todo.pop()):
            if m is not Org and m not in found:
                found.append(m)
                todo.append(m)
    return found


#: The key sets of org.yaml's models below Org (Account, Shop, SubAccount, ToxicPair, ...).
ITEM_KEYS: Final = [frozenset(m.model_fields) for m in _item_models()]


@dataclass(frozen=True)
class Snippet:
    """One literal block of a docstring: where it is and its text (dedented)."""

    id: str  # module[.Class][.function], plus #2, #3 for a docstring's later org.yaml snippets
    path: str  # relative to the repo root
    line: int  # of the block's first line in the file
    indent: int  # of the block in the file
    text: str

    def at(self, line: int, column: int = 0) -> str:
        """``providers/x.py:LINE[:COL]`` of a line and column (1-based) of the snippet."""
        where = f"{self.path}:{self.line + line - 1}"
        return f"{where}:{self.indent + column}" if column else where


def literal_blocks(doc: str) -> Iterator[tuple[int, int, str]]:
    """(index of the first line, indentation, dedented text) of each literal block of ``doc``.

    ``doc`` is the docstring as written, its first line starting at the quotes; the rest is
    dedented as :func:`inspect.cleandoc` does, so a block's indentation is relative."""
    lines = doc.expandtabs().split("\n")
    margin = min((len(s) - len(s.lstrip()) for s in lines[1:] if s.strip()), default=0)
    lines = [lines[0].lstrip()] + [s[margin:] for s in lines[1:]]
    i = 0
    while i < len(lines):
        line, stripped = lines[i], lines[i].strip()
        indent = len(line) - len(line.lstrip())
        i += 1
        if stripped.startswith("```"):
            start = i
            while i < len(lines) and not lines[i].strip().startswith("```"):
                i += 1
            body = lines[start:i]
            i += 1
            if not FENCE.fullmatch(stripped):
                continue  # ```mermaid, ```json, ...
        elif stripped.endswith("::") or DIRECTIVE.fullmatch(stripped):
            directive = DIRECTIVE.fullmatch(stripped) is not None
            while i < len(lines) and (
                not lines[i].strip() or (directive and lines[i].strip().startswith(":"))
            ):
                i += 1  # blank lines, and a directive's options (:linenos:)
            start = i
            while i < len(lines) and (
                not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent
            ):
                i += 1
            body = lines[start:i]
        else:
            continue
        while body and not body[0].strip():
            body, start = body[1:], start + 1
        text = textwrap.dedent("\n".join(body)).strip("\n")
        if text:
            common = min(len(s) - len(s.lstrip()) for s in body if s.strip())
            yield start, margin + common, text


def is_org_yaml(text: str) -> bool:
    """The rule of this module's docstring: is this literal block org.yaml?"""
    first = next(
        (s for s in text.splitlines() if s.strip() and not s.lstrip().startswith("#")), ""
    )
    match = FIRST_KEY.match(first)
    if match is None:
        return False  # not a YAML block: JSON, a transcript, a table, a layout
    if match.group(1) is None and match.group(2) in SECTIONS:
        return True
    data = load_text(text, "snippet").data
    if isinstance(data, dict) and len(data) == 1:
        [data] = data.values()
    return isinstance(data, list) and any(
        isinstance(item, dict) and any(len(keys & item.keys()) >= 2 for keys in ITEM_KEYS)
        for item in data
    )


DEFS: Final = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def _docstrings(node: ast.AST, name: str) -> Iterator[tuple[str, ast.Constant]]:
    """(qualified name, docstring) of a module and of every class and function in it, at
    any depth (methods, nested functions, definitions under ``if``/``try``)."""
    body = getattr(node, "body", None)
    if (
        isinstance(node, (ast.Module, *DEFS))
        and body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        yield name, body[0].value
    for child in ast.iter_child_nodes(node):
        yield from _docstrings(child, f"{name}.{child.name}" if isinstance(child, DEFS) else name)


def find_snippets() -> list[Snippet]:
    """Every org.yaml snippet of every docstring under providers/, by the module's rule."""
    found: list[Snippet] = []
    for path in sorted(PROVIDERS.rglob("*.py")):
        rel = path.relative_to(ROOT)
        # providers/ is installed as the shoporg package: its modules' names start with it.
        parts = ("shoporg", *path.relative_to(PROVIDERS).with_suffix("").parts)
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(rel))
        for name, node in _docstrings(tree, module):
            assert isinstance(node.value, str)
            blocks = [b for b in literal_blocks(node.value) if is_org_yaml(b[2])]
            for n, (index, indent, text) in enumerate(blocks, start=1):
                ident = name if n == 1 else f"{name}#{n}"
                found.append(Snippet(ident, rel.as_posix(), node.lineno + index, indent, text))
    return found


SNIPPETS: Final = find_snippets()


def _matches(quoted: str, message: str) -> bool:
    pattern = ".*".join(re.escape(part.strip()) for part in quoted.split("..."))
    return re.fullmatch(pattern, message.strip(), flags=re.DOTALL) is not None


def check(snippet: Snippet) -> None:
    """Fail (AssertionError) unless the snippet is a shape org.yaml really has today."""
    loaded = load_text(snippet.text, "org.yaml")
    assert not loaded.issues, "\n".join(
        f"{snippet.at(i.line, i.column)}: {i.message}" for i in loaded.issues
    )
    quoted = [
        (n, m.group(3), int(m.group(1)), int(m.group(2)))
        for n, line in enumerate(snippet.text.splitlines(), start=1)
        if (m := QUOTED.search(line))
    ]
    if quoted:  # an error example: shoporg must say what the comments quote
        try:
            validate_text(snippet.text)
        except ConfigError as exc:
            said = exc.issues
        else:
            said = []
        for n, message, line, column in quoted:
            assert any(
                (i.line, i.column) == (line, column) and _matches(message, i.message)
                for i in said
            ), f"{snippet.at(n)}: quotes {line}:{column}: {message!r}; validate_text says:\n" + (
                "\n".join(str(i) for i in said)
            )
        return

    data = loaded.data
    assert isinstance(data, dict) and data.keys() <= SECTIONS, (
        f"{snippet.at(1)}: an org.yaml snippet starts at org.yaml's top, with its sections "
        f"({', '.join(Org.model_fields)}); this one has "
        + (", ".join(map(repr, data)) if isinstance(data, dict) else type(data).__name__)
    )
    if REQUIRED <= data.keys():  # a whole document
        try:
            validate_text(snippet.text)
        except ConfigError as exc:
            raise AssertionError("\n".join(
                f"{snippet.at(i.line, i.column)}: {i.message}" for i in exc.issues
            )) from None
        return
    try:
        Org.model_validate(data)
    except ValidationError as exc:
        errors = [
            e for e in exc.errors(include_url=False)
            if not (e["type"] == "missing" and len(e["loc"]) == 1)  # a section left out
        ]
    else:
        errors = []
    lines = []
    for e in errors:
        line, column = loaded.position(
            tuple(e["loc"]), key=e["type"] in ("extra_forbidden", "missing")
        )
        lines.append(f"{snippet.at(line, column)}: {'.'.join(map(str, e['loc']))}: {e['msg']}")
    assert not errors, "\n".join(lines)


@pytest.mark.parametrize("snippet", [pytest.param(s, id=s.id) for s in SNIPPETS])
def test_the_docstring_snippet_is_org_yaml_as_it_is_today(snippet: Snippet) -> None:
    check(snippet)


def test_the_snippets_ids_are_unique_and_the_kinds_snippets_are_among_them() -> None:
    ids = [s.id for s in SNIPPETS]
    assert len(ids) == len(set(ids))
    for kind in KINDS:  # the walk finds at least what tests/kinds/test_docstrings.py checks
        assert f"shoporg.kinds.{kind.word}" in ids
        assert kind.resource.partition(":")[0] in ids


RULE_CASES: Final = [
    pytest.param("company: 杭州优品电子商务有限公司", True, id="company"),
    pytest.param("# yaml-language-server: $schema=./schema/org.schema.json\ncompany: x", True,
                 id="comment-first"),
    pytest.param("roles:\n  - {id: tb-cs, platform: taobao, name: 客服, permissions: [x]}", True,
                 id="a-section"),
    pytest.param("grants:\n  - account: tb-flagship\n    roles: [tb-cs]", True,
                 id="a-section-org-yaml-no-longer-has"),
    pytest.param("- {account: tb-flagship, login_name: 张伟}", True, id="items-without-section"),
    pytest.param('{"seed": 7,\n "transient_rate": 0.2}', False, id="json-payload"),
    pytest.param('{"roles": {"role": []}, "request_id": "x"}', False, id="top-api-response"),
    pytest.param('→ {"error_response": {"code": 27}}', False, id="top-error-transcript"),
    pytest.param("$ shoporg validate\norg.yaml: valid — 5 accounts, 6 shops", False,
                 id="cli-transcript"),
    pytest.param("shoporg drift                       # Markdown report on stdout", False,
                 id="cli-usage"),
    pytest.param('<file backend>/.pulumi/stacks/<project>/<stack>.json\n    {"version": 3}',
                 False, id="file-layout"),
    pytest.param("steps         id, fingerprint, kind\nevents        seq, step_id", False,
                 id="table-columns"),
    pytest.param("accounts                  AccountReader        account id", False,
                 id="table-of-sections"),
    pytest.param("config:\n  shoporg:accounts: [tb-*, tm-youpin]", False, id="stack-config"),
    pytest.param("shoporg:backend: sandbox\nshoporg:company: acme", False, id="stack-settings"),
    pytest.param("from shoporg.schema import load_org\norg = load_org('org.yaml')", False,
                 id="python"),
]


@pytest.mark.parametrize(("text", "org_yaml"), RULE_CASES)
def test_the_rule_tells_org_yaml_from_other_snippets(text: str, org_yaml: bool) -> None:
    assert is_org_yaml(text) is org_yaml


def test_the_blocks_are_found_after_double_colons_directives_and_fences() -> None:
    doc = (
        'Title, on the quotes\' line::\n\n        company: a\n\n    Prose.\n\n'
        "    .. code-block:: yaml\n\n        company: b\n\n"
        "    ```yaml\n    company: c\n    ```\n"
        "    ```mermaid\n    company: d\n    ```\n"
    )
    assert list(literal_blocks(doc)) == [
        (2, 8, "company: a"), (8, 8, "company: b"), (11, 4, "company: c")]


@pytest.mark.parametrize("text", [
    pytest.param("members:\n  - {id: a, name: A, department: cs, grants: []}", id="renamed-key"),
    pytest.param("departments:\n  - {id: cs-presale, name: 售前, parent: cs}", id="gone-key"),
    pytest.param("grants:\n  - {account: tb-flagship, login_name: a, roles: [tb-cs]}",
                 id="gone-section"),
    pytest.param("roles:\n  - {id: tb-cs, platform: taobao, name: 客服}", id="missing-key"),
    pytest.param("company: x\naccounts: []\ndepartments: []\n"
                 "members:\n  - {id: a, name: A, department: cs}", id="document-breaks-a-rule"),
    pytest.param("members:\n  - id: a\n    status: gone   # org.yaml:2:13: status: input x",
                 id="misquoted-error"),
])
def test_a_stale_snippet_fails(text: str) -> None:
    with pytest.raises(AssertionError):
        check(Snippet("example", "example.py", 1, 0, text))
