"""``shoporg recover``: make a stack usable again after ``pulumi up`` was killed.

::

    $ shoporg recover --stack dev
    removed the lock left by pid 4242 on vm (no longer running)
    cleared 5 interrupted create(s): tm-youpin/zhou-jie, tb-youpin/xu-qiang, ...
    refreshed: state now matches the account system; run `shoporg up` to finish

A killed ``up`` (SIGKILL, power cut, CI timeout) leaves two things behind:

1. **the stack lock** (file backend: ``.pulumi/locks/<org>/<project>/<stack>/*.json``):
   every later command fails with "the stack is currently locked";
2. **pending operations** in state: the creates that were in flight. Pulumi cannot know
   whether they happened, and ``pulumi up`` warns about them on every run until a refresh
   clears them.

The recovery is ``pulumi cancel --yes`` (removes the lock) then
``pulumi refresh --yes --clear-pending-creates`` (drops the interrupted creates from state
and re-reads every other resource). The next ``pulumi up`` creates what is missing; a create
*adopts* an identical object the killed run had already made, so nothing is duplicated.
``pulumi cancel`` would just as happily remove the lock of an ``up`` that is still running,
so this command first refuses while the process that took the lock is alive on this host.
Tested in ``tests/reliability/test_crash.py``; described in ``docs/troubleshooting.md``.

After a journaled ``up`` (``shoporg up``'s default: one state save at the end), the state
holds nothing of the killed run, so before the refresh the step journal the providers wrote
(``.shoporg/steps/<stack>.jsonl``, :mod:`shoporg.engine.step_journal`) is replayed onto
``pulumi stack export`` and loaded back with ``pulumi stack import``: every object the
run created, updated or deleted is in state with its outputs, a generated initial password
still secret (the engine encrypts it on import). A journal the state was saved after (its
run finished) is spent and only removed. Tested in
``tests/reliability/test_crash_journaled.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import yaml

from shoporg.backends.settings import project_root
from shoporg.cli import Command
from shoporg.engine import step_journal
from shoporg.engine.cli import Pulumi
from shoporg.errors import EngineError


@dataclass(frozen=True)
class Lock:
    path: Path
    pid: int
    hostname: str

    def alive(self) -> bool:
        """Whether the process that took the lock still runs (only knowable on its host)."""
        if self.hostname != socket.gethostname():
            return True  # another machine: assume it is running, never steal its lock
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        # A zombie is dead: a killed engine whose parent (``shoporg up``) died too waits
        # there for a reaper a container's PID 1 may never be.
        try:
            state = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return True
        return state != "Z"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
             command: Command) -> None:
    parser = subparsers.add_parser(
        command.word, help=command.help,
        description=(__doc__ or "").split("\n\n")[0],
    )
    parser.add_argument("--stack", help="the stack (default: the selected one)")
    parser.add_argument(
        "--force", action="store_true",
        help="remove the lock even if its process looks alive (another host's lock)",
    )
    parser.set_defaults(func=run)


def file_backend_dir(env: dict[str, str]) -> Path | None:
    url = urlparse(env.get("PULUMI_BACKEND_URL", ""))
    if url.scheme != "file":
        return None
    return Path(unquote(url.path))


def repair_torn_metadata(state_dir: Path) -> list[Path]:
    """Remove ``.attrs`` sidecars an engine killed mid-write left empty or truncated.

    The file backend (gocloud's fileblob) writes each state blob atomically (temp file and
    rename) but its ``.attrs`` metadata sidecar in place: a SIGKILL at that moment leaves
    it torn, and every later command fails with ``failed to load checkpoint: EOF``. The
    sidecar holds only content metadata Pulumi does not need (a missing one reads as
    none), so a torn one is removed; the state blob itself is intact.
    """
    torn = []
    for path in sorted((state_dir / ".pulumi").rglob("*.attrs")):
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            path.unlink()
            torn.append(path)
        except OSError:
            continue
    return torn


def stack_locks(state_dir: Path, project: str, stack: str) -> list[Lock]:
    locks = []
    for path in sorted(state_dir.glob(f".pulumi/locks/*/{project}/{stack}/*.json")):
        try:
            data = json.loads(path.read_text())
            locks.append(Lock(path, int(data["pid"]), str(data["hostname"])))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # unreadable: let `pulumi cancel` deal with it
    return locks


def selected_stack_name(pulumi: Pulumi, attempts: int = 10) -> str:
    """``pulumi stack --show-name``, retried while a still-running engine rewrites the
    stack's checkpoint: reading it mid-rewrite fails with "failed to load checkpoint: EOF"
    (seen in a clean-clone run); a torn read of a live run is transient."""
    for attempt in range(attempts):
        result = pulumi.run("stack", "--show-name", check=False)
        if result.returncode == 0:
            return result.stdout.strip()
        if "failed to load checkpoint" not in result.output or attempt == attempts - 1:
            break
        time.sleep(0.5)
    return pulumi.run("stack", "--show-name").stdout.strip()  # raises with the engine's words


def secret_outputs() -> dict[str, tuple[str, ...]]:
    from shoporg.kinds import KINDS

    return {kind.type: tuple(kind.provider_class().secret_outputs) for kind in KINDS}


def unsaved_journal(pulumi: Pulumi, root: Path, stack: str
                    ) -> tuple[Path, dict[str, Any]] | None:
    """The stack's step journal and its ``stack export`` when the journal holds steps the
    state lacks (its run was killed before or during the final save); None when there is
    none. A journal the state was saved after (its run finished, successfully or not, e.g.
    a plain ``PULUMI_SKIP_CHECKPOINTS=true pulumi up``) is spent: it is removed here."""
    path = step_journal.journal_path(root, stack)
    if not path.exists():
        return None
    export: dict[str, Any] = json.loads(pulumi.run("stack", "export", "--stack", stack).stdout)
    if step_journal.saved_after(path, export.get("deployment") or {}):
        path.unlink(missing_ok=True)
        return None
    return path, export


def replay_journal(pulumi: Pulumi, root: Path, stack: str) -> None:
    """Fold the step journal of a killed journaled ``up`` into the stack's state."""
    existed = step_journal.journal_path(root, stack).exists()
    unsaved = unsaved_journal(pulumi, root, stack)
    if unsaved is None:
        if existed:
            print("the step journal was spent (the state was saved after its last step): "
                  "removed, nothing to replay")
        return
    path, export = unsaved
    records = step_journal.read(path, step_journal.passphrase(pulumi.env))
    counts = step_journal.replay(export.setdefault("deployment", {}), records,
                                 secret_outputs())
    with tempfile.TemporaryDirectory(prefix="shoporg-recover-") as tmp:
        fd = os.open(Path(tmp) / "state.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(export, fh)
        pulumi.run("stack", "import", "--stack", stack, "--file", str(Path(tmp) / "state.json"))
    path.rename(path.with_name(path.name + f".replayed-{int(time.time())}"))
    done = ", ".join(f"{n} {op}(s)" for op, n in counts.items() if n) or "no steps"
    print(f"replayed the step journal of the killed run into the state: {done}")


def run(args: argparse.Namespace) -> int:
    root = project_root()
    pulumi = Pulumi(root)
    state_dir = file_backend_dir(pulumi.env)
    # First, before any pulumi command: a torn sidecar makes every one of them fail.
    for path in repair_torn_metadata(state_dir) if state_dir else []:
        print(f"removed {path.name}, a metadata file torn by the killed engine")
    stack = args.stack or selected_stack_name(pulumi)
    project = str(yaml.safe_load((root / "Pulumi.yaml").read_text())["name"])
    selector = ("--stack", stack)

    locks = stack_locks(state_dir, project, stack) if state_dir else []
    running = [lock for lock in locks if lock.alive()]
    if running and not args.force:
        who = ", ".join(f"pid {lock.pid} on {lock.hostname}" for lock in running)
        raise EngineError(
            f"stack {stack!r} is locked by a pulumi that is still running ({who}): wait for it "
            "to finish or stop it; use --force only for a lock of another machine that is gone"
        )
    pulumi.run("cancel", "--yes", *selector)
    for lock in locks:
        print(f"removed the lock left by pid {lock.pid} on {lock.hostname} (no longer running)")

    replay_journal(pulumi, root, stack)
    export = json.loads(pulumi.run("stack", "export", *selector).stdout)
    pending = export.get("deployment", {}).get("pending_operations") or []
    names = [op.get("resource", {}).get("urn", "?").split("::")[-1] for op in pending]
    pulumi.run("refresh", "--yes", "--skip-preview", "--clear-pending-creates", *selector)
    if names:
        print(f"cleared {len(names)} interrupted operation(s): {', '.join(names)}")
    else:
        print("no interrupted operations")
    print("refreshed: state now matches the account system; run `shoporg up` to finish")
    return 0
