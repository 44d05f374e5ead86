"""The live Taobao/Tmall backend: a TOP client (``client.py``), credentials from stack config
or the environment (``credentials.py``), org.yaml's names for TOP's numbers
(``directory.py``) and the protocol on top (``backend.py``)."""

from __future__ import annotations

import os

from shoporg.backends.directory import Directory
from shoporg.backends.settings import BackendSettings
from shoporg.backends.taobao.backend import TaobaoBackend
from shoporg.backends.taobao.client import CONFIG_KEYS, TopClient, TopCredentials
from shoporg.backends.taobao.credentials import credentials_for
from shoporg.errors import BackendError


def open_taobao(settings: BackendSettings, directory: Directory | None = None,
                endpoint: str | None = None, ttl: float | None = None) -> TaobaoBackend:
    """The taobao backend of a stack: endpoint from settings, credentials from the
    per-process registry or the environment, names from the stack's org.yaml (or
    ``directory``; ``endpoint`` and ``ttl``: what ``shoporg import`` overrides)."""
    endpoint = endpoint or settings.taobao_endpoint
    if not endpoint:
        raise BackendError(
            "stack", "config", "configure",
            f"the taobao backend needs {CONFIG_KEYS['endpoint']} (the TOP router URL)",
            "`pulumi config set shoporg:taobaoEndpoint <url>` or $SHOPORG_TAOBAO_ENDPOINT; "
            "for the sandbox: `shoporg sandbox serve` prints one",
        )
    return TaobaoBackend(
        endpoint, credentials_for(settings),
        directory if directory is not None else Directory.load(settings.org_file),
        # How long one listing's TOP reads are shared (roles and grants read the same
        # per-sub-account calls); the provider's bulk cache does the per-run caching.
        ttl=ttl if ttl is not None else float(os.environ.get("SHOPORG_TAOBAO_READ_TTL", "2")),
    )


__all__ = ["Directory", "TaobaoBackend", "TopClient", "TopCredentials", "open_taobao"]
