"""The review's pictures as reviewers see them: the real Mermaid renders the department
tree in headless Chromium under GitHub's dark theme (and the light one), for a normal
review, a change touching 300 departments and the 1,000-person onboarding."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from shoporg.reports.model import Review
from shoporg.reports.render import render_markdown

from .html_text import to_html
from .mermaid_browser import contrast, render
from .test_golden import config_review
from .trees import many_departments

pytestmark = pytest.mark.slow  # a real Chromium: started first (tests/conftest.py)

CASES = {
    # case: (review, labels that must be shown as text)
    "an onboarding with a hire, a leaver and a move": (
        lambda: config_review("onboarding"),
        ["+ 钱宇", "⏏ 王芳 (left)", "↪ 周杰 (from 美工部)", "✎ 李娜", "售前", "✎ access changed"]),
    "every risk flag, with a person removed": (
        lambda: config_review("every-risk"), ["− 孙浩", "− removed (all access)"]),
    "a change touching 300 departments": (
        lambda: many_departments(300), ["运营部", "运营000组", "more departments"]),
    "the 1,000-person onboarding": (
        lambda: config_review("thousand"), ["+ 临时工0000", "… 159 more", "客服部"]),
}


@pytest.fixture(scope="module")
def reviews() -> dict[str, Review]:
    return {case: make() for case, (make, _) in CASES.items()}


def tree_of(review: Review) -> str:
    """The tree as the comment carries it (the Markdown's mermaid block)."""
    [block] = re.findall(r"```mermaid\n(.*?)```", render_markdown(review), re.S)
    return block


@pytest.mark.parametrize("theme", ["dark", "default"])
def test_mermaid_draws_every_tree_with_readable_labels(
    theme: str, reviews: dict[str, Review], tmp_path: Path
) -> None:
    results, _ = render([tree_of(r) for r in reviews.values()], tmp_path, theme=theme,
                        shot=f"trees-{theme}.png")
    for (case, (_, expected)), result in zip(CASES.items(), results, strict=True):
        assert result["error"] is None, (case, result["error"])
        shown = " | ".join(result["labels"])
        for label in expected:
            assert label in shown, (case, label)
        styled: list[dict[str, Any]] = [
            n for n in result["nodes"]
            if re.search(r"\b(added|removed|left|moved|changed)\b", n["classes"] or "")]
        assert styled, case
        for node in styled:
            ratio = contrast(node["color"], node["fill"])
            assert ratio >= 4.5, (case, theme, node)


def test_a_lost_role_is_marked_by_a_sign_and_a_word_not_only_strike_through(
    reviews: dict[str, Review], tmp_path: Path
) -> None:
    markdown = render_markdown(reviews["every risk flag, with a person removed"])
    matrix = markdown[markdown.index("### Access matrix"):]
    html = to_html(matrix)
    assert "<s>" not in html and "<del>" not in html
    _, page = render([], tmp_path, extra_html=html, shot="matrix.png")
    assert re.search(r"<b>−</b>[^<(]+ \(lost\)", page), matrix
