"""Golden files: the Markdown and JSON review of fixed inputs, engine-backed and config-only.

Engine-backed cases read real ``pulumi preview --json`` output saved in
``tests/fixtures/reports/previews``; config-only cases compare two org.yaml files. Both
paths render through the same templates, so the goldens of one case differ only where the
engine knows more (state outputs: a pending account's runbook, a binding's lock date).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shoporg.reports.build import review_from_orgs, review_from_preview
from shoporg.reports.model import Review
from shoporg.reports.render import MARKDOWN_LIMIT, render_json, render_markdown
from shoporg.reports.sources import org_from_file, read_preview

from .conftest import GOLDEN, ORGS, PREVIEWS, TODAY, check_golden

ENGINE_CASES = {
    # case: (preview, proposed org.yaml)
    "initial": ("initial.json", "base.yaml"),
    "empty": ("empty.json", "base.yaml"),
    "onboarding": ("onboarding.json", "onboarding.yaml"),
    "every-risk": ("every-risk.json", "every-risk.yaml"),
    "thousand": ("thousand.json.gz", "thousand.yaml"),
}
CONFIG_CASES = {
    # case: (base org.yaml, proposed org.yaml)
    "empty": ("base.yaml", "base.yaml"),
    "onboarding": ("base.yaml", "onboarding.yaml"),
    "every-risk": ("risk-base.yaml", "every-risk.yaml"),
    "thousand": ("base.yaml", "thousand.yaml"),
}


def engine_review(case: str) -> Review:
    preview, org = ENGINE_CASES[case]
    return review_from_preview(
        read_preview(PREVIEWS / preview), org_from_file(ORGS / org), today=TODAY,
        source={"kind": "preview-file", "file": preview},
    )


def config_review(case: str) -> Review:
    old, new = CONFIG_CASES[case]
    return review_from_orgs(
        org_from_file(ORGS / old), org_from_file(ORGS / new), today=TODAY,
        source={"kind": "config", "old": old, "new": new},
    )


def reviews() -> list[tuple[str, Review]]:
    return [(f"{c}.engine", engine_review(c)) for c in ENGINE_CASES] + [
        (f"{c}.config", config_review(c)) for c in CONFIG_CASES
    ]


@pytest.fixture(scope="module")
def all_reviews() -> dict[str, Review]:
    return dict(reviews())


NAMES = [f"{c}.engine" for c in ENGINE_CASES] + [f"{c}.config" for c in CONFIG_CASES]


@pytest.mark.parametrize("name", NAMES)
def test_the_markdown_review_matches_its_golden_file(
    name: str, all_reviews: dict[str, Review]
) -> None:
    check_golden(GOLDEN / f"{name}.md", render_markdown(all_reviews[name]))


@pytest.mark.parametrize("name", NAMES)
def test_the_json_review_matches_its_golden_file(
    name: str, all_reviews: dict[str, Review]
) -> None:
    suffix = ".json.gz" if name.startswith("thousand") else ".json"
    check_golden(GOLDEN / f"{name}{suffix}", render_json(all_reviews[name]))


@pytest.mark.parametrize("name", ["empty.engine", "empty.config"])
def test_an_empty_plan_says_no_changes(name: str, all_reviews: dict[str, Review]) -> None:
    review = all_reviews[name]
    assert review.empty and not review.risks
    assert "**No changes.**" in render_markdown(review)
    assert json.loads(render_json(review))["empty"] is True


@pytest.mark.parametrize("name", ["every-risk.engine", "every-risk.config"])
def test_the_every_risk_fixture_raises_every_risk_flag(
    name: str, all_reviews: dict[str, Review]
) -> None:
    from shoporg.reports.model import RISK_CODES

    assert set(all_reviews[name].risk_counts()) == set(RISK_CODES)


@pytest.mark.parametrize("name", ["thousand.engine", "thousand.config"])
def test_a_thousand_person_change_stays_under_the_size_limit_and_points_to_the_json(
    name: str, all_reviews: dict[str, Review]
) -> None:
    review = all_reviews[name]
    markdown = render_markdown(review)
    assert len(review.people) == 1000
    assert len(markdown) < MARKDOWN_LIMIT
    assert "This report was shortened" in markdown and "review.json" in markdown
    assert "<details>" in markdown
    # The JSON is never cut: every person's changes are there.
    data = json.loads(render_json(review))
    assert len({c["member"] for c in data["changes"] if c["member"]}) == 1000


def test_engine_and_config_reviews_see_the_same_steps(all_reviews: dict[str, Review]) -> None:
    for case in CONFIG_CASES:
        engine = {(c.op, c.name) for c in all_reviews[f"{case}.engine"].changes}
        config = {(c.op, c.name) for c in all_reviews[f"{case}.config"].changes}
        assert engine == config, case


def test_sentences_use_the_catalogue_names_and_the_people_s_chinese_names(
    all_reviews: dict[str, Review],
) -> None:
    texts = {c.text for c in all_reviews["every-risk.engine"].changes}
    assert "张伟 gains 数据、财务 on tb-youpin-shop (roles: 售前客服、财务)" in texts
    onboarding = {c.text for c in all_reviews["onboarding.config"].changes}
    assert "李娜 gains 查看退款 on tb-youpin-shop (a role they hold changed)" in onboarding
    assert "王芳 is disabled on tb-youpin (left the company)" in onboarding


def test_the_json_report_keeps_chinese_as_text_not_escapes(
    all_reviews: dict[str, Review],
) -> None:
    text = render_json(all_reviews["onboarding.engine"])
    assert "钱宇" in text and "\\u" not in text
    assert json.loads(text)["schema"] == "shoporg.review/v1.2"


def test_goldens_exist_for_every_case_and_nothing_else() -> None:
    expected = {f"{n}.md" for n in NAMES} | {
        f"{n}.json.gz" if n.startswith("thousand") else f"{n}.json" for n in NAMES
    }
    assert {p.name for p in Path(GOLDEN).iterdir()} == expected
