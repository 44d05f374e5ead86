"""The committed JSON Schema is what the models generate, and it is strict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

from shoporg.platforms import DOUYIN_CHANNEL_SOURCES
from shoporg.schema import render_json_schema
from shoporg.schema.models import ChannelSource

COMMITTED = Path(__file__).parents[2] / "schema" / "org.schema.json"


def test_committed_schema_is_fresh() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render_json_schema(), (
        "schema/org.schema.json is stale: run "
        "`.venv/bin/shoporg schema > schema/org.schema.json` and commit it"
    )


def _objects(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append(node)
        for value in node.values():
            found.extend(_objects(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_objects(value))
    return found


def test_every_object_in_the_schema_forbids_unknown_keys() -> None:
    objects = _objects(json.loads(render_json_schema()))
    assert len(objects) >= 10
    assert all(o.get("additionalProperties") is False for o in objects)


def test_channel_sources_in_the_model_are_the_platform_facts() -> None:
    assert set(get_args(ChannelSource)) == DOUYIN_CHANNEL_SOURCES
