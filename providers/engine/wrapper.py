"""``.venv/bin/pulumi``: exec the real engine with the offline defaults filled in.

The state, home and passphrase are the project's: the nearest directory at or above the
working directory holding Pulumi.yaml (as Pulumi itself finds its project), so one installed
tool serves every org repository on the machine; outside any project, ``outside`` (baked in
by :func:`~shoporg.engine.install.write_launchers`). The launcher directory goes first on
PATH so the engine finds our language host and dynamic-provider launcher even when the venv
is not activated.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from shoporg.engine.environment import offline_env, project_root


def main(engine: str, outside: str) -> None:
    root = project_root()
    env = offline_env(root if (root / "Pulumi.yaml").is_file() else Path(outside))
    here = str(Path(sys.argv[0]).resolve().parent)
    env["PATH"] = here + os.pathsep + env.get("PATH", "")
    os.execve(engine, [engine, *sys.argv[1:]], env)
