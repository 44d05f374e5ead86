"""Drive the ``pulumi`` CLI from Python (tests, ``shoporg review/drift/up``).

A thin, typed wrapper: it always runs the engine with :func:`offline_env`, so no code path
can reach Pulumi's cloud backend by forgetting a variable.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from shoporg.engine.environment import offline_env
from shoporg.engine.install import ENGINE_BINARY
from shoporg.errors import EngineError


@dataclass(frozen=True)
class Result:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def launcher_dir() -> Path:
    """The directory holding our ``pulumi`` wrapper: the running interpreter's ``bin``."""
    return Path(sys.executable).parent


def engine_available() -> bool:
    return (launcher_dir() / ENGINE_BINARY).is_file() and (launcher_dir() / "pulumi").is_file()


class Pulumi:
    """Runs ``pulumi`` for one project directory with offline defaults."""

    def __init__(
        self,
        project_dir: Path,
        env: Mapping[str, str] | None = None,
        state_root: Path | None = None,
    ) -> None:
        if not engine_available():
            raise EngineError(
                f"no Pulumi engine beside {sys.executable}: run `make setup` "
                "(or `python -m shoporg.engine.install`)"
            )
        self.project_dir = project_dir
        self.env = offline_env(state_root or project_dir, env)
        self.env["PATH"] = str(launcher_dir()) + os.pathsep + self.env.get("PATH", "")

    def run(self, *args: str, check: bool = True, timeout: float = 1800,
            input: str | None = None) -> Result:
        cmd: Sequence[str] = [str(launcher_dir() / ENGINE_BINARY), *args]
        proc = subprocess.run(
            cmd, cwd=self.project_dir, env=self.env, capture_output=True, text=True,
            timeout=timeout, input=input,
        )
        result = Result(tuple(args), proc.returncode, proc.stdout, proc.stderr)
        if check and proc.returncode != 0:
            raise EngineError(
                f"`pulumi {' '.join(args)}` exited {proc.returncode}:\n{result.output[-4000:]}"
            )
        return result
