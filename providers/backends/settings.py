"""Which account system a stack talks to, from stack config — and opening it.

Stack config (``stacks/Pulumi.<stack>.yaml`` or the project defaults in ``Pulumi.yaml``)::

    shoporg:backend: sandbox          # or: taobao
    shoporg:sandboxPath: .sandbox/sandbox.db
    shoporg:company: acme             # tenant inside a shared sandbox file
    shoporg:taobaoEndpoint: http://127.0.0.1:8765/router/rest   # backend: taobao (no default)
    shoporg:taobaoAppKey: "12345678"
    shoporg:taobaoAppSecret: {secure: ...}    # pulumi config set --secret
    shoporg:taobaoSession: {secure: ...}      # a main-account session (or a JSON map per account)
    shoporg:connectors: {shopee: ledger, oz-main: ledger}   # per platform or account id
    shoporg:ledgerPath: .shoporg/ledger.db    # the manual-step ledger (shoporg.backends.ledger)
    #   or postgresql://shoporg@db.internal/shoporg (password from PGPASSWORD / ~/.pgpass)

Connectors: each platform account is served by one connector — ``sandbox`` (everything
automated), ``taobao`` (TOP, Taobao/Tmall only) or ``ledger`` (manual steps, read back from
the ledger). An account id in ``connectors`` wins over its platform, which wins over
``backend``; where ``backend`` is ``taobao``, accounts on platforms TOP cannot serve go to the
ledger. Naming ``taobao`` for another platform is an error that says so.

The settings hold no secret and are read both by the program (to choose what to build)
and by each provider process in ``configure()`` — never pickled into state. The TOP app
secret and session are not settings: the provider process hands the config to
:func:`configure_from`, which keeps them in a per-process registry
(``shoporg.backends.taobao.credentials``), out of anything pickled, logged or used as a
cache key. A relative sandbox path is resolved against the project root (the directory
holding Pulumi.yaml), because the provider process runs with the program directory
(``stacks/``) as its cwd.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, get_args

from shoporg.backends.protocol import Backend
from shoporg.engine.environment import project_root as project_root
from shoporg.errors import BackendError
from shoporg.platforms import (
    KUAISHOU_OPEN_PLATFORM,
    OPEN_PLATFORMS,
    TOP_OPEN_PLATFORM,
    OpenPlatform,
)
from shoporg.platforms import TOP_PLATFORMS as TOP_PLATFORMS

if TYPE_CHECKING:  # the connectors are imported where they are used (settings are read
    # everywhere)
    from shoporg.backends.directory import Directory
    from shoporg.backends.ledger import Ledger

# The connectors' names, as stack config writes them (``shoporg:backend``,
# ``shoporg:connectors``): the sandbox, the ledger, and one per open platform
# (:data:`~shoporg.platforms.OPEN_PLATFORMS`, named and mapped to the platforms each serves
# there). Everything else uses the constants below.
BackendKind = Literal["sandbox", OpenPlatform, "ledger"]
CONNECTORS: tuple[BackendKind, ...] = get_args(BackendKind)
SANDBOX_CONNECTOR: Final[BackendKind] = "sandbox"
TOP_CONNECTOR: Final[BackendKind] = TOP_OPEN_PLATFORM
KUAISHOU_CONNECTOR: Final[BackendKind] = KUAISHOU_OPEN_PLATFORM
LEDGER_CONNECTOR: Final[BackendKind] = "ledger"
_CHOICES = ", ".join(f"`{c}`" for c in CONNECTORS)
DEFAULT_SANDBOX_PATH = ".sandbox/sandbox.db"
DEFAULT_LEDGER_PATH = ".shoporg/ledger.db"
DEFAULT_COMPANY = "default"


@dataclass(frozen=True)
class BackendSettings:
    kind: BackendKind = "sandbox"
    sandbox_path: str = DEFAULT_SANDBOX_PATH
    company: str = DEFAULT_COMPANY
    taobao_endpoint: str | None = None  # the TOP router URL; never defaulted to a real gateway
    kuaishou_endpoint: str | None = None  # the Kuaishou open platform's; never defaulted either
    org_file: str | None = None  # org.yaml: the taobao backend's account facts and id names
    # A file path or a PostgreSQL URL; out of repr, since a URL may carry a password.
    ledger_path: str = field(default=DEFAULT_LEDGER_PATH, repr=False)
    connectors: tuple[tuple[str, BackendKind], ...] = ()  # (platform or account id, connector)
    #: The Pulumi stack these settings serve: its manual steps are its own in a ledger that
    #: several stacks share (None: a command run outside any stack sees every step).
    stack: str | None = None

    @classmethod
    def from_config(cls, get: Callable[[str], str | None], root: Path | None = None,
                    stack: str | None = None) -> BackendSettings:
        """Build from a config getter taking unqualified keys (``backend``, ``company``...);
        ``stack`` defaults to the stack this process serves (:func:`serve_stack`)."""
        kind = get("backend") or "sandbox"
        if kind not in CONNECTORS:
            raise BackendError(
                "stack", "config", "configure",
                f"shoporg:backend is {kind!r}", f"set it to one of {_CHOICES}",
            )
        path = os.environ.get("SHOPORG_SANDBOX") or get("sandboxPath") or DEFAULT_SANDBOX_PATH
        resolved = Path(path)
        if not resolved.is_absolute():
            resolved = project_root(root) / resolved
        org_file = Path(get("orgFile") or "org.yaml")
        if not org_file.is_absolute():
            org_file = project_root(root) / org_file
        ledger = _ledger_target(os.environ.get("SHOPORG_LEDGER") or get("ledgerPath")
                                or DEFAULT_LEDGER_PATH, root)
        return cls(
            kind=kind,
            sandbox_path=str(resolved),
            company=get("company") or DEFAULT_COMPANY,
            taobao_endpoint=get("taobaoEndpoint") or os.environ.get("SHOPORG_TAOBAO_ENDPOINT"),
            kuaishou_endpoint=(get("kuaishouEndpoint")
                               or os.environ.get("SHOPORG_KUAISHOU_ENDPOINT")),
            org_file=str(org_file),
            ledger_path=ledger,
            connectors=_connectors(get("connectors")),
            stack=stack or _served_stack,
        )

    def connector_for(self, account_id: str, platform: str) -> BackendKind:
        """Which connector serves one account (see the module docstring)."""
        chosen = dict(self.connectors)
        named = chosen.get(account_id) or chosen.get(platform)
        if named is not None:
            serves = OPEN_PLATFORMS.get(named)
            if serves is not None and platform not in serves:
                raise BackendError(
                    "account", account_id, "configure",
                    f"the {named} connector cannot serve {platform} account {account_id} "
                    f"(it serves {', '.join(serves)})",
                    "use `ledger` (manual steps, confirmed with `shoporg tasks done`) or "
                    "`sandbox` for it in shoporg:connectors",
                )
            return named
        serves = OPEN_PLATFORMS.get(self.kind)
        if serves is not None and platform not in serves:
            return LEDGER_CONNECTOR
        return self.kind


def _ledger_target(value: str, root: Path | None) -> str:
    """A PostgreSQL URL as given (a Path would fold its ``//``), else an absolute file path."""
    from shoporg.backends.ledger.dialect import is_url

    if is_url(value):
        return value
    path = Path(value)
    return str(path if path.is_absolute() else project_root(root) / path)


def _connectors(raw: str | None) -> tuple[tuple[str, BackendKind], ...]:
    """``{shopee: ledger}`` (YAML/JSON, as stack config passes a map) or ``shopee=ledger,...``."""
    if raw is None or not raw.strip():
        return ()
    import yaml

    value: object = None
    parts = [part for part in raw.split(",") if part.strip()]
    if raw.lstrip().startswith("{"):
        value = yaml.safe_load(raw)
    elif parts and all("=" in part for part in parts):
        value = dict(part.split("=", 1) for part in parts)
    if not isinstance(value, dict):
        raise BackendError("stack", "config", "configure",
                           f"shoporg:connectors must map platforms or account ids to a "
                           f"connector, got {raw!r}", "e.g. {shopee: ledger, ozon: ledger}")
    out: list[tuple[str, BackendKind]] = []
    for key, connector in value.items():
        name = str(connector).strip()
        if name not in CONNECTORS:
            raise BackendError("stack", "config", "configure",
                               f"shoporg:connectors names {name!r} for {key!r}",
                               f"use one of {_CHOICES}")
        out.append((str(key).strip(), name))
    return tuple(sorted(out))


#: The stack a provider process serves, from the engine's ``Configure`` request (the
#: provider's URN names it; stack config does not). Set once per process.
_served_stack: str | None = None


def serve_stack(stack: str | None) -> None:
    """Record the stack this process serves (the dynamic-provider server, the program)."""
    global _served_stack
    if stack:
        _served_stack = stack


def configure_from(get: Callable[[str], str | None], root: Path | None = None,
                   stack: str | None = None) -> BackendSettings:
    """Settings from stack config, in a provider's ``configure()``; where the TOP connector
    may serve an account (``backend: taobao`` or only through ``connectors``), the same
    config is remembered for this process only and its credentials read on first use."""
    settings = BackendSettings.from_config(get, root, stack)
    from shoporg.backends.credentials import remember

    remember(settings, get)  # lazy: a stack without TOP never reads a credential
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
    if settings.kind == "sandbox" and not settings.connectors:
        return _connector(settings, "sandbox")  # the default: one backend, no routing
    from shoporg.backends.routing import route

    return route(settings, lambda kind, accounts: _connector(settings, kind, accounts))


def _connector(settings: BackendSettings, kind: BackendKind,
               accounts: frozenset[str] | None = None) -> Backend:
    if kind == "sandbox":
        from shoporg.backends.sandbox import SandboxBackend

        return SandboxBackend(settings.sandbox_path, company=settings.company)
    if kind == "ledger":
        from shoporg.backends.ledger.backend import LedgerBackend
        from shoporg.schema import load_org

        assert settings.org_file is not None
        return LedgerBackend(ledger_of(settings), load_org(settings.org_file), accounts)
    return open_connector(settings, kind)


def open_connector(settings: BackendSettings, name: OpenPlatform, *,
                   directory: Directory | None = None, endpoint: str | None = None,
                   ttl: float | None = None) -> Backend:
    """The connector of open platform ``name``: its endpoint and credentials from the
    stack's settings, names from its org.yaml. ``directory``, ``endpoint`` and ``ttl`` are
    what ``shoporg import`` overrides (the accounts it was given, ``--endpoint``, one
    snapshot for the whole read). The one place a connector name picks its module."""
    if name == KUAISHOU_CONNECTOR:
        from shoporg.backends.kuaishou import open_kuaishou

        return open_kuaishou(settings, directory, endpoint, ttl)
    from shoporg.backends.taobao import open_taobao

    return open_taobao(settings, directory, endpoint, ttl)


def ledger_of(settings: BackendSettings) -> Ledger:
    """The manual-step ledger a stack records its steps in (one per path per process)."""
    from shoporg.backends.ledger import Ledger

    key = (settings.ledger_path, settings.stack)
    with _ledgers_lock:  # not _open_lock: open_backend holds that while it builds a ledger
        found = _ledgers.get(key)
        if found is None:
            found = _ledgers[key] = Ledger(settings.ledger_path, stack=settings.stack)
        return found


_ledgers: dict[tuple[str, str | None], Ledger] = {}
_ledgers_lock = threading.Lock()
