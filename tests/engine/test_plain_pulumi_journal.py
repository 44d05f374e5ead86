"""Plain ``pulumi`` with one state save journals too (the documented usage without shoporg up).

``PULUMI_SKIP_CHECKPOINTS=true pulumi up`` (no ``SHOPORG_JOURNAL``): the providers find the
stack in the first step's URN and journal into ``.shoporg/steps/<stack>.jsonl``, so a kill
loses nothing ``shoporg recover`` cannot replay. After the run saved the state the journal
is spent: the journal holds exactly what the state holds, and the next ``shoporg up``
removes it and starts. ``SHOPORG_JOURNAL=off`` turns it off.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from shoporg.engine import step_journal
from tests.engine.conftest import StackProject


@pytest.fixture(scope="module")
def plain(engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProject]:
    project = StackProject(tmp_path_factory.mktemp("plain"))
    project.pulumi.env["PULUMI_SKIP_CHECKPOINTS"] = "true"
    project.up()
    yield project


def journal_file(project: StackProject) -> Any:
    return step_journal.journal_path(project.root, "test")


def test_a_plain_up_with_one_save_journals_every_create_into_the_stacks_file(
        plain: StackProject) -> None:
    records = step_journal.read(journal_file(plain),
                                step_journal.passphrase(plain.pulumi.env))
    creates = {r["urn"].split("::")[-1] for r in records if r["op"] == "create"}
    assert creates and creates == set(plain.outputs())
    assert [r["op"] for r in records].count("configure") >= 1


def test_the_journal_replayed_onto_nothing_gives_the_saved_state(plain: StackProject) -> None:
    from shoporg.cli.recover import secret_outputs

    records = step_journal.read(journal_file(plain),
                                step_journal.passphrase(plain.pulumi.env))
    rebuilt: dict[str, Any] = {}
    step_journal.replay(rebuilt, records, secret_outputs())
    saved = json.loads(plain.pulumi.run("stack", "export").stdout)["deployment"]
    assert ({r["urn"] for r in rebuilt["resources"]}
            == {r["urn"] for r in saved["resources"]})


def test_a_preview_writes_no_journal_and_shoporg_up_and_recover_drop_the_spent_one(
        plain: StackProject) -> None:
    path = journal_file(plain)
    before = path.stat().st_size
    plain.preview("--expect-no-changes")
    assert path.stat().st_size == before  # a preview steps nothing
    spent, written = path.read_bytes(), path.stat().st_mtime_ns
    result = plain.shoporg("up")
    assert "No changes." in result.stdout
    assert not path.exists()
    # `shoporg recover` too removes a spent journal, and replays nothing of it.
    path.write_bytes(spent)
    os.utime(path, ns=(written, written))  # as the run left it: before the state's save
    out = plain.shoporg("recover").stdout
    assert "the step journal was spent" in out and "replayed" not in out
    assert not path.exists()


def test_journal_off_keeps_a_plain_up_unjournaled(plain: StackProject) -> None:
    plain.edit(lambda org: org["members"].pop())
    plain.pulumi.env["SHOPORG_JOURNAL"] = "off"
    try:
        plain.up()
    finally:
        plain.pulumi.env.pop("SHOPORG_JOURNAL")
    assert not journal_file(plain).exists()
