"""The engine tier's projects: the real ``pulumi`` CLI against a temporary project copy.

A test that builds one asks for the ``engine`` fixture (tests/conftest.py), directly or
through ``project``; that is what makes it engine tier.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import yaml

from shoporg.backends.sandbox import SandboxBackend, SellerCenter
from shoporg.cli.main import main
from shoporg.engine.cli import Pulumi, Result
from shoporg.engine.environment import HOME_DIR
from shoporg.resources.base import READ_CACHE

REPO = Path(__file__).resolve().parents[2]


def in_process(args: tuple[str, ...]) -> bool:
    """Whether ``shoporg ARGS`` never starts the engine or a server (see ``shoporg``)."""
    command = args[:1]
    if command == ("sandbox",):
        return "serve" not in args
    if command == ("drift",):
        return "--engine" not in args
    return command in (("tasks",), ("validate",), ("review-access",))


class StackProject:
    """A copy of the shoporg project in a temp dir, with its own sandbox and state."""

    def __init__(self, root: Path, org: Path = REPO / "org.yaml",
                 sandbox_init: tuple[str, ...] = ("--demo-creators",)) -> None:
        shutil.copy(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
        shutil.copytree(
            REPO / "stacks",
            root / "stacks",
            ignore=shutil.ignore_patterns("Pulumi.*.yaml", "__pycache__"),
        )
        shutil.copy(org, root / "org.yaml")
        self._open(root)
        self.shoporg("sandbox", "init", "--org", "org.yaml", *sandbox_init)
        self.pulumi.run("stack", "init", "test")

    def _open(self, root: Path) -> None:
        self.root = root
        self.sandbox_path = root / ".sandbox" / "sandbox.db"
        env = {**os.environ, "SHOPORG_SANDBOX": str(self.sandbox_path)}
        env.pop("SHOPORG_SANDBOX_FAULTS", None)
        self.pulumi = Pulumi(root, env)

    def copy_to(self, root: Path) -> StackProject:
        """An independent copy of this project, state, sandbox and ledger included, at
        ``root`` (a few milliseconds: cheaper than an ``up`` from empty, ~10 s here).

        Nothing in the state, the sandbox or the ledger names the project's path; Pulumi's
        workspace file (the selected stack) does, so the copy selects its stack itself."""
        shutil.copytree(self.root, root, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(HOME_DIR))
        copy = StackProject.__new__(StackProject)
        copy._open(root)
        copy.pulumi.run("stack", "select", "test")
        return copy

    # -- org.yaml -------------------------------------------------------------------------

    @property
    def org_file(self) -> Path:
        return self.root / "org.yaml"

    def org(self) -> dict[str, Any]:
        data: dict[str, Any] = yaml.safe_load(self.org_file.read_text())
        return data

    def edit(self, change: Callable[[dict[str, Any]], None]) -> None:
        data = self.org()
        change(data)
        self.org_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))

    # -- the sandbox ----------------------------------------------------------------------

    def backend(self) -> SandboxBackend:
        return SandboxBackend(self.sandbox_path, instrumented=False)

    def backend_audit(self) -> list[Any]:
        return list(self.seller_center().audit_log())

    def seller_center(self) -> SellerCenter:
        return SellerCenter(self.backend())

    def shoporg(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``shoporg ARGS`` in the project, as an operator runs it: a process of its own
        when it runs the engine (or serves the TOP endpoint).

        The commands that never start the engine run in this process instead: the seller
        centre's hand changes (``shoporg sandbox ...`` but ``serve``), the worklist
        (``tasks``), ``validate``, ``review-access`` and the engine-free ``drift``. Each is
        a few reads and writes, where a process of its own would add an interpreter start
        and the package import (about a second each, more under coverage)."""
        if in_process(args):
            proc = self._in_process(args)
        else:
            proc = subprocess.run(
                [sys.executable, "-m", "shoporg.cli.main", *args],
                cwd=self.root,
                env=self.pulumi.env,
                capture_output=True,
                text=True,
            )
        if check and proc.returncode != 0:
            raise AssertionError(f"shoporg {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
        return proc

    def _in_process(self, args: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
        out, err = io.StringIO(), io.StringIO()
        # A command's bulk listings are its own, as in a process of its own (`shoporg watch`
        # clears them each cycle the same way): the last command's, of another project or
        # before a hand change, would be read back as live.
        READ_CACHE.clear()
        saved_env, saved_cwd = dict(os.environ), Path.cwd()
        os.environ.clear()
        os.environ.update(self.pulumi.env)
        os.chdir(self.root)
        try:
            with redirect_stdout(out), redirect_stderr(err):
                try:
                    code = main(list(args))
                except SystemExit as exc:  # argparse's usage errors
                    code = exc.code if isinstance(exc.code, int) else 1
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
        return subprocess.CompletedProcess(["shoporg", *args], code, out.getvalue(),
                                           err.getvalue())

    # -- the engine -----------------------------------------------------------------------

    def outputs(self) -> dict[str, dict[str, Any]]:
        """Resource name → outputs of every shoporg resource, from ``pulumi stack export``."""
        state = json.loads(self.pulumi.run("stack", "export").stdout)
        return {r["urn"].split("::")[-1]: r.get("outputs", {})
                for r in state["deployment"]["resources"]
                if r["type"].startswith("pulumi-python:dynamic")}

    def up(self, *args: str, check: bool = True) -> Result:
        return self.pulumi.run("up", "--yes", "--skip-preview", *args, check=check)

    def preview(self, *args: str, check: bool = True) -> Result:
        return self.pulumi.run("preview", *args, check=check)

    def plan(self, *args: str) -> Counter[tuple[str, str]]:
        """The preview's steps as a multiset of (operation, resource name), no-ops left out."""
        result = self.pulumi.run("preview", "--json", *args)
        steps = json.loads(result.stdout).get("steps", [])
        return Counter(
            (s["op"], s["urn"].split("::")[-1]) for s in steps if s["op"] not in ("same", "read")
        )


@pytest.fixture(scope="module")
def project(engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProject]:
    yield StackProject(tmp_path_factory.mktemp("project"))


#: Credentials of the loopback TOP endpoint; random per run, so a test can search for them.
TOP_APP_KEY = "engine-test-app"
TOP_APP_SECRET = "app-secret-" + secrets.token_hex(8)
TOP_SESSION = "session-" + secrets.token_hex(8)
#: A session belongs to one main account: one each, in shoporg:taobaoSession's JSON form.
TOP_SESSIONS = json.dumps({a: f"{TOP_SESSION}-{a}" for a in ("tb-youpin", "tm-youpin")})


@contextmanager
def served(project: StackProject, *args: str, port: int = 0) -> Iterator[str]:
    """``shoporg sandbox serve ARGS`` on the project's sandbox, in a process of its own, for
    as long as the block runs: its URL (the first line it prints; ``port`` 0: any)."""
    server = subprocess.Popen(
        [sys.executable, "-m", "shoporg.cli.main", "sandbox", "serve", "--port", str(port),
         *args],
        cwd=project.root, env=project.pulumi.env, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline().split()
        assert first and first[0] == "endpoint", f"serve printed {first!r}"
        yield first[1]
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout is not None:
            server.stdout.close()


@contextmanager
def top_endpoint(project: StackProject) -> Iterator[str]:
    """``shoporg sandbox serve`` (TOP's protocol over HTTP on loopback) on the project's
    sandbox, with the stack's backend set to ``taobao`` and pointed at it through stack
    config alone (TOP for Taobao/Tmall; the ledger for every other platform)."""
    for key in ("SHOPORG_TAOBAO_APP_KEY", "SHOPORG_TAOBAO_APP_SECRET", "SHOPORG_TAOBAO_SESSION",
                "SHOPORG_TAOBAO_ENDPOINT"):
        project.pulumi.env.pop(key, None)  # the stack config must be what is used
    with served(project, "--app-key", TOP_APP_KEY, "--app-secret", TOP_APP_SECRET,
                "--session", TOP_SESSIONS) as url:
        config = project.pulumi
        config.run("config", "set", "shoporg:backend", "taobao")
        config.run("config", "set", "shoporg:taobaoEndpoint", url)
        config.run("config", "set", "shoporg:taobaoAppKey", TOP_APP_KEY)
        config.run("config", "set", "--secret", "shoporg:taobaoAppSecret", TOP_APP_SECRET)
        config.run("config", "set", "--secret", "shoporg:taobaoSession", TOP_SESSIONS)
        yield url


def worklist_steps(project: StackProject) -> list[dict[str, Any]]:
    """Every open step of ``shoporg tasks --format json``, in the worklist's order."""
    work = json.loads(project.shoporg("tasks", "--format", "json").stdout)
    return [s for p in work["platforms"] for a in p["accounts"] for g in a["pages"]
            for person in g["people"] for s in person["steps"]]
