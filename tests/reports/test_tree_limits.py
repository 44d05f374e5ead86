"""The department tree stays within what Mermaid draws (GitHub shows an error past 500
edges or 50,000 characters), and the review keeps the pictures whenever they fit."""

from __future__ import annotations

import json
import re

import pytest

from shoporg.reports.model import Review
from shoporg.reports.render import MARKDOWN_LIMIT, render_json, render_markdown

from .test_golden import config_review, engine_review
from .trees import many_departments

pytestmark = pytest.mark.slow  # a real Chromium: started first (tests/conftest.py)

CASES = {
    "a change touching 300 departments": lambda: many_departments(300),
    "a change touching 40 departments": lambda: many_departments(40),
    "the 1,000-person onboarding from the engine": lambda: engine_review("thousand"),
    "the 1,000-person onboarding from org.yaml alone": lambda: config_review("thousand"),
}


@pytest.fixture(scope="module")
def reviews() -> dict[str, Review]:
    return {case: make() for case, make in CASES.items()}


@pytest.mark.parametrize("case", CASES)
def test_the_tree_stays_within_mermaid_s_limits(case: str, reviews: dict[str, Review]) -> None:
    tree = reviews[case].mermaid
    assert tree.startswith("graph TD")
    assert len(re.findall(r" --> ", tree)) <= 500, case
    assert len(tree) < 50_000, case


@pytest.mark.parametrize("case", CASES)
def test_a_large_change_keeps_its_tree_and_matrix_in_the_comment_and_the_json(
    case: str, reviews: dict[str, Review]
) -> None:
    review = reviews[case]
    markdown = render_markdown(review)
    assert len(markdown) < MARKDOWN_LIMIT
    assert "### Department tree" in markdown and "```mermaid\n" + review.mermaid in markdown
    assert "### Access matrix" in markdown
    assert "department tree and access matrix left out" not in markdown
    assert json.loads(render_json(review))["tree"] == review.mermaid


def test_departments_left_out_of_the_tree_are_counted_under_their_parent(
    reviews: dict[str, Review],
) -> None:
    tree = reviews["a change touching 300 departments"].mermaid
    [rest] = re.findall(r'd_ops --> r_ops\["… (\d+) more departments, (\d+) people"\]', tree)
    drawn = len(re.findall(r"^  d_ops_\d+\[", tree, re.M))
    assert int(rest[0]) + drawn == 300
