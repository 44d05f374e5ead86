"""A stack's shoporg settings, read one way wherever they are needed.

Stack config (project defaults in ``Pulumi.yaml``, the stack's values in
``stacks/Pulumi.<stack>.yaml``)::

    config:
      shoporg:backend: sandbox              # which account system (shoporg.backends.settings)
      shoporg:orgFile: org.yaml             # relative to the project root
      shoporg:accounts: [tb-*, tm-youpin]   # a shard: ids or globs (README "Sharding")
      shoporg:platforms: [shopee]           # optional; with both, both must match

Two sources give the same getter of unqualified keys, so the program and the CLI commands
that do not run it cannot read a setting differently:

* the running program: ``pulumi.Config("shoporg").get``;
* the project files (:func:`project_config`), for the commands that read a stack's settings
  outside the engine (``review``, ``drift``, ``up``, ``tasks``, ``report``, ``import``...).
  A secret (``pulumi config set --secret``) is decrypted the way the engine decrypts it for
  the program — by the engine, one ``pulumi config --show-secrets`` — and only when a
  command first reads one: a stack file without secrets never pays an engine call.

:func:`stack_settings` also hands the same getter to the TOP credentials registry, as the
program's ``configure_from`` does, so every connector a command opens finds them.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import yaml

from shoporg.backends.settings import BackendSettings
from shoporg.errors import ConfigError, ConfigIssue, ShoporgError
from shoporg.platforms import OPEN_PLATFORMS

if TYPE_CHECKING:  # annotations only: `shoporg tasks` reads stack config, not org.yaml
    from shoporg.engine.cli import Result
    from shoporg.schema import Org

Getter = Callable[[str], str | None]


class Runner(Protocol):
    """Runs ``pulumi ARGS`` in the project without raising (tests pass a fake)."""

    def __call__(self, *args: str) -> Result: ...


@dataclass(frozen=True)
class StackSettings:
    """What a stack's config says: the backend, the org file and the shard."""

    backend: BackendSettings
    accounts: tuple[str, ...] | None = None
    platforms: tuple[str, ...] | None = None

    @classmethod
    def read(cls, get: Getter, root: Path | None = None, stack: str | None = None
             ) -> StackSettings:
        return cls(BackendSettings.from_config(get, root, stack), names(get, "accounts"),
                   names(get, "platforms"))

    @property
    def org_file(self) -> Path:
        # BackendSettings resolves orgFile against the project root (the taobao backend
        # reads the same file for its account facts).
        assert self.backend.org_file is not None
        return Path(self.backend.org_file)

    def shard(self, org: Org) -> frozenset[str] | None:
        """The accounts this stack owns; None when it owns every account."""
        if self.accounts is None and self.platforms is None:
            return None
        return select_accounts(org, self.accounts, self.platforms)


def names(get: Getter, key: str) -> tuple[str, ...] | None:
    """A list-valued key: a YAML/JSON list or a comma-separated string."""
    raw = get(key)
    if raw is None or not raw.strip():
        return None
    value: Any = yaml.safe_load(raw) if raw.lstrip().startswith("[") else raw.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError([_issue(f"shoporg:{key} must be a list of names, got {raw!r}")])
    return tuple(v.strip() for v in value if v.strip()) or None


def select_accounts(
    org: Org,
    accounts: Sequence[str] | None = None,
    platforms: Sequence[str] | None = None,
) -> frozenset[str]:
    """The account ids a (shard) stack owns: all of them unless config narrows it.

    ``accounts`` are ids or shell-style globs (``tb-*``); ``platforms`` are platform names.
    With both, an account must match both. A pattern or platform that matches no account
    is an error rather than an empty shard: a typo must not turn into "delete everything
    this stack created".
    """
    ids = [a.id for a in org.accounts]
    chosen = set(ids)
    issues: list[ConfigIssue] = []
    if accounts is not None:
        by_pattern = {p: {i for i in ids if fnmatch.fnmatchcase(i, p)} for p in accounts}
        issues += [
            _issue(f"shoporg:accounts entry {p!r} matches no account in org.yaml")
            for p, hit in by_pattern.items() if not hit
        ]
        chosen &= set().union(*by_pattern.values()) if by_pattern else set()
    if platforms is not None:
        on = {a.id for a in org.accounts if a.platform in platforms}
        present = {a.platform for a in org.accounts}
        issues += [
            _issue(f"shoporg:platforms entry {p!r} matches no account in org.yaml")
            for p in platforms if p not in present
        ]
        chosen &= on
    if not issues and not chosen:
        issues.append(_issue("shoporg:accounts and shoporg:platforms select no account"))
    if issues:
        raise ConfigError(issues)
    return frozenset(chosen)


def _issue(message: str) -> ConfigIssue:
    return ConfigIssue(file="stack config", line=0, column=0, message=message)


# --- reading the project files (no engine) ------------------------------------------------


def _yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return data if isinstance(data, dict) else {}


def project_config(root: Path, stack: str, run: Runner | None = None) -> Getter:
    """A getter over the project defaults, then the stack's file, as the engine passes them
    to the program: strings, lists and maps (``shoporg:connectors``) as JSON. A secret value
    (``{secure: ...}``) is decrypted through ``run`` (default: the engine) when first read."""
    project = _yaml(root / "Pulumi.yaml")
    values: dict[str, Any] = {}
    secrets: set[str] = set()
    for key, spec in (project.get("config") or {}).items():
        value = spec.get("default") if isinstance(spec, dict) else spec
        if value is not None and not _secret(value):
            values[str(key).removeprefix("shoporg:")] = value
    config_dir = root / str(project.get("stackConfigDir") or ".")
    for key, value in (_yaml(config_dir / f"Pulumi.{stack}.yaml").get("config") or {}).items():
        if not str(key).startswith("shoporg:"):
            continue
        name = str(key).removeprefix("shoporg:")
        if _secret(value):
            secrets.add(name)
            values.pop(name, None)  # never fall back to the project default silently
        else:
            values[name] = value
    decrypted: dict[str, str] | None = None  # this getter's only: never shared or cached

    def get(key: str) -> str | None:
        nonlocal decrypted
        if key not in secrets:
            return _as_engine_passes(values.get(key))
        if decrypted is None:
            decrypted = _decrypt(stack, key, run or _engine(root))
        return decrypted.get(key)

    return get


def _as_engine_passes(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, list | dict) else str(value)


def _secret(value: object) -> bool:
    """``{secure: ...}``, or a map or list holding one (``pulumi config set --path --secret``)."""
    if isinstance(value, dict):
        return set(value) == {"secure"} or any(_secret(v) for v in value.values())
    return isinstance(value, list) and any(_secret(v) for v in value)


def _engine(root: Path) -> Runner:
    """``pulumi`` for the project with the passphrase and backend the CLI commands use."""
    from shoporg.engine.cli import Pulumi

    engine = Pulumi(root)
    return lambda *args: engine.run(*args, check=False)


def _decrypt(stack: str, key: str, run: Runner) -> dict[str, str]:
    """The stack's shoporg secrets in plain text (unqualified keys, values as the engine
    passes them to the program), from one ``pulumi config --show-secrets --json``; ``key``
    is the one asked for, named if the engine cannot decrypt."""
    result = run("config", "--show-secrets", "--json", "--stack", stack)
    try:
        data = json.loads(result.stdout) if result.returncode == 0 else None
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        raise ShoporgError(_undecryptable(stack, key, result))
    return {
        str(name).removeprefix("shoporg:"): str(entry["value"])
        for name, entry in data.items()
        if str(name).startswith("shoporg:") and isinstance(entry, dict)
        and entry.get("secret") and entry.get("value") is not None
    }


def _undecryptable(stack: str, key: str, result: Result) -> str:
    # The reason comes from stderr only: stdout of a half-successful run may hold secrets.
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    reason = lines[-1][:200] if lines else f"exit {result.returncode}"
    return (
        f"stack {stack}: shoporg:{key} is a secret and the engine could not decrypt it "
        f"({reason}): run shoporg where PULUMI_CONFIG_PASSPHRASE (or "
        "PULUMI_CONFIG_PASSPHRASE_FILE) is the passphrase the stack was created with (this "
        "checkout's is .pulumi-state/passphrase) and PULUMI_BACKEND_URL its backend; "
        f"`pulumi config --stack {stack}` shows whether it can"
    )


def with_credentials(settings: StackSettings, get: Getter) -> StackSettings:
    """``settings``, with the credentials of the same config registered for its backend
    (as the program's ``configure_from`` does), when any of its connectors speaks to an open
    platform (TOP, Kuaishou); they are read, and decrypted, only when a command opens that
    connector."""
    backend = settings.backend
    if set(OPEN_PLATFORMS) & {backend.kind, *(kind for _, kind in backend.connectors)}:
        from shoporg.backends.credentials import remember

        remember(backend, get)
    return settings


def stack_settings(root: Path, stack: str, run: Runner | None = None) -> StackSettings:
    """The settings of ``stack`` (secrets decrypted through ``run`` when read)."""
    get = project_config(root, stack, run)
    return with_credentials(StackSettings.read(get, root, stack), get)


def settings_of(root: Path, stack: str | None) -> StackSettings:
    """The settings of ``stack``, else of the selected stack, else the project defaults
    (commands such as ``shoporg tasks`` work before any stack exists)."""
    if stack is None:
        try:
            stack = selected_stack(root)
        except ShoporgError:
            defaults = project_config(root, "")
            return with_credentials(StackSettings.read(defaults, root), defaults)
    return stack_settings(root, stack)


def selected_stack(root: Path) -> str:
    from shoporg.engine.on_disk import selected_stack as on_disk

    if not (root / "Pulumi.yaml").is_file():  # no project, so no stack (and no CLI start)
        raise ShoporgError(f"no stack selected: pass --stack (no Pulumi.yaml in {root})")
    chosen = on_disk(root)  # a file read, where the workspace is one we know
    if chosen is not None:
        return chosen
    from shoporg.engine.cli import Pulumi

    result = Pulumi(root).run("stack", "--show-name", check=False)
    name = result.stdout.strip()
    if result.returncode != 0 or not name:
        raise ShoporgError(f"no stack selected: pass --stack ({result.output.strip()})")
    return name
