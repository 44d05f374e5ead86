"""The PostgreSQL state backend (``PULUMI_BACKEND_URL=postgres://...``), the team option.

The set-up initialises a throw-away cluster from Debian's ``postgresql`` packages
(``initdb`` in a temp dir, trust auth, listening on 127.0.0.1 only, a free port), the tests
run ``up`` / ``preview`` on the example org against it, and the tear-down stops it.
Without the server binaries the tests skip locally; under ``CI=true`` they fail, because
``.ci/run`` installs ``postgresql`` first and a silent skip would hide a broken set-up.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.engine.conftest import StackProject

ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def server_binaries() -> Path | None:
    """The directory holding ``initdb``/``pg_ctl``: PATH first, then Debian's versioned dirs."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "pg_ctl").is_file() and (Path(candidate) / "initdb").is_file():
            return Path(candidate)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    bin_dir: Path
    port: int
    as_user: tuple[str, ...]

    @property
    def url(self) -> str:
        return f"postgres://pulumi@127.0.0.1:{self.port}/postgres?sslmode=disable"

    def psql(self, sql: str) -> str:
        out = subprocess.run(
            [*self.as_user, str(self.bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(self.port),
             "-U", "pulumi", "-d", "postgres", "-Atc", sql],
            capture_output=True, text=True, check=True, timeout=60,
        )
        return out.stdout.strip()


@pytest.fixture(scope="module")
def postgres(engine: None) -> Iterator[Server]:
    bin_dir = server_binaries()
    if bin_dir is None:
        reason = "PostgreSQL server binaries not found (apt-get install -y postgresql)"
        if ON_CI:
            pytest.fail(f"CI=true and {reason}; .ci/run should have installed them")
        pytest.skip(reason)
    # initdb refuses to run as root: then the cluster belongs to the packages' `postgres`
    # user, in a directory of its own (pytest's tmp dirs are private to root).
    as_user: tuple[str, ...] = ()
    root = Path(tempfile.mkdtemp(prefix="shoporg-pg-"))
    if os.geteuid() == 0:
        as_user = ("runuser", "-u", "postgres", "--")
        shutil.chown(root, "postgres", "postgres")
    data, log = root / "data", root / "server.log"
    server = Server(bin_dir, free_port(), as_user)

    def run(*cmd: str) -> None:
        proc = subprocess.run([*as_user, *cmd], capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            server_log = log.read_text() if log.exists() else ""
            raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stdout}{proc.stderr}{server_log}")

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "pulumi", "--auth=trust",
            "-E", "UTF8", "--no-locale")
        # Loopback only, socket in our own dir (the packaged /var/run/postgresql may not exist).
        options = f"-c listen_addresses=127.0.0.1 -p {server.port} -k {root}"
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w",
            "-t", "60", "start")
        yield server
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast",
                            "-w", "stop"], capture_output=True, timeout=120)
        shutil.rmtree(root, ignore_errors=True)


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
