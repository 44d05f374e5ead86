"""The platform facts ``shoporg sandbox init --org org.yaml`` registers: accounts and shops.

Only main accounts and their shops pre-exist on a real platform, so only they are seeded;
everything else is created by ``pulumi up``. This reads just those keys, tolerantly, so the
sandbox does not depend on the full org.yaml schema (``providers/schema``)::

    accounts:
      - id: tb-flagship            # or a mapping keyed by id
        platform: taobao
        nick: acme旗舰店            # also accepted: login, main_nick
        seats: 20                  # also accepted: seat_quota
        shops: [{id: tb-flagship-shop, name: Acme 旗舰店}]   # Shopee: site: MY

A Taobao/Tmall/Douyin account without ``shops`` gets one shop with the account's id.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from providers.platforms import SINGLE_SHOP_PLATFORMS

DEFAULT_SEATS = 20


@dataclass(frozen=True, slots=True)
class ShopFact:
    id: str
    name: str
    site: str | None


@dataclass(frozen=True, slots=True)
class AccountFact:
    id: str
    platform: str
    nick: str
    seats: int
    shops: tuple[ShopFact, ...]


def _first(data: dict[str, object], *keys: str) -> object:
    for key in keys:
        if data.get(key) is not None:
            return data[key]
    return None


def _shop(raw: object, account: dict[str, object]) -> ShopFact:
    if isinstance(raw, str):
        raw = {"id": raw}
    if not isinstance(raw, dict) or "id" not in raw:
        raise ValueError(f"a shop needs an id: {raw!r}")
    site = _first(raw, "site", "region") or _first(account, "site", "region")
    return ShopFact(
        id=str(raw["id"]),
        name=str(raw.get("name") or raw["id"]),
        site=None if site is None else str(site),
    )


def read_platform_facts(path: str | Path) -> list[AccountFact]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a mapping")
    raw_accounts = data.get("accounts") or []
    if isinstance(raw_accounts, dict):
        raw_accounts = [{"id": key, **(value or {})} for key, value in raw_accounts.items()]
    if not isinstance(raw_accounts, list):
        raise ValueError(f"{path}: accounts must be a list or a mapping")
    facts: list[AccountFact] = []
    for raw in raw_accounts:
        if not isinstance(raw, dict) or "id" not in raw or "platform" not in raw:
            raise ValueError(f"{path}: an account needs id and platform: {raw!r}")
        nick = _first(raw, "nick", "login", "main_nick", "name") or raw["id"]
        seats = _first(raw, "seats", "seat_quota")
        shops = raw.get("shops") or []
        if not isinstance(shops, list):
            raise ValueError(f"{path}: shops of {raw['id']!r} must be a list")
        if not shops and raw["platform"] in SINGLE_SHOP_PLATFORMS:
            # A one-shop platform's shop is the account itself; name it after the account.
            shops = [{"id": raw["id"], "name": str(nick)}]
        facts.append(
            AccountFact(
                id=str(raw["id"]),
                platform=str(raw["platform"]),
                nick=str(nick),
                seats=DEFAULT_SEATS if seats is None else int(str(seats)),
                shops=tuple(_shop(s, raw) for s in shops),
            )
        )
    return facts
