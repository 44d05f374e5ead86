"""Find or build the Pulumi engine, and write our launchers beside the project's Python.

Order: ``$SHOPORG_PULUMI`` (an explicit binary), the first ``pulumi`` on PATH if it is a
Pulumi v3 CLI at or above ``v{ENGINE_VERSION}`` (the version we test with; newer ones are
used with a warning), the cache (``~/.cache/shoporg/engine/v<version>/pulumi``), and only
then a build from the Go module proxy through the wrapper module in ``gomodule/`` beside this
file (package data: an installed ``shoporg`` builds the same engine as a checkout, copying
the module into the cache first, since site-packages may be read-only). Builds are
serialised with a file lock and installed atomically, so concurrent ``make`` runs never see
a half-written binary.

A CLI installed from a Pulumi release comes with its own Python language host
(``pulumi-language-python`` and ``pulumi-language-python-exec`` beside the binary); that host
is used. Our own host is written only where the engine has none (our Go build: the module
proxy does not serve Pulumi's untagged language-host module).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

from shoporg.engine import ENGINE_VERSION, cache_root, cached_engine, engine_dir
from shoporg.errors import EngineError
from shoporg.versions import release

ENGINE_MODULE = "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
VERSION_VAR = "github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"
LAUNCHER_MARK = "# shoporg launcher"
ENGINE_BINARY = "pulumi-engine"
#: The Go module that pins the engine's dependencies (go.mod, go.sum; no shoporg code).
GO_MODULE = Path(__file__).with_name("gomodule")


def _log(msg: str) -> None:
    print(f"[engine] {msg}", file=sys.stderr, flush=True)


def engine_version(binary: Path) -> str | None:
    try:
        out = subprocess.run(
            [str(binary), "version"], capture_output=True, text=True, timeout=60,
            env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _is_our_launcher(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return LAUNCHER_MARK.encode() in fh.read(512)
    except OSError:
        return False


#: The language-host files a Pulumi release bundles beside its ``pulumi`` binary.
BUNDLED_HOST = ("pulumi-language-python", "pulumi-language-python-exec")


#: ``v3.265.1[-suffix]`` → ``(3, 265, 1)``: the one reader of release numbers.
parse_version = release


def acceptable(found: str | None, tested: str = ENGINE_VERSION) -> bool:
    """A Pulumi v3 CLI at or above the version we test with."""
    have, want = parse_version(found), parse_version(tested)
    return have is not None and want is not None and have[0] == want[0] and have >= want


def find_engine(version: str = ENGINE_VERSION) -> Path | None:
    explicit = os.environ.get("SHOPORG_PULUMI")
    if explicit:
        return Path(explicit)
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        candidate = Path(entry) / "pulumi"
        if not (candidate.is_file() and os.access(candidate, os.X_OK)):
            continue
        if _is_our_launcher(candidate):
            continue
        found = engine_version(candidate)
        if acceptable(found, version):
            if parse_version(found) != parse_version(version):
                _log(
                    f"warning: {candidate} is pulumi {found}, newer than the tested "
                    f"v{version}; it should work, but only v{version} is tested"
                )
            return candidate
        _log(
            f"{candidate} is pulumi {found or '(no version)'}, older than the tested "
            f"v{version} or not v3; using the cached or a built v{version} instead"
        )
        break  # the first pulumi on PATH is the one users get; a mismatch means build ours
    cached = cached_engine(version)
    if cached.is_file() and engine_version(cached) == f"v{version}":
        return cached
    return None


def bundled_host(engine: Path) -> Path | None:
    """The directory of the language host that came with ``engine``, if it has one."""
    home = engine.resolve().parent
    if all((home / name).is_file() for name in BUNDLED_HOST):
        return home
    return None


def build_engine(version: str = ENGINE_VERSION) -> Path:
    """Build ``pulumi`` from the Go module proxy with the wrapper module :data:`GO_MODULE`."""
    go = shutil.which("go")
    if go is None:
        raise EngineError(
            "the Pulumi engine is not installed and Go is missing to build it: install Go "
            f">= 1.25, or put pulumi v{version} on PATH, or set SHOPORG_PULUMI"
        )
    target_dir = engine_dir(version)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / "pulumi"
    with (target_dir / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.is_file() and engine_version(target) == f"v{version}":
            return target  # another process built it while we waited
        env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}
        module = target_dir / "module"
        module.mkdir(exist_ok=True)
        for name in ("go.mod", "go.sum"):
            shutil.copyfile(GO_MODULE / name, module / name)
        tmp = target_dir / f"pulumi.tmp.{os.getpid()}"
        cmd = [
            go, "build", "-v", "-trimpath", "-tags", "osusergo,grpcnotrace",
            "-ldflags", f"-s -w -X {VERSION_VAR}=v{version}", "-o", str(tmp), ENGINE_MODULE,
        ]
        _log(f"building pulumi v{version} from the Go module proxy (first time: minutes)")
        started = time.monotonic()
        tail: list[str] = []
        count = 0
        with subprocess.Popen(
            cmd, cwd=module, env=env, stderr=subprocess.PIPE, text=True
        ) as proc:
            assert proc.stderr is not None
            for line in proc.stderr:
                count += 1
                tail = [*tail[-30:], line.rstrip()]
                if count % 100 == 0:
                    _log(f"compiled {count} packages, {time.monotonic() - started:.0f}s")
        if proc.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise EngineError("building the Pulumi engine failed:\n" + "\n".join(tail))
        os.replace(tmp, target)
        _log(f"built {target} in {time.monotonic() - started:.0f}s")
    return target


def ensure_engine(version: str = ENGINE_VERSION) -> Path:
    found = find_engine(version)
    if found is not None:
        _log(f"using engine {found} ({engine_version(found) or 'version unknown'})")
        return found
    return build_engine(version)


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.replace(tmp, path)


def _link(path: Path, target: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target)
    os.replace(tmp, path)


def link_engine(bin_dir: Path, engine: Path) -> Path:
    """Place the engine binary itself in ``bin_dir`` (hard link, else copy).

    The engine looks for its bundled plugins (language host, dynamic-provider launcher)
    beside its own resolved executable and warns when PATH offers a different one; living
    in the same directory as our launchers makes both lookups agree.
    """
    target = bin_dir / ENGINE_BINARY
    if target.exists() and target.stat().st_ino == engine.stat().st_ino:
        return target
    tmp = bin_dir / f"{ENGINE_BINARY}.tmp"
    tmp.unlink(missing_ok=True)
    try:
        os.link(engine, tmp)
    except OSError:
        shutil.copy2(engine, tmp)
    os.replace(tmp, target)
    return target


def write_launchers(bin_dir: Path, engine: Path, project_root: Path | None = None) -> None:
    """Write the engine and the four launchers into ``bin_dir`` (the project venv's ``bin``).

    The ``pulumi`` launcher keeps each project's state in that project (the nearest
    directory holding Pulumi.yaml, found when it runs); ``project_root`` is where it keeps
    it when run outside any project (a checkout's own root; an installed tool's cache)."""
    outside = (project_root or cache_root() / "outside-projects").resolve()
    python = bin_dir / "python"
    host = bundled_host(engine)  # before linking: it is found beside the original binary
    engine = link_engine(bin_dir, engine)
    _write(
        bin_dir / "pulumi",
        f"#!{python}\n{LAUNCHER_MARK}: the Pulumi engine with shoporg's offline defaults\n"
        "from shoporg.engine.wrapper import main\n"
        f"main({str(engine)!r}, {str(outside)!r})\n",
    )
    if host is not None:
        # The engine came with its language host: link that, so engine and host match.
        for name in BUNDLED_HOST:
            _link(bin_dir / name, host / name)
        _log(f"language host: {host / BUNDLED_HOST[0]} (came with the engine)")
    else:
        _write(
            bin_dir / "pulumi-language-python",
            f"#!/bin/sh\n{LAUNCHER_MARK}: our Python language host\n"
            f'exec "{python}" -u -m shoporg.engine.language_host "$@"\n',
        )
        _write(
            bin_dir / "pulumi-language-python-exec",
            f"#!{python}\n{LAUNCHER_MARK}: runs a Pulumi program under run_in_stack\n"
            "import sys\nfrom shoporg.engine.program_runner import main\nsys.exit(main())\n",
        )
        _log("language host: shoporg's own (shoporg.engine.language_host)")
    _write(
        bin_dir / "pulumi-resource-pulumi-python",
        f"#!/bin/sh\n{LAUNCHER_MARK}: the dynamic-provider plugin (the SDK's server, wider pool)\n"
        f'exec "{python}" -u -m shoporg.engine.dynamic_provider "$@"\n',
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m shoporg.engine.install")
    ap.add_argument("--project-root", type=Path, default=None,
                    help="where `pulumi` keeps state when run outside any project")
    ap.add_argument("--bin-dir", type=Path, default=Path(sys.executable).parent)
    args = ap.parse_args(argv)
    try:
        engine = ensure_engine()
        write_launchers(args.bin_dir, engine, args.project_root)
    except EngineError as exc:
        print(f"shoporg: {exc}", file=sys.stderr)
        return 1
    _log(f"launchers written to {args.bin_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
