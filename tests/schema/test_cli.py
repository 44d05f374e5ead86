"""`shoporg validate` and `shoporg schema` through the real entry point."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from shoporg.cli.main import main

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "org"


def test_validate_of_the_repo_org_exits_zero_with_a_one_line_summary(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["validate", str(ROOT / "org.yaml")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1
    assert out[0].startswith(f"{ROOT / 'org.yaml'}: valid — 6 accounts, ")
    assert "16 members (2 left)" in out[0]


def test_validate_defaults_to_org_yaml_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(FIXTURES / "valid" / "small-org-touching-every-kind.yaml", tmp_path / "org.yaml")
    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 0
    assert capsys.readouterr().out == (
        "org.yaml: valid — 4 accounts, 5 shops, 4 departments, 6 roles, 3 members (0 left), "
        "6 sub-accounts, 3 bindings, 1 chat group\n"
    )


def test_validate_of_an_invalid_file_exits_one_with_every_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fixture = FIXTURES / "invalid" / "bindings-that-break-douyin-rules"
    shutil.copy(fixture.with_suffix(".yaml"), tmp_path / "org.yaml")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "org.yaml"]) == 1
    captured = capsys.readouterr()
    assert captured.out == fixture.with_suffix(".expected").read_text(encoding="utf-8")
    assert captured.err == "shoporg: org.yaml: 4 problems\n"


def test_validate_of_a_missing_file_exits_one_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.yaml"
    assert main(["validate", str(missing)]) == 1
    captured = capsys.readouterr()
    assert captured.out == f"{missing}:1:1: cannot read the file: No such file or directory\n"
    assert "Traceback" not in captured.err


def test_schema_prints_the_committed_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    out = capsys.readouterr().out
    assert out == (ROOT / "schema" / "org.schema.json").read_text(encoding="utf-8")
    assert json.loads(out)["title"] == "Org"
