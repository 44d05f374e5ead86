"""The shoporg settings of a stack, read from the project files without running the engine.

``Pulumi.yaml`` holds project defaults (``config: {backend: {default: sandbox}}``) and
``stacks/Pulumi.<stack>.yaml`` the stack's values (``shoporg:backend: taobao``). Only plain
settings are read here (backend, sandboxPath, company, orgFile, and the shard's accounts /
platforms); secrets are never needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from providers.backends.settings import BackendSettings
from providers.engine.cli import Pulumi
from providers.errors import ShoporgError
from providers.schema import Org
from providers.stack import select_accounts


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


def stack_config(root: Path, stack: str) -> dict[str, Any]:
    """Unqualified shoporg keys -> plain values (project defaults, then the stack's).

    Secret values (``{secure: ...}``) are skipped: nothing read here needs one."""
    project = _yaml(root / "Pulumi.yaml")
    out: dict[str, Any] = {}
    for key, spec in (project.get("config") or {}).items():
        value = spec.get("default") if isinstance(spec, dict) else spec
        if value is not None and not isinstance(value, dict):
            out[str(key).removeprefix("shoporg:")] = value
    config_dir = root / str(project.get("stackConfigDir") or ".")
    for key, value in (_yaml(config_dir / f"Pulumi.{stack}.yaml").get("config") or {}).items():
        if str(key).startswith("shoporg:") and not isinstance(value, dict):
            out[str(key).removeprefix("shoporg:")] = value
    return out


def backend_settings(root: Path, stack: str) -> BackendSettings:
    config = stack_config(root, stack)
    return BackendSettings.from_config(
        lambda k: None if config.get(k) is None else str(config[k]), root)


def _names(value: Any) -> list[str] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = yaml.safe_load(value) if value.lstrip().startswith("[") else value.split(",")
    return [str(v).strip() for v in value if str(v).strip()]


def shard(root: Path, stack: str, org: Org) -> frozenset[str] | None:
    """The accounts a shard stack owns (``shoporg:accounts`` / ``shoporg:platforms``), as the
    program selects them; None for a stack that owns every account."""
    config = stack_config(root, stack)
    accounts, platforms = _names(config.get("accounts")), _names(config.get("platforms"))
    if accounts is None and platforms is None:
        return None
    return select_accounts(org, accounts, platforms)


def org_file(root: Path, stack: str) -> Path:
    path = Path(str(stack_config(root, stack).get("orgFile") or "org.yaml"))
    return path if path.is_absolute() else root / path
