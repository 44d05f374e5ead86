"""The PostgreSQL state backend (``PULUMI_BACKEND_URL=postgres://...``), the team option.

The set-up starts a throw-away cluster (:func:`tests.pg.cluster`: Debian's ``postgresql``
packages, ``initdb`` in a temp dir, trust auth, listening on 127.0.0.1 only, a free port),
the tests run ``up`` / ``preview`` on the example org against it, and the tear-down stops
it. Without the server binaries the tests skip locally; under ``CI=true`` they fail, because
``.ci/run`` installs ``postgresql`` first and a silent skip would hide a broken set-up.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.engine.conftest import StackProject
from tests.pg import Server, cluster


@pytest.fixture(scope="module")
def postgres(engine: None) -> Iterator[Server]:
    with cluster() as server:
        yield server


@pytest.fixture(scope="module")
def pg_project(
    postgres: Server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StackProject]:
    saved = os.environ.get("PULUMI_BACKEND_URL")
    os.environ["PULUMI_BACKEND_URL"] = postgres.url
    try:
        yield StackProject(tmp_path_factory.mktemp("pg-project"))
    finally:
        if saved is None:
            os.environ.pop("PULUMI_BACKEND_URL", None)
        else:
            os.environ["PULUMI_BACKEND_URL"] = saved


def test_up_stores_the_stack_in_postgres_not_in_files(
    pg_project: StackProject, postgres: Server
) -> None:
    result = pg_project.up()
    assert "created" in result.stdout
    assert pg_project.pulumi.env["PULUMI_BACKEND_URL"].startswith("postgres://")
    # The engine created its table and wrote the stack there...
    keys = postgres.psql("SELECT key FROM pulumi_state ORDER BY key").splitlines()
    assert any(k.endswith("/test.json") for k in keys), keys
    # ...and nothing went to the file backend (only the per-checkout passphrase lives there).
    state_dir = pg_project.root / ".pulumi-state"
    assert not (state_dir / ".pulumi").exists()
    assert pg_project.backend().list_sub_accounts("tb-youpin")


def test_a_preview_against_postgres_sees_no_changes(pg_project: StackProject) -> None:
    result = pg_project.preview("--expect-no-changes", check=False)
    assert result.returncode == 0, result.output
    refreshed = pg_project.preview("--refresh", "--expect-no-changes", check=False)
    assert refreshed.returncode == 0, refreshed.output


def test_stack_history_is_kept_in_postgres(pg_project: StackProject) -> None:
    history = pg_project.pulumi.run("stack", "history", "--json").stdout
    assert '"kind": "update"' in history


def test_drift_reads_the_state_from_postgres_through_the_cli_and_names_a_hand_change(
    pg_project: StackProject,
) -> None:
    """No file to read: the engine-free drift asks ``pulumi stack export`` (and the selected
    stack, ``pulumi stack --show-name``) — and finds what the engine's refresh finds."""
    pg_project.shoporg("sandbox", "sub", "disable", "tb-youpin", "zhang-wei")
    engine_free = pg_project.shoporg("drift", "--format", "json", check=False)
    engine = pg_project.shoporg("drift", "--format", "json", "--engine", check=False)
    assert engine_free.returncode == 2, engine_free.stderr
    assert (engine_free.returncode, engine_free.stdout) == (engine.returncode, engine.stdout)
    assert '"tb-youpin/zhang-wei"' in engine_free.stdout
