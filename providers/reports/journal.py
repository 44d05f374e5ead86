"""The apply journal: one JSON line per guarded apply, appended, never rewritten.

::

    .shoporg/journal.jsonl
    {"schema": "shoporg.journal/v1.1", "at": "2026-11-23T15:04:05+00:00", "who": "ops@youpin",
     "stack": "prod", "plan_sha256": "9f…", "org_sha256": "1c…", "result": "failed",
     "summary": {"create": 2, "update": 1, "replace": 0, "delete": 9},
     "removals": {"removed": 9, "existing": 107}, "reason": "seasonal staff leave",
     "applied": {"delete": 9}, "failed": [{"kind": "role", "name": "tb-youpin/tb-ops",
     "operation": "update", "message": "…"}], "not_reached": [{"kind": "role_grant", …}]}

The file is opened with ``O_APPEND`` (each entry is one ``write`` of one line, so
concurrent writers cannot interleave inside an entry) and fsynced. Entries hold counts,
hashes, the operator's reason and the objects an apply failed on or never reached (kind,
resource name, operation, the provider's error message) — never inputs or outputs, so
never a secret. Commit it, or ship it to a log store, to keep the history.
"""

from __future__ import annotations

import datetime
import getpass
import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any, Final

from shoporg.errors import ShoporgError

SCHEMA: Final = "shoporg.journal/v1.1"  # 1.1: applied, failed, not_reached
JOURNAL: Final = Path(".shoporg") / "journal.jsonl"


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def who(root: Path) -> str:
    """The operator: CI's actor, else git's user.email, else the login name."""
    for var in ("SHOPORG_ACTOR", "GITHUB_ACTOR"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        email = subprocess.run(["git", "config", "user.email"], cwd=root, capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        email = ""
    if email:
        return email
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def append(root: Path, entry: dict[str, Any]) -> Path:
    path = root / JOURNAL
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"schema": SCHEMA,
              "at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
              **entry}
    line = (json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def read(root: Path) -> list[dict[str, Any]]:
    """Every entry, oldest first; a line that is not JSON is an error naming ``file:line``
    (the journal is append-only: nothing here rewrites it)."""
    path = root / JOURNAL
    if not path.is_file():
        return []
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            raise ShoporgError(f"{path}:{number}: not a journal line (JSON); the journal is "
                               "append-only: restore it from git or the log store") from None
    return entries
