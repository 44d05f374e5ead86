"""The platform rule table (``providers/platforms/rules.py``) is enumerated, so a rule cannot
be added and forgotten:

* a rule checked at ``validate`` has an invalid org.yaml fixture tagged with its code
  (``[rule: <code>]`` on the fixture's first line) whose expected lines state the rule;
* a rule enforced at ``apply`` has a connector contract case (``tests/backends/
  test_contract.py``'s ``RULE_CASES``) that triggers it; that suite checks the refusal
  states the rule;
* each rule has one code and one message, written nowhere else in ``providers/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from providers.platforms import PLATFORMS
from providers.platforms.rules import RULES, RULES_BY_CODE, PlatformRule
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


def _by(stage: str) -> list[PlatformRule]:
    return [r for r in RULES if stage in r.checked]


def _ids(rules: list[PlatformRule]) -> list[str]:
    return [r.code for r in rules]


@pytest.mark.parametrize("rule", _by("validate"), ids=_ids(_by("validate")))
def test_a_rule_checked_in_org_yaml_has_a_fixture_the_validator_rejects_in_its_words(
    rule: PlatformRule,
) -> None:
    fixtures = TAGGED.get(rule.code)
    assert fixtures, f"no tests/fixtures/org/invalid/*.yaml is tagged [rule: {rule.code}]"
    for fixture in fixtures:
        expected = fixture.with_suffix(".expected").read_text(encoding="utf-8")
        assert rule.message in expected, f"{fixture.name} does not state {rule.message!r}"


@pytest.mark.parametrize("rule", _by("apply"), ids=_ids(_by("apply")))
def test_a_rule_enforced_at_apply_has_a_contract_case(rule: PlatformRule) -> None:
    assert CASES.get(rule.code), f"tests/backends/test_contract.py has no case for {rule.code}"


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
def test_no_rule_is_written_out_again_outside_the_table(rule: PlatformRule) -> None:
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
