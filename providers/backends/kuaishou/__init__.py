"""The live Kuaishou (快手小店) backend: a client for the merchant open platform
(``client.py``), credentials from stack config or the environment (``credentials.py``) and
the protocol on top (``backend.py``), with org.yaml's names for Kuaishou's numbers
(:mod:`shoporg.backends.directory`)."""

from __future__ import annotations

import os

from shoporg.backends.directory import Directory
from shoporg.backends.kuaishou.backend import KuaishouBackend
from shoporg.backends.kuaishou.client import CONFIG_KEYS, KuaishouClient, KuaishouCredentials
from shoporg.backends.kuaishou.credentials import credentials_for
from shoporg.backends.settings import KUAISHOU_CONNECTOR, BackendSettings
from shoporg.errors import BackendError


def open_kuaishou(settings: BackendSettings, directory: Directory | None = None,
                  endpoint: str | None = None, ttl: float | None = None) -> KuaishouBackend:
    """The Kuaishou backend of a stack: endpoint from settings, credentials from the
    per-process registry or the environment, names from the stack's org.yaml (or
    ``directory``; ``endpoint`` and ``ttl``: what ``shoporg import`` overrides)."""
    endpoint = endpoint or settings.kuaishou_endpoint
    if not endpoint:
        raise BackendError(
            "stack", "config", "configure",
            f"the {KUAISHOU_CONNECTOR} backend needs {CONFIG_KEYS['endpoint']} (the open "
            "platform's URL)",
            "`pulumi config set shoporg:kuaishouEndpoint <url>` or "
            "$SHOPORG_KUAISHOU_ENDPOINT; for the sandbox: `shoporg sandbox serve --protocol "
            "kuaishou` prints one",
        )
    return KuaishouBackend(
        endpoint, credentials_for(settings),
        directory if directory is not None else Directory.load(settings.org_file),
        ttl=ttl if ttl is not None else float(os.environ.get("SHOPORG_KUAISHOU_READ_TTL", "2")),
    )


__all__ = ["KuaishouBackend", "KuaishouClient", "KuaishouCredentials", "open_kuaishou"]
