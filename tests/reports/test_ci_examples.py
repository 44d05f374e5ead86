"""The example CI workflows call shoporg with flags that exist (they parse), the nightly
drift job fails on exit 2 and uploads the report, and a fork's review is posted by a
workflow_run workflow that never runs the fork's code."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from shoporg.cli.main import build_parser

CI = Path(__file__).resolve().parents[2] / "examples" / "ci"


def shoporg_calls(workflow: dict[str, Any]) -> list[list[str]]:
    calls = []
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            script = re.sub(r"\\\n\s*", " ", step.get("run", ""))
            for line in script.splitlines():
                m = re.match(r"\s*(?:\.venv/bin/)?shoporg (.+)", line)
                if m:
                    calls.append(shlex.split(re.sub(r"\$\{\{[^}]*\}\}", "X", m.group(1))))
    return calls


@pytest.mark.parametrize("name", ["review.yml", "drift.yml", "expiry.yml"])
def test_every_shoporg_call_in_the_example_workflows_parses(name: str) -> None:
    calls = shoporg_calls(yaml.safe_load((CI / name).read_text()))
    assert calls
    for argv in calls:
        build_parser().parse_args(argv)


def test_the_drift_workflow_fails_on_exit_2_and_uploads_the_report() -> None:
    text = (CI / "drift.yml").read_text()
    assert "steps.drift.outputs.code == '2'" in text and "exit 2" in text
    assert "upload-artifact" in text and "drift.json" in text


def test_the_drift_workflow_warns_on_exit_3_and_uploads_the_worklist() -> None:
    data = yaml.safe_load((CI / "drift.yml").read_text())
    steps = next(iter(data["jobs"].values()))["steps"]
    due = next(s for s in steps if s.get("name") == "Access review due")
    assert due["if"] == "steps.drift.outputs.code == '3'" and "::warning::" in due["run"]
    # exit 3 is unverified objects or overdue manual steps (issue 28.5): the warning names both
    assert "review-access --attest" in due["run"] and "overdue" in due["run"]
    assert "shoporg tasks" in due["run"]
    error = next(s for s in steps if s.get("name") == "Fail on error")
    assert "!= '3'" in error["if"]  # unverified is not an error
    upload = next(s for s in steps if "upload-artifact" in str(s.get("uses")))
    assert "tasks.json" in upload["with"]["path"]
    assert ["tasks", "--stack", "prod", "--markdown", "tasks.md", "--json", "tasks.json"] in (
        shoporg_calls(data))


def test_the_expiry_workflow_applies_the_default_branch_daily_and_fails_when_refused() -> None:
    """An expired grant is acted on between anyone's runs (issue 15.3): a daily guarded apply
    of the merged org.yaml, in the company's time zone, one apply at a time."""
    data = yaml.safe_load((CI / "expiry.yml").read_text())
    triggers = data[True] if True in data else data["on"]  # YAML 1.1 reads `on` as true
    [schedule] = triggers["schedule"]
    assert schedule["cron"].split()[2:] == ["*", "*", "*"], "every day"
    assert data["concurrency"]["group"] and data["concurrency"]["cancel-in-progress"] is False
    job = next(iter(data["jobs"].values()))
    assert job["env"]["TZ"]
    [up] = [c for c in shoporg_calls(data) if c[0] == "up"]
    assert "--stack" in up and "--allow-removals" not in up, "the guard stays on"
    refused = next(s for s in job["steps"] if s.get("name") == "Refused by the removal guard")
    assert refused["if"] == "steps.up.outputs.code == '3'" and "exit 3" in refused["run"]
    upload = next(s for s in job["steps"] if "upload-artifact" in str(s.get("uses")))
    assert "expiry-review.md" in upload["with"]["path"]


# --- issue 15.13: a fork's review is posted by a separate workflow_run workflow ----------

def _workflow(name: str) -> dict[str, Any]:
    data: dict[Any, Any] = yaml.safe_load((CI / name).read_text())
    if True in data:  # YAML 1.1 (PyYAML) reads the key `on` as true
        data["on"] = data.pop(True)
    return data


def _uses(step: dict[str, Any], action: str) -> bool:
    return str(step.get("uses", "")).split("@")[0] == action


def _artifact_uploads(job: dict[str, Any]) -> dict[str, str]:
    return {s["with"]["name"]: str(s["with"]["path"]) for s in job["steps"]
            if _uses(s, "actions/upload-artifact")}


def test_no_example_workflow_runs_on_pull_request_target() -> None:
    for path in sorted(CI.glob("*.yml")):
        assert "pull_request_target" not in _workflow(path.name)["on"], path.name


def test_the_review_workflow_hands_its_comment_over_as_an_artifact_instead_of_posting() -> None:
    data = _workflow("review.yml")
    assert data["permissions"] == {"contents": "read"}, "a fork's token cannot write anyway"
    for name, job in data["jobs"].items():
        assert "permissions" not in job, name
        scripts = "\n".join(str(s.get("run", "")) for s in job["steps"])
        assert "gh pr comment" not in scripts, f"{name} posts itself (403 on a fork PR)"
        uploads = _artifact_uploads(job)
        assert uploads.get("review-comment") == "review-comment/", name
        [review] = [c for c in shoporg_calls({"jobs": {name: job}}) if c[0] == "review"]
        assert review[review.index("--markdown") + 1] == "review-comment/review.md"
        hand = next(s for s in job["steps"] if "review-comment/pr-number" in s.get("run", ""))
        assert hand["env"]["PR_NUMBER"] == "${{ github.event.pull_request.number }}"
        assert "${{" not in hand["run"], "values reach the script through env only"
    fork = data["jobs"]["config-review"]
    assert "!= github.repository" in fork["if"]
    assert "secrets." not in yaml.safe_dump(fork), "the job that runs a fork's code has none"
    assert "environment" not in fork


def test_the_comment_workflow_runs_on_the_review_runs_completion_with_write_access() -> None:
    data = _workflow("review-comment.yml")
    assert set(data["on"]) == {"workflow_run"}
    trigger = data["on"]["workflow_run"]
    assert trigger["workflows"] == [_workflow("review.yml")["name"]]
    assert trigger["types"] == ["completed"]
    assert data["permissions"] == {
        "contents": "read", "actions": "read", "pull-requests": "write"}
    [job] = data["jobs"].values()
    assert "github.event.workflow_run.conclusion == 'success'" in job["if"]


def test_the_comment_workflow_never_checks_out_or_runs_the_pull_requests_code() -> None:
    data = _workflow("review-comment.yml")
    [job] = data["jobs"].values()
    assert not any(_uses(s, "actions/checkout") for s in job["steps"])
    assert not shoporg_calls(data)
    scripts = "\n".join(str(s.get("run", "")) for s in job["steps"])
    for runs_code in ("pip install", "make ", "git ", "npm ", "python", "source ", "bash "):
        assert runs_code not in scripts, runs_code
    assert "head_sha" not in yaml.safe_dump(
        [s.get("with", {}) for s in job["steps"]]), "nothing of the head is fetched"


def test_the_comment_workflow_downloads_the_review_runs_artifact() -> None:
    data = _workflow("review-comment.yml")
    [job] = data["jobs"].values()
    [download] = [s for s in job["steps"] if _uses(s, "actions/download-artifact")]
    assert download["with"] == {
        "name": "review-comment", "path": "review-comment",
        "run-id": "${{ github.event.workflow_run.id }}",
        "github-token": "${{ github.token }}"}
    assert set(_artifact_uploads(_workflow("review.yml")["jobs"]["config-review"])) >= {
        download["with"]["name"]}


FAKE_GH = """#!/bin/sh
echo "$@" >> "$GH_LOG"
case "$1 $2" in
  "pr view") echo "$FAKE_HEAD" ;;
esac
"""

COMMENT_CASES = {
    "a plain PR number of the reviewed commit is commented on": ("17\n", "abc123", True),
    "a PR number with a shell command after it is refused": ("17; rm -rf ~\n", "abc123", False),
    "a PR number that is not a number is refused": ("seventeen\n", "abc123", False),
    "an empty PR number is refused": ("", "abc123", False),
    "a PR whose head is not the reviewed commit is refused": ("18\n", "other", False),
}


@pytest.mark.parametrize("case", COMMENT_CASES)
def test_the_comment_step(case: str, tmp_path: Path) -> None:
    pr_number, head, posts = COMMENT_CASES[case]
    [job] = _workflow("review-comment.yml")["jobs"].values()
    step = next(s for s in job["steps"] if s.get("name") == "Comment")
    assert set(step["env"]) == {"GH_TOKEN", "GH_REPO", "HEAD_SHA"}
    assert "${{" not in step["run"], "artifact values never become expressions"
    (tmp_path / "bin").mkdir()
    gh = tmp_path / "bin" / "gh"
    gh.write_text(FAKE_GH)
    gh.chmod(0o755)
    (tmp_path / "review-comment").mkdir()
    (tmp_path / "review-comment" / "pr-number").write_text(pr_number)
    (tmp_path / "review-comment" / "review.md").write_text("## org review\n")
    log = tmp_path / "gh.log"
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
           "GH_LOG": str(log), "FAKE_HEAD": head, "HEAD_SHA": "abc123",
           "GH_TOKEN": "x", "GH_REPO": "o/r"}
    # GitHub's default shell for run steps on Linux
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                           step["run"]], cwd=tmp_path, env=env, capture_output=True,
                          text=True, check=False)
    calls = log.read_text().splitlines() if log.exists() else []
    commented = [c for c in calls if c.startswith("pr comment")]
    if posts:
        assert done.returncode == 0, done.stdout + done.stderr
        assert commented == ["pr comment 17 --body-file review-comment/review.md --edit-last"]
    else:
        assert done.returncode != 0 and not commented
        assert "::error::" in done.stdout
