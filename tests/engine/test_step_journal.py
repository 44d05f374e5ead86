"""The step journal without the engine: sealing, torn records, concurrent writers, replay."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from shoporg.engine import step_journal
from shoporg.engine.step_journal import SECRET_SIG, SECRET_VALUE, JournalError, Writer

URN = "urn:pulumi:dev::shoporg::pulumi-python:dynamic/shoporg:{}::{}"
SUB = "pulumi-python:dynamic/shoporg:SubAccount"


def create(name: str, password: str = "pw-0123456789") -> dict[str, Any]:
    return {"op": "create", "urn": URN.format("SubAccount", name), "type": SUB, "id": name,
            "inputs": {"login": name, "dispatch": False},
            "outputs": {"login": name, "initial_password": password, "seats": 3.0}}


def test_records_round_trip_and_nothing_is_plaintext(tmp_path: Path) -> None:
    path = tmp_path / "steps.jsonl"
    journal = Writer(path, "s3cret")
    # A name with a '-' (not in base64's alphabet): "a/b" turned up in the ciphertext's base64
    # by chance once in about a thousand runs.
    journal.append(create("tb-shop/zhang-wei", "hunter2-very-secret"))
    journal.append({"op": "delete", "urn": URN.format("Role", "a/r"), "type": "t", "id": "a/r"})
    raw = path.read_bytes()
    assert b"hunter2" not in raw and b"zhang-wei" not in raw
    records = step_journal.read(path, "s3cret")
    assert [r["op"] for r in records] == ["create", "delete"]
    assert records[0]["outputs"]["initial_password"] == "hunter2-very-secret"
    with pytest.raises(JournalError, match="wrong passphrase"):
        step_journal.read(path, "another")


def test_a_torn_last_record_is_ignored_but_a_damaged_one_inside_is_not(tmp_path: Path) -> None:
    path = tmp_path / "steps.jsonl"
    journal = Writer(path, "")
    for i in range(3):
        journal.append(create(f"a/{i}"))
    whole = path.read_bytes()
    path.write_bytes(whole[:-40])  # the kill came in the middle of the third write
    assert [r["id"] for r in step_journal.read(path, "")] == ["a/0", "a/1"]
    lines = whole.split(b"\n")
    lines[1] = lines[1][:-10] + b'"}'
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(JournalError):
        step_journal.read(path, "")


def test_threads_and_processes_append_whole_records(tmp_path: Path) -> None:
    path = tmp_path / "steps.jsonl"
    journal = Writer(path, "pp")
    code = (
        "import sys; from pathlib import Path; from shoporg.engine.step_journal import Writer\n"
        "w = Writer(Path(sys.argv[1]), 'pp')\n"
        "for i in range(200): w.append({'op': 'create', 'id': f'p{sys.argv[2]}-{i}', "
        "'pad': 'x' * 3000})\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), str(n)]) for n in range(2)]
    def append(t: int) -> None:
        for i in range(200):
            journal.append({"op": "create", "id": f"t{t}-{i}", "pad": "y" * 3000})

    threads = [threading.Thread(target=append, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(p.wait() == 0 for p in procs)
    ids = [r["id"] for r in step_journal.read(path, "pp")]
    assert len(ids) == len(set(ids)) == 6 * 200


def test_an_append_returns_only_after_an_fsync_that_covers_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "steps.jsonl"
    journal = Writer(path, "pp")
    real_fsync = step_journal.os.fsync
    durable = [0]  # bytes of the file an fsync has completed over
    calls = [0]
    counted = threading.Lock()

    def slow_fsync(fd: int) -> None:
        size = step_journal.os.fstat(fd).st_size
        threading.Event().wait(0.005)  # a slow disk: others append meanwhile
        real_fsync(fd)
        with counted:  # threads fsync concurrently: the max must not lose an update
            calls[0] += 1
            durable[0] = max(durable[0], size)

    real_write = step_journal.os.write
    ends = threading.local()

    def recorded_write(fd: int, data: bytes) -> int:
        written = real_write(fd, data)  # under the writer's lock: the offset is this write's
        ends.value = step_journal.os.lseek(fd, 0, step_journal.os.SEEK_CUR)
        return written

    monkeypatch.setattr(step_journal.os, "fsync", slow_fsync)
    monkeypatch.setattr(step_journal.os, "write", recorded_write)
    uncovered = []

    def append(t: int) -> None:
        for i in range(20):
            journal.append({"op": "create", "id": f"t{t}-{i}"})
            if durable[0] < ends.value:  # this thread's record is not durable yet
                uncovered.append((t, i))

    threads = [threading.Thread(target=append, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(step_journal.read(path, "pp")) == 160
    assert uncovered == []
    assert calls[0] == 160


def test_replay_builds_the_state_of_a_first_up_killed_before_its_only_save() -> None:
    deployment: dict[str, object] = {"manifest": {}, "resources": []}
    records = [
        {"op": "configure", "args": {"shoporg:backend": "sandbox"}},
        create("a/b"), create("a/c"),
        {"op": "update", **{k: v for k, v in create("a/c", "pw-later").items() if k != "op"}},
        {"op": "delete", "urn": URN.format("SubAccount", "a/b"), "type": SUB, "id": "a/b"},
    ]
    counts = step_journal.replay(deployment, records, {SUB: ("initial_password",)})
    assert counts == {"create": 2, "update": 1, "delete": 1, "intent": 0}
    resources = deployment["resources"]
    assert isinstance(resources, list)
    stack, provider, sub = resources
    assert stack["type"] == "pulumi:pulumi:Stack"
    assert stack["urn"].endswith("::pulumi:pulumi:Stack::shoporg-dev")
    assert provider["inputs"] == {"shoporg:backend": "sandbox"}
    assert sub["provider"] == f"{provider['urn']}::{provider['id']}"
    assert sub["parent"] == stack["urn"] and sub["additionalSecretOutputs"] == [
        "initial_password"]
    assert sub["outputs"]["initial_password"] == {
        SECRET_SIG: SECRET_VALUE, "plaintext": json.dumps("pw-later")}
    assert sub["outputs"]["seats"] == 3 and isinstance(sub["outputs"]["seats"], int)


def test_replay_onto_a_saved_state_replaces_by_urn_and_drops_dangling_dependencies() -> None:
    stack_urn = "urn:pulumi:dev::shoporg::pulumi:pulumi:Stack::shoporg-dev"
    prov = "urn:pulumi:dev::shoporg::pulumi:providers:pulumi-python::default"
    gone, kept = URN.format("SubAccount", "a/b"), URN.format("SubAccount", "a/c")
    deployment = {"resources": [
        {"urn": stack_urn, "custom": False, "type": "pulumi:pulumi:Stack"},
        {"urn": prov, "custom": True, "id": "P", "type": "pulumi:providers:pulumi-python"},
        {"urn": gone, "custom": True, "id": "a/b", "type": SUB, "provider": f"{prov}::P"},
        {"urn": kept, "custom": True, "id": "a/c", "type": SUB, "provider": f"{prov}::P",
         "dependencies": [gone], "propertyDependencies": {"x": [gone]}},
    ]}
    step_journal.replay(deployment, [
        {"op": "delete", "urn": gone, "type": SUB, "id": "a/b"}, create("a/c", "pw2"),
    ], {SUB: ("initial_password",)})
    urns = [r["urn"] for r in deployment["resources"]]
    assert urns == [stack_urn, prov, kept]
    entry = deployment["resources"][-1]
    assert entry["dependencies"] == [] and entry["propertyDependencies"] == {"x": []}
    assert entry["provider"] == f"{prov}::P"


def test_replay_of_a_replacement_keeps_the_new_object_and_drops_every_deleted_one() -> None:
    names = [f"a/m{i:04d}" for i in range(2000)]
    deployment: dict[str, Any] = {"resources": []}
    step_journal.replay(deployment, [create(n) for n in names], {})
    records = [{"op": "delete", "urn": URN.format("SubAccount", n), "type": SUB, "id": n}
               for n in names]
    records.append(create(names[7], "replaced-0123456789"))  # delete-before-replace
    counts = step_journal.replay(deployment, records, {SUB: ("initial_password",)})
    assert counts["delete"] == 2000 and counts["create"] == 1
    subs = [r for r in deployment["resources"] if r["type"] == SUB]
    assert [r["id"] for r in subs] == [names[7]]
    assert subs[0]["outputs"]["initial_password"]["plaintext"] == '"replaced-0123456789"'


def test_an_intent_without_its_create_is_put_in_state_with_the_password() -> None:
    deployment: dict[str, object] = {"resources": []}
    done, lost = create("a/done"), create("a/lost")
    records = [
        {**done, "op": "intent", "outputs": {"initial_password": "first-try"}},
        {**done, "op": "intent", "outputs": {"initial_password": "pw-0123456789"}}, done,
        {**lost, "op": "intent", "outputs": {"initial_password": "lost-0123456789"}},
    ]
    counts = step_journal.replay(deployment, records, {SUB: ("initial_password",)})
    assert counts["create"] == 1 and counts["intent"] == 1
    resources = deployment["resources"]
    assert isinstance(resources, list)
    entries = {r["id"]: r for r in resources if r["type"] == SUB}
    assert entries["a/done"]["outputs"]["initial_password"]["plaintext"] == '"pw-0123456789"'
    # the intent's outputs are its inputs plus what it generated: the refresh reads it back
    assert entries["a/lost"]["outputs"] == {
        "login": "a/lost", "dispatch": False,
        "initial_password": {SECRET_SIG: SECRET_VALUE, "plaintext": '"lost-0123456789"'}}


@pytest.mark.parametrize(("env", "journals"), [
    ({}, False),
    ({"PULUMI_SKIP_CHECKPOINTS": "true"}, True),
    ({"PULUMI_SKIP_CHECKPOINTS": "TRUE"}, True),
    ({"PULUMI_SKIP_CHECKPOINTS": "1"}, True),
    ({"PULUMI_SKIP_CHECKPOINTS": "false"}, False),
    ({"PULUMI_SKIP_CHECKPOINTS": "yes"}, False),  # the engine reads only 1 and true
    ({"PULUMI_SKIP_CHECKPOINTS": "true", "SHOPORG_JOURNAL": "off"}, False),
    ({"PULUMI_SKIP_CHECKPOINTS": "true", "SHOPORG_JOURNAL": "0"}, False),
    ({"SHOPORG_JOURNAL": "/tmp/steps.jsonl"}, True),
], ids=[
    "checkpoints kept: no journal",
    "one save at the end: journaled",
    "true in capitals, as the engine reads it: journaled",
    "1: journaled",
    "false: no journal",
    "yes is not truthy to the engine: no journal",
    "one save with the journal turned off: none",
    "0 turns it off too",
    "an explicit journal file: journaled",
])
def test_the_journal_follows_the_engines_checkpoint_setting(
        env: dict[str, str], journals: bool) -> None:
    assert step_journal.enabled(env) is journals


def test_a_journal_without_a_path_opens_the_stacks_file_at_its_first_step(
        tmp_path: Path) -> None:
    journal = Writer(None, "pp", tmp_path)
    journal.append({"op": "configure", "args": {"backend": "sandbox"}})
    assert not (tmp_path / ".shoporg").exists()  # a preview or a refresh writes no file
    journal.append(create("a/b"))
    path = step_journal.journal_path(tmp_path, "dev")  # the stack is the URN's
    assert journal.path == path
    assert [r["op"] for r in step_journal.read(path, "pp")] == ["configure", "create"]


@pytest.mark.parametrize(("saved", "spent"), [
    (None, False),
    ("2000-01-01T00:00:00Z", False),
    ("2100-01-01T00:00:00.123456789Z", True),
    ("2100-01-01T08:00:00+08:00", True),
], ids=[
    "a stack never saved has not got the steps",
    "a save older than the journal's last record (killed before its save) has not",
    "a save after the last record (the run finished) has them all",
    "times with an offset are compared as instants",
])
def test_a_journal_is_spent_once_the_state_was_saved_after_it(
        tmp_path: Path, saved: str | None, spent: bool) -> None:
    path = tmp_path / "steps.jsonl"
    Writer(path, "pp").append(create("a/b"))
    deployment = {"manifest": {"time": saved}} if saved else {}
    assert step_journal.saved_after(path, deployment) is spent


def test_an_unreadable_save_time_is_an_error_not_a_guess(tmp_path: Path) -> None:
    path = tmp_path / "steps.jsonl"
    Writer(path, "pp").append(create("a/b"))
    with pytest.raises(JournalError, match="save time"):
        step_journal.saved_after(path, {"manifest": {"time": "yesterday"}})
