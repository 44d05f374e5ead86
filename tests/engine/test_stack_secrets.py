"""The commands that open a connector outside the engine read the stack's config as the
program does, secrets included: a TOP stack set up exactly as the README says
(``pulumi config set --secret shoporg:taobaoAppSecret ...``, ``...taobaoSession ...``, and
here a secret ``shoporg:ledgerPath`` too) runs ``shoporg up``, ``drift``, ``tasks`` and
``import`` with nothing exported: no ``SHOPORG_TAOBAO_*``, no ``SHOPORG_LEDGER``.

Before the CLI decrypted stack secrets, ``shoporg up`` and ``tasks`` exited 1 ("export
SHOPORG_LEDGER"), ``drift`` exited 1 ("the taobao backend needs shoporg:taobaoAppKey,
shoporg:taobaoAppSecret (secret), shoporg:taobaoSession (secret)") and ``import`` had no
``--stack``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.engine.conftest import TOP_APP_SECRET, TOP_SESSION, StackProject, top_endpoint

STACK = "test"  # StackProject's
SECRET_LEDGER = ".shoporg/secret-ledger.db"


@pytest.fixture(scope="module")
def project(engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProject]:
    project = StackProject(tmp_path_factory.mktemp("stack-secrets"))
    project.pulumi.env.pop("SHOPORG_LEDGER", None)
    with top_endpoint(project):  # app secret and session set with `pulumi config set --secret`
        project.pulumi.run("config", "set", "--secret", "shoporg:ledgerPath", SECRET_LEDGER)
        assert not any(k.startswith("SHOPORG_TAOBAO_") for k in project.pulumi.env)
        project.shoporg("up", "--stack", STACK)  # the guarded apply reads the ledger too
        yield project


def assert_no_secret_in(output: str) -> None:
    assert TOP_APP_SECRET not in output and TOP_SESSION not in output  # every session's prefix


def test_nightly_drift_runs_on_a_top_stack_whose_secrets_are_in_stack_config(
    project: StackProject,
) -> None:
    drift = project.shoporg("drift", "--stack", STACK, "--format", "json", check=False)
    assert drift.returncode == 0, drift.stdout + drift.stderr
    assert_no_secret_in(drift.stdout + drift.stderr)


def test_the_worklist_is_read_from_a_secret_ledger_path(project: StackProject) -> None:
    tasks = project.shoporg("tasks", "--stack", STACK, "--format", "json", check=False)
    assert tasks.returncode == 0, tasks.stdout + tasks.stderr
    platforms = {p["platform"] for p in json.loads(tasks.stdout)["platforms"]}
    assert platforms & {"shopee", "ozon", "douyin"}, tasks.stdout  # the up's ledger steps
    assert (project.root / SECRET_LEDGER).is_file()
    assert not (project.root / ".shoporg" / "ledger.db").exists()  # not the default file


def test_import_reads_the_endpoint_and_credentials_from_the_stack(
    project: StackProject,
) -> None:
    imported = project.shoporg("import", "--backend", "taobao", "--stack", STACK,
                               "--org", "org.yaml", check=False)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "tb-youpin" in imported.stdout
    assert_no_secret_in(imported.stdout + imported.stderr)
