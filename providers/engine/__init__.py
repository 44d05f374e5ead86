"""Running the real Pulumi engine offline: where it lives, how it is started.

The Pulumi CLI is not on PyPI. ``engine/`` (a Go wrapper module) builds it from the Go module
proxy into a cache outside the repo, keyed by version; :mod:`shoporg.engine.install` puts
our own launchers next to the project's Python (``.venv/bin``) so the engine finds them on
``PATH``:

================================  ===============================================================
``pulumi``                        wrapper: offline defaults (backend URL, passphrase, no update
                                  check, no plugin downloads), then execs the cached engine
``pulumi-language-python``        our language host (:mod:`shoporg.engine.language_host`),
                                  because the proxy does not serve Pulumi's untagged Go one
``pulumi-language-python-exec``   runs the program under ``run_in_stack``
                                  (:mod:`shoporg.engine.program_runner`)
``pulumi-resource-pulumi-python`` the SDK's dynamic-provider server with a wider thread pool
                                  (:mod:`shoporg.engine.dynamic_provider`)
================================  ===============================================================
"""

from __future__ import annotations

import os
from pathlib import Path

#: The engine version we build and test with; requirements.lock pins the Python SDK to the
#: same number (``make lock``), and it is the oldest CLI we accept from PATH.
ENGINE_VERSION = "3.259.0"


def cache_root() -> Path:
    """Where built engines live: ``$SHOPORG_CACHE`` or ``~/.cache/shoporg`` (never the repo)."""
    base = os.environ.get("SHOPORG_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "shoporg"
    )
    return Path(base)


def engine_dir(version: str = ENGINE_VERSION) -> Path:
    return cache_root() / "engine" / f"v{version}"


def cached_engine(version: str = ENGINE_VERSION) -> Path:
    return engine_dir(version) / "pulumi"
