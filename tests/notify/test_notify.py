"""Notifications: each robot's payload and signature, as a loopback server checks them;
retries on 5xx, giving up cleanly, and no secret in any output."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from providers.cli.main import main
from providers.notify import Message, announce, post
from providers.notify import hooks as notify_hooks
from providers.schema import Webhook
from providers.schema.validate import validate_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "notify"
REPO = Path(__file__).resolve().parents[2]
SECRET = "SECa1b2c3-very-secret-value"
NOW = 1_764_579_600.25  # 2025-12-01T09:00:00.25Z: fixed, so signatures are checked exactly
MESSAGE = Message("杭州优品 · shoporg drift (prod)", ("drift: 1 changed by hand",),
                  "http://127.0.0.1/run/1")


@dataclass
class Robot:
    """A loopback HTTP server: answers with the queued statuses, records every request."""

    statuses: list[int] = field(default_factory=list)
    answer: dict[str, Any] = field(default_factory=lambda: {"errcode": 0, "code": 0})
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def robot() -> Iterator[Robot]:
    state = Robot()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            state.requests.append((self.path, json.loads(self.rfile.read(length))))
            status = state.statuses.pop(0) if state.statuses else 200
            data = json.dumps(state.answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook?access_token=tok"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def hooks() -> dict[str, Webhook]:
    raw = yaml.safe_load((FIXTURES / "webhooks.yaml").read_text(encoding="utf-8"))
    return {h["type"]: Webhook.model_validate(h) for h in raw}


def env_for(url: str) -> dict[str, str]:
    return {"T_DINGTALK_URL": url, "T_DINGTALK_SECRET": SECRET, "T_WECOM_URL": url,
            "T_FEISHU_URL": url, "T_FEISHU_SECRET": SECRET, "T_GENERIC_URL": url}


def dingtalk_is_signed(path: str, body: dict[str, Any]) -> None:
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    ts = query["timestamp"][0]
    assert ts == str(int(NOW * 1000)) and query["access_token"] == ["tok"]
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{ts}\n{SECRET}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert query["sign"] == [expected]  # parse_qs undid the URL encoding
    assert body["msgtype"] == "markdown" and body["markdown"]["title"] == MESSAGE.title
    assert "drift: 1 changed by hand" in body["markdown"]["text"]
    assert "(http://127.0.0.1/run/1)" in body["markdown"]["text"]


def wecom_is_markdown(path: str, body: dict[str, Any]) -> None:
    assert "sign" not in path
    assert body == {"msgtype": "markdown", "markdown": {"content": MESSAGE.markdown()}}


def feishu_is_signed(path: str, body: dict[str, Any]) -> None:
    assert body["timestamp"] == str(int(NOW)) and "sign" not in path
    key = f"{body['timestamp']}\n{SECRET}".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["msg_type"] == "text" and body["content"]["text"] == MESSAGE.text()


def generic_is_slack_text(path: str, body: dict[str, Any]) -> None:
    assert body == {"text": MESSAGE.text()}


@pytest.mark.parametrize(("case", "kind", "check"), [
    ("a DingTalk robot gets markdown and a timestamp + HMAC sign in the URL", "dingtalk",
     dingtalk_is_signed),
    ("a WeCom robot gets unsigned markdown", "wecom", wecom_is_markdown),
    ("a Feishu robot gets text and a timestamp + HMAC sign in the body", "feishu",
     feishu_is_signed),
    ("a generic webhook gets Slack-compatible text", "generic", generic_is_slack_text),
])
def test_each_robot_gets_its_documented_payload(robot: Robot, case: str, kind: str,
                                                check: Any) -> None:
    outcome = post(hooks()[kind], MESSAGE, env=env_for(robot.url), clock=lambda: NOW,
                   sleep=lambda s: None)
    assert outcome.ok and outcome.tries == 1, (case, outcome)
    [(path, body)] = robot.requests
    check(path, body)


@pytest.mark.parametrize(("case", "statuses", "ok", "tries", "error"), [
    ("a 5xx is retried until the robot answers", [502, 503], True, 3, ""),
    ("a robot that keeps failing is given up after four tries", [500] * 9, False, 4,
     "gave up after 4 tries: HTTP 500"),
    ("a 4xx is not retried", [403], False, 1, "HTTP 403"),
])
def test_retries_and_giving_up(robot: Robot, case: str, statuses: list[int], ok: bool,
                               tries: int, error: str) -> None:
    robot.statuses = list(statuses)
    waits: list[float] = []
    outcome = post(hooks()["dingtalk"], MESSAGE, env=env_for(robot.url), clock=lambda: NOW,
                   sleep=waits.append)
    assert (outcome.ok, outcome.tries, outcome.error) == (ok, tries, error), case
    assert len(robot.requests) == tries
    assert waits == [0.5 * 2 ** i for i in range(min(tries, 4) - 1)]  # backoff, doubling


def test_a_robot_refusing_the_message_is_reported_with_its_words(robot: Robot) -> None:
    robot.answer = {"errcode": 310000, "errmsg": "sign not match"}
    outcome = post(hooks()["dingtalk"], MESSAGE, env=env_for(robot.url), sleep=lambda s: None)
    assert not outcome.ok and outcome.error == "refused: errcode 310000: sign not match"


def test_a_failing_webhook_is_one_stderr_line_without_url_or_secret(
    robot: Robot, capsys: pytest.CaptureFixture[str]
) -> None:
    robot.statuses = [500] * 20
    dead = "http://127.0.0.1:9/hook?access_token=" + SECRET  # nothing listens on port 9
    env = {**env_for(robot.url), "T_WECOM_URL": dead}
    results = announce(hooks().values(), "drift", MESSAGE, env=env, sleep=lambda s: None)
    assert [r.ok for r in results] == [False, False, False, False]
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.splitlines()
    assert len(lines) == 4 and all(line.startswith("shoporg: notify ") for line in lines)
    assert "cs-wecom (wecom) failed: gave up after 4 tries: ConnectError" in out.err
    assert SECRET not in out.err and "access_token" not in out.err and "127.0.0.1" not in out.err


@pytest.mark.parametrize(("case", "entry", "problem"), [
    ("a URL written into org.yaml is refused", {"url_env": "https://example.invalid/x"},
     "url_env"),
    ("a webhook without a URL source is refused", {}, "exactly one of url_env"),
    ("an unsigned kind with a secret is refused",
     {"url_env": "X_URL", "secret_env": "X_SECRET"}, "not signed"),
])
def test_org_yaml_names_only_where_the_secrets_are(case: str, entry: dict[str, str],
                                                   problem: str) -> None:
    text = (REPO / "org.yaml").read_text(encoding="utf-8").replace(
        "policies:\n", "policies:\n  notify:\n    - " + json.dumps(
            {"name": "team", "type": "wecom", **entry}) + "\n", 1)
    with pytest.raises(Exception) as raised:
        validate_text(text, "org.yaml")
    assert problem in str(raised.value), case


def test_tasks_still_exits_0_when_the_chat_is_down_and_prints_no_secret(
    robot: Robot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    text = (REPO / "org.yaml").read_text(encoding="utf-8").replace(
        "policies:\n", "policies:\n  notify:\n    - {name: ops, type: dingtalk, url_env: "
        "T_DINGTALK_URL, secret_env: T_DINGTALK_SECRET}\n", 1)
    org = validate_text(text, "org.yaml")
    monkeypatch.setattr(notify_hooks, "_org_of", lambda root, stack: org)
    monkeypatch.setattr("providers.notify.send.BACKOFF", 0.0)
    for key, value in env_for(robot.url).items():
        monkeypatch.setenv(key, value)
    robot.statuses = [503] * 9
    code = main(["tasks", "--ledger", str(tmp_path / "ledger.db"), "--format", "json"])
    out = capfd.readouterr()
    assert code == 0 and json.loads(out.out)["open"] == 0
    assert "shoporg: notify ops (dingtalk) failed: gave up after 4 tries: HTTP 503" in out.err
    assert SECRET not in out.out + out.err and robot.url not in out.out + out.err
    assert len(robot.requests) == 4


def test_the_report_link_is_the_given_url_else_the_ci_run() -> None:
    assert notify_hooks.report_link({"SHOPORG_REPORT_URL": "http://r/1"}) == "http://r/1"
    assert notify_hooks.report_link({
        "GITHUB_SERVER_URL": "http://git.example", "GITHUB_REPOSITORY": "o/r",
        "GITHUB_RUN_ID": "7"}) == "http://git.example/o/r/actions/runs/7"
    assert notify_hooks.report_link({}) is None
