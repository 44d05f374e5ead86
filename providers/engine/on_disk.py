"""What the engine keeps on disk, read without starting it.

A ``pulumi`` start costs about 0.3 s on these cores: most of a ``shoporg tasks``, a third of
an engine-free ``shoporg drift``. Two of the things commands ask the CLI for are plain files
of a DIY (file) backend::

    $PULUMI_HOME/workspaces/<project>-<sha1 of Pulumi.yaml's path>-workspace.json
        {"stacks": {"<backend URL>": "organization/<project>/<stack>"}}   the selected stack
    <file backend>/.pulumi/stacks/<project>/<stack>.json
        {"version": 3, "checkpoint": {"latest": {"resources": [...]}}}     the checkpoint

Each reader answers None wherever the layout is not exactly this (a PostgreSQL backend, a
gzipped or legacy-layout checkpoint, an unknown version, a stack named with its project):
the caller then asks the CLI, which is always right. ``tests/engine/test_on_disk.py`` pins
both readers against the CLI's own answers.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from providers.engine.environment import offline_env

CHECKPOINT_VERSION = 3


def project_name(root: Path) -> str | None:
    """The project's name, from its Pulumi.yaml (None: none there)."""
    import yaml

    try:
        data = yaml.safe_load((root / "Pulumi.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else None


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def selected_stack(root: Path) -> str | None:
    """The stack ``pulumi stack select`` chose for the project at ``root`` (None: unknown
    here; ask the CLI)."""
    env = offline_env(root)
    project = project_name(root)
    if project is None:
        return None
    digest = hashlib.sha1(str((root / "Pulumi.yaml").resolve()).encode(),
                          usedforsecurity=False).hexdigest()
    data = _json(Path(env["PULUMI_HOME"]) / "workspaces" / f"{project}-{digest}-workspace.json")
    stacks = data.get("stacks") if isinstance(data, dict) else None
    chosen = stacks.get(env["PULUMI_BACKEND_URL"]) if isinstance(stacks, dict) else None
    if not isinstance(chosen, str) or not chosen.startswith(f"organization/{project}/"):
        return None
    return chosen.removeprefix(f"organization/{project}/") or None


def checkpoint_resources(root: Path, stack: str) -> list[dict[str, Any]] | None:
    """The resources of ``stack``'s checkpoint in a file backend, as ``pulumi stack export``
    lists them (None: not a layout read here; ask the CLI)."""
    env = offline_env(root)
    url = urlparse(env["PULUMI_BACKEND_URL"])
    project = project_name(root)
    if url.scheme != "file" or project is None or "/" in stack:
        return None
    path = Path(unquote(url.path)) / ".pulumi" / "stacks" / project / f"{stack}.json"
    data = _json(path)
    if not isinstance(data, dict) or data.get("version") != CHECKPOINT_VERSION:
        return None
    latest = (data.get("checkpoint") or {}).get("latest")
    if not isinstance(latest, dict):
        return [] if isinstance(data.get("checkpoint"), dict) else None
    resources = latest.get("resources") or []
    return list(resources) if isinstance(resources, list) else None
