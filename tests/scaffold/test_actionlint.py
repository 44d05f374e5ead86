"""The workflows ``shoporg new`` writes pass actionlint, a GitHub Actions linter we did not write.

actionlint checks what a YAML parser cannot: the workflow schema, ``${{ }}`` expressions and
their contexts (``steps.<id>.outputs``, ``secrets``, ``github.event``), job and step ids,
``needs``, action inputs of the popular actions. It comes from Debian's package when present,
else from the Go module proxy (``go install github.com/rhysd/actionlint/cmd/actionlint``),
built once into shoporg's cache. Without either this skips locally and fails under CI=true.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from shoporg.engine import cache_root
from shoporg.scaffold.generate import WORKFLOW_DIR, files

ACTIONLINT = "github.com/rhysd/actionlint/cmd/actionlint"
VERSION = "v1.7.12"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def actionlint() -> Path:
    installed = shutil.which("actionlint")
    if installed:
        return Path(installed)
    home = cache_root() / "tools" / f"actionlint-{VERSION}"
    binary = home / "actionlint"
    go = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").is_file()
                                else None)
    home.mkdir(parents=True, exist_ok=True)
    with (home / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two workers wait for one build
        if binary.is_file():
            return binary
        if go is None:
            _unavailable("actionlint is not installed and Go is missing to build it")
        assert go is not None
        proc = subprocess.run(
            [go, "install", f"{ACTIONLINT}@{VERSION}"], capture_output=True, text=True,
            env={**os.environ, "GOBIN": str(home), "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"},
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
    return binary


def test_the_generated_workflows_pass_actionlint(actionlint: Path, tmp_path: Path) -> None:
    for generated in files("Acme Trading"):
        if generated.path.startswith(WORKFLOW_DIR):
            (tmp_path / generated.path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / generated.path).write_text(generated.text)
    workflows = sorted((tmp_path / WORKFLOW_DIR).glob("*.yml"))
    assert len(workflows) == 4
    proc = subprocess.run([str(actionlint), "-no-color", *map(str, workflows)], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_would_catch_a_broken_workflow(actionlint: Path, tmp_path: Path) -> None:
    [drift] = (g for g in files("Acme Trading") if g.path.endswith("/drift.yml"))
    broken = tmp_path / "drift.yml"
    broken.write_text(drift.text.replace("steps.drift.outputs.code", "steps.drfit.outputs.code"))
    proc = subprocess.run([str(actionlint), "-no-color", str(broken)], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "drfit" in proc.stdout
