"""A throw-away PostgreSQL cluster for tests, from Debian's ``postgresql`` packages.

``cluster()`` runs ``initdb`` in a temp dir (trust auth, superuser ``pulumi``), starts it
listening on 127.0.0.1 only on a free port with its socket in its own dir, and stops and
removes it on leaving. Without the server binaries it skips locally; under ``CI=true`` it
fails, because ``.ci/run`` installs ``postgresql`` first and a silent skip would hide a
broken set-up. Used by the PostgreSQL state backend (``tests/engine/test_postgres_backend.py``)
and the ledger on PostgreSQL (``tests/backends/test_ledger.py``).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
USER = "pulumi"


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
    _names: Iterator[int] = field(default_factory=itertools.count, compare=False, repr=False)

    def database_url(self, database: str = "postgres", scheme: str = "postgres") -> str:
        return f"{scheme}://{USER}@127.0.0.1:{self.port}/{database}?sslmode=disable"

    @property
    def url(self) -> str:
        return self.database_url()

    def psql(self, sql: str, database: str = "postgres") -> str:
        out = subprocess.run(
            [*self.as_user, str(self.bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(self.port),
             "-U", USER, "-d", database, "-Atc", sql],
            capture_output=True, text=True, check=True, timeout=60,
        )
        return out.stdout.strip()

    def new_database(self, prefix: str = "test") -> str:
        """A fresh, empty database's name (one per test keeps tests apart)."""
        name = f"{prefix}_{next(self._names)}"
        self.psql(f"CREATE DATABASE {name}")
        return name


def require_binaries() -> Path:
    bin_dir = server_binaries()
    if bin_dir is None:
        reason = "PostgreSQL server binaries not found (apt-get install -y postgresql)"
        if ON_CI:
            pytest.fail(f"CI=true and {reason}; .ci/run should have installed them")
        pytest.skip(reason)
    return bin_dir


@contextmanager
def cluster() -> Iterator[Server]:
    bin_dir = require_binaries()
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
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust",
            "-E", "UTF8", "--no-locale")
        # Loopback only, socket in our own dir (the packaged /var/run/postgresql may not exist).
        # Nothing here must survive a power cut, so no fsync: a CREATE DATABASE per test and
        # the tear-down take a fraction of the time on a busy disk.
        options = (f"-c listen_addresses=127.0.0.1 -p {server.port} -k {root} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w",
            "-t", "60", "start")
        yield server
    finally:
        if (data / "postmaster.pid").exists():
            # Immediate: the cluster is thrown away, so no shutdown checkpoint is worth waiting for.
            subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m",
                            "immediate", "-w", "stop"], capture_output=True, timeout=120)
        shutil.rmtree(root, ignore_errors=True)
