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


def open_taobao(settings: BackendSettings) -> TaobaoBackend:
    """The taobao backend of a stack: endpoint from settings, credentials from the
    per-process registry or the environment, names from the stack's org.yaml."""
    if not settings.taobao_endpoint:
        raise BackendError(
            "stack", "config", "configure",
            f"the taobao backend needs {CONFIG_KEYS['endpoint']} (the TOP router URL)",
            "`pulumi config set shoporg:taobaoEndpoint <url>` or $SHOPORG_TAOBAO_ENDPOINT; "
            "for the sandbox: `shoporg sandbox serve` prints one",
        )
    return TaobaoBackend(
        settings.taobao_endpoint, credentials_for(settings), Directory.load(settings.org_file),
        # How long one listing's TOP reads are shared (roles and grants read the same
        # per-sub-account calls); the provider's bulk cache does the per-run caching.
        ttl=float(os.environ.get("SHOPORG_TAOBAO_READ_TTL", "2")),
    )


__all__ = ["Directory", "TaobaoBackend", "TopClient", "TopCredentials", "open_taobao"]
