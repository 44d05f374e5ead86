"""Stack config is read one way: the running program and the engine-less CLI commands
build the same :class:`StackSettings` from the same keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from providers.errors import ConfigError, ShoporgError
from providers.schema import load_org
from providers.stackconfig import StackSettings, names, project_config

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
    assert project_config(tmp_path, "shard")("taobaoSession") is None  # secrets are skipped


def test_a_stack_without_a_selection_owns_every_account(tmp_path: Path) -> None:
    write_project(tmp_path, "config: {}\n")
    settings = StackSettings.read(project_config(tmp_path, "shard"), tmp_path)
    assert settings.shard(load_org(REPO / "org.yaml")) is None


def test_a_shard_selects_its_accounts_by_glob(tmp_path: Path) -> None:
    write_project(tmp_path, "config:\n  shoporg:accounts: [t*-youpin]\n")
    settings = StackSettings.read(project_config(tmp_path, "shard"), tmp_path)
    assert settings.shard(load_org(REPO / "org.yaml")) == {"tb-youpin", "tm-youpin"}


def test_a_secret_ledger_url_is_refused_by_the_commands_instead_of_using_the_default_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_project(tmp_path, "config:\n  shoporg:ledgerPath: {secure: v1:abc}\n")
    monkeypatch.delenv("SHOPORG_LEDGER", raising=False)
    with pytest.raises(ShoporgError, match="export SHOPORG_LEDGER"):
        StackSettings.read(project_config(tmp_path, "shard"), tmp_path)
    monkeypatch.setenv("SHOPORG_LEDGER", "postgresql://shoporg@127.0.0.1/shoporg")
    settings = StackSettings.read(project_config(tmp_path, "shard"), tmp_path)
    assert settings.backend.ledger_path == "postgresql://shoporg@127.0.0.1/shoporg"
