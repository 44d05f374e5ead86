"""Per-account connectors: which connector serves which account, and routing calls to it."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, get_args

import pytest

from shoporg.backends.directory import Directory
from shoporg.backends.kuaishou import client as kuaishou_client
from shoporg.backends.open_platform import OpenPlatformBackend
from shoporg.backends.protocol import Backend
from shoporg.backends.routing import RoutedBackend
from shoporg.backends.settings import BackendSettings, open_connector
from shoporg.backends.taobao import client as taobao_client
from shoporg.errors import BackendError
from shoporg.platforms import OPEN_PLATFORMS, OpenPlatform


def settings(**config: str) -> BackendSettings:
    return BackendSettings.from_config(config.get, Path("/tmp"))


@pytest.mark.parametrize(
    ("config", "account", "platform", "connector"),
    [
        pytest.param({}, "tb", "taobao", "sandbox", id="the default is the sandbox"),
        pytest.param({"connectors": "{shopee: ledger}"}, "sp", "shopee", "ledger",
                     id="a platform names its connector"),
        pytest.param({"connectors": "{shopee: ledger, sp-2: sandbox}"}, "sp-2", "shopee",
                     "sandbox", id="an account id wins over its platform"),
        pytest.param({"connectors": "shopee=ledger,ozon=ledger"}, "oz", "ozon", "ledger",
                     id="a comma-separated map works too"),
        pytest.param({"backend": "taobao"}, "tm", "tmall", "taobao",
                     id="the taobao backend serves tmall on TOP"),
        pytest.param({"backend": "taobao"}, "dy", "douyin", "ledger",
                     id="the taobao backend sends platforms TOP cannot serve to the ledger"),
        pytest.param({"backend": "ledger"}, "tb", "taobao", "ledger",
                     id="everything can be on the ledger"),
    ],
)
def test_which_connector_serves_an_account(
    config: dict[str, str], account: str, platform: str, connector: str
) -> None:
    assert settings(**config).connector_for(account, platform) == connector


@pytest.mark.parametrize(
    ("config", "message"),
    [
        pytest.param({"connectors": "{shopee: taobao}"}, "cannot serve shopee account sp",
                     id="TOP for a Shopee account is refused, naming it"),
        pytest.param({"connectors": "{shopee: carrier-pigeon}"}, "names 'carrier-pigeon'",
                     id="an unknown connector is refused"),
        pytest.param({"connectors": "[ledger]"}, "must map platforms or account ids",
                     id="a list is not a map"),
        pytest.param({"backend": "ftp"}, "shoporg:backend is 'ftp'",
                     id="an unknown backend is refused"),
    ],
)
def test_a_connector_that_cannot_serve_is_a_clear_error(
    config: dict[str, str], message: str
) -> None:
    with pytest.raises(BackendError, match=message):
        settings(**config).connector_for("sp", "shopee")


@pytest.mark.parametrize("name", get_args(OpenPlatform))
def test_an_open_platform_s_name_opens_the_connector_serving_its_platforms(
    name: OpenPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    for env in (*taobao_client.ENV_KEYS.values(), *kuaishou_client.ENV_KEYS.values()):
        monkeypatch.setenv(env, "x")
    backend = open_connector(settings(), name, directory=Directory(),
                             endpoint="http://127.0.0.1:9/", ttl=0)
    assert isinstance(backend, OpenPlatformBackend)
    assert set(backend.observable_platforms) == set(OPEN_PLATFORMS[name])
    backend.close()


class Recorder:
    def __init__(self, name: str, accounts: list[Any]) -> None:
        self.name, self.accounts, self.seen = name, accounts, []

    def list_accounts(self) -> list[Any]:
        return self.accounts

    def list_roles(self, account_id: str) -> list[str]:
        self.seen.append(("list_roles", account_id))
        return [self.name]

    @property
    def calls(self) -> dict[str, int]:
        return {"list_roles": len(self.seen)}

    def reset_calls(self) -> None:
        self.seen.clear()


class Acct:
    def __init__(self, id: str) -> None:
        self.id = id


def test_calls_go_to_the_account_s_connector_and_accounts_merge() -> None:
    sandbox = Recorder("sandbox", [Acct("tb"), Acct("sp"), Acct("ghost")])
    ledger = Recorder("ledger", [Acct("sp")])
    routed = RoutedBackend({"tb": sandbox, "sp": ledger}, sandbox)  # type: ignore[dict-item]
    assert routed.list_roles("sp") == ["ledger"]
    assert routed.list_roles("tb") == ["sandbox"]
    assert routed.list_roles("unknown") == ["sandbox"]
    assert [a.id for a in routed.list_accounts()] == ["ghost", "sp", "tb"]
    assert next(a for a in routed.list_accounts() if a.id == "sp") is ledger.accounts[0]
    assert routed.calls == {"list_roles": 3}
    with pytest.raises(AttributeError):
        routed.no_such_method  # noqa: B018


class Connector:
    """Answers any call with a token and notes (method, arguments)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, method: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> tuple[str, str]:
            self.seen.append((method, args, kwargs))
            return (method, "answer")

        return call


PER_ACCOUNT = sorted(
    name for name, _ in inspect.getmembers(Backend, inspect.isfunction)
    if not name.startswith("_") and name not in {"list_accounts", "reset_calls"}
)


@pytest.mark.parametrize("method", PER_ACCOUNT)
def test_every_per_account_call_reaches_the_same_call_on_the_account_s_connector(
    method: str,
) -> None:
    """mypy proves the router has every call with the protocol's signature; this proves each
    line hands its call to the same-named one (two calls of one signature can't be swapped),
    with every argument as given, on the connector of the account it names."""
    ours, other = Connector(), Connector()
    routed = RoutedBackend({"tb": ours, "sp": other}, other)
    parameters = list(inspect.signature(getattr(Backend, method)).parameters.values())[2:]
    args = tuple(object() for p in parameters if p.default is inspect.Parameter.empty)
    kwargs = {p.name: object() for p in parameters if p.default is not inspect.Parameter.empty}
    assert getattr(routed, method)("tb", *args, **kwargs) == (method, "answer")
    assert ours.seen == [(method, ("tb", *args), kwargs)]
    assert other.seen == []
