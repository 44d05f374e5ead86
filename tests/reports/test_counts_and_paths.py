"""What the PR comment says about itself: how many people a shortened review leaves out, and
which files a config-only review compared (as git names them, never the runner's paths)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from shoporg.cli.main import main
from shoporg.reports.build import review_from_orgs
from shoporg.reports.model import Review
from shoporg.reports.render import BUDGETS, _view
from shoporg.reports.sources import org_from_file

from .conftest import ORGS, TODAY

LEFT_OUT = re.compile(r"(\d+) of (\d+) people's changes left out")


@pytest.fixture(scope="module")
def everyone_removed() -> Review:
    """Every person of base.yaml removed: most of them change on two to five accounts."""
    base = org_from_file(ORGS / "base.yaml")
    gone = base.model_copy(update={"members": [], "chat_groups": []})
    return review_from_orgs(base, gone, today=TODAY,
                            source={"kind": "config", "old": "a", "new": "b"})


@pytest.mark.parametrize(
    ("case", "budget", "left_out"),
    [
        ("when everyone fits nobody is said to be left out", BUDGETS[0], 0),
        ("everyone cut is counted once, not once per account they change on", BUDGETS[-1],
         "all"),
    ],
)
def test_the_truncation_notice_counts_people_once(case: str, budget: object,
                                                   left_out: int | str,
                                                   everyone_removed: Review) -> None:
    people = len(everyone_removed.people)
    assert sum(s.people_count for s in everyone_removed.sections) > people  # the trap
    view = _view(everyone_removed, budget, "review.json")  # type: ignore[arg-type]
    found = LEFT_OUT.search(view.truncated)
    expected = people if left_out == "all" else left_out
    assert (int(found.group(1)) if found else 0) == expected, case
    if found:
        assert int(found.group(2)) == people


def test_no_budget_says_more_people_are_left_out_than_the_review_has(
    everyone_removed: Review,
) -> None:
    for budget in BUDGETS:
        found = LEFT_OUT.search(_view(everyone_removed, budget, "review.json").truncated)
        if found:
            assert int(found.group(1)) <= int(found.group(2)) == len(everyone_removed.people)


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Path]:
    """A project in a git work tree: base.yaml committed as org.yaml, onboarding.yaml on disk."""
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "Pulumi.yaml").write_text("name: shoporg\nruntime: python\n", encoding="utf-8")
    (tmp_path / "org.yaml").write_bytes((ORGS / "base.yaml").read_bytes())
    (tmp_path / "sub").mkdir()
    git("add", "org.yaml")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "base")
    (tmp_path / "org.yaml").write_bytes((ORGS / "onboarding.yaml").read_bytes())
    (tmp_path / "old.yaml").write_bytes((ORGS / "base.yaml").read_bytes())
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize(
    ("case", "cwd", "args", "old", "new"),
    [
        ("--base without --org names the project's org.yaml as git does", ".",
         ["--base", "HEAD"], "HEAD:org.yaml", "org.yaml"),
        ("--base with an absolute --org names it as git does", ".",
         ["--base", "HEAD", "--org", "{root}/org.yaml"], "HEAD:org.yaml", "org.yaml"),
        ("--base from a subdirectory names the file from the work tree's top", "sub",
         ["--base", "HEAD", "--org", "../org.yaml"], "HEAD:org.yaml", "org.yaml"),
        ("--old and --new given absolute are shown relative to the work tree", ".",
         ["--old", "{root}/old.yaml", "--new", "{root}/org.yaml"], "old.yaml", "org.yaml"),
    ],
)
def test_a_config_only_review_names_files_as_git_does(
    case: str, cwd: str, args: list[str], old: str, new: str, repo: Path,
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    os.chdir(repo / cwd)
    argv = [a.format(root=repo) for a in args]
    markdown, js = tmp_path / "review.md", tmp_path / "review.json"
    code = main(["review", *argv, "--markdown", str(markdown), "--json", str(js),
                 "--today", TODAY.isoformat()])
    assert code == 0, capsys.readouterr().err
    assert json.loads(js.read_text(encoding="utf-8"))["source"] == {
        "kind": "config", "old": old, "new": new}, case
    text = markdown.read_text(encoding="utf-8")
    assert f"config-only: {old} → {new}" in text and str(repo) not in text, case
