"""TOP credentials for this process: from stack config secrets, else the environment.

Two callers hand :func:`remember` the stack's config: ``KindProvider.configure()`` in the
provider process (secrets decrypted by the engine), and :mod:`shoporg.stackconfig` for
the CLI commands that open a connector outside the engine (secrets decrypted by one
``pulumi config --show-secrets``, and only once a connector asks). The values live only in
the module-level registry below — never in a provider object (pickled into state), never in
:class:`~shoporg.backends.settings.BackendSettings` (a cache key that may be printed).

Which wins, per key: the stack config; ``SHOPORG_TAOBAO_APP_KEY``,
``SHOPORG_TAOBAO_APP_SECRET`` and ``SHOPORG_TAOBAO_SESSION`` fill only what it lacks (so a
stack configured as the README says needs no export, and an export never silently
overrides what ``pulumi up`` uses).

``shoporg:taobaoSession`` is one session for every Taobao/Tmall account of the stack, or a
JSON object ``{"tb-youpin": "...", "tm-youpin": "..."}`` (one main-account session each).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping

from shoporg.backends.settings import BackendSettings
from shoporg.backends.taobao.client import CONFIG_KEYS, ENV_KEYS, TopCredentials
from shoporg.errors import AuthError

Getter = Callable[[str], str | None]
NAMES = ("app_key", "app_secret", "session")

#: Per settings: where the stack's config is (read when a connector first asks, so a command
#: that never opens TOP never decrypts anything), and the credentials once built.
_sources: dict[BackendSettings, Getter] = {}
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
    missing = [name for name in NAMES if not values.get(name)]
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


def remember(settings: BackendSettings, get: Getter) -> None:
    """Keep where the stack config of ``settings`` is (this process only); its credentials
    are read when :func:`credentials_for` first asks."""
    with _lock:
        _sources[settings] = get
        _registry.pop(settings, None)  # built from an earlier config: read this one instead


def register(settings: BackendSettings, credentials: TopCredentials) -> None:
    """For callers that already hold credentials (tests)."""
    with _lock:
        _registry[settings] = credentials


def credentials_for(
    settings: BackendSettings, environ: Mapping[str, str] | None = None
) -> TopCredentials:
    """The credentials of ``settings``: each from stack config, else the environment;
    AuthError naming the keys and variables when one is in neither."""
    with _lock:
        found, get = _registry.get(settings), _sources.get(settings)
    if found is not None:
        return found
    env = os.environ if environ is None else environ
    config: Getter = get if get is not None else (lambda key: None)
    built = build({name: config(_unqualified(CONFIG_KEYS[name])) or env.get(ENV_KEYS[name])
                   for name in NAMES})
    if get is not None:
        with _lock:
            _registry[settings] = built
    return built


def forget_all() -> None:
    """Tests: start from an empty registry."""
    with _lock:
        _registry.clear()
        _sources.clear()
