"""Read org.yaml into plain Python data while remembering where every node was written.

::

    accounts:                 # ("accounts",)            -> line 1, col 1 (key), line 2 (value)
      - id: tb-flagship       # ("accounts", 0, "id")    -> line 2, col 9
        platform: taobao      # ("accounts", 0, "platform")
        nick: 优品数码旗舰店
        seat_quota: 10
        shops: [{id: tb-flagship-shop, name: 优品数码旗舰店}]

Every error shoporg reports about org.yaml points at ``file:LINE:COL``, so the loader
keeps two maps from a path (the same tuple pydantic uses as an error ``loc``) to a
1-based position: one for values and one for mapping keys (an unknown key is reported
at the key, a wrong value at the value).

Why not ``yaml.safe_load``: it forgets positions, silently keeps the last of two
duplicate keys and expands aliases (a "billion laughs" document of a few hundred bytes
expands to gigabytes). Here the document is built straight from the parser's event
stream (libyaml when available), iteratively, so:

* aliases are refused where they are written and never expanded (decision: reviewers
  must see every grant spelled out, see DECISIONS.md, "org.yaml schema and validator");
* duplicate keys are errors;
* nesting is capped (``MAX_DEPTH``; reading stops there) and the composer never recurses,
  so a deeply nested document can neither blow the Python stack nor take long;
* only the plain YAML scalar types (text, int, float, bool, null) are constructed; any
  other tag (``!!python/object``, ``!!binary``, ``!!timestamp``, ``!custom``) is an error;
* plain scalars are read as YAML 1.2's core schema reads them, as editors do
  (yaml-language-server; the JSON Schema in schema/org.schema.json is checked against
  the same data), not as PyYAML's YAML 1.1 does:

  ==========================================  ===========================  ==============
  written (unquoted)                          YAML 1.2 core (org.yaml)     YAML 1.1
  ==========================================  ===========================  ==============
  ``true`` ``True`` ``TRUE`` ``false`` ...    bool                         bool
  ``yes`` ``no`` ``on`` ``off`` ``y`` ``n``   text                         bool
  ``12`` ``-3`` ``012``                       int (``012`` is 12)          ``012`` is 10
  ``0o17`` ``0x1F``                           int                          text / int
  ``1_000`` ``0b101`` ``1:30``                text                         int
  ``1.5`` ``.5`` ``1e3`` ``.inf`` ``.nan``    float                        ``1e3`` text
  ``~`` ``null`` (empty)                      null                         null
  ``2026-12-31``                              text (a date field parses)   date
  ==========================================  ===========================  ==============

  So ``login_name: no`` is the text "no", and ``dispatch: yes`` is the text "yes", which
  a boolean field refuses (with what to write instead) rather than guessing.

Problems are returned as :class:`~shoporg.errors.ConfigIssue` values, never raised as
YAML exceptions; a syntax error stops loading (the parser cannot resynchronise), so it is
the last issue reported for that text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

import yaml
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

from shoporg.errors import ConfigIssue

Path = tuple[str | int, ...]

# org.yaml is at most ~8 levels deep (departments nest, but not 50 deep); the cap exists
# only so hostile input fails fast with a message instead of exhausting memory.
MAX_DEPTH: Final = 50
_TOO_DEEP: Final = f"nested deeper than {MAX_DEPTH} levels (flatten it)"
# What libyaml says when its own nesting limit stops the scanner (PyYAML >= 6.0.4).
_PARSER_DEPTH_LIMIT: Final = "maximum nesting depth"

_TAG = "tag:yaml.org,2002:"
_MAP_TAGS: Final = frozenset({f"{_TAG}map", None, "!"})
_SEQ_TAGS: Final = frozenset({f"{_TAG}seq", None, "!"})
# The scalar types org.yaml can meaningfully hold; everything else is refused.
_SCALAR_TAGS: Final = frozenset(
    f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null")
)

# libyaml parses ~10x faster; the pure-Python parser has the same event API.
_Base: type[yaml.SafeLoader] | type[yaml.CSafeLoader]
_Base = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader

# YAML 1.2.2 section 10.3.2, the core schema: the regular expressions that resolve a plain
# scalar, and the only ones (everything else is text).
_CORE_NULL: Final = re.compile(r"^(?:null|Null|NULL|~|)$")
_CORE_BOOL: Final = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_CORE_INT: Final = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_CORE_FLOAT: Final = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?(?:\.inf|\.Inf|\.INF)|\.nan|\.NaN|\.NAN)$"
)


def _core_bool(_: Any, node: ScalarNode) -> bool:
    if not _CORE_BOOL.match(node.value):
        raise ValueError(node.value)
    return bool(node.value.lower() == "true")


def _core_int(_: Any, node: ScalarNode) -> int:
    text = node.value
    if not _CORE_INT.match(text):
        raise ValueError(text)
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text, 10)


def _core_float(_: Any, node: ScalarNode) -> float:
    text = node.value
    if not _CORE_FLOAT.match(text):
        raise ValueError(text)
    if text.lower().lstrip("+-") == ".inf":
        return -math.inf if text.startswith("-") else math.inf
    if text.lower() == ".nan":
        return math.nan
    return float(text)


class _EventLoader(_Base):  # type: ignore[valid-type,misc]
    """The safe loader's parser; YAML 1.2 core scalar resolution; composition is ours."""

    yaml_implicit_resolvers: ClassVar[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = {}
    yaml_constructors: ClassVar[dict[str | None, Callable[[Any, Any], Any]]] = {
        **_Base.yaml_constructors,
        f"{_TAG}bool": _core_bool,
        f"{_TAG}int": _core_int,
        f"{_TAG}float": _core_float,
    }


# Order matters only where two patterns match one text (``1`` is an int, not a float).
# Each is filed under the first characters its texts can start with ("" is the empty
# plain scalar), so a plain text starting with any other character (most of org.yaml:
# ids, names, logins) is text without trying a pattern.
_DIGITS = list("0123456789")
for _tag, _pattern, _first in (
        ("null", _CORE_NULL, [*"~nN", ""]),
        ("bool", _CORE_BOOL, list("tTfF")),
        ("int", _CORE_INT, [*"-+", *_DIGITS]),
        ("float", _CORE_FLOAT, [*"-+.", *_DIGITS])):
    _EventLoader.add_implicit_resolver(f"{_TAG}{_tag}", _pattern, _first)


@dataclass
class Loaded:
    """The result of reading one org.yaml text."""

    filename: str
    data: Any
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)
    # Where an alias stood (already reported; its value is None and must not be reported
    # a second time as "input should be a list").
    aliases: set[Path] = field(default_factory=set)
    issues: list[ConfigIssue] = field(default_factory=list)

    def position(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Where ``path`` was written; falls back to the nearest enclosing node.

        A missing key has no position of its own, so it is reported at the mapping that
        should hold it.
        """
        if key and path in self.keys:
            return self.keys[path]
        while path:
            if path in self.values:
                return self.values[path]
            if path in self.keys:
                return self.keys[path]
            path = path[:-1]
        return self.values.get((), (1, 1))

    def issue(self, path: Path, message: str, *, key: bool = False) -> ConfigIssue:
        line, column = self.position(path, key=key)
        return ConfigIssue(self.filename, line, column, message)


class _TooDeep(Exception):
    """Raised inside the composer to abandon a pathologically deep document."""


class _NoKey:
    """Marker: the mapping frame waits for its next key."""


class _BadKey:
    """Marker: the pending key was unusable (alias, sequence, duplicate); drop its value."""


_NO_KEY: Final = _NoKey()
_BAD_KEY: Final = _BadKey()


@dataclass
class _Frame:
    path: Path | None  # None: the subtree is being discarded, record nothing
    items: dict[str, Any] | list[Any]
    depth: int
    key: str | _NoKey | _BadKey = _NO_KEY
    is_key: bool = False  # this subtree was written as a mapping key (always an error)


def _short(tag: str | None) -> str:
    return f"!!{tag[len(_TAG):]}" if tag and tag.startswith(_TAG) else str(tag)


def _pos(mark: Any) -> tuple[int, int]:
    # yaml marks are 0-based; editors and compilers print 1-based positions.
    return (mark.line + 1, mark.column + 1)


def _lone_surrogate(text: str, filename: str) -> ConfigIssue | None:
    """A ``str`` can hold lone surrogates (U+D800-U+DFFF) that no file can: libyaml would
    raise UnicodeEncodeError on them, so report the first as an issue instead."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        offset = exc.start
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        return ConfigIssue(
            filename, line, column,
            f"character U+{ord(text[offset]):04X} is not valid Unicode (a lone surrogate; "
            "re-save the text as UTF-8)",
        )
    return None


def load_text(text: str, filename: str = "org.yaml") -> Loaded:
    """Parse ``text`` into data plus positions; problems land in ``Loaded.issues``."""
    loaded = Loaded(filename=filename, data=None)
    surrogate = _lone_surrogate(text, filename)
    if surrogate is not None:
        loaded.issues.append(surrogate)
        return loaded
    loader = _EventLoader(text)
    try:
        _compose_stream(loader, loaded)
    except _TooDeep:
        loaded.data = None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = _pos(mark) if mark is not None else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        if _PARSER_DEPTH_LIMIT in problem:
            # libyaml (bundled since PyYAML 6.0.4) has its own nesting limit and its scanner
            # reads far ahead in flow collections, so it can stop before our frame count
            # reaches MAX_DEPTH. The document is too deep either way: say it in our words.
            message = _TOO_DEEP
        else:
            message = (
                f"YAML syntax error: {problem} (check brackets, quotes and indentation here "
                "or just before)"
            )
        loaded.issues.append(ConfigIssue(filename, line, column, message))
        loaded.data = None
    except yaml.reader.ReaderError as exc:
        # A control character: the reader carries an offset, not a mark.
        offset = exc.position
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        loaded.issues.append(
            ConfigIssue(
                filename,
                line,
                column,
                f"character U+{ord(char):04X} is not allowed in YAML (delete it; "
                "it is usually an invisible paste artefact)",
            )
        )
        loaded.data = None
    finally:
        loader.dispose()
    return loaded


def _compose_stream(loader: _EventLoader, loaded: Loaded) -> None:
    loader.get_event()  # StreamStartEvent
    if loader.check_event(StreamEndEvent):
        loaded.issues.append(
            ConfigIssue(loaded.filename, 1, 1, "the file is empty (expected a mapping)")
        )
        return
    loader.get_event()  # DocumentStartEvent
    loaded.values[()] = _pos(loader.peek_event().start_mark)
    loaded.data = _compose_document(loader, loaded)
    loader.get_event()  # DocumentEndEvent
    if not loader.check_event(StreamEndEvent):
        extra = loader.peek_event()
        line, column = _pos(extra.start_mark)
        loaded.issues.append(
            ConfigIssue(
                loaded.filename,
                line,
                column,
                "a second YAML document (---) is not allowed (keep the whole organization "
                "in one document)",
            )
        )


def _compose_document(loader: _EventLoader, loaded: Loaded) -> Any:
    """Build the document from events with an explicit stack (no recursion)."""
    stack: list[_Frame] = []
    add = loaded.issues.append
    name = loaded.filename

    while True:
        event = loader.get_event()
        parent = stack[-1] if stack else None
        if isinstance(event, MappingEndEvent | SequenceEndEvent):
            frame = stack.pop()
            built = frame.items if frame.path is not None else None
            if not stack:
                return built
            if not frame.is_key:  # a key subtree leaves the parent waiting for its value
                _attach(stack[-1], built)
            continue

        # Where would a new node go? ``None`` path means "discard".
        is_key = isinstance(parent, _Frame) and isinstance(parent.items, dict) and (
            parent.key is _NO_KEY
        )
        path: Path | None
        if parent is None:
            path = ()
        elif parent.path is None:
            path = None
        elif isinstance(parent.items, list):
            path = (*parent.path, len(parent.items))
        elif is_key:
            path = None  # keys are handled below; a non-scalar key is discarded
        elif isinstance(parent.key, str):
            path = (*parent.path, parent.key)
        else:
            path = None
        depth = parent.depth + 1 if parent else 0

        produced: Any
        if isinstance(event, ScalarEvent) and is_key and parent is not None:
            _take_key(parent, event, loaded)  # a key: its position is the key map's
            continue
        start = _pos(event.start_mark)
        if isinstance(event, ScalarEvent):
            produced = _scalar(loader, event, path, loaded)
            if path is not None:
                loaded.values[path] = start
        elif isinstance(event, AliasEvent):
            if path is not None or (is_key and parent is not None and parent.path is not None):
                add(
                    ConfigIssue(
                        name,
                        *start,
                        f"alias *{event.anchor} is not allowed (write the value out in full; "
                        "reviewers must see every grant)",
                    )
                )
            if is_key and parent is not None:
                parent.key = _BAD_KEY
                continue
            if path is not None:
                loaded.aliases.add(path)
                loaded.values[path] = start
            produced = None
        elif isinstance(event, MappingStartEvent | SequenceStartEvent):
            is_map = isinstance(event, MappingStartEvent)
            if is_key and parent is not None:
                if parent.path is not None:
                    add(ConfigIssue(name, *start, "a key must be plain text, not a collection"))
                parent.key = _BAD_KEY
            if path is not None and event.tag not in (_MAP_TAGS if is_map else _SEQ_TAGS):
                add(ConfigIssue(name, *start, f"YAML tag {_short(event.tag)} is not allowed here"))
                path = None
            if depth > MAX_DEPTH:
                # Stop reading: libyaml slows down quadratically with depth, and no real
                # org.yaml gets near this, so the rest of a document this deep is not worth
                # parsing.
                add(ConfigIssue(name, *start, _TOO_DEEP))
                raise _TooDeep
            if path is not None:
                loaded.values[path] = start
            items: dict[str, Any] | list[Any] = {} if is_map else []
            stack.append(_Frame(path=path, items=items, depth=depth, is_key=is_key))
            continue
        else:  # pragma: no cover - the parser guarantees node events inside a document
            raise AssertionError(f"unexpected YAML event {event!r}")

        if parent is None:
            return produced
        if is_key:
            continue
        _attach(parent, produced)


def _attach(parent: _Frame, value: Any) -> None:
    if isinstance(parent.items, list):
        parent.items.append(value)
        return
    if isinstance(parent.key, str) and parent.path is not None:
        parent.items[parent.key] = value
    parent.key = _NO_KEY


def _take_key(frame: _Frame, event: ScalarEvent, loaded: Loaded) -> None:
    # Keys are kept as written (``123:`` is the key "123", ``yes:`` is "yes"): every key
    # org.yaml knows is text, so a resolved int/bool key could only produce a worse message.
    key = event.value
    assert isinstance(frame.items, dict)
    if frame.path is None:
        frame.key = _BAD_KEY
        return
    path = (*frame.path, key)
    if key in frame.items:
        first = loaded.keys[path]
        line, column = _pos(event.start_mark)
        loaded.issues.append(
            ConfigIssue(
                loaded.filename,
                line,
                column,
                f"duplicate key {key!r} (first written at line {first[0]}; "
                "YAML would silently keep only one, remove the other)",
            )
        )
        frame.key = _BAD_KEY
        return
    loaded.keys[path] = _pos(event.start_mark)
    frame.key = key


def _scalar(loader: _EventLoader, event: ScalarEvent, path: Path | None, loaded: Loaded) -> Any:
    tag = event.tag
    if tag is None or tag == "!":
        tag = loader.resolve(ScalarNode, event.value, event.implicit)
    if tag == f"{_TAG}str":
        return event.value  # the common case: skip building a node
    if path is None:
        return None
    line, column = _pos(event.start_mark)
    if tag not in _SCALAR_TAGS:
        loaded.issues.append(
            ConfigIssue(
                loaded.filename, line, column, f"YAML tag {_short(tag)} is not allowed here"
            )
        )
        return None
    node = ScalarNode(tag, event.value, style=event.style)  # marks: constructors ignore them
    construct: Callable[[Any, ScalarNode], Any] = loader.yaml_constructors[tag]
    try:
        value = construct(loader, node)
    except (ValueError, OverflowError, yaml.YAMLError):
        # Only an explicit tag gets here (``!!int twelve``, ``!!bool yes``): a plain scalar
        # is resolved by the very pattern its constructor checks.
        loaded.issues.append(
            ConfigIssue(
                loaded.filename, line, column,
                f"{event.value!r} is not a valid {tag.removeprefix(_TAG)} (remove the "
                f"{_short(tag)} tag or write a YAML 1.2 {tag.removeprefix(_TAG)})",
            )
        )
        return None
    return value
