"""The shoporg settings of a stack, read from the project files without running the engine.

``Pulumi.yaml`` holds project defaults (``config: {backend: {default: sandbox}}``) and
``stacks/Pulumi.<stack>.yaml`` the stack's values (``shoporg:backend: taobao``). Only plain
settings are read here (backend, sandboxPath, company, orgFile); secrets are never needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from providers.backends.settings import BackendSettings
from providers.engine.cli import Pulumi
from providers.errors import ShoporgError


def selected_stack(root: Path) -> str:
    result = Pulumi(root).run("stack", "--show-name", check=False)
    name = result.stdout.strip()
    if result.returncode != 0 or not name:
        raise ShoporgError(f"no stack selected: pass --stack ({result.output.strip()})")
    return name


def _yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return data if isinstance(data, dict) else {}


def stack_config(root: Path, stack: str) -> dict[str, str]:
    """Unqualified shoporg keys -> plain values (project defaults, then the stack's)."""
    project = _yaml(root / "Pulumi.yaml")
    out: dict[str, str] = {}
    for key, spec in (project.get("config") or {}).items():
        value = spec.get("default") if isinstance(spec, dict) else spec
        if value is not None and not isinstance(value, dict):
            out[str(key).removeprefix("shoporg:")] = str(value)
    config_dir = root / str(project.get("stackConfigDir") or ".")
    for key, value in (_yaml(config_dir / f"Pulumi.{stack}.yaml").get("config") or {}).items():
        if str(key).startswith("shoporg:") and not isinstance(value, dict):
            out[str(key).removeprefix("shoporg:")] = str(value)
    return out


def backend_settings(root: Path, stack: str) -> BackendSettings:
    config = stack_config(root, stack)
    return BackendSettings.from_config(config.get, root)


def org_file(root: Path, stack: str) -> Path:
    path = Path(stack_config(root, stack).get("orgFile") or "org.yaml")
    return path if path.is_absolute() else root / path
