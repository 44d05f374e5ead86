"""``shoporg sandbox ...``: hand changes made on the command line are real, visible drift."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from shoporg.backends.sandbox import SandboxBackend
from shoporg.cli.main import main
from shoporg.errors import ThrottledError
from shoporg.kinds import KINDS

FIXTURE = Path(__file__).parents[1] / "fixtures" / "sandbox" / "org.yaml"
REPO_ORG = Path(__file__).parents[2] / "org.yaml"


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "sandbox.db"
    monkeypatch.setenv("SHOPORG_SANDBOX", str(path))
    monkeypatch.setenv("SHOPORG_COMPANY", "acme")
    monkeypatch.delenv("SHOPORG_SANDBOX_FAULTS", raising=False)
    assert main(["sandbox", "init", "--org", str(FIXTURE)]) == 0
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["sandbox", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def backend(path: Path) -> SandboxBackend:
    return SandboxBackend(path, "acme", environ={})


def test_init_registers_the_accounts_and_shops_of_an_org_file(
    sandbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "ls", "accounts", "--json")
    assert code == 0
    accounts = {a["id"]: a for a in json.loads(out)}
    assert set(accounts) == {"tb", "sp", "oz", "dy"}
    assert (accounts["tb"]["seat_quota"], accounts["dy"]["seat_quota"]) == (5, 3)
    code, out, _ = run(capsys, "ls", "shops", "--json")
    shops = {(s["account_id"], s["id"], s["site"]) for s in json.loads(out)}
    assert shops == {
        ("tb", "tb", None),
        ("sp", "sp-my", "MY"),
        ("sp", "sp-sg", "SG"),
        ("oz", "oz-shop", None),
        ("dy", "dy", None),
    }


def test_init_is_idempotent_and_reads_the_repository_org_yaml(
    sandbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "init", "--org", str(FIXTURE))[0] == 0
    code, out, _ = run(capsys, "--company", "youpin", "init", "--org", str(REPO_ORG))
    assert code == 0 and "6 account(s)" in out
    assert len(backend(sandbox).list_accounts()) == 4


def test_a_sub_account_created_and_disabled_by_hand_is_drift_the_backend_sees(
    sandbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "sub", "create", "tb", "alice", "acme旗舰店:alice", "--name", "王丽")[0] == 0
    code, out, _ = run(capsys, "sub", "disable", "tb", "alice")
    assert code == 0 and "disabled" in out
    sub = backend(sandbox).get_sub_account("tb", "alice")
    assert sub is not None and (sub.display_name, sub.status) == ("王丽", "disabled")
    assert run(capsys, "sub", "enable", "tb", "alice")[0] == 0
    assert run(capsys, "sub", "set", "tb", "alice", "--phone", "13800000000")[0] == 0
    sub = backend(sandbox).get_sub_account("tb", "alice")
    assert sub is not None and (sub.status, sub.phone) == ("active", "13800000000")
    assert run(capsys, "sub", "delete", "tb", "alice")[0] == 0
    assert backend(sandbox).get_sub_account("tb", "alice") is None


def test_a_rule_violation_exits_1_with_the_where_and_what(
    sandbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "sub", "create", "tb", "alice", "alice")
    assert code == 1
    assert "sub_account 'tb/alice': create_sub_account failed" in err
    assert "Traceback" not in err


def test_departments_roles_grants_and_revokes_by_hand(
    sandbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "dept", "add", "tb", "cs", "客服部")[0] == 0
    assert run(capsys, "dept", "add", "tb", "cs-pre", "售前", "--parent", "cs")[0] == 0
    assert run(capsys, "role", "add", "tb", "cs", "客服", "ww-chat")[0] == 0
    assert run(capsys, "role", "add", "tb", "ops", "运营", "item-edit")[0] == 0
    assert (
        run(capsys, "sub", "create", "tb", "bob", "acme旗舰店:bob", "--department", "cs-pre")[0]
        == 0
    )
    assert run(capsys, "grant", "tb", "bob", "tb", "cs", "ops")[0] == 0
    grant = backend(sandbox).get_grant("tb", "bob", "tb")
    assert grant is not None and grant.role_ids == ("cs", "ops")
    assert run(capsys, "revoke", "tb", "bob", "tb", "ops")[0] == 0
    grant = backend(sandbox).get_grant("tb", "bob", "tb")
    assert grant is not None and grant.role_ids == ("cs",)
    assert run(capsys, "revoke", "tb", "bob", "tb", "cs")[0] == 0
    assert backend(sandbox).get_grant("tb", "bob", "tb") is None
    assert run(capsys, "dept", "rm", "tb", "cs")[0] == 1  # still has a sub-department
    assert run(capsys, "role", "rm", "tb", "ops")[0] == 0


def test_the_clock_unlocks_a_channel_unbind_after_180_days(
    sandbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "bind", "dy", "dy", "channel", "tt-1", "--source", "toutiao")[0] == 0
    code, _, err = run(capsys, "unbind", "dy", "dy", "tt-1")
    assert code == 1 and "180 days after binding" in err
    code, out, _ = run(capsys, "clock", "advance", "181d")
    assert code == 0 and "+181d" in out
    assert run(capsys, "unbind", "dy", "dy", "tt-1")[0] == 0
    assert run(capsys, "clock", "reset")[0] == 0


def test_shopee_activation_expires_and_invite_again_renews_it(
    sandbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "account", "sp2", "shopee", "beta.main", "--pending-activation")[0] == 0
    assert run(capsys, "clock", "advance", "73h")[0] == 0
    code, _, err = run(capsys, "shopee", "activate", "sp2")
    assert code == 1 and "invite again" in err
    assert run(capsys, "shopee", "invite", "sp2")[0] == 0
    assert run(capsys, "shopee", "activate", "sp2")[0] == 0
    account = backend(sandbox).get_account("sp2")
    assert account is not None and account.activated


def test_passwords_come_from_stdin_and_the_wallet_rule_applies(
    sandbox: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Same-Pass-1\n"))
    assert run(capsys, "shopee", "shop-password", "sp")[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("Same-Pass-1\n"))
    code, _, err = run(capsys, "shopee", "wallet-password", "sp")
    assert code == 1 and "must differ from the shop password" in err
    monkeypatch.setattr("sys.stdin", io.StringIO("Wallet-Pass-2\n"))
    assert run(capsys, "shopee", "wallet-password", "sp")[0] == 0
    code, out, _ = run(capsys, "audit", "--json")
    assert "Same-Pass-1" not in out and "Wallet-Pass-2" not in out


def test_ozon_email_confirmation_by_hand_activates_the_user(
    sandbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "sub", "create", "oz", "ivan", "ivan", "--email", "ivan@example.com")[0] == 0
    code, out, _ = run(capsys, "confirm-email", "oz", "ivan")
    assert code == 0 and "active" in out


def test_creator_consent_and_gmv_set_by_hand_allow_a_self_operated_binding(
    sandbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "gmv", "creator-9", "80", "--shop", "dy", "--days-ago", "2")[0] == 0
    assert run(capsys, "gmv", "creator-9", "20", "--elsewhere", "rival")[0] == 0
    assert run(capsys, "bind", "dy", "dy", "self_operated", "creator-9")[0] == 1
    assert run(capsys, "consent", "creator-9", "dy")[0] == 0
    assert run(capsys, "bind", "dy", "dy", "self_operated", "creator-9")[0] == 0


def test_closing_the_sub_account_service_disables_everyone(
    sandbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for m in ("a", "b"):
        assert run(capsys, "sub", "create", "tb", m, f"acme旗舰店:{m}")[0] == 0
    assert run(capsys, "service", "tb", "off")[0] == 0
    assert {s.status for s in backend(sandbox).list_sub_accounts("tb")} == {"disabled"}
    assert run(capsys, "seats", "tb", "1")[0] == 0


def test_faults_are_set_shown_and_cleared(
    sandbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "faults", "set", "seed=4", "throttle_rate=1", "retry_after=3")
    assert code == 0 and '"throttle_rate": 1.0' in out
    with pytest.raises(ThrottledError, match="retry after 3s"):
        backend(sandbox).list_accounts()
    code, _, err = run(capsys, "faults", "set", "nonsense=1")
    assert code == 2 and "unknown fault setting" in err
    code, out, _ = run(capsys, "faults", "clear")
    assert code == 0 and out.strip() == "faults: {}"
    assert backend(sandbox).list_accounts()


def test_the_audit_log_names_the_seller_center_as_actor(
    sandbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "sub", "create", "tb", "alice", "acme旗舰店:alice")[0] == 0
    code, out, _ = run(capsys, "audit", "--kind", "sub_account")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2 and "seller-center" in lines[1] and "sub_account:tb/alice" in lines[1]


def test_stats_persist_provider_calls_once_enabled(
    sandbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "stats", "--enable")[0] == 0
    b = backend(sandbox)
    b.list_sub_accounts("tb")
    b.list_sub_accounts("sp")
    code, out, _ = run(capsys, "stats")
    assert code == 0 and "list_sub_accounts  2" in out


def test_ls_shows_every_kind_as_tables(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "--account", "sp")
    assert code == 0
    for heading in ("accounts", "shops", *(kind.table for kind in KINDS)):
        assert f"\n{heading}\n" in f"\n{out}"
    assert run(capsys, "ls", "--account", "ghost")[0] == 1


def test_init_with_an_invalid_org_file_registers_nothing_and_prints_the_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "sandbox.db"
    monkeypatch.setenv("SHOPORG_SANDBOX", str(path))
    bad = tmp_path / "org.yaml"
    bad.write_text(FIXTURE.read_text().replace("seat_quota: 5", "seat_quota: lots", 1))
    assert main(["sandbox", "init", "--org", str(bad)]) == 1
    assert "org.yaml:7:17: seat_quota" in capsys.readouterr().err
    assert SandboxBackend(path, environ={}).list_accounts() == []


def test_init_with_demo_creators_lets_the_declared_self_operated_binding_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHOPORG_SANDBOX", str(tmp_path / "sandbox.db"))
    monkeypatch.delenv("SHOPORG_SANDBOX_FAULTS", raising=False)
    assert main(["sandbox", "init", "--org", str(REPO_ORG), "--demo-creators"]) == 0
    assert "1 creator(s) consented" in capsys.readouterr().out
    b = SandboxBackend(tmp_path / "sandbox.db", environ={})
    from shoporg.backends.protocol import BindingSpec

    bound = b.bind("dy-youpin", BindingSpec("dy-youpin-shop", "self_operated", "xiaoyu_shuma"))
    assert bound.kind == "self_operated"
