"""The sandbox file itself: persistence across processes, concurrency, migrations, the audit
log's immutability, and secrets that never reach a table in plaintext."""

from __future__ import annotations

import gc
import re
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from shoporg.backends.protocol import GrantSpec, RoleSpec, SubAccountSpec
from shoporg.backends.sandbox import SandboxBackend, SellerCenter
from shoporg.backends.sandbox.schema import BASE, Migration, in_order, migrations, schema_version
from shoporg.errors import ShoporgError


def _sandbox(path: Path, company: str = "acme", seats: int = 1000) -> SandboxBackend:
    backend = SandboxBackend(path, company, environ={})
    SellerCenter(backend).register_account("tb", "taobao", "acme旗舰店", seats)
    SellerCenter(backend).add_shop("tb", "tb-shop", "Acme", None)
    return backend


def _spec(member: str) -> SubAccountSpec:
    return SubAccountSpec(member_id=member, login=f"acme旗舰店:{member}", display_name=member)


def _python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


WRITER = """
    import sys
    from shoporg.backends.protocol import SubAccountSpec
    from shoporg.backends.sandbox import SandboxBackend
    path, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    b = SandboxBackend(path, "acme", environ={})
    for i in range(count):
        m = f"{prefix}{i}"
        b.create_sub_account("tb", SubAccountSpec(m, f"acme旗舰店:{m}", m))
    print(len(b.list_sub_accounts("tb")))
    b.close()
"""


def test_a_write_survives_the_process_and_another_process_builds_on_it(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    backend = _sandbox(path)
    backend.create_sub_account("tb", _spec("alice"))
    backend.close()

    child = _python(WRITER, str(path), "child", "1")
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert out.strip() == "2"  # alice from the parent + child0

    reopened = SandboxBackend(path, "acme", environ={})
    assert [s.member_id for s in reopened.list_sub_accounts("tb")] == ["alice", "child0"]
    reopened.close()


def test_threads_and_two_processes_write_at_once_without_losing_anything(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    backend = _sandbox(path)
    backend.create_role("tb", RoleSpec("r", "客服", ("ww-chat",)))
    per_process, threads = 150, 6
    children = [_python(WRITER, str(path), f"p{n}-", str(per_process)) for n in range(2)]
    stop = threading.Event()
    made = [0] * threads
    errors: list[BaseException] = []

    # The threads write for as long as the processes run, so all four writers overlap.
    def work(t: int) -> None:
        try:
            while not stop.is_set() or made[t] < 10:
                member = f"t{t}-{made[t]}"
                backend.create_sub_account("tb", _spec(member))
                backend.set_grant("tb", GrantSpec(member, "tb-shop", ("r",)))
                backend.list_sub_accounts("tb")
                made[t] += 1
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    try:
        for child in children:
            _, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
            assert "locked" not in err
    finally:
        stop.set()
        for thread in pool:
            thread.join()
    assert errors == []

    expected = 2 * per_process + sum(made)
    assert len(backend.list_sub_accounts("tb")) == expected
    assert len(backend.list_grants("tb")) == sum(made)
    created = SellerCenter(backend).audit_log(kind="sub_account")
    assert len(created) == expected
    backend.close()


def test_a_fresh_file_is_migrated_to_the_current_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _sandbox(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema_version()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_a_file_at_an_older_version_gets_only_the_migrations_after_it(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    conn = sqlite3.connect(path)
    conn.executescript(BASE.sql)
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    SandboxBackend(path, "acme").list_accounts()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema_version()
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"accounts", "kuaishou_staff"} <= tables
    conn.close()


def test_a_table_is_a_migration_declared_by_the_module_that_keeps_it() -> None:
    from shoporg.backends.sandbox import kuaishou_staff

    assert migrations()[:2] == (BASE, kuaishou_staff.MIGRATION)
    assert [step.number for step in migrations()] == list(range(1, schema_version() + 1))


def test_opening_a_file_imports_no_endpoint_to_find_the_migrations(tmp_path: Path) -> None:
    """Only modules whose source declares ``MIGRATION`` are imported: a provider process
    opening its sandbox does not load the TOP and Kuaishou endpoints (an HTTP server each)."""
    script = textwrap.dedent(f"""
        import sys
        from shoporg.backends.sandbox import SandboxBackend
        SandboxBackend({str(tmp_path / "s.db")!r}, "acme").list_accounts()
        print(sorted(m for m in sys.modules if m.endswith(("_server", "_protocol"))))
        print("shoporg.backends.sandbox.kuaishou_staff" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[:2] == ["[]", "True"]


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        pytest.param(
            {"a": Migration(1, ""), "b": Migration(1, "")},
            "numbered twice: {1: ['a', 'b']}",
            id="two modules declaring one number are refused naming both",
        ),
        pytest.param(
            {"a": Migration(1, ""), "c": Migration(3, "")},
            "without a gap",
            id="a gap in the numbers is refused",
        ),
        pytest.param(
            {"b": Migration(2, "")},
            "without a gap",
            id="numbers that do not start at one are refused",
        ),
    ],
)
def test_migrations_out_of_order_are_refused_before_any_file_is_touched(
    declared: dict[str, Migration], message: str
) -> None:
    with pytest.raises(RuntimeError, match=re.escape(message)):
        in_order(declared)


def test_migrations_are_applied_in_number_order_whatever_order_they_are_found_in() -> None:
    second, first = Migration(2, "B"), Migration(1, "A")
    assert in_order({"z": second, "a": first}) == (first, second)


def test_a_file_from_a_newer_shoporg_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _sandbox(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {schema_version() + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer than this shoporg"):
        SandboxBackend(path, "acme").list_accounts()


def test_a_refused_file_leaves_no_connection_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.db"
    _sandbox(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {schema_version() + 1}")
    conn.close()
    opened: list[sqlite3.Connection] = []
    connect = sqlite3.connect

    def recording_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(sqlite3, "connect", recording_connect)
    backend = SandboxBackend(path, "acme")
    with pytest.raises(RuntimeError, match="newer than this shoporg"):
        backend.list_accounts()
    assert len(opened) == 1
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        opened[0].execute("SELECT 1")
    backend.close()


def test_a_dropped_backend_closes_the_connections_of_every_thread(tmp_path: Path) -> None:
    backend = _sandbox(tmp_path / "s.db")
    conns = [backend.connection()]
    worker = threading.Thread(target=lambda b: conns.append(b.connection()), args=(backend,))
    worker.start()
    worker.join()
    assert len(conns) == 2 and conns[0] is not conns[1]
    del backend, worker
    gc.collect()
    for conn in conns:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            conn.execute("SELECT 1")


AUDIT_REWRITES = [
    pytest.param("UPDATE audit_log SET actor = 'mallory'", id="an audit entry cannot be edited"),
    pytest.param("DELETE FROM audit_log", id="an audit entry cannot be deleted"),
]


@pytest.mark.parametrize("statement", AUDIT_REWRITES)
def test_the_audit_log_is_append_only(tmp_path: Path, statement: str) -> None:
    path = tmp_path / "s.db"
    backend = _sandbox(path)
    backend.create_sub_account("tb", _spec("alice"))
    before = SellerCenter(backend).audit_log()
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(statement)
    conn.close()
    assert SellerCenter(backend).audit_log() == before
    backend.close()


def test_the_audit_log_records_every_mutation_with_before_and_after(tmp_path: Path) -> None:
    backend = _sandbox(tmp_path / "s.db")
    backend.create_sub_account("tb", _spec("alice"))
    backend.set_sub_account_status("tb", "alice", "disabled")
    backend.set_sub_account_status("tb", "alice", "disabled")  # no change, no entry
    backend.delete_sub_account("tb", "alice")
    entries = SellerCenter(backend).audit_log(kind="sub_account")
    assert [(e.operation, e.name) for e in entries] == [
        ("create_sub_account", "tb/alice"),
        ("set_sub_account_status", "tb/alice"),
        ("delete_sub_account", "tb/alice"),
    ]
    created, disabled, deleted = entries
    assert created.before is None and created.after is not None
    assert disabled.before is not None and disabled.before["status"] == "active"
    assert disabled.after is not None and disabled.after["status"] == "disabled"
    assert deleted.after is None
    assert {e.actor for e in entries} == {"shoporg"}
    backend.close()


def test_a_refused_change_leaves_no_trace(tmp_path: Path) -> None:
    backend = _sandbox(tmp_path / "s.db", seats=1)
    backend.create_sub_account("tb", _spec("alice"))
    count = len(SellerCenter(backend).audit_log())
    with pytest.raises(ShoporgError):
        backend.create_sub_account("tb", _spec("bob"))
    assert len(SellerCenter(backend).audit_log()) == count
    assert backend.get_sub_account("tb", "bob") is None
    backend.close()


def test_no_secret_reaches_the_file_in_plaintext(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    backend = SandboxBackend(path, "acme", environ={})
    sc = SellerCenter(backend)
    sc.register_account("sp", "shopee", "acme.main", 5)
    sc.add_shop("sp", "sp-my", "MY", "MY")
    secrets = ["Init-Secret-7731", "Shop-Secret-5512", "Wallet-Secret-9904"]
    backend.create_sub_account(
        "sp", SubAccountSpec("bob", "acme.main:bob", "Bob"), initial_password=secrets[0]
    )
    sc.set_shop_password("sp", secrets[1])
    backend.set_wallet_password("sp", secrets[2])
    backend.close()
    conn = sqlite3.connect(path)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    dump = "\n".join(
        repr(row) for table in tables for row in conn.execute(f"SELECT * FROM {table}")
    )
    conn.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("s.db"))
    for secret in secrets:
        assert secret not in dump
        assert secret.encode() not in raw
    assert "pbkdf2_sha256$" in dump  # the hashes are there, salted
