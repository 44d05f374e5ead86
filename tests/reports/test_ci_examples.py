"""The example CI workflows call shoporg with flags that exist (they parse), and the
nightly drift job fails on exit 2 and uploads the report."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from providers.cli.main import build_parser

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
