"""Access reviews with decisions: keep / revoke / flag per line, a default for the undecided
once the deadline passed, and the revocations as an org.yaml patch for the normal review.

The edit is checked the way it is used: the patch applies with ``git apply`` (which we did
not write), the result validates, and its desired world differs from the old one in exactly
the revoked role grants — each comment and every other line kept.
"""

from __future__ import annotations

import datetime
import shutil
import subprocess
from pathlib import Path

import pytest

from shoporg.backends.ledger.store import DecidedLine, Ledger, LedgerError, ReviewLine
from shoporg.cli.main import main
from shoporg.errors import ShoporgError
from shoporg.kinds import ROLE_GRANT, desired_world
from shoporg.reports.access_decisions import close, revoke
from shoporg.schema import validate_text

TODAY = datetime.date(2026, 12, 7)
ORG = """\
company: 测试电商
accounts:
  - {id: tb, platform: taobao, nick: 测试, seat_quota: 5, shops: [{id: tb-shop, name: 店}]}
  - id: sp
    platform: shopee
    nick: test.sp
    seat_quota: 5
    shops:
      - {id: sp-my, name: MY, site: MY}
      - {id: sp-sg, name: SG, site: SG}
departments: [{id: cs, name: 客服部}]
roles:
  - {id: tb-cs, platform: taobao, name: 客服, permissions: [ww-chat, trade-view]}
  - {id: sp-cs, platform: shopee, name: CS, permissions: [chat-reply, order-view]}
members:
  - id: zhang-wei
    name: 张伟
    department: cs
    phone: "13800010001"
    email: zhang.wei@example.com
    sub_accounts:
      - {account: tb, login_name: 张伟, roles: [tb-cs]}   # flow, one shop
      - {account: sp, login_name: zhangwei, roles: [sp-cs]}   # flow, every shop
  - id: li-na
    name: 李娜
    department: cs
    email: li.na@example.com
    sub_accounts:
      - account: sp                 # block, explicit shops
        login_name: lina
        shops: [sp-my, sp-sg]
        roles:
          - sp-cs                   # her only role
  - id: wang-fang
    name: 王芳
    department: cs
    email: wang.fang@example.com
    sub_accounts:
      - account: sp                 # block, every shop
        login_name: wangfang
        roles: [sp-cs]
"""


def grants(text: str) -> set[str]:
    world = desired_world(validate_text(text), TODAY)
    return {r.name for r in world if r.kind == ROLE_GRANT.word}


def line(member: str, account: str, shop: str) -> DecidedLine:
    obj = ROLE_GRANT.ref(account, member, shop).name
    return DecidedLine(1, ReviewLine(obj, member, account, shop, ("x",)), "revoke")


@pytest.mark.parametrize(("revoked", "changed"), [
    pytest.param([("zhang-wei", "tb", "tb-shop")],
                 ["      - {account: tb, login_name: 张伟, roles: []}   # flow, one shop"],
                 id="a flow entry's only shop revoked leaves it without roles"),
    pytest.param([("zhang-wei", "sp", "sp-sg")],
                 ["      - {account: sp, login_name: zhangwei, shops: [sp-my], roles: [sp-cs]}"
                  "   # flow, every shop"],
                 id="one shop of every shop is written out as the shops it keeps"),
    pytest.param([("li-na", "sp", "sp-my")], ["        shops: [sp-sg]"],
                 id="a block entry's explicit shops lose the revoked one"),
    pytest.param([("li-na", "sp", "sp-my"), ("li-na", "sp", "sp-sg")],
                 ["        roles: []"],
                 id="a block sequence of roles becomes empty when no shop is left"),
    pytest.param([("wang-fang", "sp", "sp-my")],
                 ["        shops: [sp-sg]"],
                 id="a block entry of every shop gets a shops line before its roles"),
])
def test_a_revocation_removes_exactly_its_grants_and_keeps_every_other_line(
    revoked: list[tuple[str, str, str]], changed: list[str],
) -> None:
    new = revoke(ORG, "org.yaml", [line(*r) for r in revoked])
    assert grants(ORG) - grants(new) == {ROLE_GRANT.ref(a, m, s).name for m, a, s in revoked}
    assert grants(new) <= grants(ORG)
    added = [x for x in new.splitlines() if x not in ORG.splitlines()]
    assert added == changed
    removed = [x for x in ORG.splitlines() if x not in new.splitlines()]
    assert all("roles" in x or "shops" in x or x.strip().startswith("- sp-cs")
               for x in removed)  # nothing but the edited key's lines


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    ledger = Ledger(tmp_path / "ledger.db", stack="prod")
    lines = [ReviewLine(ROLE_GRANT.ref(a, m, s).name, m, a, s, (r,)) for m, a, s, r in (
        ("zhang-wei", "tb", "tb-shop", "tb-cs"), ("zhang-wei", "sp", "sp-my", "sp-cs"),
        ("zhang-wei", "sp", "sp-sg", "sp-cs"), ("li-na", "sp", "sp-my", "sp-cs"),
        ("wang-fang", "sp", "sp-my", "sp-cs"))]
    ledger.open_review("q4", scope={"departments": ["cs"]}, deadline=datetime.date(2026, 12, 20),
                       fallback="revoke", lines=lines, by="lead")
    return ledger


def test_closing_before_the_deadline_with_lines_undecided_is_refused_and_changes_nothing(
    ledger: Ledger,
) -> None:
    ledger.decide("q4", ["zhang-wei"], "keep", by="chen", note="needs both")
    with pytest.raises(ShoporgError, match=r"2 line\(s\) not decided yet .*li-na.*deadline "
                                           r"2026-12-20 has not passed"):
        close(ledger, "q4", ORG, "org.yaml", datetime.date(2026, 12, 20))
    assert [x.decision for x in ledger.review("q4")[1]] == ["keep"] * 3 + [None, None]


def test_after_the_deadline_the_undecided_get_the_default_recorded_and_the_patch_applies(
    ledger: Ledger, tmp_path: Path,
) -> None:
    ledger.decide("q4", ["zhang-wei"], "keep", by="chen")
    ledger.decide("q4", [ROLE_GRANT.ref("sp", "zhang-wei", "sp-sg").name], "revoke",
                  by="chen", note="MY only from January")  # the latest decision counts
    ledger.decide("q4", ["wang-fang"], "flag", by="chen", note="ask her manager")
    closed = close(ledger, "q4", ORG, "org.yaml", datetime.date(2026, 12, 21))
    assert closed.defaulted == 1
    assert [(x.line.member, x.line.shop, x.decision, x.by) for x in closed.lines] == [
        ("zhang-wei", "tb-shop", "keep", "chen"), ("zhang-wei", "sp-my", "keep", "chen"),
        ("zhang-wei", "sp-sg", "revoke", "chen"),
        ("li-na", "sp-my", "revoke", "shoporg (the review's default)"),
        ("wang-fang", "sp-my", "flag", "chen"),
    ]
    assert grants(ORG) - grants(closed.new_text) == {
        ROLE_GRANT.ref("sp", "zhang-wei", "sp-sg").name,
        ROLE_GRANT.ref("sp", "li-na", "sp-my").name,
    }
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "org.yaml").write_text(ORG, encoding="utf-8")
    (repo / "q4.patch").write_text(closed.patch, encoding="utf-8")
    git = shutil.which("git")
    assert git is not None
    subprocess.run([git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([git, "apply", "q4.patch"], cwd=repo, check=True)
    assert (repo / "org.yaml").read_text(encoding="utf-8") == closed.new_text


@pytest.mark.parametrize(("selectors", "error"), [
    pytest.param(["zhang-wie"], "zhang-wie names no line", id="a mistyped member is refused"),
    pytest.param(["li-na", "tb/li-na@tb-shop"], "tb/li-na@tb-shop names no line",
                 id="one unknown object refuses the whole decision"),
])
def test_a_decision_naming_no_line_records_nothing(
    ledger: Ledger, selectors: list[str], error: str,
) -> None:
    with pytest.raises(LedgerError, match=error):
        ledger.decide("q4", selectors, "revoke", by="chen")
    assert all(x.decision is None for x in ledger.review("q4")[1])


def test_a_review_name_is_used_once_per_stack(ledger: Ledger) -> None:
    with pytest.raises(LedgerError, match="exists already"):
        ledger.open_review("q4", scope={}, deadline=TODAY, fallback="flag",
                           lines=[ReviewLine("a", "b", "c", "d", ())], by="x")


def test_the_commands_open_decide_and_close_a_review(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: shoporg\nstackConfigDir: stacks\n")
    (tmp_path / "org.yaml").write_text(ORG, encoding="utf-8")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.prod.yaml").write_text("config:\n  shoporg:backend: sandbox\n")
    monkeypatch.chdir(tmp_path)
    base = ["review-access", "--stack", "prod", "--by", "chen"]
    assert main([*base, "--open", "q4", "--deadline", "2026-12-20", "--department", "cs",
                 "--default", "flag", "--as-of", "2026-12-07"]) == 0
    assert "7 line(s) to decide by 2026-12-20 (undecided then: flag)" in capsys.readouterr().out
    assert main([*base, "--review", "q4", "--revoke", "li-na", "--keep", "zhang-wei",
                 "--note", "Q4 with the cs lead"]) == 0
    shown = capsys.readouterr().out
    assert "sp/li-na@sp-my  [sp-cs]  revoke by chen at " in shown
    assert "sp/wang-fang@sp-my  [sp-cs]  undecided" in shown
    assert main([*base, "--review", "q4", "--close", "--as-of", "2026-12-21"]) == 0
    out = capsys.readouterr().out
    assert "3 kept, 2 revoked, 2 flagged (2 by the default)" in out
    assert "flagged: sp/wang-fang@sp-my" in out and "flagged: sp/wang-fang@sp-sg" in out
    patch = (tmp_path / "q4.patch").read_text(encoding="utf-8")
    assert "+        roles: []" in patch and patch.count("\n+ ") == 1
