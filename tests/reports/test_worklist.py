"""The worklist: open steps grouped platform → account → page → person, oldest first."""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from shoporg.backends.ledger import Ledger
from shoporg.reports.worklist import (
    render_worklist_html,
    render_worklist_json,
    render_worklist_markdown,
    worklist,
)
from tests.reports.conftest import FIXTURES, check_golden

GOLDEN = FIXTURES / "golden-worklist"  # apart from the per-case review goldens


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    minutes: Iterator[int] = iter(range(1000))
    start = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)
    ledger = Ledger(tmp_path / "ledger.db",
                    clock=lambda: start + datetime.timedelta(minutes=next(minutes)))
    steps = [
        ("shopee", "sp-youpin", "sub_account", "sp-youpin/zhu-yan", "create",
         "Shopee Seller Centre › Sub Account Platform › Members", "朱燕 (zhu-yan)"),
        ("douyin", "dy-youpin", "shop_binding", "dy-youpin-shop/official/youpin_digital",
         "create", "抖店后台 › 店铺 › 账号绑定", None),
        ("shopee", "sp-youpin", "role_grant", "sp-youpin/zhu-yan@sp-my", "create",
         "Shopee Seller Centre › Sub Account Platform › Members › Edit › Shop permissions",
         "朱燕 (zhu-yan)"),
        ("ozon", "oz-youpin", "sub_account", "oz-youpin/liu-yang", "create",
         "Ozon Seller cabinet › Settings › Employees (Сотрудники)", "刘洋 <liu>"),
        ("shopee", "sp-youpin", "sub_account", "sp-youpin/liu-yang", "delete",
         "Shopee Seller Centre › Sub Account Platform › Members", "刘洋 <liu>"),
    ]
    for platform, account, kind, name, operation, page, person in steps:
        ledger.raise_step(kind=kind, name=name, account=account, platform=platform,
                          operation=operation, desired=None, page=page, person=person,
                          runbook=f"In {page}, {operation} {name}.")
    ledger.mark([5], "skipped", by="小王", note="she stays")
    return ledger


def test_open_steps_are_grouped_the_way_a_person_works_them(ledger: Ledger) -> None:
    work = worklist(ledger.steps("open"))
    assert work.total == 4
    assert [(p.platform, p.count) for p in work.platforms] == [
        ("shopee", 2), ("douyin", 1), ("ozon", 1)]
    [shopee_account] = work.platforms[0].accounts
    assert [g.page for g in shopee_account.pages] == [
        "Shopee Seller Centre › Sub Account Platform › Members",
        "Shopee Seller Centre › Sub Account Platform › Members › Edit › Shop permissions",
    ]


# case: steps raised on one page as (kind, name, person) → the page's groups as
# (heading, the names of their steps), in the order the worklist shows them
GROUPS: dict[str, tuple[list[tuple[str, str, str | None]], list[tuple[str, list[str]]]]] = {
    "steps for no one are grouped by their kind, never under a pseudo-person": (
        [("department", "sp-youpin/cs", None), ("role", "sp-youpin/sp-kf", None),
         ("department", "sp-youpin/ops", None)],
        [("departments", ["sp-youpin/cs", "sp-youpin/ops"]), ("roles", ["sp-youpin/sp-kf"])]),
    "a person's steps stay theirs, beside a kind's group": (
        [("chat_group", "sp-youpin/pre-sales", None),
         ("sub_account", "sp-youpin/zhu-yan", "朱燕 (zhu-yan)"),
         ("role_grant", "sp-youpin/zhu-yan@sp-my", "朱燕 (zhu-yan)")],
        [("chat groups", ["sp-youpin/pre-sales"]),
         ("朱燕 (zhu-yan)", ["sp-youpin/zhu-yan", "sp-youpin/zhu-yan@sp-my"])]),
    "a kind the registry does not know is headed by its word, spaced": (
        [("wallet", "sp-youpin/wallet", None)], [("wallets", ["sp-youpin/wallet"])]),
}


@pytest.mark.parametrize("case", GROUPS)
def test_steps_that_name_no_person_are_grouped_by_what_they_are(
    case: str, tmp_path: Path
) -> None:
    raised, expected = GROUPS[case]
    ledger = Ledger(tmp_path / "ledger.db")
    for kind, name, person in raised:
        ledger.raise_step(kind=kind, name=name, account="sp-youpin", platform="shopee",
                          operation="create", desired=None, page="Sub Account Platform",
                          person=person, runbook=f"create {name}")
    work = worklist(ledger.steps("open"))
    [page] = work.platforms[0].accounts[0].pages
    assert [(g.title, [s.name for s in g.steps]) for g in page.groups] == expected
    text = render_worklist_markdown(work) + render_worklist_html(work)
    assert "no one in particular" not in text
    groups = json.loads(render_worklist_json(work))["platforms"][0]["accounts"][0]["pages"][0]
    assert all((g["person"] is None) == (g["kind"] is not None) for g in groups["people"])


def test_the_markdown_worklist_matches_its_golden_file(ledger: Ledger) -> None:
    text = render_worklist_markdown(worklist(ledger.steps("open")))
    assert "刘洋 &lt;liu&gt;" in text  # names are escaped, never HTML
    check_golden(GOLDEN / "tasks.md", text)


def test_the_json_worklist_matches_its_golden_file(ledger: Ledger) -> None:
    text = render_worklist_json(worklist(ledger.steps("open")))
    data = json.loads(text)
    assert data["schema"] == "shoporg.tasks/v1.1" and data["open"] == 4
    check_golden(GOLDEN / "tasks.json", text)


def test_an_empty_worklist_says_there_is_nothing_to_do(tmp_path: Path) -> None:
    text = render_worklist_markdown(worklist(Ledger(tmp_path / "none.db").steps("open")))
    assert "**Nothing to do.**" in text


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    reason = "headless Chromium is not installed (Debian package `chromium`)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


def headless(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120,
    )


def dom_and_screenshot(browser: str, tmp_path: Path, url: str, shot_name: str,
                       *flags: str) -> str:
    """One Chromium run: the page's DOM after its scripts ran, and a screenshot of it kept
    for people to look at (a second run would load and lay the page out again) in
    ``SHOPORG_ARTIFACTS``, else the test's tmp dir."""
    shot = Path(os.environ.get("SHOPORG_ARTIFACTS") or tmp_path) / shot_name
    shot.parent.mkdir(parents=True, exist_ok=True)
    result = headless(browser, tmp_path / "profile", *flags, "--dump-dom",
                      f"--screenshot={shot}", url)
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.stat().st_size > 5_000, result.stderr[-2000:]
    return result.stdout


def test_the_printable_worklist_shows_every_open_step_in_a_real_browser(
    ledger: Ledger, tmp_path: Path
) -> None:
    browser = chromium()
    page = tmp_path / "tasks.html"
    page.write_text(render_worklist_html(worklist(ledger.steps("open"))), encoding="utf-8")
    dom = dom_and_screenshot(browser, tmp_path, page.as_uri(), "worklist.png",
                             "--window-size=1000,1400")
    shown = set(re.findall(r'data-step="(\d+)"', dom))
    assert shown == {str(s.id) for s in ledger.steps("open")}
    assert "sp-youpin/liu-yang" not in dom  # the skipped step is not on the list
    assert "刘洋 &lt;liu&gt;" in dom  # escaped text, rendered as text
