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

from shoporg.backends.sandbox.loopback import STOP_POLL_SECONDS
from shoporg.cli.main import main
from shoporg.notify import Message, announce, post
from shoporg.notify import hooks as notify_hooks
from shoporg.schema import Webhook
from shoporg.schema.validate import validate_text

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
    # A stop is seen within STOP_POLL_SECONDS (socketserver's default 0.5 s per test).
    thread = threading.Thread(target=server.serve_forever, daemon=True,
                              kwargs={"poll_interval": STOP_POLL_SECONDS})
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
    monkeypatch.setattr("shoporg.notify.send.BACKOFF", 0.0)
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


# --- issue 28, seams 4 and 5: the chat says what `shoporg up` and `shoporg drift` say ----

def _posted(monkeypatch: pytest.MonkeyPatch) -> list[Message]:
    """Every message the hooks post (instead of posting them)."""
    sent: list[Message] = []

    def capture(hooks: Any, event: str, message: Message, **kw: Any) -> list[Any]:
        sent.append(message)
        return []

    monkeypatch.setattr(notify_hooks, "announce", capture)
    return sent


def _org_with_a_chat() -> Any:
    text = (REPO / "org.yaml").read_text(encoding="utf-8").replace(
        "policies:\n", "policies:\n  notify:\n    - {name: ops, type: wecom, url_env: "
        "T_WECOM_URL}\n", 1)
    return validate_text(text, "org.yaml")


def _entry(progress: dict[str, Any], **more: Any) -> dict[str, Any]:
    # The plan's totals say what the engine was asked to do, not what happened on the
    # platforms: the chat must not report them as applied.
    return {"who": "ops@example.com", "stack": "prod", "summary": {"create": 106},
            "result": "applied", "manual_steps": {"raised": list(range(94)), "open": 94},
            "applied": {"create": 106}, "failed": [], "not_reached": [],
            "progress": {"automated": {}, "waiting": 0, "new": 0, "reopened": 0,
                         "closed": 0, "withdrawn": 0, **progress}, **more}


UP_CASES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "the first up on a real stack says 12 were automated and 94 wait on manual steps": (
        _entry({"automated": {"create": 12}, "waiting": 94, "new": 94}),
        ["applied: 12 automated (12 created) · 94 waiting on manual steps (94 new; "
         "`shoporg tasks`)", "by ops@example.com"]),
    "the next up says which steps closed, not that everything was updated": (
        _entry({"waiting": 84, "closed": 10}, summary={"update": 94}),
        ["applied: 0 automated · 84 waiting on manual steps (0 new; `shoporg tasks`) · "
         "10 steps closed", "by ops@example.com"]),
    "a confirmed step the read-back does not show is said to be reopened": (
        _entry({"waiting": 1, "reopened": 1}),
        ["applied: 0 automated · 1 waiting on manual steps (0 new, 1 reopened: not visible "
         "yet; `shoporg tasks`)", "by ops@example.com"]),
    "a removal while its step was open is said to be withdrawn": (
        _entry({"automated": {"delete": 2}, "withdrawn": 1}),
        ["applied: 2 automated (2 deleted) · 1 step withdrawn (no longer declared)",
         "by ops@example.com"]),
    "a failed up says what failed and how many were not reached after the progress": (
        _entry({"automated": {"create": 3}}, result="failed",
               failed=[{"kind": "role", "name": "tm-youpin/tm-ops", "operation": "create",
                        "message": "boom"}],
               not_reached=[{"kind": "role", "name": f"r{i}", "operation": "create"}
                            for i in range(4)],
               risk_counts={"high_risk_permission": 2}),
        ["applied: 3 automated (3 created)", "FAILED: 1 object failed, 4 not reached",
         "risks: 2 high_risk_permission", "by ops@example.com"]),
}


@pytest.mark.parametrize("case", UP_CASES)
def test_the_chat_after_up_says_what_up_s_summary_line_says(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry, lines = UP_CASES[case]
    sent = _posted(monkeypatch)
    notify_hooks.after_up(REPO, "prod", _org_with_a_chat(), entry)
    [message] = sent
    assert message.title.endswith("shoporg up (prod)")
    assert list(message.lines) == lines, case


def test_the_chat_after_up_and_up_itself_render_the_same_progress_line(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    from shoporg.reports.outcome import Progress, summary_line

    progress = Progress({"create": 5, "update": 2}, waiting=7, new=3, reopened=1, closed=4,
                        withdrawn=2)
    sent = _posted(monkeypatch)
    notify_hooks.after_up(REPO, "prod", _org_with_a_chat(),
                          _entry({}) | {"progress": progress.to_json()})
    assert sent[0].lines[0] == summary_line(progress)


def _step(n: int, age: int, waiting: str = "") -> Any:
    from shoporg.reports.drift import OpenStep

    return OpenStep(n, "sub_account", f"sp-xh/p{n}", "sp-xh", "shopee", "create",
                    "Sub-accounts", f"p{n}", "2025-11-01", age, waiting)


def _drift(**fields: Any) -> Any:
    from shoporg.reports.drift import DriftReport

    return DriftReport(**{"stack": "prod", "drifted": (), "unmanaged": (), **fields})


def _hand_change(name: str, text: str, risks: tuple[str, ...] = ()) -> Any:
    from shoporg.reports.drift import Drifted

    return Drifted("sub_account", name, "tb-youpin", "changed", (), text, risks)


def _not_applied() -> Any:
    from shoporg.reports.drift import NotApplied

    return NotApplied("sub_account", "tb-youpin/qian-lu", "tb-youpin",
                      "钱璐 gets sub-account `优品数码专营:钱璐` on tb-youpin")


def _unverified() -> Any:
    from shoporg.reports.drift import Unverified

    return Unverified("sub_account", "sp-xh/wang", "sp-xh", "2025-08-01", 120)


DRIFT_CASES: dict[str, tuple[Any, list[str]]] = {
    "nothing found and nothing open: the account system matches org.yaml": (
        _drift(), ["no drift: the account system matches org.yaml"]),
    "open steps only: no hand changes, how many are open and the oldest's age": (
        _drift(open_steps=(_step(1, 3), _step(2, 9, "郭鹏 is disabled on sp-xh"),
                           _step(3, 1))),
        ["no hand changes; 3 manual steps open (oldest 9 days)"]),
    "one open step is counted in the singular": (
        _drift(open_steps=(_step(1, 1),)),
        ["no hand changes; 1 manual step open (oldest 1 day)"]),
    "a step older than the policy age is overdue: exit 3 with the steps named": (
        _drift(open_steps=(_step(1, 20), _step(2, 2)), step_age_days=14),
        ["nothing changed by hand, but due (exit 3): 1 manual step overdue (open over 14 "
         "days: `shoporg tasks`)", "2 manual steps open (oldest 20 days)"]),
    "unverified and overdue together are both named under exit 3": (
        _drift(unverified=(_unverified(),), open_steps=(_step(1, 30),)),
        ["nothing changed by hand, but due (exit 3): 1 object unverified (no one has looked "
         "for too long: `shoporg review-access --attest`), 1 manual step overdue (open over "
         "14 days: `shoporg tasks`)", "1 manual step open (oldest 30 days)"]),
    "unverified alone is exit 3 and says nothing of steps": (
        _drift(unverified=(_unverified(),)),
        ["nothing changed by hand, but due (exit 3): 1 object unverified (no one has looked "
         "for too long: `shoporg review-access --attest`)"]),
    "drift is exit 2, the high-risk hand change first, in the review's words, with the "
    "open steps after": (
        _drift(drifted=(_hand_change("tb-youpin/yang", "杨磊 gains 同意退款 on tb-youpin",
                                     ("high_risk_permission",)),
                        _hand_change("tb-youpin/li", "李娜 is re-enabled on tb-youpin")),
               open_steps=(_step(1, 20),)),
        ["drift (exit 2): 2 changed by hand, 0 not in org.yaml, 0 unverified, 1 manual step "
         "overdue",
         "杨磊 gains 同意退款 on tb-youpin — ⚠️ high-risk permission gained",
         "李娜 is re-enabled on tb-youpin",
         "1 manual step open (oldest 20 days)"]),
    "a joiner merged but not applied is no drift, only work for the next up": (
        _drift(not_applied=(_not_applied(),)),
        ["no hand changes", "1 declared object not applied yet (`shoporg up`)"]),
}


@pytest.mark.parametrize("case", DRIFT_CASES)
def test_the_chat_after_drift_says_what_drift_says(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import argparse

    report, lines = DRIFT_CASES[case]
    sent = _posted(monkeypatch)
    monkeypatch.setattr(notify_hooks, "_org_of", lambda root, stack: _org_with_a_chat())
    notify_hooks.after_drift(argparse.Namespace(stack="prod"), report, REPO)
    [message] = sent
    assert list(message.lines) == lines, case
    if report.open_steps:
        assert "matches org.yaml" not in message.text(), case
