"""Every rule has an invalid fixture whose exact error lines are pinned in a .expected file.

tests/fixtures/org/invalid/<sentence>.yaml    one defect on top of valid/small-org-...yaml
tests/fixtures/org/invalid/<sentence>.expected the exact lines, as `shoporg validate` prints them
tests/fixtures/org/valid/<sentence>.yaml      must validate (e.g. a leaver who keeps grants)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shoporg.errors import ConfigError
from shoporg.schema import validate_text

FIXTURES = Path(__file__).parents[1] / "fixtures" / "org"
INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
VALID = sorted((FIXTURES / "valid").glob("*.yaml"))


def _issues(path: Path) -> list[str]:
    try:
        validate_text(path.read_text(encoding="utf-8"), "org.yaml")
    except ConfigError as exc:
        return [str(issue) for issue in exc.issues]
    return []


@pytest.mark.parametrize("fixture", INVALID, ids=lambda p: p.stem)
def test_invalid_fixture_yields_exactly_its_expected_lines(fixture: Path) -> None:
    expected = fixture.with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    assert expected, f"{fixture.name}: an invalid fixture needs at least one expected line"
    assert _issues(fixture) == expected


@pytest.mark.parametrize("fixture", VALID, ids=lambda p: p.stem)
def test_valid_fixture_has_no_issues(fixture: Path) -> None:
    assert _issues(fixture) == []


def test_there_is_an_invalid_fixture_for_every_rule_family() -> None:
    # Guards against the glob silently finding nothing (a test that cannot fail).
    assert len(INVALID) >= 40
    assert all(p.with_suffix(".expected").exists() for p in INVALID)


def test_issues_are_sorted_by_position() -> None:
    lines = _issues(FIXTURES / "invalid" / "bindings-that-break-douyin-rules.yaml")
    positions = [tuple(int(n) for n in line.split(":")[1:3]) for line in lines]
    assert len(positions) > 1
    assert positions == sorted(positions)
