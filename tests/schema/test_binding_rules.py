"""The validator holds each binding to the rule table's predicates as the account system applies
org.yaml in file order: a binding it would refuse is reported once, at that binding, and left
out of the facts the next binding is judged by (``providers/schema/rules.py`` ``bindings``).
The fixtures pin the words; these cases pin how many lines a shop's bindings give."""

from __future__ import annotations

from pathlib import Path

import pytest

from shoporg.errors import ConfigError
from shoporg.schema import validate_text

BASE = (
    Path(__file__).parents[1] / "fixtures" / "org" / "valid" / "small-org-touching-every-kind.yaml"
).read_text(encoding="utf-8")
ANCHOR = "  - {shop: dy-shop, kind: self_operated, external_account: creator_a}\n"


def _with_bindings(*lines: str) -> str:
    assert BASE.count(ANCHOR) == 1
    return BASE.replace(ANCHOR, ANCHOR + "".join(f"  - {line}\n" for line in lines))


def _issues(text: str) -> list[str]:
    try:
        validate_text(text, "org.yaml")
    except ConfigError as exc:
        return [issue.message for issue in exc.issues]
    return []


def _channels(n: int, source: str = "xigua") -> list[str]:
    # The base org binds one channel account to dy-shop already.
    return [f"{{shop: dy-shop, kind: channel, external_account: ch{i}, source: {source}}}"
            for i in range(n)]


@pytest.mark.parametrize(
    ("bindings", "fragments"),
    [
        pytest.param(_channels(4), [], id="five channel accounts on a shop pass"),
        pytest.param(_channels(6), ["has more than 5 channel accounts"],
                     id="a sixth and a seventh channel account are told once for the shop"),
        pytest.param(
            ["{shop: dy-shop, kind: official, external_account: o2}",
             "{shop: dy-shop, kind: official, external_account: o3}"],
            ["already has an official account", "already has an official account"],
            id="every official account after the first is reported at its binding",
        ),
        pytest.param(
            ["{shop: dy-shop, kind: channel, external_account: no-source}", *_channels(4)],
            ["a channel binding needs a source"],
            id="a channel binding refused for its source does not count toward the limit",
        ),
        pytest.param(
            ["{shop: dy-shop, kind: self_operated, external_account: creator_b}",
             "{shop: dy-shop, kind: self_operated, external_account: creator_c}"],
            [], id="a shop may hold several self-operated creators",
        ),
    ],
)
def test_a_shops_bindings_give_one_line_per_binding_the_account_system_would_refuse(
    bindings: list[str], fragments: list[str]
) -> None:
    issues = _issues(_with_bindings(*bindings))
    assert len(issues) == len(fragments), issues
    for issue, fragment in zip(issues, fragments, strict=True):
        assert fragment in issue
