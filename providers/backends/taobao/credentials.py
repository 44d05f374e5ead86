"""TOP credentials for this process: from stack config secrets, else the environment.

``KindProvider.configure()`` runs in the provider process with the stack's config
(secrets decrypted by the engine) and calls :func:`remember`; the values live only in the
module-level registry below — never in a provider object (pickled into state), never in
:class:`~providers.backends.settings.BackendSettings` (a cache key that may be printed).
Environment fallback: ``SHOPORG_TAOBAO_APP_KEY``, ``SHOPORG_TAOBAO_APP_SECRET``,
``SHOPORG_TAOBAO_SESSION``.

``shoporg:taobaoSession`` is one session for every Taobao/Tmall account of the stack, or a
JSON object ``{"tb-youpin": "...", "tm-youpin": "..."}`` (one main-account session each).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping

from providers.backends.settings import BackendSettings
from providers.backends.taobao.client import CONFIG_KEYS, ENV_KEYS, TopCredentials
from providers.errors import AuthError

_registry: dict[BackendSettings, TopCredentials] = {}
_lock = threading.Lock()


def _unqualified(key: str) -> str:
    return key.removeprefix("shoporg:")


def parse_sessions(value: str) -> tuple[str, dict[str, str]]:
    """``(default session, per-account sessions)`` from the config value."""
    text = value.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise AuthError(
                "stack", "config", "configure",
                f"{CONFIG_KEYS['session']} looks like JSON but does not parse",
                'use one session, or {"<account id>": "<session>", ...}',
            ) from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise AuthError(
                "stack", "config", "configure",
                f"{CONFIG_KEYS['session']} must map account ids to session strings", "",
            )
        sessions = {str(k): v for k, v in data.items()}
        return sessions.get("*", ""), sessions
    return text, {}


def build(values: Mapping[str, str | None]) -> TopCredentials:
    """Credentials from ``app_key``/``app_secret``/``session``; AuthError naming what is
    missing (the stack config keys and environment variables to set)."""
    missing = [name for name in ("app_key", "app_secret", "session") if not values.get(name)]
    if missing:
        keys = ", ".join(
            CONFIG_KEYS[name] + (" (secret)" if name != "app_key" else "") for name in missing
        )
        env = ", ".join(ENV_KEYS[name] for name in missing)
        raise AuthError(
            "stack", "config", "configure",
            f"the taobao backend needs {keys}",
            f"`pulumi config set [--secret] <key> <value>`, or set {env}",
        )
    session, sessions = parse_sessions(values["session"] or "")
    return TopCredentials(
        app_key=values["app_key"] or "",
        app_secret=values["app_secret"] or "",
        session=session,
        sessions=sessions,
    )


def remember(settings: BackendSettings, get: Callable[[str], str | None]) -> None:
    """Keep the credentials found in stack config for ``settings`` (this process only)."""
    values = {name: get(_unqualified(CONFIG_KEYS[name])) for name in ("app_key", "app_secret",
                                                                       "session")}
    if not any(values.values()):
        return  # nothing in config: the environment may have them
    with _lock:
        _registry[settings] = build(values)


def register(settings: BackendSettings, credentials: TopCredentials) -> None:
    """For callers that already hold credentials (``shoporg import`` flags, tests)."""
    with _lock:
        _registry[settings] = credentials


def credentials_for(
    settings: BackendSettings, environ: Mapping[str, str] | None = None
) -> TopCredentials:
    with _lock:
        found = _registry.get(settings)
    if found is not None:
        return found
    env = os.environ if environ is None else environ
    return build({name: env.get(ENV_KEYS[name]) for name in ("app_key", "app_secret", "session")})


def forget_all() -> None:
    """Tests: start from an empty registry."""
    with _lock:
        _registry.clear()
