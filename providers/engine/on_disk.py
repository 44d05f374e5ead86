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

A checkpoint's resources are decoded into :class:`Resource`, which keeps only what shoporg
reads of them. Most of a checkpoint's bytes are what it never reads — each resource's stack
trace (about 1.5 KB), dependencies, timestamps — and msgspec skips those without building
them: at 10,000 resources (31 MB) 0.04 s against 0.19–0.29 s for ``json.loads`` of the
whole file (benchmarks/RESULTS.md, issue 31).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import msgspec

from shoporg.engine.environment import offline_env

CHECKPOINT_VERSION = 3


class Resource(msgspec.Struct, frozen=True):
    """One resource of a stack's checkpoint, as ``pulumi stack export`` lists it, reduced to
    what shoporg reads (secret values stay ciphertext: nothing decrypts them)."""

    urn: str = ""
    type: str = ""
    custom: bool = False
    #: An old object waiting for its deletion (a replacement's ``deleteBeforeReplace=false``).
    delete: bool = False
    id: str = ""
    inputs: dict[str, Any] | None = None
    outputs: dict[str, Any] | None = None


class _Snapshot(msgspec.Struct):
    resources: list[Resource] | None = None


class _Checkpoint(msgspec.Struct):
    latest: _Snapshot | None = None


class _StackFile(msgspec.Struct):
    version: int = 0
    checkpoint: _Checkpoint | None = None


class _Export(msgspec.Struct):
    deployment: _Snapshot | None = None


_STACK_FILE = msgspec.json.Decoder(_StackFile)
_EXPORT = msgspec.json.Decoder(_Export)


def exported_resources(text: bytes | str) -> list[Resource]:
    """The resources of ``pulumi stack export``'s output (raises ``ValueError`` when it is
    not an export)."""
    try:
        export = _EXPORT.decode(text)
    except msgspec.DecodeError as exc:
        raise ValueError(f"not a `pulumi stack export`: {exc}") from None
    return list(export.deployment.resources or []) if export.deployment else []


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


def checkpoint_resources(root: Path, stack: str) -> list[Resource] | None:
    """The resources of ``stack``'s checkpoint in a file backend, as ``pulumi stack export``
    lists them (None: not a layout read here; ask the CLI)."""
    env = offline_env(root)
    url = urlparse(env["PULUMI_BACKEND_URL"])
    project = project_name(root)
    if url.scheme != "file" or project is None or "/" in stack:
        return None
    path = Path(unquote(url.path)) / ".pulumi" / "stacks" / project / f"{stack}.json"
    try:
        data = _STACK_FILE.decode(path.read_bytes())
    except (OSError, msgspec.DecodeError):
        return None
    if data.version != CHECKPOINT_VERSION or data.checkpoint is None:
        return None
    latest = data.checkpoint.latest
    return list(latest.resources or []) if latest is not None else []
