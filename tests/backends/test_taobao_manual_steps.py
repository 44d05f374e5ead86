"""A provider on the taobao backend: a create no API can do stays pending with its runbook,
a refresh keeps it until the read API shows it, then marks it active; a delete that needs a
person is an open step in the ledger with its runbook — never pretended done, and never a
failed run (the read-back closes it once the account is gone)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shoporg.backends.credentials import forget_all
from shoporg.backends.protocol import DepartmentSpec, SubAccountSpec
from shoporg.backends.sandbox import SandboxBackend, SellerCenter
from shoporg.backends.sandbox.top_server import TopServer, TopService
from shoporg.backends.settings import BackendSettings, ledger_of
from shoporg.backends.taobao import TopCredentials
from shoporg.backends.taobao.credentials import register
from shoporg.readback import close_removals_seen
from shoporg.resources.sub_account import SubAccountArgs, SubAccountProvider

ORG = """
company: 测试
accounts:
  - {id: tb, platform: taobao, nick: 优品, seat_quota: 5, shops: [{id: tb-shop, name: 优品店}]}
departments: [{id: cs, name: 客服部}]
members:
  - {id: li-na, name: 李娜, department: cs, sub_accounts: [{account: tb, login_name: 李娜}]}
"""
ARGS = SubAccountArgs(account_id="tb", member_id="li-na", login="优品:李娜", display_name="李娜")


@pytest.fixture
def provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
             ) -> Iterator[tuple[SubAccountProvider, SandboxBackend]]:
    monkeypatch.setenv("SHOPORG_BULK_READS", "0")  # every read asks TOP again
    monkeypatch.setenv("SHOPORG_TAOBAO_READ_TTL", "0")
    (tmp_path / "org.yaml").write_text(ORG)
    seller = SandboxBackend(tmp_path / "s.db", instrumented=False)
    sc = SellerCenter(seller)
    sc.register_account("tb", "taobao", "优品", 5)
    sc.add_shop("tb", "tb-shop", "优品店", None)
    service = TopService(SandboxBackend(tmp_path / "s.db", actor="top-api"),
                         app_key="app", app_secret="s3cret", session="sess")
    with TopServer(service) as server:
        settings = BackendSettings(kind="taobao", taobao_endpoint=server.url,
                                   org_file=str(tmp_path / "org.yaml"),
                                   ledger_path=str(tmp_path / "ledger.db"))
        register(settings, TopCredentials("app", "s3cret", "sess"))
        p = SubAccountProvider()
        p._settings = settings
        yield p, seller
        p.backend().close()  # type: ignore[attr-defined]
    forget_all()
    seller.close()


def props() -> dict[str, Any]:
    return {**ARGS.model_dump(), "status": None, "runbook": None, "initial_password": None}


def test_a_create_without_an_api_stays_pending_until_the_read_api_shows_it(
    provider: tuple[SubAccountProvider, SandboxBackend],
) -> None:
    p, seller = provider
    created = p.create(props())
    outs = created.outs
    assert outs is not None
    assert outs["status"] == "pending"
    assert outs["manual_step"]["operation"] == "create"
    assert outs["manual_step"]["person"] == "李娜 (li-na)"
    assert "优品:李娜" in outs["runbook"]
    assert outs.get("initial_password") is None  # nothing was created, no password exists

    kept = p.read(created.id, outs)
    assert kept.id == created.id and kept.outs == outs  # not dropped, not done

    seller.create_sub_account("tb", SubAccountSpec("li-na", "优品:李娜", "李娜"))
    done = p.read(created.id, outs)
    assert done.outs is not None
    assert done.outs["status"] == "active"
    assert done.outs["runbook"] is None and done.outs["manual_step"] is None


def test_a_delete_that_needs_a_person_is_an_open_step_and_the_read_back_closes_it(
    provider: tuple[SubAccountProvider, SandboxBackend],
) -> None:
    p, seller = provider
    seller.create_sub_account("tb", SubAccountSpec("li-na", "优品:李娜", "李娜"))
    p.delete("tb/li-na", props())  # the run goes on: a step, not a failure
    ledger = ledger_of(p.settings)
    [step] = ledger.steps("open")
    assert (step.operation, step.name) == ("delete", "tb/li-na")
    assert "优品:李娜" in step.runbook
    assert seller.get_sub_account("tb", "li-na") is not None  # never pretended done
    assert close_removals_seen(ledger, p.backend()) == []  # still there: still open
    seller.delete_sub_account("tb", "li-na")  # done in 千牛
    assert close_removals_seen(ledger, p.backend()) == [step.id]
    assert ledger.steps("open") == []


def test_deleting_what_was_never_created_succeeds(
    provider: tuple[SubAccountProvider, SandboxBackend],
) -> None:
    p, _ = provider
    p.delete("tb/li-na", props())  # TOP shows no such sub-account: already the end state


def test_a_login_made_in_qianniu_with_other_values_is_adopted_and_the_rest_is_an_update_step(
    provider: tuple[SubAccountProvider, SandboxBackend],
) -> None:
    # The operator made it in 千牛, but in another department than org.yaml says (or ticked
    # a department change done that nobody did): the same login is ours — never "a different
    # sub_account already exists" on every later up.
    p, seller = provider
    seller.create_department("tb", DepartmentSpec("cs", "客服部"))
    created = p.create(props())
    assert created.outs is not None and created.outs["status"] == "pending"
    seller.create_sub_account("tb", SubAccountSpec("li-na", "优品:李娜", "李娜",
                                                   department_id="cs"))
    again = p.update(created.id, created.outs, props())
    assert again.outs is not None and again.outs["status"] == "pending"
    [step] = ledger_of(p.settings).steps("open")
    assert (step.operation, (step.desired or {}).get("department_id")) == ("update", None)
