"""The manual-step ledger: append-only, idempotent, all-or-none, safe with several operators
and a kill at any moment; and the ledger connector that reads objects back from it."""

from __future__ import annotations

import datetime
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from providers.backends.ledger import Ledger, LedgerBackend, LedgerError
from providers.backends.protocol import GrantSpec, SubAccountSpec
from providers.errors import ManualStepRequired, NotFoundError
from providers.schema import load_org

REPO = Path(__file__).resolve().parents[2]
T0 = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)


def raise_step(ledger: Ledger, name: str = "sp-youpin/zhu-yan", **kw: Any) -> Any:
    fields: dict[str, Any] = {
        "kind": "sub_account", "name": name, "account": "sp-youpin", "platform": "shopee",
        "operation": "create", "desired": {"member_id": name.split("/")[1], "login": "zy"},
        "page": "Sub Account Platform › Members", "person": "朱燕 (zhu-yan)",
        "runbook": "In Shopee Seller Centre, add the member ...",
    }
    fields.update(kw)
    return ledger.raise_step(**fields)


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "ledger.db", clock=lambda: T0)


def test_raising_the_same_step_twice_records_it_once(ledger: Ledger) -> None:
    first, second = raise_step(ledger), raise_step(ledger)
    assert first.id == second.id
    assert [s.id for s in ledger.steps("open")] == [first.id]


def test_new_desired_values_supersede_the_open_step(ledger: Ledger) -> None:
    old = raise_step(ledger)
    new = raise_step(ledger, desired={"member_id": "zhu-yan", "login": "zhuyan2"})
    assert new.id != old.id
    assert [s.id for s in ledger.steps("open")] == [new.id]
    [skipped] = ledger.steps("skipped")
    assert skipped.id == old.id and "superseded" in (skipped.state_note or "")


def test_a_confirmation_records_who_the_os_user_when_and_the_note(ledger: Ledger) -> None:
    step = raise_step(ledger)
    [done] = ledger.mark([step.id], "done", by="运营 小王 <wang@example.com>", note="千牛 10:40")
    assert (done.state, done.state_by, done.state_note) == ("done", "运营 小王 <wang@example.com>",
                                                           "千牛 10:40")
    assert done.state_os_user and done.state_at == T0
    assert ledger.confirmed("sp-youpin")[("sub_account", step.name)].id == step.id
    assert [e["state"] for e in ledger.history(step.id)] == ["open", "done"]


@pytest.mark.parametrize(
    ("ids", "state", "note", "message"),
    [
        pytest.param([999], "done", None, "step 999 does not exist",
                     id="an unknown id is refused by number"),
        pytest.param([1, 999], "done", None, "step 999 does not exist",
                     id="one unknown id refuses the whole batch"),
        pytest.param([1], "skipped", None, "needs a reason",
                     id="skipping without a reason is refused"),
        pytest.param([1], "open", None, "needs a reason",
                     id="reopening without a reason is refused"),
        pytest.param([], "done", None, "no step ids given", id="no ids is refused"),
    ],
)
def test_bad_marks_are_refused_and_change_nothing(
    ledger: Ledger, ids: list[int], state: Any, note: str | None, message: str
) -> None:
    raise_step(ledger)
    before = [(s.id, s.state, s.state_seq) for s in ledger.steps()]
    with pytest.raises(LedgerError, match=message):
        ledger.mark(ids, state, by="x", note=note)
    assert [(s.id, s.state, s.state_seq) for s in ledger.steps()] == before


def test_confirming_twice_says_who_already_did(ledger: Ledger) -> None:
    step = raise_step(ledger)
    ledger.mark([step.id], "done", by="小王")
    with pytest.raises(LedgerError, match=r"step 1 is already done \(by 小王 at 2026-12-01"):
        ledger.mark([step.id], "done", by="小李")


def test_a_confirmed_step_raised_again_is_reopened_as_not_visible_yet(ledger: Ledger) -> None:
    step = raise_step(ledger)
    ledger.mark([step.id], "done", by="小王")
    again = raise_step(ledger)  # the read-back (TOP) still does not show it
    assert (again.id, again.state) == (step.id, "open")
    assert "not visible yet" in (again.state_note or "") and "小王" in (again.state_note or "")


@pytest.mark.parametrize("table", ["steps", "events"])
def test_the_ledger_is_append_only(ledger: Ledger, table: str) -> None:
    raise_step(ledger)
    with sqlite3.connect(ledger.path) as conn:
        for sql in (f"UPDATE {table} SET id = id" if table == "steps" else
                    f"UPDATE {table} SET seq = seq", f"DELETE FROM {table}"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(sql)
    conn.close()


CONFIRM = """
import sys
from providers.backends.ledger import Ledger, LedgerError
try:
    Ledger(sys.argv[1]).mark([int(sys.argv[2])], "done", by=sys.argv[3])
    print("ok")
except LedgerError as exc:
    print(exc)
"""


def test_two_operators_confirming_at_once_record_one_confirmation(ledger: Ledger) -> None:
    step = raise_step(ledger)
    procs = [subprocess.Popen([sys.executable, "-c", CONFIRM, str(ledger.path), str(step.id),
                               who], cwd=REPO, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
             for who in ("a", "b")]
    outcomes = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert outcomes[0].startswith("nothing was changed: step 1 is already done")
    assert outcomes[1] == "ok"
    assert [e["state"] for e in ledger.history(step.id)] == ["open", "done"]


def test_threads_raising_the_same_step_at_once_record_it_once(ledger: Ledger) -> None:
    ids: list[int] = []
    threads = [threading.Thread(target=lambda: ids.append(raise_step(ledger).id))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 1 and len(ledger.steps()) == 1


KILLED_MID_CONFIRMATION = """
import os, signal, sys
from providers.backends.ledger import Ledger
ledger = Ledger(sys.argv[1])
conn_factory = ledger._conn
def killer(*a, **k):
    cm = conn_factory(*a, **k)
    class Dying:
        def __enter__(self):
            conn = cm.__enter__()
            conn.execute("INSERT INTO events (step_id, state, by, os_user, at) "
                         "VALUES (1, 'done', 'ghost', 'ghost', 'now')")
            os.kill(os.getpid(), signal.SIGKILL)  # before COMMIT
        def __exit__(self, *exc):
            return cm.__exit__(*exc)
    return Dying()
ledger._conn = killer
ledger.mark([1], "done", by="ghost")
"""


def test_a_kill_in_the_middle_of_a_confirmation_loses_nothing_and_half_does_nothing(
    ledger: Ledger,
) -> None:
    step = raise_step(ledger)
    proc = subprocess.run([sys.executable, "-c", KILLED_MID_CONFIRMATION, str(ledger.path)],
                          cwd=REPO, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    [after] = ledger.steps()
    assert (after.id, after.state) == (step.id, "open")
    ledger.mark([step.id], "done", by="小王")  # and it still works
    assert ledger.steps("done")[0].state_by == "小王"


# --- the ledger connector -----------------------------------------------------------------


@pytest.fixture
def connector(ledger: Ledger) -> LedgerBackend:
    org = load_org(REPO / "org.yaml")
    return LedgerBackend(ledger, org, frozenset({"sp-youpin", "oz-youpin", "dy-youpin"}))


def test_a_write_is_a_manual_step_with_a_runbook_never_done(connector: LedgerBackend) -> None:
    with pytest.raises(ManualStepRequired) as caught:
        connector.create_sub_account("sp-youpin", SubAccountSpec("zhu-yan", "zhuyan", "朱燕"))
    assert caught.value.runbook.page == "Shopee Seller Centre › Sub Account Platform › Members"
    assert caught.value.runbook.person == "朱燕 (zhu-yan)"
    assert connector.list_sub_accounts("sp-youpin") == []


def test_a_confirmed_step_is_what_a_read_returns_and_a_confirmed_delete_removes_it(
    connector: LedgerBackend, ledger: Ledger,
) -> None:
    desired = {"account_id": "sp-youpin", "member_id": "zhu-yan", "login": "zhuyan",
               "display_name": "朱燕", "department_id": None, "email": None, "phone": None,
               "dispatch": False, "two_factor": False, "enabled": False}
    step = raise_step(ledger, desired=desired)
    assert connector.get_sub_account("sp-youpin", "zhu-yan") is None
    ledger.mark([step.id], "done", by="小王")
    sub = connector.get_sub_account("sp-youpin", "zhu-yan")
    assert sub is not None and (sub.login, sub.status) == ("zhuyan", "disabled")
    with pytest.raises(ManualStepRequired, match="delete"):
        connector.delete_sub_account("sp-youpin", "zhu-yan")
    gone = raise_step(ledger, operation="delete", desired=None)
    ledger.mark([gone.id], "done", by="小王")
    assert connector.get_sub_account("sp-youpin", "zhu-yan") is None
    with pytest.raises(NotFoundError):
        connector.delete_sub_account("sp-youpin", "zhu-yan")


def test_an_unchanged_grant_needs_no_step(connector: LedgerBackend, ledger: Ledger) -> None:
    step = raise_step(ledger, kind="role_grant", name="sp-youpin/zhu-yan@sp-my", desired={
        "account_id": "sp-youpin", "member_id": "zhu-yan", "login": "zhuyan",
        "shop_id": "sp-my", "role_ids": ["sp-cs"]})
    ledger.mark([step.id], "done", by="小王")
    grant = connector.set_grant("sp-youpin", GrantSpec("zhu-yan", "sp-my", ("sp-cs",)))
    assert grant.role_ids == ("sp-cs",)
    with pytest.raises(ManualStepRequired):
        connector.set_grant("sp-youpin", GrantSpec("zhu-yan", "sp-my", ("sp-cs", "sp-ops")))


def test_accounts_are_org_yaml_facts_and_others_are_not_served(connector: LedgerBackend) -> None:
    assert [a.id for a in connector.list_accounts()] == ["dy-youpin", "oz-youpin", "sp-youpin"]
    with pytest.raises(NotFoundError, match="not served by the ledger"):
        connector.list_roles("tb-youpin")


def test_a_sub_account_step_in_the_ledger_never_holds_its_initial_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from providers.backends.settings import BackendSettings
    from providers.resources import sub_account

    password = "initial-Pa55-" + "x" * 12
    monkeypatch.setattr(sub_account.secrets, "token_urlsafe", lambda n: password)
    monkeypatch.setenv("SHOPORG_LEDGER", str(tmp_path / "ledger.db"))
    provider = sub_account.SubAccountProvider()
    provider._settings = BackendSettings.from_config(
        {"backend": "ledger", "orgFile": str(REPO / "org.yaml")}.get, tmp_path)
    props = {"account_id": "oz-youpin", "member_id": "huang-li", "login": "huang.li",
             "display_name": "黄丽", "department_id": None,
             "email": "huang.li@youpin-ec.com", "phone": None, "dispatch": False,
             "two_factor": False, "enabled": True}
    result = provider.create(props)
    assert result.outs is not None and result.outs["status"] == "pending"
    step_id = result.outs["manual_step"]["step"]
    ledger = Ledger(tmp_path / "ledger.db")
    assert [s.id for s in ledger.steps("open")] == [step_id]
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("ledger.db*"))
    assert password.encode() not in stored
    assert b"huang.li@youpin-ec.com" in stored  # the desired values are there
