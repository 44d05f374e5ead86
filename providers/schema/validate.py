"""org.yaml text -> :class:`Org`, or :class:`ConfigError` with every issue at once.

::

    members:
      - id: wang-fang
        name: 王芳
        departmnet: cs    # org.yaml:4:5: unknown key 'departmnet' (did you mean 'department'? ...)
        status: gone      # org.yaml:5:13: status: input should be 'active' or 'left' (got 'gone')

Three stages, each adding issues, all reported together and sorted by position:

1. :mod:`shoporg.schema.loader` - YAML syntax, aliases, duplicate keys, tags.
2. the pydantic models - shape and types; pydantic's error ``loc`` is the loader's path,
   so each error gets its position; messages are reworded for people editing YAML.
3. :mod:`shoporg.schema.rules` - cross-object rules, run on the elements that passed
   stage 2 (a broken member is left out instead of hiding every other problem).
"""

from __future__ import annotations

import copy
import difflib
import types
import typing
from collections.abc import Mapping
from pathlib import Path as FsPath
from typing import Any, Final

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from shoporg.errors import ConfigError, ConfigIssue
from shoporg.schema.loader import Loaded, Path, load_text
from shoporg.schema.models import EMAIL_PATTERN, ID_PATTERN, Org
from shoporg.schema.rules import Context, check

# pydantic reports a pattern mismatch with the regex; people need an example instead.
PATTERN_HINTS: Final[Mapping[str, str]] = {
    ID_PATTERN: "ids use lowercase ASCII letters, digits, '-' and '_', start with a letter, "
    "e.g. zhang-wei; put Chinese names in name:",
    EMAIL_PATTERN: "write an address like name@example.com",
}

# Top-level list sections and the kind of id their elements declare.
_SECTION_KINDS: Final = {
    "accounts": "account",
    "departments": "department",
    "roles": "role",
    "members": "member",
}


def validate_text(text: str, filename: str = "org.yaml") -> Org:
    """Parse and validate org.yaml ``text``; raise ConfigError listing every issue."""
    loaded = load_text(text, filename)
    issues = list(loaded.issues)
    org: Org | None = None
    if loaded.data is not None or not issues:
        org, more = _validate_data(loaded)
        issues.extend(more)
    if issues or org is None:
        raise ConfigError(issues)
    return org


#: The last org validated by :func:`validated`: (file name, text, org).
_last: tuple[str, str, Org] | None = None


def validated(text: str, filename: str) -> Org:
    """:func:`validate_text`, remembering the last org it returned for the same file name and
    text. One process reads its org.yaml several times — a drift of a stack on TOP and the
    ledger: the check, the router, the ledger connector and TOP's directory, each 0.25 s at
    10,000 objects — and an :class:`Org` is immutable (frozen models; nothing mutates its
    lists), so they share one. A file that fails is validated again each time."""
    global _last
    last = _last
    if last is not None and last[0] == filename and last[1] == text:
        return last[2]
    org = validate_text(text, filename)
    _last = (filename, text, org)
    return org


def load_org(path: str | FsPath = "org.yaml") -> Org:
    """Read and validate an org.yaml file; raise ConfigError listing every issue."""
    name = str(path)
    try:
        raw = FsPath(path).read_bytes()
    except OSError as exc:
        raise ConfigError(
            [ConfigIssue(name, 1, 1, f"cannot read the file: {exc.strerror or exc}")]
        ) from None
    try:
        text = raw.decode("utf-8-sig")  # editors on Windows like to add a BOM
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            [ConfigIssue(name, line, column, "the file is not UTF-8 (save it as UTF-8)")]
        ) from None
    return validated(text, name)


def _validate_data(loaded: Loaded) -> tuple[Org | None, list[ConfigIssue]]:
    data = loaded.data
    if not isinstance(data, dict):
        return None, [
            loaded.issue((), f"org.yaml must be a mapping of sections, got {_kind(data)}")
        ]
    try:
        org = Org.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    else:
        return org, check(Context(org=org, loaded=loaded))

    # An alias was already reported where it stood; its placeholder value is not news.
    errors = [err for err in errors if tuple(err["loc"]) not in loaded.aliases]
    issues = _missing_keys(errors, loaded)
    issues += [_translate(err, loaded) for err in errors if err["type"] != "missing"]
    # An unknown key is reported above and says nothing about the rest of its element, so
    # the element is checked without it: a member with a typo'd key and an unknown
    # department gets both lines at once. Other shape errors still drop the element.
    data, errors = _without_unknown_keys(data, errors)
    recovered = _recover(data, errors)
    if recovered is None:
        return None, issues
    org_part, index, broken = recovered
    issues.extend(check(Context(org=org_part, loaded=loaded, index=index, broken_ids=broken)))
    return None, issues


def _without_unknown_keys(
    data: dict[str, Any], errors: list[ErrorDetails]
) -> tuple[dict[str, Any], list[ErrorDetails]]:
    """A copy of ``data`` without the unknown keys pydantic found, and the errors left."""
    data = copy.deepcopy(data)  # the loader's document stays as written
    left: list[ErrorDetails] = []
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] != "extra_forbidden" or len(loc) < 2 or not _delete(data, loc):
            left.append(err)
    return data, left


def _delete(data: Any, loc: tuple[Any, ...]) -> bool:
    """Delete the key at ``loc``; False when the path is not there as a mapping key."""
    here = data
    for elem in loc[:-1]:
        try:
            here = here[elem]
        except (KeyError, IndexError, TypeError):
            return False
    if not isinstance(here, dict) or loc[-1] not in here:
        return False
    del here[loc[-1]]
    return True


def _recover(
    data: dict[str, Any], errors: list[ErrorDetails]
) -> tuple[Org, dict[str, list[int]], dict[str, set[str] | None]] | None:
    """The org without the elements that failed their model check, for the rules to run on.

    Returns the surviving elements' original indices per section and the ids the dropped
    elements declared (or None when a whole section is unusable), so references to them
    are not reported as dangling.
    """
    fields = Org.model_fields
    broken_at: dict[str, set[int]] = {}
    unusable: set[str] = set()
    for err in errors:
        loc = err["loc"]
        section = str(loc[0]) if loc else ""
        if section not in fields:
            continue  # an unknown top-level key: dropping it is enough
        if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(data.get(section), list):
            broken_at.setdefault(section, set()).add(loc[1])
        else:
            unusable.add(section)

    pruned = {k: v for k, v in data.items() if k in fields}
    index: dict[str, list[int]] = {}
    broken: dict[str, set[str] | None] = {}
    for section in unusable:
        if typing.get_origin(fields[section].annotation) is list:
            pruned[section] = []
        elif fields[section].is_required():
            return None  # e.g. no company name: nothing sensible to check against
        else:
            del pruned[section]
        if section in _SECTION_KINDS:
            broken[_SECTION_KINDS[section]] = None
        if section == "accounts":
            broken["shop"] = None
    for section, bad in broken_at.items():
        items = data[section]
        keep = [i for i in range(len(items)) if i not in bad]
        pruned[section] = [items[i] for i in keep]
        index[section] = keep
        dropped = [items[i] for i in sorted(bad)]
        if section in _SECTION_KINDS:
            ids = _declared_ids(dropped, nested="children" if section == "departments" else None)
            broken.setdefault(_SECTION_KINDS[section], ids)
        if section == "accounts":
            shops = [s for a in dropped if isinstance(a, dict) for s in _as_list(a.get("shops"))]
            broken.setdefault("shop", _declared_ids(shops))
    try:
        org = Org.model_validate(pruned)
    except ValidationError:  # pragma: no cover - pruning removes every failing element
        return None
    return org, index, broken


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _declared_ids(items: list[Any], nested: str | None = None) -> set[str] | None:
    ids: set[str] = set()
    stack = list(items)
    while stack:
        item = stack.pop()
        if not isinstance(item, dict):
            continue
        ident = item.get("id")
        if not isinstance(ident, str):
            return None  # an element without a readable id could be anything
        ids.add(ident)
        if nested is not None:
            stack.extend(_as_list(item.get(nested)))
    return ids


def _missing_keys(errors: list[ErrorDetails], loaded: Loaded) -> list[ConfigIssue]:
    """One line per mapping that lacks required keys, naming them all."""
    by_parent: dict[Path, list[str]] = {}
    for err in errors:
        if err["type"] == "missing":
            loc = tuple(err["loc"])
            by_parent.setdefault(loc[:-1], []).append(str(loc[-1]))
    issues = []
    for parent, names in by_parent.items():
        if len(names) == 1:
            text = f"missing required key {names[0]!r} (add {names[0]}: here)"
        else:
            listed = ", ".join(repr(n) for n in names)
            text = f"missing required keys {listed} (add them here)"
        issues.append(loaded.issue(parent, text))
    return issues


def _translate(err: ErrorDetails, loaded: Loaded) -> ConfigIssue:
    """Reword one pydantic error for someone editing YAML, at the error's position."""
    loc: Path = tuple(err["loc"])
    kind = err["type"]
    ctx = err.get("ctx", {})
    value = err.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        key = str(loc[-1])
        hint = _did_you_mean(key, allowed)
        return loaded.issue(
            loc,
            f"unknown key {key!r} ({hint}allowed keys: {', '.join(allowed)})",
            key=True,
        )
    label = _label(loc)
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return loaded.issue(
            loc, f"{label}: expected a mapping of key: value lines, got {_kind(value)}"
        )
    if kind.startswith("shoporg_"):  # our own messages say it all (models.py)
        return loaded.issue(loc, f"{label}: {err['msg']}")
    if kind in _TYPE_WORDS:
        return loaded.issue(loc, f"{label}: {_type_message(kind, loc, value)}")
    if kind == "string_pattern_mismatch":
        hint = PATTERN_HINTS.get(str(ctx.get("pattern")), f"expected {ctx.get('pattern')}")
        return loaded.issue(loc, f"{label}: {value!r} is not valid ({hint})")
    msg = err["msg"].removeprefix("Value error, ")
    msg = msg[:1].lower() + msg[1:]
    text = f"{label}: {msg} (got {_short_repr(value)}"
    if kind == "string_type" and value is not None and not isinstance(value, dict | list):
        text += "; put it in quotes to make it text"
    return loaded.issue(loc, text + ")")


# Strict types (models._Model): text is never read as a number or a boolean.
_TYPE_WORDS: Final = {
    "bool_type": "true or false",
    "int_type": "a whole number",
    "float_type": "a number",
}
# What YAML 1.1 tools read as booleans and YAML 1.2 (org.yaml, editors) reads as text.
_YAML11_BOOLS: Final = {"yes": "true", "y": "true", "on": "true",
                        "no": "false", "n": "false", "off": "false"}


def _type_message(kind: str, loc: Path, value: Any) -> str:
    """``dispatch: yes`` -> what the strict rule is and what to write instead."""
    key = f"{loc[-1]}: " if loc and isinstance(loc[-1], str) else ""
    expected = f"expected {_TYPE_WORDS[kind]}"
    if not isinstance(value, str):
        return f"{expected} (got {_yaml_repr(value)})"
    if kind == "bool_type" and value.lower() in _YAML11_BOOLS:
        return (f"{expected}, got the text {value!r} (org.yaml is YAML 1.2, where "
                f"yes/no/on/off are text, not booleans: write {key}{_YAML11_BOOLS[value.lower()]})")
    parsed = _load_plain(value)
    if parsed is not None and _fits(kind, parsed):
        return (f"{expected}, got the text {value!r} (text in quotes is never read as "
                f"{_TYPE_WORDS[kind]}: write {key}{value.strip()} without quotes)")
    return f"{expected} (got {value!r})"


def _load_plain(text: str) -> Any:
    loaded = load_text(f"v: {text.strip()}")
    return loaded.data.get("v") if isinstance(loaded.data, dict) else None


def _fits(kind: str, value: Any) -> bool:
    if kind == "bool_type":
        return isinstance(value, bool)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and (kind == "float_type" or float(value).is_integer())


def _yaml_repr(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing"
    return _short_repr(value)


def _label(loc: Path) -> str:
    """``('members', 3, 'sub_accounts', 0, 'roles', 1)`` -> ``roles[1]``."""
    parts: list[str] = []
    for elem in reversed(loc):
        if isinstance(elem, int):
            parts.insert(0, f"[{elem}]")
        else:
            parts.insert(0, elem)
            break
    return "".join(parts) or "document"


def _short_repr(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    return {type(None): "nothing", dict: "a mapping", list: "a list"}.get(
        type(value), _short_repr(value)
    )


def _did_you_mean(word: str, choices: list[str]) -> str:
    match = difflib.get_close_matches(word, choices, n=1)
    return f"did you mean {match[0]!r}? " if match else ""


def _allowed_keys(loc: Path) -> list[str]:
    """Field names of the model found at ``loc`` (walking the model tree from Org)."""
    model: type[BaseModel] = Org
    for elem in loc:
        if isinstance(elem, int):
            continue
        field = model.model_fields.get(elem)
        inner = _model_in(field.annotation) if field is not None else None
        if inner is None:
            return []
        model = inner
    return list(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The BaseModel inside ``list[X] | None`` and similar annotations."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.GenericAlias | types.UnionType) or typing.get_origin(
        annotation
    ):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
