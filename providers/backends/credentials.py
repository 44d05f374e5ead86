"""An API connector's credentials for this process: from stack config secrets, else the
environment.

Two callers hand :func:`remember` the stack's config: ``KindProvider.configure()`` in the
provider process (secrets decrypted by the engine), and :mod:`shoporg.stackconfig` for the
CLI commands that open a connector outside the engine (secrets decrypted by one
``pulumi config --show-secrets``, and only once a connector asks). The values live only in
this module's registries -- never in a provider object (pickled into state), never in
:class:`~shoporg.backends.settings.BackendSettings` (a cache key that may be printed).

Each connector keeps one :class:`CredentialStore`: which values it needs (each a stack config
key and an environment variable) and how it builds its credentials from them. Which wins, per
value: the stack config; the environment fills only what it lacks (so a stack configured as
the README says needs no export, and an export never silently overrides what ``pulumi up``
uses).
"""

from __future__ import annotations

import json
import os
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from shoporg.backends.settings import BackendSettings
from shoporg.errors import AuthError

Getter = Callable[[str], str | None]
T = TypeVar("T")


@dataclass(frozen=True)
class Source:
    """Where one value comes from: a stack config key (``shoporg:taobaoAppKey``) and the
    environment variable that stands in for it."""

    config_key: str
    env_key: str


#: Per settings: where the stack's config is (read when a connector first asks, so a command
#: that never opens that connector never decrypts anything).
_sources: dict[BackendSettings, Getter] = {}
_lock = threading.Lock()
_stores: weakref.WeakSet[CredentialStore[Any]] = weakref.WeakSet()


def _unqualified(key: str) -> str:
    return key.removeprefix("shoporg:")


class CredentialStore(Generic[T]):
    """One connector's credentials, per settings, built once from their :class:`Source`\\ s."""

    def __init__(self, sources: Mapping[str, Source],
                 build: Callable[[Mapping[str, str | None]], T]) -> None:
        self.sources = dict(sources)
        self._build = build
        self._built: dict[BackendSettings, T] = {}
        _stores.add(self)  # every store, for remember() and forget_all()

    def register(self, settings: BackendSettings, credentials: T) -> None:
        """For callers that already hold credentials (tests)."""
        with _lock:
            self._built[settings] = credentials

    def forget(self, settings: BackendSettings | None = None) -> None:
        with _lock:
            if settings is None:
                self._built.clear()
            else:
                self._built.pop(settings, None)

    def for_settings(self, settings: BackendSettings,
                     environ: Mapping[str, str] | None = None) -> T:
        """The credentials of ``settings``: each value from stack config, else the
        environment; the build's error (naming the keys and variables) when one is in
        neither."""
        with _lock:
            found, get = self._built.get(settings), _sources.get(settings)
        if found is not None:
            return found
        env = os.environ if environ is None else environ
        config: Getter = get if get is not None else (lambda key: None)
        built = self._build({name: config(_unqualified(s.config_key)) or env.get(s.env_key)
                             for name, s in self.sources.items()})
        if get is not None:
            with _lock:
                self._built[settings] = built
        return built


def per_account(value: str, source: Source, what: str) -> tuple[str, dict[str, str]]:
    """``(default, per account id)`` from a value that is one ``what`` for every account of
    the stack, or a JSON object ``{"<account id>": "...", "*": "<default>"}``."""
    text = value.strip()
    if not text.startswith("{"):
        return text, {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise AuthError(
            "stack", "config", "configure",
            f"{source.config_key} looks like JSON but does not parse",
            f'use one {what}, or {{"<account id>": "<{what}>", ...}}',
        ) from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise AuthError("stack", "config", "configure",
                        f"{source.config_key} must map account ids to {what} strings", "")
    found = {str(k): v for k, v in data.items()}
    return found.get("*", ""), found


def require(connector: str, sources: Mapping[str, Source], values: Mapping[str, str | None],
            public: frozenset[str] = frozenset()) -> None:
    """AuthError naming the stack config keys (and environment variables) of each value
    ``values`` lacks; ``public``: the names that are not secrets."""
    missing = [name for name in sources if not values.get(name)]
    if not missing:
        return
    keys = ", ".join(sources[name].config_key + ("" if name in public else " (secret)")
                     for name in missing)
    env = ", ".join(sources[name].env_key for name in missing)
    raise AuthError(
        "stack", "config", "configure", f"the {connector} backend needs {keys}",
        f"`pulumi config set [--secret] <key> <value>`, or set {env}",
    )


def remember(settings: BackendSettings, get: Getter) -> None:
    """Keep where the stack config of ``settings`` is (this process only); each connector's
    credentials are read when it first asks."""
    with _lock:
        _sources[settings] = get
        stores = list(_stores)
    for store in stores:  # built from an earlier config: read this one instead
        store.forget(settings)


def forget_all() -> None:
    """Tests: start from empty registries."""
    with _lock:
        _sources.clear()
        stores = list(_stores)
    for store in stores:
        store.forget()
