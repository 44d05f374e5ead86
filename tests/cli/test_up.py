"""``shoporg up``'s choice of state saves, and what its summary takes from the stack's
ledger, without the engine (the engine tests run both)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from shoporg.backends.ledger import Step
from shoporg.backends.ledger.store import State
from shoporg.cli.main import build_parser
from shoporg.cli.up import progress_from, save_mode
from shoporg.engine import step_journal
from shoporg.kinds import ROLE_GRANT, SUB_ACCOUNT, Ref
from shoporg.reports.outcome import Outcome, Progress

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


SUB = SUB_ACCOUNT.ref("sp-youpin", "zhang-wei")
GRANT = ROLE_GRANT.ref("sp-youpin", "zhang-wei", "sp-youpin-sg")
AT = datetime.datetime(2026, 12, 1, 9, tzinfo=datetime.UTC)


def step(id_: int, ref: Ref, state: State = "open", operation: str = "create") -> Step:
    return Step(id_, ref.kind, ref.name, "sp-youpin", "shopee", operation, None, "page", None,
                "runbook", AT, "shoporg", state, "shoporg", "ops", AT, None, id_, "prod")


LEDGER_CASES = [
    ("a step the apply raised is new",
     {SUB: "create"}, {SUB: 7}, [], [step(7, SUB)], Progress({}, 1, 1, 0, 0)),
    ("a step open before the apply is waiting, not new",
     {SUB: "update"}, {SUB: 7}, [step(7, SUB)], [step(7, SUB)], Progress({}, 1, 0, 0, 0)),
    ("a confirmed step the read-back opened again is reopened",
     {SUB: "update"}, {SUB: 7}, [step(7, SUB, "done")], [step(7, SUB)],
     Progress({}, 1, 0, 1, 0)),
    ("a removal whose delete step the apply raised waits on it",
     {GRANT: "delete"}, {}, [step(3, GRANT, "done")],
     [step(3, GRANT, "done"), step(9, GRANT, operation="delete")], Progress({}, 1, 1, 0, 0)),
    ("a removal the ledger raised nothing for is automated",
     {GRANT: "delete"}, {}, [], [], Progress({"delete": 1}, 0, 0, 0, 0)),
]


@pytest.mark.parametrize(("case", "done", "waiting", "before", "after", "progress"),
                         LEDGER_CASES, ids=[c[0] for c in LEDGER_CASES])
def test_the_summary_takes_new_and_reopened_steps_from_the_stacks_ledger(
        case: str, done: dict[Ref, str], waiting: dict[Ref, int], before: list[Step],
        after: list[Step], progress: Progress) -> None:
    outcome = Outcome(done=done, failed=(), not_reached=(), waiting=waiting)
    assert progress_from(outcome, {s.id: s for s in before}, after) == progress, case
