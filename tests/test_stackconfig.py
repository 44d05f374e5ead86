"""Stack config is read one way: the running program and the engine-less CLI commands
build the same :class:`StackSettings` from the same keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from shoporg.backends.credentials import forget_all
from shoporg.backends.taobao.client import ENV_KEYS
from shoporg.backends.taobao.credentials import credentials_for
from shoporg.engine.cli import Result
from shoporg.errors import AuthError, ConfigError, ShoporgError
from shoporg.schema import load_org
from shoporg.stackconfig import (
    StackSettings,
    names,
    project_config,
    settings_of,
    stack_settings,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param('["tb-*", "tm-youpin"]', ("tb-*", "tm-youpin"),
                     id="a JSON list, as the engine passes a YAML list"),
        pytest.param("[tb-*, tm-youpin]", ("tb-*", "tm-youpin"), id="a YAML flow list"),
        pytest.param("tb-*, tm-youpin", ("tb-*", "tm-youpin"), id="a comma-separated string"),
        pytest.param("", None, id="an empty value is no selection"),
        pytest.param(None, None, id="a missing key is no selection"),
    ],
)
def test_a_list_valued_key_is_read_from_every_spelling(
    raw: str | None, expected: tuple[str, ...] | None
) -> None:
    assert names(lambda key: raw, "accounts") == expected


def test_a_list_of_non_names_is_a_stack_config_error_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"shoporg:accounts must be a list of names"):
        names(lambda key: "[1, 2]", "accounts")


def write_project(root: Path, stack_values: str) -> None:
    (root / "Pulumi.yaml").write_text(
        "name: p\nruntime: python\nmain: stacks/\nstackConfigDir: stacks\n"
        "config:\n  shoporg:backend:\n    default: sandbox\n  shoporg:company: acme\n",
        encoding="utf-8",
    )
    (root / "stacks").mkdir()
    (root / "stacks" / "Pulumi.shard.yaml").write_text(stack_values, encoding="utf-8")


def test_the_project_files_give_what_the_program_reads(tmp_path: Path) -> None:
    write_project(tmp_path, "config:\n  shoporg:accounts: [tb-*]\n  shoporg:orgFile: my.yaml\n"
                            "  shoporg:company: acme2\n  shoporg:taobaoSession: {secure: x}\n")
    from_files = StackSettings.read(project_config(tmp_path, "shard"), tmp_path)
    # What the engine hands the program for the same files (strings; lists as JSON).
    engine = {"backend": "sandbox", "company": "acme2", "accounts": '["tb-*"]',
              "orgFile": "my.yaml"}
    from_program = StackSettings.read(engine.get, tmp_path)
    assert from_files == from_program
    assert from_files.org_file == tmp_path / "my.yaml"
    assert from_files.backend.company == "acme2"  # the stack's value over the default


def test_a_stack_without_a_selection_owns_every_account(tmp_path: Path) -> None:
    write_project(tmp_path, "config: {}\n")
    settings = StackSettings.read(project_config(tmp_path, "shard"), tmp_path)
    assert settings.shard(load_org(REPO / "org.yaml")) is None


def test_a_shard_selects_its_accounts_by_glob(tmp_path: Path) -> None:
    write_project(tmp_path, "config:\n  shoporg:accounts: [t*-youpin]\n")
    settings = StackSettings.read(project_config(tmp_path, "shard"), tmp_path)
    assert settings.shard(load_org(REPO / "org.yaml")) == frozenset({"tb-youpin", "tm-youpin"})


# --- secrets: decrypted by the engine, only when read ---------------------------------------


class FakeEngine:
    """``pulumi config --show-secrets --json`` as the engine answers it (with a passphrase that
    is right or wrong), counting the calls."""

    def __init__(self, secrets: dict[str, str], *, stderr: str = "", stdout: str | None = None,
                 returncode: int = 0) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.stdout = stdout if stdout is not None else json.dumps(
            {f"shoporg:{k}": {"value": v, "secret": True} for k, v in secrets.items()}
            | {"shoporg:backend": {"value": "taobao", "secret": False}})
        self.stderr, self.returncode = stderr, returncode

    def __call__(self, *args: str) -> Result:
        self.calls.append(args)
        return Result(args, self.returncode, self.stdout, self.stderr)


def no_engine(*args: str) -> Result:
    raise AssertionError(f"the engine was called: pulumi {' '.join(args)}")


SECRET_CREDENTIALS = ("config:\n  shoporg:backend: taobao\n  shoporg:taobaoAppKey: app-1\n"
                      "  shoporg:taobaoAppSecret: {secure: v1:aaa}\n"
                      "  shoporg:taobaoSession:\n    tb-youpin: {secure: v1:bbb}\n")
SECRET_STACK = SECRET_CREDENTIALS + "  shoporg:ledgerPath: {secure: v1:ccc}\n"
PLAIN = {"taobaoAppSecret": "s3cret", "taobaoSession": '{"tb-youpin":"sess-tb"}',
         "ledgerPath": "postgresql://shoporg:pw@db/shoporg"}


@pytest.fixture(autouse=True)
def no_remembered_credentials(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in (*ENV_KEYS.values(), "SHOPORG_LEDGER"):
        monkeypatch.delenv(name, raising=False)
    forget_all()
    yield
    forget_all()


@pytest.mark.parametrize(
    ("stack_file", "keys"),
    [
        pytest.param("config:\n  shoporg:backend: taobao\n  shoporg:taobaoAppKey: a\n",
                     ("backend", "taobaoAppKey", "taobaoSession", "ledgerPath"),
                     id="a stack file without secrets never calls the engine"),
        pytest.param(SECRET_STACK, ("backend", "taobaoAppKey", "company", "orgFile"),
                     id="a stack whose secrets nobody reads never calls the engine"),
        pytest.param("config:\n  other:token: {secure: v1:x}\n", ("backend", "token"),
                     id="another package's secret is not shoporg's to decrypt"),
    ],
)
def test_plain_settings_are_read_without_the_engine(
    tmp_path: Path, stack_file: str, keys: tuple[str, ...]
) -> None:
    write_project(tmp_path, stack_file)
    get = project_config(tmp_path, "shard", no_engine)
    assert all(get(key) is None or isinstance(get(key), str) for key in keys)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        pytest.param("taobaoAppSecret", "s3cret", id="a secret string reads in plain text"),
        pytest.param("taobaoSession", '{"tb-youpin":"sess-tb"}',
                     id="a map of secrets set with --path reads as the JSON the program gets"),
        pytest.param("taobaoAppKey", "app-1",
                     id="a plain value beside secrets reads from the file"),
        pytest.param("ledgerPath", "postgresql://shoporg:pw@db/shoporg",
                     id="a secret ledger URL reads in plain text"),
    ],
)
def test_secrets_read_as_the_engine_passes_them_to_the_program(
    tmp_path: Path, key: str, expected: str
) -> None:
    write_project(tmp_path, SECRET_STACK)
    engine = FakeEngine(PLAIN)
    get = project_config(tmp_path, "shard", engine)
    assert get(key) == expected
    calls = len(engine.calls)
    assert get("taobaoAppSecret") == "s3cret"  # one call decrypts every secret
    assert engine.calls == [("config", "--show-secrets", "--json", "--stack", "shard")]
    assert calls == (0 if key == "taobaoAppKey" else 1)


@pytest.mark.parametrize(
    ("engine", "reason"),
    [
        pytest.param(FakeEngine({}, returncode=1, stdout="",
                                stderr="error: decrypting secret value: failed\n"
                                       "1 error: incorrect passphrase\n"),
                     "incorrect passphrase", id="a wrong passphrase names the stack and key"),
        pytest.param(FakeEngine({}, returncode=255, stdout="", stderr=""), "exit 255",
                     id="a silent failure still says what to set"),
        pytest.param(FakeEngine({}, stdout='{"shoporg:taobaoAppSecret": s3cret-leaked'),
                     "exit 0", id="an answer that is not JSON is an error that leaks none of it"),
    ],
)
def test_a_secret_the_engine_cannot_decrypt_says_which_stack_key_and_what_to_set(
    tmp_path: Path, engine: FakeEngine, reason: str
) -> None:
    write_project(tmp_path, SECRET_STACK)
    with pytest.raises(ShoporgError) as caught:
        project_config(tmp_path, "shard", engine)("taobaoAppSecret")
    message = str(caught.value)
    assert "stack shard: shoporg:taobaoAppSecret is a secret" in message
    assert reason in message and "PULUMI_CONFIG_PASSPHRASE" in message
    assert "s3cret" not in message


def test_a_secret_ledger_url_is_the_ledger_the_commands_use(tmp_path: Path) -> None:
    write_project(tmp_path, SECRET_STACK)
    settings = stack_settings(tmp_path, "shard", FakeEngine(PLAIN))
    assert settings.backend.ledger_path == PLAIN["ledgerPath"]
    assert "pw@" not in repr(settings)  # BackendSettings may be printed: the URL is not


def test_shoporg_ledger_overrides_a_secret_ledger_without_decrypting_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(tmp_path, "config:\n  shoporg:ledgerPath: {secure: v1:abc}\n")
    monkeypatch.setenv("SHOPORG_LEDGER", "postgresql://shoporg@127.0.0.1/shoporg")
    settings = stack_settings(tmp_path, "shard", no_engine)
    assert settings.backend.ledger_path == "postgresql://shoporg@127.0.0.1/shoporg"


# --- TOP credentials: the stack's config, as the program reads it ---------------------------

CONFIG_CREDENTIALS = ("app-1", "s3cret", "sess-tb")
ENV_CREDENTIALS = {"app_key": "env-app", "app_secret": "env-secret", "session": "env-sess"}


@pytest.mark.parametrize(
    ("stack_file", "env", "expected"),
    [
        pytest.param(SECRET_CREDENTIALS, {}, CONFIG_CREDENTIALS,
                     id="secrets set with pulumi config set --secret need no export"),
        pytest.param(SECRET_CREDENTIALS, ENV_CREDENTIALS, CONFIG_CREDENTIALS,
                     id="the stack config wins over the environment, as in pulumi up"),
        pytest.param("config:\n  shoporg:backend: taobao\n", ENV_CREDENTIALS,
                     ("env-app", "env-secret", "env-sess"),
                     id="a stack without credentials takes them from the environment"),
        pytest.param("config:\n  shoporg:backend: taobao\n  shoporg:taobaoAppKey: app-1\n",
                     ENV_CREDENTIALS, ("app-1", "env-secret", "env-sess"),
                     id="the environment fills only what the stack config lacks"),
        pytest.param("config:\n  shoporg:connectors: {taobao: taobao}\n"
                     "  shoporg:taobaoAppKey: app-1\n  shoporg:taobaoAppSecret: {secure: v}\n"
                     "  shoporg:taobaoSession: {secure: v}\n", {},
                     CONFIG_CREDENTIALS,
                     id="a TOP connector named per platform finds the stack's credentials"),
    ],
)
def test_a_command_opening_top_finds_the_stacks_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    stack_file: str, env: dict[str, str], expected: tuple[str, str, str],
) -> None:
    write_project(tmp_path, stack_file)
    for name, value in env.items():
        monkeypatch.setenv(ENV_KEYS[name], value)
    engine = FakeEngine(PLAIN)
    backend = stack_settings(tmp_path, "shard", engine).backend
    assert engine.calls == []  # nothing decrypted until a connector asks
    found = credentials_for(backend)
    assert (found.app_key, found.app_secret, found.session_for("tb-youpin")) == expected
    assert len(engine.calls) == (1 if "secure" in stack_file else 0)
    assert "s3cret" not in repr(backend) and "s3cret" not in repr(found)


def test_missing_credentials_name_the_config_keys_and_the_variables(tmp_path: Path) -> None:
    write_project(tmp_path, "config:\n  shoporg:backend: taobao\n  shoporg:taobaoAppKey: a\n")
    backend = stack_settings(tmp_path, "shard", no_engine).backend
    with pytest.raises(AuthError, match=r"needs shoporg:taobaoAppSecret \(secret\), "
                                        r"shoporg:taobaoSession .*SHOPORG_TAOBAO_APP_SECRET"):
        credentials_for(backend)


def test_the_project_defaults_register_their_credentials_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No stack selected (settings_of's fallback): the defaults and the environment.
    (tmp_path / "Pulumi.yaml").write_text(
        "name: p\nruntime: python\nconfig:\n  backend: taobao\n  taobaoAppKey: app-d\n",
        encoding="utf-8")
    monkeypatch.setattr("shoporg.stackconfig.selected_stack", _no_stack)
    monkeypatch.setenv(ENV_KEYS["app_secret"], "env-secret")
    monkeypatch.setenv(ENV_KEYS["session"], "env-sess")
    found = credentials_for(settings_of(tmp_path, None).backend)
    assert (found.app_key, found.app_secret, found.session) == ("app-d", "env-secret", "env-sess")


def _no_stack(root: Path) -> str:
    raise ShoporgError("no stack selected")
