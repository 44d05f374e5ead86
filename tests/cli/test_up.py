"""``shoporg up``'s choice of state saves, without the engine (the engine tests run both)."""

from __future__ import annotations

from pathlib import Path

import pytest

from providers.cli.main import build_parser
from providers.cli.up import save_mode
from providers.engine import step_journal

JOURNAL = Path("/p/.shoporg/steps/dev.jsonl")


@pytest.mark.parametrize(("caller", "journal_file", "expected"), [
    ({}, JOURNAL, {"PULUMI_SKIP_CHECKPOINTS": "true", "SHOPORG_JOURNAL": str(JOURNAL)}),
    ({"SHOPORG_JOURNAL": "off"}, JOURNAL,
     {"PULUMI_SKIP_CHECKPOINTS": "true", "SHOPORG_JOURNAL": str(JOURNAL)}),
    ({}, None, {"SHOPORG_JOURNAL": "off"}),
    ({"PULUMI_SKIP_CHECKPOINTS": "true"}, None, {"SHOPORG_JOURNAL": "off"}),
], ids=[
    "the default saves once at the end and journals every step",
    "a journal turned off in the caller's shell is on for a journaled up",
    "with --checkpoints the engine saves after every step and nothing journals",
    "with --checkpoints a skip in the caller's shell is dropped",
])
def test_up_sets_the_engines_saves_and_the_journal_together(
        caller: dict[str, str], journal_file: Path | None, expected: dict[str, str]) -> None:
    env = dict(caller)
    save_mode(env, journal_file)
    assert env == expected
    assert step_journal.enabled(env) is (journal_file is not None)


@pytest.mark.parametrize(("argv", "checkpoints"), [
    (["up"], False),
    (["up", "--checkpoints"], True),
    (["up", "--journaled"], False),  # the opt-in flag of before still parses
], ids=["journaled by default", "checkpoints on request", "the old opt-in flag is accepted"])
def test_the_journaled_apply_is_the_default(argv: list[str], checkpoints: bool) -> None:
    assert build_parser().parse_args(argv).checkpoints is checkpoints
