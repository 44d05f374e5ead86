"""``shoporg sandbox kuaishou ...``: the Kuaishou seller centre by hand. What a person does
there is what the staff API then shows, and a refusal is one line, nothing changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shoporg.backends.sandbox import SandboxBackend
from shoporg.backends.sandbox.kuaishou_staff import KuaishouStaff
from shoporg.cli.main import main

SELLER = 1001


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "sandbox.db"
    monkeypatch.setenv("SHOPORG_SANDBOX", str(path))
    monkeypatch.setenv("SHOPORG_COMPANY", "acme")
    assert main(["sandbox", "kuaishou", "seller", str(SELLER), "优品数码快手小店"]) == 0
    assert main(["sandbox", "kuaishou", "role", str(SELLER), "11", "客服", "--desc", "接待"]) == 0
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["sandbox", "kuaishou", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def staff(path: Path) -> KuaishouStaff:
    return KuaishouStaff(SandboxBackend(path, "acme", instrumented=False))


def test_a_role_made_by_hand_is_one_the_api_lists(sandbox: Path) -> None:
    roles = staff(sandbox).roles(SELLER)
    assert [(r.role_id, r.role_name, r.role_desc) for r in roles] == [(11, "客服", "接待")]


@pytest.mark.parametrize(
    ("action", "disabled", "deleted", "said"),
    [
        pytest.param("stop", True, False, "stopped", id="a staff member stopped by hand"),
        pytest.param("start", False, False, "started", id="a staff member started by hand"),
        pytest.param("remove", False, True, "removed", id="a staff member removed by hand"),
    ],
)
def test_a_hand_change_to_a_staff_member_is_what_the_listing_shows(
    sandbox: Path, capsys: pytest.CaptureFixture[str], action: str, disabled: bool,
    deleted: bool, said: str,
) -> None:
    made = staff(sandbox).create(SELLER, contact_phone="13800010002", nick_name="李娜",
                                 role_ids=[11], phone="13800010002")
    if action == "start":
        staff(sandbox).hand_set_disabled(SELLER, made.staff_user_id)
    code, out, err = run(capsys, action, str(SELLER), str(made.staff_user_id))
    assert code == 0, err
    assert said in out
    code, out, _ = run(capsys, "staff", str(SELLER), "--json")
    [row] = json.loads(out)
    assert (row["staff_user_id"], row["disabled"], row["deleted"]) == (
        made.staff_user_id, disabled, deleted)


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        pytest.param(("role", str(SELLER), "x"), "takes 2 argument(s)",
                     id="a role without its name is refused"),
        pytest.param(("role", str(SELLER), "eleven", "客服"), "ROLE_ID must be a number",
                     id="a role id that is not a number is refused"),
        pytest.param(("stop", str(SELLER), "5"), "no such staff member",
                     id="stopping a staff member the seller lacks is refused"),
    ],
)
def test_a_refused_hand_change_says_why_and_changes_nothing(
    sandbox: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], says: str,
) -> None:
    code, _, err = run(capsys, *argv)
    assert code != 0 and says in err
    assert [r.role_id for r in staff(sandbox).roles(SELLER)] == [11]
    assert staff(sandbox).staff_list(SELLER, include_deleted=True)[0] == []
