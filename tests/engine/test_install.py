"""The engine finder: which ``pulumi`` on PATH is used, and with which language host.

Unit tier (no engine): the candidates are small scripts that answer ``pulumi version`` the
way a real CLI does, so the finder's decisions can be checked for any version.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shoporg.engine import ENGINE_VERSION, cached_engine, engine_dir
from shoporg.engine.environment import STATE_DIR
from shoporg.engine.install import (
    BUNDLED_HOST,
    ENGINE_MODULE,
    GO_MODULE,
    acceptable,
    bundled_host,
    engine_version,
    ensure_engine,
    find_engine,
    parse_version,
    write_launchers,
)

major, minor, patch = (int(part) for part in ENGINE_VERSION.split("."))


def fake_pulumi(directory: Path, prints: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    binary = directory / "pulumi"
    binary.write_text(f"#!/bin/sh\necho {prints}\n")
    binary.chmod(0o755)
    return binary


@pytest.mark.parametrize(
    ("version", "accepted"),
    [
        pytest.param(f"v{ENGINE_VERSION}", True, id="the tested version is accepted"),
        pytest.param(f"v{major}.{minor + 13}.0", True, id="a newer v3 is accepted"),
        pytest.param(f"v{major}.{minor}.{patch}-dev.0", True, id="a dev build of it too"),
        pytest.param(f"v{major}.{minor - 1}.9", False, id="an older v3 is refused"),
        pytest.param(f"v{major + 1}.0.0", False, id="another major version is refused"),
        pytest.param("not a version", False, id="garbage is refused"),
        pytest.param(None, False, id="no answer is refused"),
    ],
)
def test_which_pulumi_versions_are_acceptable(version: str | None, accepted: bool) -> None:
    assert acceptable(version) is accepted


def test_a_version_with_a_suffix_parses_to_its_numbers() -> None:
    assert parse_version("v3.265.1-dev.0") == (3, 265, 1)


def test_a_newer_pulumi_on_path_is_used_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    newer = f"v{major}.{minor + 5}.0"
    binary = fake_pulumi(tmp_path / "bin", newer)
    monkeypatch.delenv("SHOPORG_PULUMI", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert find_engine() == binary
    assert f"newer than the tested v{ENGINE_VERSION}" in capsys.readouterr().err


def test_an_older_pulumi_on_path_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_pulumi(tmp_path / "bin", f"v{major}.{minor - 10}.0")
    monkeypatch.delenv("SHOPORG_PULUMI", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("SHOPORG_CACHE", str(tmp_path / "empty-cache"))
    assert find_engine() is None
    assert "older than the tested" in capsys.readouterr().err


def test_a_release_bundle_brings_its_own_language_host(tmp_path: Path) -> None:
    release = tmp_path / "pulumi-release"
    binary = fake_pulumi(release, f"v{ENGINE_VERSION}")
    for name in BUNDLED_HOST:
        (release / name).write_text("#!/bin/sh\n")
    venv_bin = tmp_path / "venv-bin"
    venv_bin.mkdir()
    assert bundled_host(binary) == release
    write_launchers(venv_bin, binary, tmp_path)
    for name in BUNDLED_HOST:
        assert (venv_bin / name).resolve() == (release / name).resolve()


def test_an_engine_without_a_host_gets_ours(tmp_path: Path) -> None:
    binary = fake_pulumi(tmp_path / "cache", f"v{ENGINE_VERSION}")
    venv_bin = tmp_path / "venv-bin"
    venv_bin.mkdir()
    assert bundled_host(binary) is None
    write_launchers(venv_bin, binary, tmp_path)
    host = (venv_bin / BUNDLED_HOST[0]).read_text()
    assert "shoporg.engine.language_host" in host
    assert not (venv_bin / BUNDLED_HOST[0]).is_symlink()


@pytest.mark.parametrize(("cwd", "state_in"), [
    pytest.param("repo", "repo", id="in a project the state is that project's"),
    pytest.param("repo/stacks", "repo", id="below it too: the project is found upwards"),
    pytest.param("elsewhere", "outside", id="outside any project it is the launcher's own"),
])
def test_the_pulumi_launcher_keeps_each_projects_state_in_that_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cwd: str, state_in: str,
) -> None:
    engine = tmp_path / "cache" / "pulumi"
    engine.parent.mkdir()
    engine.write_text('#!/bin/sh\necho "$PULUMI_BACKEND_URL"\n')
    engine.chmod(0o755)
    venv_bin = tmp_path / "venv-bin"
    venv_bin.mkdir()
    write_launchers(venv_bin, engine, tmp_path / "outside")
    (tmp_path / "repo" / "stacks").mkdir(parents=True)
    (tmp_path / "repo" / "Pulumi.yaml").write_text("name: shoporg\n")
    (tmp_path / "elsewhere").mkdir()
    for name in ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE",
                 "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_HOME"):
        monkeypatch.delenv(name, raising=False)
    # Run by this Python (its shebang names venv-bin/python, which this test has not made).
    out = subprocess.run([sys.executable, str(venv_bin / "pulumi")], cwd=tmp_path / cwd,
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == (tmp_path / state_in / STATE_DIR).resolve().as_uri()


def test_an_installed_tool_builds_the_engine_from_the_go_module_it_ships(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A `go` that records where it ran and with what, and "builds" a pulumi answering the
    # version: the wiring of a build, without the minutes of a real one.
    fake_go = tmp_path / "go-bin" / "go"
    fake_go.parent.mkdir()
    fake_go.write_text(
        "#!/bin/sh\n"
        'pwd > "$SHOPORG_CACHE/go-ran-in"; echo "$@" > "$SHOPORG_CACHE/go-args"\n'
        'while [ "$1" != "-o" ]; do shift; done\n'
        f'printf \'#!/bin/sh\\necho v{ENGINE_VERSION}\\n\' > "$2"; chmod +x "$2"\n'
    )
    fake_go.chmod(0o755)
    monkeypatch.setenv("SHOPORG_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(fake_go.parent) + ":/usr/bin:/bin")
    monkeypatch.delenv("SHOPORG_PULUMI", raising=False)
    (tmp_path / "cache").mkdir()
    built = ensure_engine()
    assert built == cached_engine() and engine_version(built) == f"v{ENGINE_VERSION}"
    module = Path((tmp_path / "cache" / "go-ran-in").read_text().strip())
    assert module == engine_dir() / "module"
    for name in ("go.mod", "go.sum"):
        assert (module / name).read_bytes() == (GO_MODULE / name).read_bytes()
    assert ENGINE_MODULE in (tmp_path / "cache" / "go-args").read_text()
