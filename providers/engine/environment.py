"""The environment every engine run gets, so the CLI never leaves this machine.

Precedence: anything the caller already set wins; we only fill in what is missing.
The backend URL is always set: without one, Pulumi 3.259 falls back to its cloud backend
(and, under an AI coding agent, even tries to sign up an account; pulumi-engine.md §3).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

STATE_DIR = ".pulumi-state"
HOME_DIR = ".pulumi-home"
PASSPHRASE_FILE = "passphrase"


def project_root(start: Path | None = None) -> Path:
    """The nearest directory at or above ``start`` (default: cwd) holding Pulumi.yaml, else
    ``start`` itself."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "Pulumi.yaml").is_file():
            return candidate
    return here


def local_passphrase_file(project_root: Path) -> Path:
    """A per-checkout random passphrase for the local stacks' secrets (created once, 0600).

    Random rather than a well-known string, so the sandbox stack's secrets (initial
    passwords) are really encrypted in state. Lose the file and you lose those secrets:
    for the sandbox that only means re-creating the stack.
    """
    path = project_root / STATE_DIR / PASSPHRASE_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32))
    return path


def offline_env(project_root: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    root = project_root.resolve()
    if not env.get("PULUMI_BACKEND_URL"):
        state = root / STATE_DIR
        state.mkdir(parents=True, exist_ok=True)
        env["PULUMI_BACKEND_URL"] = state.as_uri()
    env.setdefault("PULUMI_HOME", str(root / HOME_DIR))
    if "PULUMI_CONFIG_PASSPHRASE" not in env and "PULUMI_CONFIG_PASSPHRASE_FILE" not in env:
        env["PULUMI_CONFIG_PASSPHRASE_FILE"] = str(local_passphrase_file(root))
    env.setdefault("PULUMI_SKIP_UPDATE_CHECK", "true")
    env.setdefault("PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", "true")
    env.setdefault("PULUMI_SKIP_CONFIRMATIONS", "true")
    # No telemetry, no "new version" banners in logs or reports.
    env.setdefault("PULUMI_DIY_BACKEND_NO_LEGACY_WARNING", "true")
    return env
