"""JSON Schema for org.yaml, generated from the pydantic models (never written by hand).

::

    # yaml-language-server: $schema=./schema/org.schema.json
    company: 杭州优品电子商务有限公司

The first line of org.yaml points editors (VS Code + YAML extension, JetBrains) at the
committed ``schema/org.schema.json`` so they complete keys and enums while typing.
Regenerate it after changing the models::

    .venv/bin/shoporg schema > schema/org.schema.json
    # or: .venv/bin/python -m shoporg.schema > schema/org.schema.json

Besides what the models say, the schema carries the rules of one object that JSON Schema
can express (``if``/``then`` on a field's value), derived from the platform facts in
:mod:`shoporg.platforms`, so editors flag and complete them too; ``shoporg validate``
checks the same in :mod:`shoporg.schema.rules`, with did-you-means:

* a shop of a site platform (Shopee) names its ``site``; other shops name none;
* a channel binding names its ``source``; other bindings name none;
* a role's ``permissions`` are codes of its platform's catalogue.

``tests/schema/test_json_schema.py`` fails while the committed file is stale, and
``tests/schema/test_editor_agrees.py`` runs one table of cases through ``shoporg
validate``, the ``jsonschema`` package and yaml-language-server.
"""

from __future__ import annotations

import json
from typing import Any, get_args

from shoporg.platforms import CATALOGUES, PLATFORMS, SITE_PLATFORMS
from shoporg.schema.models import BindingKind, Org

SCHEMA_ID = "https://shoporg.invalid/schema/org.schema.json"
_NONE: dict[str, Any] = {"type": "null"}  # absent or written as null, as the models allow


def _when(field: str, value: str, then: dict[str, Any]) -> dict[str, Any]:
    return {
        "if": {"properties": {field: {"const": value}}, "required": [field]},
        "then": then,
    }


def _same_object_rules() -> dict[str, list[dict[str, Any]]]:
    """Per $defs model: the ``allOf`` conditions of its rules that need only the object."""
    account: list[dict[str, Any]] = []
    for platform in PLATFORMS:
        shop: dict[str, Any] = (
            {"required": ["site"], "properties": {"site": {"type": "string"}}}
            if platform in SITE_PLATFORMS else {"properties": {"site": _NONE}}
        )
        account.append(_when("platform", platform,
                             {"properties": {"shops": {"items": shop}}}))
    binding = [
        _when("kind", kind,
              {"required": ["source"], "properties": {"source": {"type": "string"}}}
              if kind == "channel" else {"properties": {"source": _NONE}})
        for kind in get_args(BindingKind)
    ]
    role = [
        _when("platform", platform, {"properties": {"permissions": {
            "items": {"enum": sorted(CATALOGUES[platform].points)}}}})
        for platform in PLATFORMS
    ]
    return {"Account": account, "Binding": binding, "Role": role}


def org_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of org.yaml."""
    schema = Org.model_json_schema()
    for name, rules in _same_object_rules().items():
        schema["$defs"][name]["allOf"] = rules
    # Editors want the dialect up front; the $id only names the document.
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def render_json_schema() -> str:
    """The schema as committed: stable key order, real Chinese characters, final newline."""
    return json.dumps(org_json_schema(), indent=2, ensure_ascii=False) + "\n"
