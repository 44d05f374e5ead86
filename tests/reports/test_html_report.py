"""The HTML org report: the whole organization on one self-contained page, checked in a real
browser (headless Chromium) from the page itself, with the screenshots kept."""

from __future__ import annotations

import datetime
import re
import time
from pathlib import Path

import pytest

from benchmarks import orggen
from shoporg.backends.ledger import Ledger
from shoporg.cli.main import main
from shoporg.reports.build import review_from_orgs
from shoporg.reports.drift import Drifted, DriftReport, Unmanaged
from shoporg.reports.html_report import drift_page, org_page, render_html, review_page
from shoporg.reports.sources import org_from_file
from shoporg.schema import Org, validate_text
from tests.reports.conftest import ORGS, TODAY
from tests.reports.test_worklist import chromium, dom_and_screenshot

pytestmark = pytest.mark.slow  # a real Chromium: started first (tests/conftest.py)

REPO = Path(__file__).resolve().parents[2]
HTML = REPO / "tests" / "fixtures" / "reports" / "html"
#: A 1,000-person org's page stays below this (measured: see test_a_thousand_person_org...).
MAX_BYTES_1000 = 4_000_000


def thousand_person_org_text() -> str:
    """1,000 members over 20 accounts (the benchmark's generator)."""
    return orggen.generate(orggen.Size(members=1000, accounts=20))


def browse(tmp_path: Path, html: str, name: str, fragment: str = "") -> str:
    """Open the page in headless Chromium: its DOM after the script ran; keep a screenshot."""
    browser = chromium()
    page = tmp_path / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    url = page.as_uri() + fragment
    return dom_and_screenshot(browser, tmp_path, url, f"{name}.png", "--window-size=1400,1800")


def tree_people(dom: str) -> set[str]:
    return set(re.findall(r'<li class="p[^"]*" data-person="([^"]+)"', dom))


def matrix_people(dom: str) -> list[str]:
    return re.findall(r'<tr data-person="([^"]+)"', dom)


def shops(dom: str) -> list[str]:
    return re.findall(r'<th class="shop" data-platform="[^"]+" data-shop="([^"]+)"', dom)


def repo_org() -> Org:
    return org_from_file(REPO / "org.yaml")


def ledger_with_a_step(tmp_path: Path) -> Ledger:
    ledger = Ledger(tmp_path / "ledger.db", clock=lambda: datetime.datetime(
        2026, 12, 1, 9, 0, tzinfo=datetime.UTC))
    ledger.raise_step(kind="sub_account", name="oz-youpin/liu-yang", account="oz-youpin",
                      platform="ozon", operation="create", desired=None,
                      page="Ozon Seller cabinet › Settings › Employees", person="刘洋",
                      runbook="Invite 刘洋 in Settings › Employees.")
    return ledger


def test_the_repo_org_renders_its_tree_matrix_steps_and_seats_in_a_real_browser(
    tmp_path: Path,
) -> None:
    org = repo_org()
    ledger = ledger_with_a_step(tmp_path)
    dom = browse(tmp_path, render_html(org_page(org, TODAY, ledger.steps("open"))), "org")
    people = {m.id for m in org.members}
    assert tree_people(dom) == people
    assert matrix_people(dom) == [m.id for m in org.members]
    assert shops(dom) == [s.id for a in org.accounts for s in a.shops]
    assert "张伟" in dom and "客服部" in dom and "优品数码旗舰店" in dom  # Chinese as text
    assert re.findall(r'data-step="(\d+)"', dom) == [str(s.id) for s in ledger.steps("open")]
    assert re.findall(r'<tr data-account="([^"]+)"', dom) == [a.id for a in org.accounts]
    assert '<div id="filters">' in dom  # the script ran: the filters are shown
    assert " hidden" not in dom.split('id="matrix"')[1]  # ...and hide nothing by default


@pytest.mark.parametrize(("case", "fragment", "shown_platforms", "shown_people"), [
    ("a platform filter shows only that platform's shop columns", "#platform=shopee",
     {"shopee"}, None),
    ("a department filter shows only the people of that subtree", "#dept=cs",
     None, "cs"),
    ("an unknown filter value shows everything", "#platform=nowhere", None, None),
])
def test_the_matrix_filters(tmp_path: Path, case: str, fragment: str,
                            shown_platforms: set[str] | None, shown_people: str | None) -> None:
    org = repo_org()
    dom = browse(tmp_path, render_html(org_page(org, TODAY)), "filter", fragment)
    table = dom.split('id="matrix"')[1].split("</table>")[0]
    heads = re.findall(r'<th class="shop" data-platform="([^"]+)"[^>]*?( hidden="")?>', table)
    visible = {p for p, hidden in heads if not hidden}
    platforms = {a.platform for a in org.accounts}
    assert visible == (shown_platforms or platforms), case
    rows = re.findall(r'<tr data-person="([^"]+)" data-dept="([^"]*)"[^>]*?( hidden="")?>',
                      table)
    expected = {m for m, depts, _ in rows if shown_people is None or
                shown_people in depts.split()}
    assert {m for m, _, hidden in rows if not hidden} == expected, case
    assert expected  # a filter never empties the page by mistake


def test_names_that_are_markup_show_as_text_and_never_run(tmp_path: Path) -> None:
    org = org_from_file(HTML / "markup-names.yaml")
    html = render_html(org_page(org, TODAY))
    assert "<script>document" not in html and '<img src=x' not in html
    dom = browse(tmp_path, html, "markup")
    assert "&lt;img src=x onerror=" in dom and "&lt;script&gt;document.title=2" in dom
    assert "<title>" in dom and "document.title=1" not in dom.split("</title>")[0]


def test_the_page_needs_no_network(tmp_path: Path) -> None:
    html = render_html(org_page(repo_org(), TODAY, ledger_with_a_step(tmp_path).steps("open")))
    assert not re.search(r'\b(src|href)\s*=\s*["\']?(https?:)?//', html)
    assert "@import" not in html and "url(" not in html
    assert '<html lang="zh-CN">' in html and "Noto Sans CJK SC" in html and "@media print" in html


@pytest.mark.parametrize(("case", "member", "shop", "expect"), [
    ("a role holding a catalogue high-risk permission is marked high-risk",
     "ma-xiaoyu", "tb-youpin-shop", 'class="hr"'),
    ("a plain customer-service role carries no mark", "zhang-wei", "tb-youpin-shop",
     "<td>售前客服</td>"),
])
def test_high_risk_permissions_are_marked_from_the_catalogue(
    case: str, member: str, shop: str, expect: str
) -> None:
    org = repo_org()
    page = org_page(org, TODAY)
    row = next(r for r in page.rows if r.member == member)
    col = next(i for i, c in enumerate(page.columns) if c.shop == shop)
    html = render_html(page)
    line = next(ln for ln in html.splitlines() if f'data-person="{member}" data-dept' in ln)
    cells = re.findall(r"<td[^>]*>.*?</td>", line)[1:]  # after the department cell
    assert expect in cells[col], (case, cells[col], row.cells[col])


def test_a_toxic_pair_held_today_is_marked_on_the_matrix() -> None:
    org = org_from_file(ORGS / "every-risk.yaml")  # 杨磊 holds 改价 and 同意退款 on tb-youpin
    page = org_page(org, TODAY)
    row = next(r for r in page.rows if r.member == "yang-lei")
    col = next(i for i, c in enumerate(page.columns) if c.shop == "tb-youpin-shop")
    assert "改价与同意退款须由不同的人负责" in row.cells[col].toxic
    assert any("杨磊" in t for t in page.toxic)
    assert 'class="tx" title="杨磊 would hold both' in render_html(page)


def test_a_review_page_highlights_added_removed_and_changed_people(tmp_path: Path) -> None:
    old, new = org_from_file(ORGS / "risk-base.yaml"), org_from_file(ORGS / "every-risk.yaml")
    review = review_from_orgs(old, new, today=TODAY, source={"kind": "config"})
    page = review_page(review, new)
    dom = browse(tmp_path, render_html(page), "review")
    marked = dict(re.findall(r'<tr data-person="([^"]+)" data-dept="[^"]*" class="(\w+)"', dom))
    assert marked == review.people
    changes = dom.split('<section id="changes">')[1].split("</section>")[0]
    assert len(re.findall(r'<li class="change ', changes)) == len(review.changes) + len(
        review.risks)
    if any(c.removed for r in review.matrix for c in r.cells):
        assert "<del>" in dom
    if any(c.added for r in review.matrix for c in r.cells):
        assert "<ins>" in dom


def test_a_drift_page_lists_what_differs_and_marks_the_person(tmp_path: Path) -> None:
    org = repo_org()
    report = DriftReport("prod", (
        Drifted("sub_account", "tb-youpin/zhang-wei", "tb-youpin", "changed",
                (("enabled", True, False),)),
    ), (Unmanaged("sub_account", "tb-youpin/intruder", "tb-youpin",
                  "sub-account 优品数码专营:intruder (active)"),))
    dom = browse(tmp_path, render_html(drift_page(report, org, TODAY)), "drift")
    assert re.search(r'<tr data-person="zhang-wei" data-dept="[^"]*" class="changed"', dom)
    assert "not in org.yaml: sub-account 优品数码专营:intruder" in dom
    assert "declared True, live False" in dom


def test_report_writes_the_page_from_the_command_line(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "org.html"
    code = main(["report", "--html", str(out), "--org", str(REPO / "org.yaml"),
                 "--ledger", str(ledger_with_a_step(tmp_path).path), "--today", "2026-12-01"])
    assert code == 0 and out.is_file()
    assert "16 people" in capsys.readouterr().err
    assert 'data-step="1"' in out.read_text(encoding="utf-8")


def test_a_thousand_person_org_stays_small_and_renders_in_a_real_browser(
    tmp_path: Path,
) -> None:
    org = validate_text(thousand_person_org_text(), "thousand.yaml")
    started = time.perf_counter()
    html = render_html(org_page(org, TODAY))
    seconds = time.perf_counter() - started
    size = len(html.encode("utf-8"))
    print(f"1,000-person org: {size:,} bytes, rendered in {seconds:.2f}s")  # measured
    assert size < MAX_BYTES_1000
    dom = browse(tmp_path, html, "thousand")
    assert len(matrix_people(dom)) == 1000 and len(tree_people(dom)) == 1000
    assert len(shops(dom)) == sum(len(a.shops) for a in org.accounts)


def test_review_html_writes_the_page_beside_the_markdown(tmp_path: Path) -> None:
    out, md = tmp_path / "review.html", tmp_path / "review.md"
    code = main(["review", "--old", str(ORGS / "risk-base.yaml"), "--new",
                 str(ORGS / "every-risk.yaml"), "--today", TODAY.isoformat(),
                 "--markdown", str(md), "--html", str(out)])
    assert code == 0 and md.is_file()
    html = out.read_text(encoding="utf-8")
    assert '<section id="changes">' in html and 'class="added"' in html
