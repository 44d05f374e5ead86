"""TOP credentials for this process: from stack config secrets, else the environment
(:mod:`shoporg.backends.credentials` keeps them out of anything pickled, logged or used as a
cache key).

``SHOPORG_TAOBAO_APP_KEY``, ``SHOPORG_TAOBAO_APP_SECRET`` and ``SHOPORG_TAOBAO_SESSION``
fill only what the stack config lacks. ``shoporg:taobaoSession`` is one session for every
Taobao/Tmall account of the stack, or a JSON object ``{"tb-youpin": "...", "tm-youpin":
"..."}`` (one main-account session each).
"""

from __future__ import annotations

from collections.abc import Mapping

from shoporg.backends.credentials import CredentialStore, Source, per_account, require
from shoporg.backends.settings import TOP_CONNECTOR, BackendSettings
from shoporg.backends.taobao.client import CONFIG_KEYS, ENV_KEYS, TopCredentials

NAMES = ("app_key", "app_secret", "session")


SOURCES = {name: Source(CONFIG_KEYS[name], ENV_KEYS[name]) for name in NAMES}


def build(values: Mapping[str, str | None]) -> TopCredentials:
    """Credentials from ``app_key``/``app_secret``/``session``; AuthError naming what is
    missing (the stack config keys and environment variables to set)."""
    require(TOP_CONNECTOR, SOURCES, values, public=frozenset({"app_key"}))
    session, sessions = per_account(values["session"] or "", SOURCES["session"], "session")
    return TopCredentials(
        app_key=values["app_key"] or "",
        app_secret=values["app_secret"] or "",
        session=session,
        sessions=sessions,
    )


_STORE: CredentialStore[TopCredentials] = CredentialStore(SOURCES, build)


def register(settings: BackendSettings, credentials: TopCredentials) -> None:
    """For callers that already hold credentials (tests)."""
    _STORE.register(settings, credentials)


def credentials_for(
    settings: BackendSettings, environ: Mapping[str, str] | None = None
) -> TopCredentials:
    """The credentials of ``settings``: each from stack config, else the environment;
    AuthError naming the keys and variables when one is in neither."""
    return _STORE.for_settings(settings, environ)
