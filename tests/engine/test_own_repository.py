"""A company's own org repository, driven by the installed tool as an ops team would.

The wheel this repository builds is installed into a fresh venv outside the checkout
(resolving today's releases of its dependencies, as ``pipx install`` would); nothing of this
repository is on that Python's ``sys.path``. Then, as a user: ``shoporg engine install``,
``shoporg new``, and in the new repository ``shoporg validate``, ``pulumi up`` against the
sandbox, ``pulumi preview --expect-no-changes``, a joiner's ``shoporg review --base HEAD``
and ``shoporg drift``. The scaffold's own rules are tests/scaffold/test_generate.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.test_packaging import build_wheel

# Its child processes run the installed copy, which coverage does not map to providers/.
pytestmark = pytest.mark.children_untraced

ROOT = Path(__file__).resolve().parents[2]
JOINER = """\
  - id: wang-fang
    name: 王芳
    department: cs
    phone: "13800010004"
    sub_accounts:
      - {account: tb-main, login_name: 王芳, roles: [tb-cs]}
"""


class Tool:
    """The installed shoporg: its venv's commands, run with nothing of the checkout around."""

    def __init__(self, venv: Path) -> None:
        self.bin = venv / "bin"
        keep = ("HOME", "LANG", "LC_ALL", "TMPDIR", "SHOPORG_CACHE", "XDG_CACHE_HOME")
        go = shutil.which("go")
        path = [str(self.bin), *([str(Path(go).parent)] if go else []), "/usr/bin", "/bin"]
        self.env = {k: os.environ[k] for k in keep if k in os.environ}
        self.env.update(PATH=os.pathsep.join(path), PYTHONDONTWRITEBYTECODE="1")

    def run(self, command: Sequence[str], cwd: Path, ok: Sequence[int] = (0,)) -> str:
        proc = subprocess.run([str(self.bin / command[0]), *command[1:]], cwd=cwd, env=self.env,
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode in ok, (
            f"{' '.join(command)} exited {proc.returncode}:\n{proc.stdout[-3000:]}"
            f"\n{proc.stderr[-3000:]}")
        return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def tool(engine: None, tmp_path_factory: pytest.TempPathFactory) -> Tool:
    work = tmp_path_factory.mktemp("installed-tool")
    wheel = build_wheel(work)
    uv = Path(sys.executable).with_name("uv")
    venv = work / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([str(uv), "venv", "--quiet", "--seed", "--python", base, str(venv)],
                   check=True, cwd=work)
    subprocess.run([str(uv), "pip", "install", "--quiet", "--python", str(venv / "bin/python"),
                    str(wheel)], check=True, cwd=work)
    return Tool(venv)


def test_the_installed_wheel_holds_shoporg_and_no_providers_package(
    tool: Tool, tmp_path: Path,
) -> None:
    listing = tool.run(["python", "-m", "pip", "show", "-f", "shoporg"], cwd=tmp_path)
    files = [line.strip() for line in listing.splitlines() if line.startswith("  ")]
    assert "shoporg/__init__.py" in files
    assert not [f for f in files if f.startswith("providers/")]
    where = tool.run(["python", "-c", "import shoporg, sys; print(shoporg.__file__); "
                      "print(sys.path)"], cwd=tmp_path)
    assert str(tool.bin.parent) in where.splitlines()[0]
    assert str(ROOT) not in where


def test_a_new_org_repository_goes_from_new_to_up_review_and_drift_on_the_sandbox(
    tool: Tool, tmp_path: Path,
) -> None:
    installed = tool.run(["shoporg", "engine", "install"], cwd=tmp_path)
    assert f"ready: {tool.bin / 'pulumi'}" in installed
    tool.run(["shoporg", "new", "acme", "--company", "Acme Trading"], cwd=tmp_path)
    repo = tmp_path / "acme"
    for git in (["init", "-q"], ["add", "-A"],
                ["-c", "user.name=ops", "-c", "user.email=ops@example.com", "commit", "-qm",
                 "shoporg new"]):
        subprocess.run(["git", *git], cwd=repo, check=True)

    assert "org.yaml: valid" in tool.run(["shoporg", "validate"], cwd=repo)
    tool.run(["shoporg", "sandbox", "init", "--org", "org.yaml"], cwd=repo)
    tool.run(["pulumi", "stack", "select", "--create", "dev"], cwd=repo)
    up = tool.run(["pulumi", "up", "--yes", "--stack", "dev"], cwd=repo)
    assert "+ 9 created" in up  # the stack and its 8 objects
    assert (repo / ".pulumi-state").is_dir()  # the repository's own state, not the checkout's
    tool.run(["pulumi", "preview", "--expect-no-changes", "--stack", "dev"], cwd=repo)
    drift = tool.run(["shoporg", "drift", "--stack", "dev"], cwd=repo)
    assert "**No drift.**" in drift

    with (repo / "org.yaml").open("a", encoding="utf-8") as org:
        org.write(JOINER)
    review = tool.run(["shoporg", "review", "--base", "HEAD"], cwd=repo)
    assert "王芳 gets sub-account `示例数码专营:王芳` on tb-main" in review
    assert "warning" not in up + review + drift  # the installed version is the pinned one
