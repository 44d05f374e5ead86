"""JSON Schema for org.yaml, generated from the pydantic models (never written by hand).

::

    # yaml-language-server: $schema=./schema/org.schema.json
    company: 杭州优品电子商务有限公司

The first line of org.yaml points editors (VS Code + YAML extension, JetBrains) at the
committed ``schema/org.schema.json`` so they complete keys and enums while typing.
Regenerate it after changing the models::

    .venv/bin/shoporg schema > schema/org.schema.json
    # or: .venv/bin/python -m providers.schema > schema/org.schema.json

``tests/schema/test_json_schema.py`` fails while the committed file is stale.
"""

from __future__ import annotations

import json
from typing import Any

from providers.schema.models import Org

SCHEMA_ID = "https://shoporg.invalid/schema/org.schema.json"


def org_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of org.yaml."""
    schema = Org.model_json_schema()
    # Editors want the dialect up front; the $id only names the document.
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def render_json_schema() -> str:
    """The schema as committed: stable key order, real Chinese characters, final newline."""
    return json.dumps(org_json_schema(), indent=2, ensure_ascii=False) + "\n"
