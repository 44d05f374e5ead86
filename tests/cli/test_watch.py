"""``shoporg watch`` as a team runs it: a process of its own, a chat on loopback, hand changes
in the seller centre while it runs, a flaky connector, and SIGTERM at the end."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from tests.engine.conftest import StackProject
from tests.notify.test_notify import Robot, robot

__all__ = ["robot"]  # the loopback chat fixture, shared with tests/notify

CHAT = "policies:\n  notify:\n    - {name: ops, type: generic, url_env: WATCH_CHAT_URL}\n"


class Running:
    """A ``shoporg watch`` process and the lines it has printed so far (stderr: one per
    cycle; stdout: each new finding)."""

    def __init__(self, project: StackProject, url: str, *args: str) -> None:
        env = {**project.pulumi.env, "WATCH_CHAT_URL": url}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "shoporg.cli.main", "watch", *args], cwd=project.root,
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.cycles: list[str] = []
        self.out: list[str] = []
        self._readers = [threading.Thread(target=self._read, args=(stream, lines), daemon=True)
                         for stream, lines in ((self.proc.stderr, self.cycles),
                                               (self.proc.stdout, self.out))]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: object, lines: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            lines.append(line.rstrip("\n"))

    def checks(self) -> list[str]:
        return [line for line in self.cycles
                if " watch: " in line and not line.startswith("shoporg watch:")]

    def wait_for(self, done: Callable[[], bool], timeout: float = 60.0) -> float:
        started = time.perf_counter()
        while not done():
            assert self.proc.poll() is None, "watch exited:\n" + "\n".join(self.cycles)
            assert time.perf_counter() - started < timeout, "\n".join(self.cycles)
            time.sleep(0.05)
        return time.perf_counter() - started

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=60)
        self.close()
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=60)
        for reader in self._readers:
            reader.join(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def watched(applied_copy: StackProject, robot: Robot,
            request: pytest.FixtureRequest) -> Iterator[Running]:
    """``shoporg watch --interval 0.5`` (plus the test's ``watch_args`` marker's) with a chat."""
    text = applied_copy.org_file.read_text(encoding="utf-8")
    applied_copy.org_file.write_text(text.replace("policies:\n", CHAT, 1), encoding="utf-8")
    marker = request.node.get_closest_marker("watch_args")
    extra = marker.args if marker is not None else ()
    running = Running(applied_copy, robot.url, "--interval", "0.5", *extra)
    yield running
    running.close()


def test_a_hand_granted_refund_permission_is_posted_once_and_sigterm_ends_the_watch(
    applied_copy: StackProject, robot: Robot, watched: Running,
) -> None:
    watched.wait_for(lambda: len(watched.checks()) >= 1)
    assert "0 finding(s), 0 new" in watched.checks()[0] and not robot.requests
    # 杨磊 holds 运营 (改价); 售后客服 (同意退款) granted by hand makes the toxic pair.
    applied_copy.shoporg("sandbox", "grant", "tb-youpin", "yang-lei", "tb-youpin-shop",
                         "tb-ops", "tb-cs-aftersale")
    latency = watched.wait_for(lambda: bool(robot.requests))
    text = robot.requests[0][1]["text"]
    assert "杨磊 gains" in text and "toxic permission pair" in text, text
    assert latency < 60  # a bound far above a cycle, never a speed assertion
    # More cycles, the same finding: nothing posted again.
    seen = len(watched.checks())
    watched.wait_for(lambda: len(watched.checks()) >= seen + 3)
    assert len(robot.requests) == 1
    # A second hand change is news of its own, told alone.
    applied_copy.shoporg("sandbox", "sub", "disable", "tb-youpin", "zhang-wei")
    watched.wait_for(lambda: len(robot.requests) == 2)
    second = robot.requests[1][1]["text"]
    assert "张伟 is disabled" in second and "杨磊" not in second, second
    assert watched.stop() == 0
    assert any("SIGTERM, stopping" in line for line in watched.cycles)


def test_the_watch_outlives_a_flaky_connector_and_a_broken_org_yaml(
    applied_copy: StackProject, robot: Robot, watched: Running,
) -> None:
    watched.wait_for(lambda: len(watched.checks()) >= 1)
    applied_copy.shoporg("sandbox", "faults", "set", "transient_rate=0.3", "seed=7")
    seen = len(watched.checks())
    watched.wait_for(lambda: len(watched.checks()) >= seen + 3)
    assert not [line for line in watched.checks()[seen:] if "check failed" in line]
    good = applied_copy.org_file.read_text(encoding="utf-8")
    applied_copy.org_file.write_text(good + "members: [\n", encoding="utf-8")  # mid-edit
    seen = len(watched.checks())
    watched.wait_for(lambda: any("check failed" in line for line in watched.checks()[seen:]))
    applied_copy.org_file.write_text(good, encoding="utf-8")
    seen = len(watched.checks())
    watched.wait_for(lambda: len(watched.checks()) >= seen + 2)
    assert "check failed" not in watched.checks()[-1]
    assert not robot.requests  # nothing changed by hand: nothing to tell
    assert watched.stop() == 0


@pytest.mark.watch_args("--revert", "high-risk")
def test_with_revert_a_hand_granted_toxic_pair_is_put_back_and_the_post_says_so(
    applied_copy: StackProject, robot: Robot, watched: Running,
) -> None:
    watched.wait_for(lambda: len(watched.checks()) >= 1)
    applied_copy.shoporg("sandbox", "sub", "disable", "tb-youpin", "zhang-wei")
    applied_copy.shoporg("sandbox", "grant", "tb-youpin", "yang-lei", "tb-youpin-shop",
                         "tb-ops", "tb-cs-aftersale")
    watched.wait_for(lambda: "put back" in " ".join(r[1]["text"] for r in robot.requests))
    told = " ".join(r[1]["text"] for r in robot.requests)
    assert ("put back to org.yaml: role_grant:tb-youpin/yang-lei@tb-youpin-shop" in told
            and "张伟 is disabled" in told), told
    grants = {g.member_id: g.role_ids for g in applied_copy.backend().list_grants("tb-youpin")}
    assert grants["yang-lei"] == ("tb-ops",)  # as org.yaml declares it
    # The disabled login is not high-risk: told, left as it is (drift's to name).
    subs = {s.member_id: s.status for s in applied_copy.backend().list_sub_accounts("tb-youpin")}
    assert subs["zhang-wei"] == "disabled"
    entries = [json.loads(line) for line in
               (applied_copy.root / ".shoporg" / "journal.jsonl").read_text().splitlines()]
    assert entries[-1]["summary"]["update"] == 1 and entries[-1]["result"] == "applied"
    seen, posts = len(watched.checks()), len(robot.requests)
    watched.wait_for(lambda: len(watched.checks()) >= seen + 3)
    assert len(robot.requests) == posts  # put back: nothing new to tell
    assert watched.stop() == 0


def join(org: dict[str, object]) -> None:
    """A joiner merged into org.yaml, not applied (the nightly drift before the apply)."""
    members = org["members"]
    assert isinstance(members, list)
    members.append({
        "id": "qian-lu", "name": "钱璐", "department": "ops", "email": "qian.lu@youpin-ec.com",
        "sub_accounts": [{"account": "tb-youpin", "login_name": "钱璐", "roles": ["tb-ops"]}],
    })


def test_a_joiner_merged_but_not_applied_is_never_posted(
    applied_copy: StackProject, robot: Robot, watched: Running,
) -> None:
    watched.wait_for(lambda: len(watched.checks()) >= 1)
    applied_copy.edit(join)
    watched.wait_for(lambda: "2 object(s) not applied yet" in (watched.checks() or [""])[-1])
    seen = len(watched.checks())
    watched.wait_for(lambda: len(watched.checks()) >= seen + 2)
    assert all("0 finding(s), 0 new" in line for line in watched.checks()[seen:])
    assert not robot.requests  # declared, not applied yet: work for `shoporg up`, not news
    # A deletion by hand beside it is news, told alone.
    applied_copy.shoporg("sandbox", "sub", "delete", "tm-youpin", "yang-lei")
    watched.wait_for(lambda: bool(robot.requests))
    text = robot.requests[0][1]["text"]
    assert "杨磊 loses sub-account" in text and "钱璐" not in text, text
    assert watched.stop() == 0


def test_objects_not_applied_yet_are_no_finding() -> None:
    from shoporg.reports.drift import DriftReport, NotApplied
    from shoporg.reports.watch import findings

    report = DriftReport("test", (), (), not_applied=(
        NotApplied("sub_account", "tb-youpin/qian-lu", "tb-youpin", "钱璐 gets sub-account"),))
    assert findings(report) == {} and report.exit_code == 0
