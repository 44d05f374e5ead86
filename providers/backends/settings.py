"""Which account system a stack talks to, from stack config — and opening it.

Stack config (``stacks/Pulumi.<stack>.yaml`` or the project defaults in ``Pulumi.yaml``)::

    shoporg:backend: sandbox          # or: taobao
    shoporg:sandboxPath: .sandbox/sandbox.db
    shoporg:company: acme             # tenant inside a shared sandbox file
    shoporg:taobaoEndpoint: http://127.0.0.1:8765/router/rest   # backend: taobao (no default)
    shoporg:taobaoAppKey: "12345678"
    shoporg:taobaoAppSecret: {secure: ...}    # pulumi config set --secret
    shoporg:taobaoSession: {secure: ...}      # a main-account session (or a JSON map per account)

The settings hold no secret and are read both by the program (to choose what to build)
and by each provider process in ``configure()`` — never pickled into state. The TOP app
secret and session are not settings: the provider process hands the config to
:func:`configure_from`, which keeps them in a per-process registry
(``providers.backends.taobao.credentials``), out of anything pickled, logged or used as a
cache key. A relative sandbox path is resolved against the project root (the directory
holding Pulumi.yaml), because the provider process runs with the program directory
(``stacks/``) as its cwd.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from providers.backends.protocol import Backend
from providers.errors import BackendError

BackendKind = Literal["sandbox", "taobao"]
DEFAULT_SANDBOX_PATH = ".sandbox/sandbox.db"
DEFAULT_COMPANY = "default"


def project_root(start: Path | None = None) -> Path:
    """The nearest directory at or above ``start`` (default: cwd) holding Pulumi.yaml."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "Pulumi.yaml").is_file():
            return candidate
    return here


@dataclass(frozen=True)
class BackendSettings:
    kind: BackendKind = "sandbox"
    sandbox_path: str = DEFAULT_SANDBOX_PATH
    company: str = DEFAULT_COMPANY
    taobao_endpoint: str | None = None  # the TOP router URL; never defaulted to a real gateway
    org_file: str | None = None  # org.yaml: the taobao backend's account facts and id names

    @classmethod
    def from_config(cls, get: Callable[[str], str | None], root: Path | None = None
                    ) -> BackendSettings:
        """Build from a config getter taking unqualified keys (``backend``, ``company``...)."""
        kind = get("backend") or "sandbox"
        if kind not in ("sandbox", "taobao"):
            raise BackendError(
                "stack", "config", "configure",
                f"shoporg:backend is {kind!r}", "set it to `sandbox` or `taobao`",
            )
        path = os.environ.get("SHOPORG_SANDBOX") or get("sandboxPath") or DEFAULT_SANDBOX_PATH
        resolved = Path(path)
        if not resolved.is_absolute():
            resolved = project_root(root) / resolved
        org_file = Path(get("orgFile") or "org.yaml")
        if not org_file.is_absolute():
            org_file = project_root(root) / org_file
        return cls(
            kind=cast(BackendKind, kind),
            sandbox_path=str(resolved),
            company=get("company") or DEFAULT_COMPANY,
            taobao_endpoint=get("taobaoEndpoint") or os.environ.get("SHOPORG_TAOBAO_ENDPOINT"),
            org_file=str(org_file),
        )


def configure_from(get: Callable[[str], str | None], root: Path | None = None
                   ) -> BackendSettings:
    """Settings from stack config, in a provider's ``configure()``; for the taobao backend
    the credentials in the same config are remembered for this process only."""
    settings = BackendSettings.from_config(get, root)
    if settings.kind == "taobao":
        from providers.backends.taobao.credentials import remember

        remember(settings, get)
    return settings


_open: dict[BackendSettings, Backend] = {}
_open_lock = threading.Lock()


def open_backend(settings: BackendSettings) -> Backend:
    """One backend per settings per process, shared by every provider of every kind."""
    with _open_lock:
        backend = _open.get(settings)
        if backend is None:
            backend = _make(settings)
            _open[settings] = backend
        return backend


def _make(settings: BackendSettings) -> Backend:
    if settings.kind == "sandbox":
        from providers.backends.sandbox import SandboxBackend

        return SandboxBackend(settings.sandbox_path, company=settings.company)
    from providers.backends.taobao import open_taobao

    return open_taobao(settings)
