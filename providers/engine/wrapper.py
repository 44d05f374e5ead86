"""``.venv/bin/pulumi``: exec the real engine with the offline defaults filled in.

The launcher directory goes first on PATH so the engine finds our language host and
dynamic-provider launcher even when the venv is not activated.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from shoporg.engine.environment import offline_env


def main(engine: str, project_root: str) -> None:
    env = offline_env(Path(project_root))
    here = str(Path(sys.argv[0]).resolve().parent)
    env["PATH"] = here + os.pathsep + env.get("PATH", "")
    os.execve(engine, [engine, *sys.argv[1:]], env)
