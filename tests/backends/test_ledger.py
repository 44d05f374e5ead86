"""The manual-step ledger: append-only, idempotent, all-or-none, safe with several operators
and a kill at any moment; and the ledger connector that reads objects back from it.

Every store and connector case runs on both homes of a ledger: a SQLite file and a
PostgreSQL database (a fresh database per case on a throw-away cluster, :mod:`tests.pg`;
skipped locally without the server binaries, failed under ``CI=true``)."""

from __future__ import annotations

import datetime
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from shoporg.backends.ledger import Ledger, LedgerError
from shoporg.backends.ledger.backend import LedgerBackend
from shoporg.backends.ledger.dialect import SCHEMA, is_url, masked
from shoporg.backends.ledger.store import ReviewLine
from shoporg.backends.protocol import GrantSpec, SubAccountSpec
from shoporg.errors import ManualStepRequired, NotFoundError
from shoporg.schema import load_org
from tests.pg import Server, cluster

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


@pytest.fixture(scope="module")
def pg_server() -> Iterator[Server]:
    with cluster() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a fresh ledger lives: a file path, or a URL of an empty database."""
    if request.param == "sqlite":
        return str(tmp_path / "ledger.db")
    server: Server = request.getfixturevalue("pg_server")
    return server.database_url(server.new_database("ledger"), scheme="postgresql")


@pytest.fixture
def ledger(target: str) -> Ledger:
    return Ledger(target, clock=lambda: T0)


def run_python(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", script, *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})


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


def test_stacks_sharing_a_ledger_each_see_only_their_own_steps(target: str) -> None:
    dev, prod = (Ledger(target, clock=lambda: T0, stack=name) for name in ("dev", "prod"))
    mine = raise_step(dev)
    theirs = raise_step(prod)  # the same object and values: a step of its own
    assert mine.id != theirs.id and (mine.stack, theirs.stack) == ("dev", "prod")
    assert [s.id for s in dev.steps("open")] == [mine.id]
    assert [s.id for s in prod.steps("open")] == [theirs.id]
    with pytest.raises(LedgerError, match=f"step {theirs.id} is stack prod's, not dev's"):
        dev.mark([theirs.id], "done", by="小王")
    dev.mark([mine.id], "done", by="小王")
    assert set(dev.confirmed()) == {("sub_account", "sp-youpin/zhu-yan")}
    assert prod.confirmed() == {}  # dev's confirmation is not prod's object
    assert prod.steps("open")[0].state == "open"  # and did not supersede prod's step
    dev.attest([("sub_account", "sp-youpin/zhu-yan", "sp-youpin")], by="陈静")
    assert set(dev.verified_at()) == {("sub_account", "sp-youpin/zhu-yan")}
    everyone = Ledger(target, clock=lambda: T0)  # no stack: every stack's steps
    assert {s.id for s in everyone.steps()} == {mine.id, theirs.id}


def test_steps_recorded_before_stacks_were_told_apart_are_every_stacks(target: str) -> None:
    old = raise_step(Ledger(target, clock=lambda: T0))
    dev = Ledger(target, clock=lambda: T0, stack="dev")
    assert [s.id for s in dev.steps("open")] == [old.id]
    assert raise_step(dev).id == old.id  # adopted, not raised twice


def test_a_ledger_written_before_stacks_were_told_apart_opens_and_gains_their_tables(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    with closing(sqlite3.connect(path)) as conn:  # the three tables of an older shoporg
        from shoporg.backends.ledger.store import _TABLES

        conn.executescript(_TABLES.split("CREATE TABLE IF NOT EXISTS step_stacks")[0]
                           .format(id="INTEGER PRIMARY KEY AUTOINCREMENT"))
    step = raise_step(Ledger(path, clock=lambda: T0, stack="prod"))
    assert (step.stack, Ledger(path).steps()[0].stack) == ("prod", "prod")


@contextmanager
def outside_connection(target: str) -> Iterator[tuple[Callable[..., Any], type[Exception], str]]:
    """A connection of someone other than shoporg (sqlite3, psql): how it executes, the error
    a refused write raises, and the tables' prefix."""
    if is_url(target):
        with psycopg.connect(target, autocommit=True) as pg:
            yield pg.execute, psycopg.IntegrityError, f"{SCHEMA}."
    else:
        with closing(sqlite3.connect(target, isolation_level=None)) as lite:
            yield lite.execute, sqlite3.IntegrityError, ""


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("UPDATE {t}steps SET kind = kind", id="a step cannot be changed"),
        pytest.param("DELETE FROM {t}steps", id="a step cannot be deleted"),
        pytest.param("UPDATE {t}events SET state = state", id="an event cannot be changed"),
        pytest.param("DELETE FROM {t}events", id="an event cannot be deleted"),
        pytest.param("UPDATE {t}attestations SET note = note",
                     id="an attestation cannot be changed"),
        pytest.param("DELETE FROM {t}attestations", id="an attestation cannot be deleted"),
        pytest.param("TRUNCATE {t}events", id="a table cannot be emptied at once"),
        pytest.param("UPDATE {t}access_decisions SET decision = 'revoke'",
                     id="an access-review decision cannot be changed"),
        pytest.param("DELETE FROM {t}access_decisions",
                     id="an access-review decision cannot be deleted"),
        pytest.param("DELETE FROM {t}access_review_lines", id="nor the lines it decides"),
        pytest.param("UPDATE {t}access_reviews SET deadline = '2099-01-01'",
                     id="nor a review's deadline"),
        pytest.param("DELETE FROM {t}drift_runs", id="a recorded drift run cannot be deleted"),
    ],
)
def test_the_ledger_is_append_only(ledger: Ledger, target: str, statement: str) -> None:
    raise_step(ledger)
    ledger.attest([("sub_account", "sp-youpin/zhu-yan", "sp-youpin")], by="x")
    line = ReviewLine("sp-youpin/zhu-yan@sp-my", "zhu-yan", "sp-youpin", "sp-my", ("sp-cs",))
    ledger.open_review("q4", scope={}, deadline=datetime.date(2026, 12, 31), fallback="flag",
                       lines=[line], by="x")
    ledger.decide("q4", ["zhu-yan"], "keep", by="x")
    ledger.record_drift(exit_code=0, counts={"drifted": 0}, findings=[], by="x")
    if statement.startswith("TRUNCATE") and not is_url(target):
        pytest.skip("SQLite has no TRUNCATE (its DELETE is refused above)")
    with outside_connection(target) as (execute, refused, prefix):
        with pytest.raises(refused, match="append-only"):
            execute(statement.format(t=prefix))
    assert len(ledger.steps()) == 1 and len(ledger.history(1)) == 1


CONFIRM = """
import sys
from shoporg.backends.ledger import Ledger, LedgerError
try:
    Ledger(sys.argv[1]).mark([int(sys.argv[2])], "done", by=sys.argv[3])
    print("ok")
except LedgerError as exc:
    print(exc)
"""


def test_two_operators_confirming_at_once_record_one_confirmation(
    ledger: Ledger, target: str
) -> None:
    step = raise_step(ledger)
    procs = [run_python(CONFIRM, target, str(step.id), who) for who in ("a", "b")]
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
from shoporg.backends.ledger import Ledger
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
    ledger: Ledger, target: str
) -> None:
    step = raise_step(ledger)
    proc = run_python(KILLED_MID_CONFIRMATION, target)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, stderr
    [after] = ledger.steps()
    assert (after.id, after.state) == (step.id, "open")
    ledger.mark([step.id], "done", by="小王")  # and it still works
    assert ledger.steps("done")[0].state_by == "小王"


CREATE_AND_RAISE = """
import sys
from shoporg.backends.ledger import Ledger
step = Ledger(sys.argv[1]).raise_step(
    kind="sub_account", name="sp-youpin/zhu-yan", account="sp-youpin", platform="shopee",
    operation="create", desired={"login": "zy"}, page="p", person=None, runbook="r")
print(step.id)
"""


def test_processes_creating_and_raising_in_a_new_ledger_at_once_agree_on_one_step(
    target: str,
) -> None:
    procs = [run_python(CREATE_AND_RAISE, target) for _ in range(4)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err for _, err in results]
    assert {out.strip() for out, _ in results} == {"1"}
    assert len(Ledger(target).steps()) == 1


# --- a PostgreSQL URL: where it comes from, and its password never shown -------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        pytest.param("postgresql://shoporg:s3cret@db:5432/ledger",
                     "postgresql://shoporg:***@db:5432/ledger", id="a password after the user"),
        pytest.param("postgres://shoporg@db/ledger?password=s3cret&sslmode=require",
                     "postgres://shoporg@db/ledger?password=***&sslmode=require",
                     id="a password parameter"),
        pytest.param("postgresql://shoporg@db/ledger", "postgresql://shoporg@db/ledger",
                     id="no password, nothing hidden"),
    ],
)
def test_a_url_is_shown_with_its_password_masked(url: str, shown: str) -> None:
    assert masked(url) == shown
    assert Ledger(url).location == shown and "s3cret" not in repr(Ledger(url))


def test_a_ledger_server_that_cannot_be_reached_is_named_without_its_password() -> None:
    from tests.pg import free_port

    ledger = Ledger(f"postgresql://shoporg:s3cret@127.0.0.1:{free_port()}/ledger")
    with pytest.raises(LedgerError) as caught:
        ledger.steps()
    assert "cannot open the ledger at postgresql://shoporg:***@127.0.0.1" in str(caught.value)
    assert "s3cret" not in str(caught.value) and caught.value.__cause__ is None


@pytest.mark.parametrize(
    ("env", "config", "expected"),
    [
        pytest.param(None, "postgres://shoporg@db/ledger", "postgres://shoporg@db/ledger",
                     id="a URL in stack config is kept as given"),
        pytest.param("postgresql://ci@127.0.0.1/ledger", ".shoporg/ledger.db",
                     "postgresql://ci@127.0.0.1/ledger", id="SHOPORG_LEDGER wins with a URL"),
        pytest.param(None, "ledgers/team.db", "{root}/ledgers/team.db",
                     id="a relative file is under the project root"),
    ],
)
def test_the_ledger_setting_takes_a_file_or_a_postgres_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str | None, config: str,
    expected: str,
) -> None:
    from shoporg.backends.settings import BackendSettings

    (tmp_path / "Pulumi.yaml").write_text("name: t\n")
    if env is None:
        monkeypatch.delenv("SHOPORG_LEDGER", raising=False)
    else:
        monkeypatch.setenv("SHOPORG_LEDGER", env)
    settings = BackendSettings.from_config({"ledgerPath": config}.get, tmp_path)
    assert settings.ledger_path == expected.format(root=tmp_path.resolve())
    secret = BackendSettings(ledger_path="postgresql://u:s3cret@db/ledger")
    assert "s3cret" not in repr(secret)


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


def test_a_role_grant_step_names_the_roles_as_the_seller_centre_shows_them(
    connector: LedgerBackend,
) -> None:
    with pytest.raises(ManualStepRequired) as caught:
        connector.set_grant("sp-youpin", GrantSpec("zhu-yan", "sp-sg", ("sp-ops",)))
    names = {r.id: r.name for r in load_org(REPO / "org.yaml").roles}
    assert caught.value.runbook.fields["roles"] == names["sp-ops"]  # was: "sp-ops", the id


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
    from shoporg.backends.settings import BackendSettings
    from shoporg.resources import sub_account

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
