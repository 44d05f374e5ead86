"""Kuaishou credentials for this process: from stack config secrets, else the environment
(:mod:`shoporg.backends.credentials` keeps them out of anything pickled, logged or used as a
cache key).

``shoporg:kuaishouAppKey``, ``shoporg:kuaishouSignSecret`` (secret) and
``shoporg:kuaishouAccessToken`` (secret): one seller's access token, or a JSON object
``{"ks-youpin": "...", "ks-outlet": "..."}`` (one per 快手小店 account). The
``SHOPORG_KUAISHOU_*`` environment variables fill only what the stack config lacks.
"""

from __future__ import annotations

from collections.abc import Mapping

from shoporg.backends.credentials import CredentialStore, Source, per_account, require
from shoporg.backends.kuaishou.client import CONFIG_KEYS, ENV_KEYS, KuaishouCredentials
from shoporg.backends.settings import KUAISHOU_CONNECTOR, BackendSettings

NAMES = ("app_key", "sign_secret", "access_token")
SOURCES = {name: Source(CONFIG_KEYS[name], ENV_KEYS[name]) for name in NAMES}


def build(values: Mapping[str, str | None]) -> KuaishouCredentials:
    """Credentials from ``app_key``/``sign_secret``/``access_token``; AuthError naming what
    is missing (the stack config keys and environment variables to set)."""
    require(KUAISHOU_CONNECTOR, SOURCES, values, public=frozenset({"app_key"}))
    token, tokens = per_account(values["access_token"] or "", SOURCES["access_token"],
                                "access token")
    return KuaishouCredentials(app_key=values["app_key"] or "",
                               sign_secret=values["sign_secret"] or "",
                               access_token=token, access_tokens=tokens)


_STORE: CredentialStore[KuaishouCredentials] = CredentialStore(SOURCES, build)


def register(settings: BackendSettings, credentials: KuaishouCredentials) -> None:
    """For callers that already hold credentials (tests)."""
    _STORE.register(settings, credentials)


def credentials_for(settings: BackendSettings,
                    environ: Mapping[str, str] | None = None) -> KuaishouCredentials:
    """The credentials of ``settings``: each from stack config, else the environment."""
    return _STORE.for_settings(settings, environ)
