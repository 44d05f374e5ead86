"""``shoporg new``: a company's org repository, as the ops team and its CI meet it.

Unit tier: the files, their owners, refusing and forcing, the pin and its warning, and
that each value the files carry comes from where the tool keeps it. The installed wheel
driving a generated repository end to end is tests/engine/test_own_repository.py; the
workflows against actionlint, tests/scaffold/test_actionlint.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from shoporg import __version__
from shoporg.cli.main import main
from shoporg.engine import ENGINE_VERSION
from shoporg.engine.environment import PASSPHRASE_FILE, STATE_DIR
from shoporg.errors import ShoporgError
from shoporg.scaffold import PIN_FILE, pinned_version, version_warning
from shoporg.scaffold.generate import (
    WORKFLOW_DIR,
    WORKFLOWS,
    Owner,
    Refused,
    files,
    go_version,
    workflow,
    write,
)
from shoporg.schema import load_org
from shoporg.versions import newer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "ci"
GENERATED = files("Acme Trading")
YOURS = {g.path for g in GENERATED if g.owner is Owner.YOURS}


def scaffold(target: Path, version: str = __version__) -> None:
    write(target, files("Acme Trading", version), force=False)


def test_the_starter_org_yaml_is_valid_with_one_account_two_departments_and_two_people(
    tmp_path: Path,
) -> None:
    scaffold(tmp_path)
    org = load_org(tmp_path / "org.yaml")
    assert (len(org.accounts), len(org.departments), len(org.members)) == (1, 2, 2)
    assert org.company == "Acme Trading"


def test_the_program_is_three_lines_calling_the_installed_package(tmp_path: Path) -> None:
    scaffold(tmp_path)
    program = (tmp_path / "stacks" / "__main__.py").read_text().splitlines()
    code = [line for line in program if line.strip() and not line.startswith('"""')]
    assert code == ["from shoporg.program import main", "main()"]


def test_a_new_repository_gets_every_file_and_the_org_yaml_and_readme_are_yours(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["new", str(tmp_path / "acme"), "--company", "Acme Trading"]) == 0
    written = {p.relative_to(tmp_path / "acme").as_posix()
               for p in (tmp_path / "acme").rglob("*") if p.is_file()}
    assert written == {g.path for g in GENERATED}
    assert {"org.yaml", "README.md"} <= YOURS
    assert {f"{WORKFLOW_DIR}/{name}.yml" for name in WORKFLOWS} <= written - YOURS
    out = capsys.readouterr().out
    assert out.count("created") == len(GENERATED)
    assert "make try" in out


@pytest.mark.parametrize("existing", [
    pytest.param("org.yaml", id="an existing org.yaml is never overwritten"),
    pytest.param(f"{WORKFLOW_DIR}/drift.yml", id="nor an existing workflow"),
    pytest.param(".gitignore", id="nor an existing .gitignore"),
])
def test_new_refuses_a_directory_holding_one_of_its_files_and_writes_nothing(
    tmp_path: Path, existing: str, capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / existing).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / existing).write_text("ours\n")
    with pytest.raises(Refused) as refused:
        scaffold(tmp_path)
    assert refused.value.existing == (existing,)
    assert "--force" in str(refused.value)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [tmp_path / existing]
    assert (tmp_path / existing).read_text() == "ours\n"
    assert main(["new", str(tmp_path)]) == 1
    assert f"shoporg: new {tmp_path}: 1 of its files already exist ({existing})" in (
        capsys.readouterr().err)


def test_force_after_an_upgrade_moves_the_pin_shows_each_diff_and_keeps_yours(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    scaffold(tmp_path, version="0.0.9")
    (tmp_path / "org.yaml").write_text((tmp_path / "org.yaml").read_text() + "# our edit\n")
    (tmp_path / "README.md").write_text("# our README\n")
    assert pinned_version(tmp_path) == "0.0.9"
    assert main(["new", str(tmp_path), "--force"]) == 0
    out = capsys.readouterr().out
    assert pinned_version(tmp_path) == __version__
    assert f"-shoporg==0.0.9\n+shoporg=={__version__}\n" in out
    assert f"+++ b/{WORKFLOW_DIR}/drift.yml" in out
    assert (tmp_path / "org.yaml").read_text().endswith("# our edit\n")
    assert (tmp_path / "README.md").read_text() == "# our README\n"
    for path in YOURS:
        assert re.search(rf"^  {re.escape(path)} +kept \(yours\)$", out, re.MULTILINE)
    assert main(["new", str(tmp_path), "--force"]) == 0
    assert "updated" not in capsys.readouterr().out  # the second time, nothing differs


def test_force_never_moves_the_pin_back_to_an_older_shoporg(tmp_path: Path) -> None:
    scaffold(tmp_path, version="99.0.0")
    pin = (tmp_path / PIN_FILE).read_text()
    with pytest.raises(ShoporgError, match=r"pins shoporg 99\.0\.0 .*newer than this shoporg"):
        write(tmp_path, files("Acme Trading"), force=True)
    assert (tmp_path / PIN_FILE).read_text() == pin


@pytest.mark.parametrize(("pinned", "says"), [
    pytest.param(None, None, id="a repository without a pin says nothing"),
    pytest.param(__version__, None, id="the pinned version says nothing"),
    pytest.param("0.0.1", "To move the pin: `shoporg new . --force`",
                 id="a newer shoporg than the pin tells how to move it"),
    pytest.param("99.0.0", "older than the 99.0.0 this repository pins",
                 id="an older shoporg than the pin tells which to install"),
])
def test_a_shoporg_other_than_the_pinned_one_warns_before_any_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    pinned: str | None, says: str | None,
) -> None:
    scaffold(tmp_path)
    if pinned is None:
        (tmp_path / PIN_FILE).unlink()
    else:
        (tmp_path / PIN_FILE).write_text(f"# pin\nshoporg == {pinned}  # CI\n")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")  # the project root is found upwards, as Pulumi does
    assert main(["validate", "../org.yaml"]) == 0
    err = capsys.readouterr().err
    if says is None:
        assert err == ""
        assert version_warning(tmp_path) is None
    else:
        assert err.startswith("shoporg: warning: ") and says in err


@pytest.mark.parametrize(("version", "than", "later"), [
    ("0.2.0", "0.1.0", True), ("0.10.0", "0.9.1", True), ("0.1.0", "0.1.0", False),
    ("0.1.0", "0.2.0", False), ("0.2.0rc1", "0.1.0", False),
])
def test_newer_compares_releases_by_number(version: str, than: str, later: bool) -> None:
    assert newer(version, than) is later


def test_each_value_the_files_carry_comes_from_where_the_tool_keeps_it() -> None:
    text = {g.path: g.text for g in GENERATED}
    assert text[PIN_FILE].rstrip().endswith(f"shoporg=={__version__}")
    go_line = re.search(r"^go (\S+)$", (ROOT / "providers/engine/gomodule/go.mod").read_text(),
                        re.MULTILINE)
    assert go_line is not None and go_version() == go_line[1]
    for name in ("review", "drift", "expiry"):
        body = text[f"{WORKFLOW_DIR}/{name}.yml"]
        assert f"key: pulumi-engine-v{ENGINE_VERSION}" in body
        assert f'go-version: "{go_version()}"' in body
        assert "make setup" not in body and ".venv/bin" not in body


@pytest.mark.parametrize("name", WORKFLOWS)
def test_examples_ci_is_what_shoporg_new_writes(name: str) -> None:
    path = EXAMPLES / f"{name}.yml"
    if os.environ.get("SHOPORG_UPDATE_GOLDENS") == "1":
        path.write_text(workflow(name))
    assert path.read_text() == workflow(name), (
        f"examples/ci/{name}.yml differs from the template (SHOPORG_UPDATE_GOLDENS=1 to accept)")


def test_git_ignores_the_state_the_sandbox_and_the_ledger_a_try_leaves_behind(
    tmp_path: Path,
) -> None:
    git = shutil.which("git")
    assert git is not None
    scaffold(tmp_path)
    subprocess.run([git, "init", "-q", str(tmp_path)], check=True)
    local = [f"{STATE_DIR}/{PASSPHRASE_FILE}", ".pulumi-home/plugins/x", ".sandbox/sandbox.db",
             ".shoporg/ledger.db", ".shoporg/ledger.db-wal", "stacks/Pulumi.dev.yaml"]
    kept = ["org.yaml", "stacks/Pulumi.prod.yaml", ".shoporg/journal.jsonl", PIN_FILE]
    proc = subprocess.run([git, "check-ignore", "--no-index", *local, *kept], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.stdout.split() == local
