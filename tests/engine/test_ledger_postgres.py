"""The manual-step ledger on PostgreSQL, on the real engine: a stack whose
``shoporg:ledgerPath`` is a ``postgresql://`` URL raises its steps there from the provider
processes, and the CLI (``shoporg tasks``) reads and confirms them there — no ledger file.

The cluster is :func:`tests.pg.cluster` (skipped locally without the server binaries,
failed under ``CI=true``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shoporg.backends.ledger import Ledger
from tests.engine.conftest import StackProject, worklist_steps
from tests.pg import Server, cluster

LEDGER_PLATFORMS = ("shopee", "ozon", "douyin")


@pytest.fixture(scope="module")
def postgres(engine: None) -> Iterator[Server]:
    with cluster() as server:
        yield server


@pytest.fixture(scope="module")
def ledger_url(postgres: Server) -> str:
    return postgres.database_url(postgres.new_database("ledger"), scheme="postgresql")


@pytest.fixture(scope="module")
def project(ledger_url: str, tmp_path_factory: pytest.TempPathFactory) -> StackProject:
    project = StackProject(tmp_path_factory.mktemp("ledger-pg"))
    project.pulumi.env.pop("SHOPORG_LEDGER", None)  # the stack config must be what decides
    project.pulumi.run("config", "set", "shoporg:connectors",
                       "{shopee: ledger, ozon: ledger, douyin: ledger}")
    project.pulumi.run("config", "set", "shoporg:ledgerPath", ledger_url)
    return project


def ledger_accounts(project: StackProject) -> set[str]:
    return {a["id"] for a in project.org()["accounts"] if a["platform"] in LEDGER_PLATFORMS}


def test_up_raises_the_steps_in_postgres_and_writes_no_ledger_file(
    project: StackProject, ledger_url: str
) -> None:
    project.up()
    steps = Ledger(ledger_url).steps("open")
    assert steps and {s.account for s in steps} == ledger_accounts(project)
    assert not (project.root / ".shoporg").exists()
    assert {s["id"] for s in worklist_steps(project)} == {s.id for s in steps}  # the CLI too


def test_a_confirmation_by_the_cli_is_what_the_next_up_reads_and_nothing_is_raised_twice(
    project: StackProject, ledger_url: str
) -> None:
    ledger = Ledger(ledger_url)
    before = ledger.steps("open")
    # A role: its desired values take nothing from other pending objects, so confirming it
    # changes no other step's values (which would supersede them with new steps).
    first = next(s for s in before if s.kind == "role")
    project.shoporg("tasks", "done", str(first.id), "--by", "运营 小王", "--note", "千牛")
    assert ledger.confirmed()[(first.kind, first.name)].state_by == "运营 小王"
    project.up()
    after = ledger.steps()
    assert len(after) == len(before)  # the second up raised nothing again
    assert {s.id for s in ledger.steps("open")} == {s.id for s in before} - {first.id}
