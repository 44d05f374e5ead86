"""Backend factories for the contract suite (``test_contract.py``).

A *world* is a backend plus the seller-centre hands the suite needs to set platform facts
(register accounts, advance the clock, creator consent, ...). Every factory in ``FACTORIES``
builds the same company; a new backend joins the contract suite by adding one here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shoporg.backends.protocol import (
    Backend,
    DepartmentSpec,
    GrantSpec,
    RoleSpec,
    SubAccountSpec,
)
from shoporg.backends.sandbox import FixedClock, SandboxBackend, SellerCenter
from shoporg.backends.sandbox.top_server import TopServer, TopService

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class World:
    backend: Backend
    facts: Any  # the seller centre: SellerCenter for the sandbox
    clock: FixedClock
    other_company: Callable[[str], tuple[Backend, Any]]

    def advance(self, delta: timedelta) -> None:
        self.clock.advance(delta)


def seed(facts: SellerCenter) -> None:
    """The standard company: one account per platform, Shopee with shops in two sites."""
    facts.register_account("tb", "taobao", "acme旗舰店", 3)
    facts.add_shop("tb", "tb-shop", "Acme 旗舰店", None)
    facts.register_account("tm", "tmall", "acme天猫", 5)
    facts.add_shop("tm", "tm-shop", "Acme 天猫", None)
    facts.register_account("sp", "shopee", "acme.main", 10)
    facts.add_shop("sp", "sp-my", "Acme MY", "MY")
    facts.add_shop("sp", "sp-sg", "Acme SG", "SG")
    facts.register_account("oz", "ozon", "acme-ozon", 5)
    facts.add_shop("oz", "oz-shop", "Acme Ozon", None)
    facts.register_account("dy", "douyin", "acme抖店", 5)
    facts.add_shop("dy", "dy-shop", "Acme 抖店", None)
    facts.register_account("ks", "kuaishou", "acme快手小店", 5)
    facts.add_shop("ks", "ks-shop", "Acme 快手小店", None)


def sandbox_world(tmp_path: Path) -> Iterator[World]:
    clock = FixedClock(START)
    path = tmp_path / "sandbox.db"
    opened: list[SandboxBackend] = []

    def open_company(company: str) -> tuple[Backend, SellerCenter]:
        backend = SandboxBackend(path, company, actor="contract-test", clock=clock, environ={})
        opened.append(backend)
        return backend, SellerCenter(backend)

    backend, facts = open_company("acme")
    seed(facts)
    yield World(backend, facts, clock, open_company)
    for b in opened:
        b.close()


FACTORIES: dict[str, Callable[[Path], Iterator[World]]] = {"sandbox": sandbox_world}


@pytest.fixture(params=sorted(FACTORIES))
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    yield from FACTORIES[request.param](tmp_path)


@contextmanager
def top_world(
    db: Path, *, app_key: str, secret: str, sessions: dict[str, str]
) -> Iterator[tuple[SandboxBackend, str]]:
    """A sandbox served as a TOP endpoint on loopback (``shoporg sandbox serve``'s service)
    with one Taobao company: accounts ``tb`` (shop ``tb-shop``: a department ``cs``, a role
    ``tb-cs``, an active sub-account ``zhang-wei`` granted it) and ``tm`` (shop ``tm-shop``).
    Yields the seller's own backend and the endpoint's URL; the TOP endpoint's raw-HTTP
    tests and the independent SDKs' tests both drive it."""
    seller = SandboxBackend(db, instrumented=False)
    sc = SellerCenter(seller)
    sc.register_account("tb", "taobao", "优品", 5)
    sc.add_shop("tb", "tb-shop", "优品店", None)
    sc.register_account("tm", "tmall", "优品旗舰", 5)
    sc.add_shop("tm", "tm-shop", "优品旗舰店", None)
    seller.create_department("tb", DepartmentSpec("cs", "客服部"))
    seller.create_role("tb", RoleSpec("tb-cs", "客服", ("ww-chat",), "前台"))
    seller.create_sub_account("tb", SubAccountSpec(
        "zhang-wei", "优品:张伟", "张伟", "cs", "zw@example.com", "13800010001", True, False))
    seller.set_sub_account_status("tb", "zhang-wei", "active")
    seller.set_grant("tb", GrantSpec("zhang-wei", "tb-shop", ("tb-cs",)))
    service = TopService(SandboxBackend(db, actor="top-api"), app_key=app_key,
                         app_secret=secret, session=json.dumps(sessions))
    try:
        with TopServer(service) as server:
            yield seller, server.url
    finally:
        service.close()
        service.backend.close()
        seller.close()
