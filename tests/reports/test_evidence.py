"""``shoporg evidence``: a quarter of an organization's history, as an auditor receives it.

A real git history of org.yaml (authors, the lead who merges, commit dates), the apply
journal's lines for each merge, and a real ledger in which a Shopee change (no API) was
raised and confirmed by an operator: the pack for April–June must give, for one person,
every grant change of the quarter with its commit, approver of record, apply and
confirmation, the access at the quarter's start and end, and nothing from outside it. A
changed, removed or added file fails the check — ours and ``sha256sum -c``, which we did not
write.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from shoporg.backends.ledger.store import Ledger
from shoporg.backends.settings import BackendSettings
from shoporg.cli.main import main
from shoporg.kinds import ROLE_GRANT
from shoporg.reports.evidence import MANIFEST, collect, verify, write_pack

ORG = """\
company: 测试电商
accounts:
  - id: tb-main
    platform: taobao
    nick: 测试专营
    seat_quota: 5
    shops: [{{id: tb-shop, name: 测试专营店}}]
  - id: sp-main
    platform: shopee
    nick: test.shop
    seat_quota: 5
    shops: [{{id: sp-my, name: Test MY, site: MY}}]
departments: [{{id: cs, name: 客服部}}]
roles:
  - {{id: tb-presale, platform: taobao, name: 售前, permissions: [ww-chat, trade-view]}}
  - id: tb-aftersale
    platform: taobao
    name: 售后
    permissions: [ww-chat, trade-view, refund-view, refund-approve]
  - {{id: sp-cs, platform: shopee, name: CS, permissions: [chat-reply, order-view]}}
  - id: sp-aftersale
    platform: shopee
    name: After-sales
    permissions: [chat-reply, order-view, return-approve]
members:
  - id: zhang-wei
    name: 张伟
    department: cs
    phone: "13800010001"
    email: zhang.wei@example.com
    sub_accounts:
      - {{account: tb-main, login_name: 张伟, roles: [{tb}]}}
      - {{account: sp-main, login_name: zhangwei, roles: [{sp}]}}
{extra}"""
LI_NA = """\
  - id: li-na
    name: 李娜
    department: cs
    phone: "13800010002"
    sub_accounts:
      - {account: tb-main, login_name: 李娜, roles: [tb-presale]}
"""
#: (date, author, message, taobao role, shopee role, more members): org.yaml's history.
HISTORY = [
    ("2026-03-20", "alice", "start", "tb-presale", "sp-cs", ""),
    ("2026-04-10", "bob", "张伟 handles refunds on Taobao", "tb-aftersale", "sp-cs", ""),
    ("2026-05-15", "bob", "张伟 handles returns on Shopee", "tb-aftersale", "sp-aftersale", ""),
    ("2026-07-02", "alice", "hire 李娜", "tb-aftersale", "sp-aftersale", LI_NA),
]
APPROVER = "Lead Chen <lead@example.com>"
START, END = datetime.date(2026, 4, 1), datetime.date(2026, 6, 30)


def at(day: str, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00")


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, BackendSettings]:
    root = tmp_path / "org-repo"
    root.mkdir()
    git = shutil.which("git")
    assert git is not None
    subprocess.run([git, "init", "-q"], cwd=root, check=True)
    journal = []
    for day, author, message, tb, sp, extra in HISTORY:
        text = ORG.format(tb=tb, sp=sp, extra=extra)
        (root / "org.yaml").write_text(text, encoding="utf-8")
        when = at(day).isoformat()
        env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when,
               "GIT_COMMITTER_NAME": "Lead Chen", "GIT_COMMITTER_EMAIL": "lead@example.com"}
        subprocess.run([git, "add", "org.yaml"], cwd=root, check=True)
        subprocess.run([git, "commit", "-q", f"--author={author} <{author}@example.com>",
                        "-m", message], cwd=root, check=True, env=env)
        journal.append({  # the apply the day after each merge, as the expiry job runs it
            "schema": "shoporg.journal/v1.1", "at": at(day, 16).isoformat(), "who": "ci",
            "stack": "prod", "result": "applied", "summary": {"update": 1},
            "org_sha256": hashlib.sha256(text.encode()).hexdigest(), "plan_sha256": "0" * 64,
        })
    (root / ".shoporg").mkdir()
    (root / ".shoporg" / "journal.jsonl").write_text(
        "".join(json.dumps(e) + "\n" for e in journal), encoding="utf-8")
    settings = BackendSettings(ledger_path=str(root / ".shoporg" / "ledger.db"),
                               connectors=(("shopee", "ledger"),), stack="prod")
    # The Shopee change has no API: the apply raised a step, an operator did it next day.
    clock = [at("2026-05-15", 16)]
    ledger = Ledger(settings.ledger_path, clock=lambda: clock[0], stack="prod")
    grant = ROLE_GRANT.ref("sp-main", "zhang-wei", "sp-my").name
    step = ledger.raise_step(kind=ROLE_GRANT.word, name=grant, account="sp-main",
                             platform="shopee", operation="update",
                             desired={"role_ids": ["sp-aftersale"]}, page="Shopee › Roles",
                             person="zhang-wei", runbook="…")
    clock[0] = at("2026-05-16", 9)
    ledger.mark([step.id], "done", by="ops-li", note="done in Seller Centre, screenshot #41")
    clock[0] = at("2026-06-20", 11)
    ledger.attest([(ROLE_GRANT.word, grant, "sp-main")], by="lead-chen", note="Q2 review")
    for day, code in (("2026-03-31", 0), ("2026-06-21", 2)):  # the nightly drift job's runs
        clock[0] = at(day, 1)
        ledger.record_drift(exit_code=code, counts={"drifted": code // 2}, by="ci", findings=[
            {"finding": "changed", "kind": "role_grant", "name": grant, "account": "sp-main",
             "text": "张伟 gains 退货审批 on sp-my"}] if code else [])
    return root, settings


def rows_of(person: str, changes: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["kind"], r["op"], r["subject"], r["approver"], r["applied_at"][:10],
             r["confirmed_by"], r["confirmed_note"])
            for r in changes if r["member"] == person and r["kind"] == ROLE_GRANT.word]


def test_the_quarters_pack_gives_each_grant_change_of_a_person_with_commit_approver_and_proof(
    repo: tuple[Path, BackendSettings],
) -> None:
    root, settings = repo
    pack = collect(root, root / "org.yaml", settings, START, END)
    assert rows_of("zhang-wei", pack.tables["changes"]) == [
        ("role_grant", "update", "张伟 handles refunds on Taobao", APPROVER, "2026-04-10",
         None, None),  # Taobao: applied by API, no person confirms
        ("role_grant", "update", "张伟 handles returns on Shopee", APPROVER, "2026-05-15",
         "ops-li", "done in Seller Centre, screenshot #41"),
    ]
    refund = next(r for r in pack.tables["changes"] if "refund-approve" in
                  r["permissions_gained"])
    assert refund["author"] == "bob <bob@example.com>"
    assert refund["commit"] in {a["commit"] for a in pack.tables["applies"]}
    # Nothing from outside the quarter: not the March start, not July's hire.
    assert {r["subject"] for r in pack.tables["changes"]} == {
        "张伟 handles refunds on Taobao", "张伟 handles returns on Shopee"}
    assert [a["at"][:10] for a in pack.tables["applies"]] == ["2026-04-10", "2026-05-15"]
    assert [(s["state"], s["object"]) for s in pack.tables["manual-steps"]] == [
        ("done", "sp-main/zhang-wei@sp-my")]
    assert [(a["by"], a["note"]) for a in pack.tables["attestations"]] == [
        ("lead-chen", "Q2 review")]
    runs = [(r["at"][:10], r["exit_code"], r["findings"]) for r in pack.tables["drift-runs"]]
    assert runs == [("2026-06-21", 2,
                     "changed role_grant sp-main/zhang-wei@sp-my: 张伟 gains 退货审批 on sp-my")]
    start = {(r["member"], r["shop"]): r["roles"] for r in pack.access["start"]}
    end = {(r["member"], r["shop"]): r["roles"] for r in pack.access["end"]}
    assert start == {("zhang-wei", "tb-shop"): "tb-presale", ("zhang-wei", "sp-my"): "sp-cs"}
    assert end == {("zhang-wei", "tb-shop"): "tb-aftersale",
                   ("zhang-wei", "sp-my"): "sp-aftersale"}


@pytest.mark.parametrize("tamper", [
    pytest.param("edit", id="an edited file fails the check"),
    pytest.param("remove", id="a removed file fails it"),
    pytest.param("add", id="an added file fails it"),
])
def test_a_tampered_pack_fails_our_check_and_sha256sum(
    repo: tuple[Path, BackendSettings], tmp_path: Path, tamper: str,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    root, settings = repo
    out = tmp_path / "pack"
    names = write_pack(collect(root, root / "org.yaml", settings, START, END), out)
    assert names[-1] == MANIFEST and "index.html" in names and "access-end.csv" in names
    assert verify(out) == []
    sha256sum = shutil.which("sha256sum")
    assert sha256sum is not None
    assert subprocess.run([sha256sum, "--quiet", "-c", MANIFEST], cwd=out).returncode == 0
    if tamper == "edit":
        text = (out / "changes.csv").read_text().replace("ops-li", "someone-else")
        (out / "changes.csv").write_text(text)
        expected = ["changes.csv: changed since the pack was written (SHA-256 differs)"]
    elif tamper == "remove":
        (out / "attestations.json").unlink()
        expected = ["attestations.json: missing"]
    else:
        (out / "extra.csv").write_text("member\n")
        expected = ["extra.csv: not in the manifest (added after the pack was written)"]
    assert verify(out) == expected
    if tamper != "add":  # sha256sum -c checks what is listed; it does not see extra files
        assert subprocess.run([sha256sum, "--quiet", "-c", MANIFEST], cwd=out,
                              capture_output=True).returncode == 1
    assert main(["evidence", "--verify", str(out)]) == 1
    assert capsys.readouterr().out == f"{out}/{expected[0]}\n"


def test_the_command_writes_the_pack_and_refuses_a_folder_that_holds_one(
    repo: tuple[Path, BackendSettings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root, settings = repo
    (root / "Pulumi.yaml").write_text("name: shoporg\nstackConfigDir: stacks\n")
    (root / "stacks").mkdir()
    (root / "stacks" / "Pulumi.prod.yaml").write_text(
        "config:\n  shoporg:connectors: {shopee: ledger}\n"
        f"  shoporg:ledgerPath: {settings.ledger_path}\n")
    monkeypatch.chdir(root)
    out = tmp_path / "q2"
    argv = ["evidence", "--from", "2026-04-01", "--to", "2026-06-30", "--out", str(out),
            "--stack", "prod"]
    assert main(argv) == 0
    assert "2 applies, 1 manual-steps, 1 attestations" in capsys.readouterr().out
    assert main(["evidence", "--verify", str(out)]) == 0
    assert main(argv) == 1
    assert f"{out} is not empty" in capsys.readouterr().err
    assert main(["evidence", "--from", "2026-06-30", "--to", "2026-04-01", "--out",
                 str(tmp_path / "x")]) == 1
    assert "--to 2026-04-01 is before --from 2026-06-30" in capsys.readouterr().err
