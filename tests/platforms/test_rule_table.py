"""The platform rule table (``providers/platforms/rules.py``) is enumerated, so a rule cannot
be added and forgotten:

* a rule checked at ``validate`` has an invalid org.yaml fixture tagged with its code
  (``[rule: <code>]`` on the fixture's first line) whose expected lines state the rule;
* a rule enforced at ``apply`` has a connector contract case (``tests/backends/
  test_contract.py``'s ``RULE_CASES``) that triggers it; that suite checks the refusal
  states the rule;
* each rule has one code and one message, written nowhere else in ``providers/``;
* each rule either carries its check (a predicate over one subject's facts, which every
  consumer evaluates from the table) or says why it is checked by hand.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from shoporg.platforms import PLATFORMS
from shoporg.platforms.facts import (
    ChatGroupFacts,
    CreatorFacts,
    SeatFacts,
    ShopBindingFacts,
    ShopFacts,
    ShopsFacts,
    UserFacts,
)
from shoporg.platforms.rules import RULES, RULES_BY_CODE, PlatformRule, broken
from tests.backends.test_contract import RULE_CASES

ROOT = Path(__file__).parents[2]
INVALID = ROOT / "tests" / "fixtures" / "org" / "invalid"
TAG = re.compile(r"\[rule: ([a-z_, ]+)\]")


def _tagged() -> dict[str, list[Path]]:
    """Rule code -> the invalid fixtures whose first line names it."""
    out: dict[str, list[Path]] = {}
    for path in sorted(INVALID.glob("*.yaml")):
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        found = TAG.search(first)
        for code in (found.group(1).split(",") if found else []):
            out.setdefault(code.strip(), []).append(path)
    return out


TAGGED = _tagged()
CASES: dict[str, list[str]] = {}
for case in RULE_CASES:
    CASES.setdefault(case.values[1], []).append(str(case.id))


def _by(stage: str) -> list[PlatformRule[Any]]:
    return [r for r in RULES if stage in r.checked]


def _ids(rules: list[PlatformRule[Any]]) -> list[str]:
    return [r.code for r in rules]


@pytest.mark.parametrize("rule", _by("validate"), ids=_ids(_by("validate")))
def test_a_rule_checked_in_org_yaml_has_a_fixture_the_validator_rejects_in_its_words(
    rule: PlatformRule[Any],
) -> None:
    fixtures = TAGGED.get(rule.code)
    assert fixtures, f"no tests/fixtures/org/invalid/*.yaml is tagged [rule: {rule.code}]"
    for fixture in fixtures:
        expected = fixture.with_suffix(".expected").read_text(encoding="utf-8")
        assert rule.message in expected, f"{fixture.name} does not state {rule.message!r}"


@pytest.mark.parametrize("rule", _by("apply"), ids=_ids(_by("apply")))
def test_a_rule_enforced_at_apply_has_a_contract_case(rule: PlatformRule[Any]) -> None:
    assert CASES.get(rule.code), f"tests/backends/test_contract.py has no case for {rule.code}"


def test_every_rule_written_in_the_module_is_in_the_table() -> None:
    # A rule defined and left out of RULES would be checked by no consumer and held to no
    # fixture or contract case: nothing else would notice it.
    from shoporg.platforms import rules as module

    written = {r.code for r in vars(module).values() if isinstance(r, PlatformRule)}
    assert sorted(written - set(RULES_BY_CODE)) == []


def test_every_fixture_tag_names_a_rule_of_the_table() -> None:
    assert TAGGED, "no fixture is tagged: the glob or the tag format is broken"
    assert sorted(set(TAGGED) - set(RULES_BY_CODE)) == []


def test_each_rule_is_enforced_somewhere_and_applies_to_known_platforms() -> None:
    for rule in RULES:
        assert rule.checked, rule.code
        assert rule.platforms and rule.platforms <= set(PLATFORMS), rule.code


def test_each_rule_has_one_code_and_one_message() -> None:
    assert len(RULES_BY_CODE) == len(RULES)
    messages = [r.message for r in RULES]
    assert len(set(messages)) == len(messages)


@pytest.mark.parametrize("rule", RULES, ids=_ids(list(RULES)))
def test_no_rule_is_written_out_again_outside_the_table(rule: PlatformRule[Any]) -> None:
    # The message with its facts filled in, or its template, in another module or template
    # would be a second copy that drifts when the fact or the wording changes.
    table = ROOT / "providers" / "platforms" / "rules.py"
    copies = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "providers").rglob("*"))
        if path.suffix in (".py", ".j2") and path != table
        and (rule.message in (text := path.read_text(encoding="utf-8")) or rule.template in text)
    ]
    assert copies == []


@pytest.mark.parametrize("rule", RULES, ids=_ids(list(RULES)))
def test_each_rule_carries_its_predicate_or_says_why_it_is_checked_by_hand(
    rule: PlatformRule[Any],
) -> None:
    carries = rule.subject is not None and rule.predicate is not None
    assert carries != bool(rule.by_hand), rule.code
    assert (rule.subject is None) == (rule.predicate is None), rule.code


DOUYIN_SHOP = ShopBindingFacts("douyin", "dy-shop")
TAOBAO_SHOP = ShopBindingFacts("taobao", "tb-shop")


@pytest.mark.parametrize(
    ("facts", "codes"),
    [
        pytest.param(DOUYIN_SHOP.plus("official").plus("channel", "toutiao"), [],
                     id="a douyin shop with an official and a channel account keeps every rule"),
        pytest.param(DOUYIN_SHOP.plus("official").plus("official"), ["official_exists"],
                     id="a second official account breaks official_exists"),
        pytest.param(ShopBindingFacts("douyin", "dy-shop", channels=6,
                                      channel_sources=("xigua",) * 6),
                     ["channel_limit"], id="a sixth channel account breaks channel_limit"),
        pytest.param(DOUYIN_SHOP.plus("channel", None), ["channel_source"],
                     id="a channel account without a source breaks channel_source"),
        pytest.param(TAOBAO_SHOP.plus("channel", None), ["bindings_unsupported"],
                     id="any binding on a taobao shop breaks bindings_unsupported only"),
        pytest.param(TAOBAO_SHOP, [], id="a taobao shop without bindings keeps every rule"),
        pytest.param(CreatorFacts("douyin", "c", frozenset({"a/s1", "b/s2"})),
                     ["self_operated_taken"],
                     id="a creator self-operated for two shops breaks self_operated_taken"),
        pytest.param(ShopsFacts("tmall", "tm", 2), ["single_shop"],
                     id="a tmall account with two shops breaks single_shop"),
        pytest.param(ShopsFacts("shopee", "sp", 2), [], id="a shopee account has many shops"),
        pytest.param(ShopFacts("shopee", "sp-xx", "XX"), ["shopee_site"],
                     id="a shopee shop on an unknown site breaks shopee_site"),
        pytest.param(ShopFacts("ozon", "oz", None), [], id="an ozon shop names no site"),
        pytest.param(SeatFacts("taobao", "tb", 4, 3), ["seat_quota"],
                     id="four sub-accounts on three seats break seat_quota"),
        pytest.param(UserFacts("ozon", "ivan", None), ["email_required"],
                     id="an ozon user without an email breaks email_required"),
        pytest.param(UserFacts("taobao", "li", None, two_factor=True),
                     ["two_factor_unsupported"],
                     id="a two-factor flag on a taobao user breaks two_factor_unsupported"),
        pytest.param(ChatGroupFacts("taobao", "tb-shop", 1), ["chat_groups_unsupported"],
                     id="a chat group on a taobao shop breaks chat_groups_unsupported"),
    ],
)
def test_the_table_decides_which_rules_a_subject_breaks(facts: Any, codes: list[str]) -> None:
    assert [r.code for r in broken(facts, "apply")] == codes
