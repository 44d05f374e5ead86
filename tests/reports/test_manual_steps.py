"""The review's "Manual steps this change will raise": which planned changes the stack's
connectors cannot do by API, per platform → account, known before the apply.

Goldens (``tests/fixtures/reports/golden-manual-steps/``): the whole Markdown comment and the
JSON report's ``manual_steps`` of fixed inputs routed to TOP and the ledger. Refresh them with
``SHOPORG_UPDATE_GOLDENS=1 .venv/bin/pytest tests/reports``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from shoporg.backends.settings import BackendKind, BackendSettings
from shoporg.cli.main import main
from shoporg.reports.build import review_from_orgs, review_from_preview
from shoporg.reports.model import Review
from shoporg.reports.render import MARKDOWN_LIMIT, render_json, render_markdown
from shoporg.reports.sources import org_from_file, read_preview

from .conftest import FIXTURES, ORGS, PREVIEWS, TODAY, check_golden

GOLDEN = FIXTURES / "golden-manual-steps"
REPO = Path(__file__).resolve().parents[2]


def routing(kind: BackendKind = "sandbox", **connectors: BackendKind) -> BackendSettings:
    """Stack settings as ``shoporg:backend`` and ``shoporg:connectors`` give them."""
    return BackendSettings(kind=kind, connectors=tuple(sorted(connectors.items())))


LEDGER_PLATFORMS = routing(shopee="ledger", ozon="ledger", douyin="ledger")
TOP_AND_LEDGER = routing("taobao")  # Taobao on TOP, the API-less platforms on the ledger

# case: (base org.yaml or saved preview, proposed org.yaml, the stack's routing)
CASES: dict[str, tuple[str, str, BackendSettings]] = {
    "onboarding.ledger.config": ("base.yaml", "onboarding.yaml", LEDGER_PLATFORMS),
    "onboarding.taobao.engine": ("onboarding.json", "onboarding.yaml", TOP_AND_LEDGER),
    "every-risk.taobao.config": ("risk-base.yaml", "every-risk.yaml", TOP_AND_LEDGER),
    "every-risk.taobao.engine": ("every-risk.json", "every-risk.yaml", TOP_AND_LEDGER),
}


def review(case: str, settings: BackendSettings | None = None) -> Review:
    base, new, routed = CASES[case]
    connectors = routed if settings is None else settings
    if base.endswith(".json"):
        return review_from_preview(read_preview(PREVIEWS / base), org_from_file(ORGS / new),
                                   today=TODAY, source={"kind": "preview-file", "file": base},
                                   connectors=connectors)
    return review_from_orgs(org_from_file(ORGS / base), org_from_file(ORGS / new), today=TODAY,
                            source={"kind": "config", "old": base, "new": new},
                            connectors=connectors)


@pytest.fixture(scope="module")
def reviews() -> dict[str, Review]:
    return {case: review(case) for case in CASES}


def steps(r: Review) -> set[tuple[str, str, str]]:
    """(account, operation, resource name) of every manual step listed."""
    return {(a.id, s.operation, s.name)
            for p in r.manual_steps for a in p.accounts for s in a.steps}


@pytest.mark.parametrize("case", CASES)
def test_the_markdown_with_manual_steps_matches_its_golden_file(
    case: str, reviews: dict[str, Review]
) -> None:
    check_golden(GOLDEN / f"{case}.md", render_markdown(reviews[case]))


@pytest.mark.parametrize("case", CASES)
def test_the_json_manual_steps_match_their_golden_file(
    case: str, reviews: dict[str, Review]
) -> None:
    data = json.loads(render_json(reviews[case]))["manual_steps"]
    check_golden(GOLDEN / f"{case}.json",
                 json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@pytest.mark.parametrize("case", CASES)
def test_a_stack_on_the_sandbox_raises_no_manual_steps_and_shows_no_section(case: str) -> None:
    r = review(case, routing())
    assert r.manual_steps == () and r.manual_step_count == 0
    assert "Manual steps this change will raise" not in render_markdown(r)
    assert json.loads(render_json(r))["manual_steps"] == {
        "total": 0, "operations": {}, "platforms": []}


@pytest.mark.parametrize("case", CASES)
def test_the_counts_add_up_per_account_platform_operation_and_in_the_heading(
    case: str, reviews: dict[str, Review]
) -> None:
    r = reviews[case]
    data = json.loads(render_json(r))["manual_steps"]
    assert data["total"] == sum(p["count"] for p in data["platforms"]) == len(steps(r)) > 0
    assert data["total"] == sum(data["operations"].values())
    for p in data["platforms"]:
        assert p["count"] == sum(a["count"] for a in p["accounts"])
        assert all(a["count"] == len(a["steps"]) for a in p["accounts"])
    assert f"Manual steps this change will raise ({data['total']})" in render_markdown(r)


SAME_CHANGE = [
    # an engine case and the config-only review of the same change, both on TOP + ledger
    ("onboarding.taobao.engine", ("base.yaml", "onboarding.yaml")),
    ("every-risk.taobao.engine", ("risk-base.yaml", "every-risk.yaml")),
]


@pytest.mark.parametrize(("engine", "orgs"), SAME_CHANGE, ids=[c[0] for c in SAME_CHANGE])
def test_engine_and_config_reviews_list_the_same_manual_steps(
    engine: str, orgs: tuple[str, str], reviews: dict[str, Review]
) -> None:
    config = review_from_orgs(org_from_file(ORGS / orgs[0]), org_from_file(ORGS / orgs[1]),
                              today=TODAY, source={"kind": "config"}, connectors=TOP_AND_LEDGER)
    assert steps(reviews[engine]) == steps(config)


# (what the change does, the step, listed as a manual step?) on TOP + ledger, onboarding
ON_TOP = [
    ("a leaver is disabled on Taobao by API", ("tb-youpin", "disable", "tb-youpin/wang-fang"),
     False),
    ("a department move on Taobao needs a person",
     ("tb-youpin", "update", "tb-youpin/zhou-jie"), True),
    ("a hire's Taobao sub-account needs a person", ("tb-youpin", "create", "tb-youpin/qian-yu"),
     True),
    ("a hire's Shopee sub-account goes to the ledger",
     ("sp-youpin", "create", "sp-youpin/qian-yu"), True),
    ("a hire's Shopee shop permissions go to the ledger",
     ("sp-youpin", "create", "sp-youpin/qian-yu@sp-sg"), True),
]


@pytest.mark.parametrize(("case", "step", "manual"), ON_TOP, ids=[c[0] for c in ON_TOP])
def test_only_what_the_connector_cannot_do_by_api_is_listed(
    case: str, step: tuple[str, str, str], manual: bool, reviews: dict[str, Review]
) -> None:
    assert (step in steps(reviews["onboarding.taobao.engine"])) is manual, case


def test_an_update_lists_the_inputs_a_person_must_change() -> None:
    r = review("onboarding.taobao.engine")
    move = next(s for p in r.manual_steps for a in p.accounts for s in a.steps
                if s.name == "tb-youpin/zhou-jie")
    assert move.inputs == ("department_id",)
    assert move.page == "淘宝 千牛卖家中心 › 子账号管理 › 员工管理"
    assert move.object == "sub-account `优品数码专营:周杰` of 周杰 (zhou-jie)"


ROUTES = [
    ("an account id wins over its platform",
     BackendSettings(kind="taobao", connectors=(("sp-youpin", "sandbox"),)),
     {"tb-youpin", "oz-youpin", "dy-youpin"}),
    ("a platform on the ledger lists its accounts only", routing(ozon="ledger"), {"oz-youpin"}),
    ("the taobao backend sends the other platforms to the ledger", TOP_AND_LEDGER,
     {"tb-youpin", "sp-youpin", "oz-youpin", "dy-youpin"}),
]


@pytest.mark.parametrize(("case", "settings", "accounts"), ROUTES, ids=[c[0] for c in ROUTES])
def test_the_stack_s_routing_decides_which_accounts_raise_steps(
    case: str, settings: BackendSettings, accounts: set[str]
) -> None:
    r = review("every-risk.taobao.config", settings)
    assert {a.id for p in r.manual_steps for a in p.accounts} == accounts, case


# case: the stack's routing → how the risk section says each step closes, per account:
# True where the connector reads the platform back (`pulumi refresh`), False where only an
# operator's `shoporg tasks done` can (the ledger)
CLOSING = [
    ("on the sandbox every step is read back", routing(),
     {"dy-youpin": True, "oz-youpin": True}),
    ("a platform on the ledger is confirmed with tasks done, the others read back",
     routing(douyin="ledger"), {"dy-youpin": False, "oz-youpin": True}),
    ("on TOP + ledger the API-less platforms are confirmed with tasks done", TOP_AND_LEDGER,
     {"dy-youpin": False, "oz-youpin": False}),
]


@pytest.mark.parametrize(("case", "settings", "read_back"), CLOSING,
                         ids=[c[0] for c in CLOSING])
def test_the_risk_section_says_how_a_step_closes_on_the_connector_serving_it(
    case: str, settings: BackendSettings, read_back: dict[str, bool]
) -> None:
    r = review("every-risk.taobao.config", settings)
    runbooks = {risk.account: risk.runbook for risk in r.risks
                if risk.code == "manual_step" and risk.runbook}
    assert set(runbooks) == set(read_back), case
    for account, reads in read_back.items():
        text = runbooks[account] or ""
        assert ("`pulumi refresh`" in text) is reads, (account, text)
        assert ("`shoporg tasks done ID`" in text) is not reads, (account, text)


def test_a_thousand_manual_steps_stay_under_the_size_limit_and_point_to_the_json() -> None:
    r = review_from_orgs(org_from_file(ORGS / "base.yaml"), org_from_file(ORGS / "thousand.yaml"),
                         today=TODAY, source={"kind": "config"}, connectors=TOP_AND_LEDGER)
    markdown = render_markdown(r)
    assert r.manual_step_count == 2000  # a sub-account and its grant per person, on TOP
    assert len(markdown) < MARKDOWN_LIMIT
    assert "manual steps left out" in markdown and "more in the JSON report" in markdown
    assert len(json.loads(render_json(r))["manual_steps"]["platforms"][0]["accounts"][0][
        "steps"]) == 2000


def test_a_manual_step_never_shows_a_password() -> None:
    text = render_json(review("every-risk.taobao.engine"))
    assert "initial_password" not in text and "ciphertext" not in text


STACKS = [
    ("--stack names the stack whose connectors count", ["--stack", "ci"], True),
    ("without --stack the project defaults are the sandbox", [], False),
]


@pytest.mark.parametrize(("case", "extra", "listed"), STACKS, ids=[c[0] for c in STACKS])
def test_a_config_only_review_reads_the_connectors_from_stack_config(
    case: str, extra: list[str], listed: bool, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    shutil.copy(REPO / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.ci.yaml").write_text(
        "config:\n  shoporg:connectors: {shopee: ledger}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code = main(["review", "--old", str(ORGS / "base.yaml"), "--new",
                 str(ORGS / "onboarding.yaml"), "--format", "json", "--today",
                 TODAY.isoformat(), *extra])
    assert code == 0
    data = json.loads(capsys.readouterr().out)["manual_steps"]
    assert ([p["platform"] for p in data["platforms"]] == ["shopee"]) is listed, case
    assert (data["total"] > 0) is listed


def test_goldens_exist_for_every_case_and_nothing_else() -> None:
    expected = {f"{c}.{ext}" for c in CASES for ext in ("md", "json")}
    assert {p.name for p in GOLDEN.iterdir()} == expected
    assert os.environ.get("SHOPORG_UPDATE_GOLDENS") == "1" or all(
        (GOLDEN / name).stat().st_size for name in expected)
