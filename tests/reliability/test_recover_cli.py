"""``shoporg recover``'s safety check, without the engine: whose lock may be removed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from shoporg.cli.recover import file_backend_dir, repair_torn_metadata, stack_locks


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@dataclass(frozen=True)
class LockCase:
    name: str
    pid: int
    hostname: str
    alive: bool


CASES = (
    LockCase("a running pulumi on this host holds it", os.getpid(), socket.gethostname(), True),
    LockCase("the pulumi that took it on this host is gone", dead_pid(), socket.gethostname(),
             False),
    LockCase("another machine holds it, which we cannot check", os.getpid(), "elsewhere", True),
)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_lock_counts_as_alive_unless_its_process_is_known_dead(
    case: LockCase, tmp_path: Path
) -> None:
    folder = tmp_path / ".pulumi" / "locks" / "organization" / "shoporg" / "dev"
    folder.mkdir(parents=True)
    (folder / "a.json").write_text(json.dumps({"pid": case.pid, "hostname": case.hostname,
                                               "username": "u", "timestamp": "t"}))
    (folder / "b.json").write_text("{not json")  # unreadable: left to `pulumi cancel`
    locks = stack_locks(tmp_path, "shoporg", "dev")
    assert [(lock.pid, lock.alive()) for lock in locks] == [(case.pid, case.alive)]
    assert stack_locks(tmp_path, "shoporg", "other") == []


def test_a_lock_whose_pulumi_is_a_zombie_counts_as_dead(tmp_path: Path) -> None:
    """A killed engine whose parent (``shoporg up``) was killed too waits, a zombie, for a
    reaper a container's PID 1 may never be: its lock is stale all the same."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        folder = tmp_path / ".pulumi" / "locks" / "organization" / "shoporg" / "dev"
        folder.mkdir(parents=True)
        (folder / "a.json").write_text(json.dumps({"pid": proc.pid,
                                                   "hostname": socket.gethostname()}))
        assert [lock.alive() for lock in stack_locks(tmp_path, "shoporg", "dev")] == [False]
    finally:
        proc.wait()


@pytest.mark.parametrize(
    ("url", "expected"),
    [("file:///srv/state", Path("/srv/state")), ("postgres://db/x", None), ("", None)],
    ids=["a file backend has lock files", "postgres has none we can read", "no backend set"],
)
def test_only_a_file_backend_has_lock_files_to_inspect(url: str, expected: Path | None) -> None:
    assert file_backend_dir({"PULUMI_BACKEND_URL": url}) == expected


@pytest.mark.parametrize(
    ("content", "removed"),
    [("", True), ('{"user.cache_control": "', True), ('{"md5": "abc"}', False)],
    ids=[
        "an empty sidecar left by a kill is removed",
        "a truncated sidecar is removed",
        "a whole sidecar is kept",
    ],
)
def test_a_torn_state_metadata_sidecar_is_removed_and_nothing_else(
    tmp_path: Path, content: str, removed: bool
) -> None:
    stacks = tmp_path / ".pulumi" / "stacks" / "shoporg"
    stacks.mkdir(parents=True)
    (stacks / "dev.json").write_text("{}")
    (stacks / "dev.json.attrs").write_text(content)
    (stacks / "dev.json.bak.attrs").write_text('{"md5": "abc"}')
    assert repair_torn_metadata(tmp_path) == ([stacks / "dev.json.attrs"] if removed else [])
    assert (stacks / "dev.json.attrs").exists() is not removed
    assert (stacks / "dev.json").read_text() == "{}"
    assert (stacks / "dev.json.bak.attrs").exists()
