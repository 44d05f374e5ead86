"""The step journal: an fsync'd, append-only record of every step our providers completed.

With ``PULUMI_SKIP_CHECKPOINTS=true`` the engine saves state once, at the end of an
``up`` (instead of twice per step: the quadratic cost measured in benchmarks/RESULTS.md);
a killed run would then lose the record of what it created, and the initial passwords it
generated. Our provider plugin (:mod:`shoporg.engine.dynamic_provider`) therefore writes,
whenever the engine skips its checkpoints (``shoporg up`` always does; a plain
``PULUMI_SKIP_CHECKPOINTS=true pulumi up`` too; :func:`enabled`) into
``SHOPORG_JOURNAL=<path>`` or else the stack's ``.shoporg/steps/<stack>.jsonl``
(``SHOPORG_JOURNAL=off``: no journal), one line per completed
``Create``/``Update``/``Delete`` (and per ``Configure``: the provider's own inputs) *after*
the account system answered and *before* the engine hears of it:

    {"v": 2, "salt": "<b64>", "sealed": "<b64>"}

``sealed`` holds the step (op, URN, type, id, inputs, outputs as the engine's gRPC structs
give them) encrypted and authenticated with a key derived from the stack's secrets
passphrase (``PULUMI_CONFIG_PASSPHRASE`` or ``PULUMI_CONFIG_PASSPHRASE_FILE``, as the
engine reads it) and the per-process salt: nothing of it, initial passwords included, is
plaintext on disk. Each line is one ``os.write`` on an ``O_APPEND`` descriptor followed by
``fsync``, so concurrent provider threads and processes interleave whole lines; a record
torn by a kill is the last line, and :func:`read` ignores it.

``shoporg recover`` replays the records onto the last saved state (:func:`replay`) and
imports the result (``providers/cli/recover.py``); a journal the state was saved after is
spent (:func:`saved_after`) and only removed.

Records are sealed with AES-256-GCM (``cryptography``), the key derived from the stack's
passphrase with scrypt and a per-journal salt; the record format is versioned (``v``).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import re
import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shoporg.errors import ShoporgError

ENV: Final = "SHOPORG_JOURNAL"
#: ``SHOPORG_JOURNAL`` values that turn the journal off even without checkpoints.
OFF: Final = frozenset({"0", "off", "false", "no"})
VERSION: Final = 2  # 2: AES-256-GCM
#: Pulumi's marker of a secret value (in gRPC structs and in state).
SECRET_SIG: Final = "4dabf18193072939515e22adb298388d"
SECRET_VALUE: Final = "1b47061264138c4ac30d75fd1eb44270"

_NONCE = 12  # GCM's standard nonce
_TAG = 16


class JournalError(ShoporgError):
    pass


def journal_path(root: Path, stack: str) -> Path:
    """Where ``shoporg up --journaled`` keeps a stack's journal until the run's state is
    saved (then it is removed) or ``shoporg recover`` has replayed it."""
    return root / ".shoporg" / "steps" / (stack.replace("/", "_") + ".jsonl")


# --- the key -----------------------------------------------------------------------------


def passphrase(env: Mapping[str, str] | None = None) -> str:
    """The stack's secrets passphrase, read the way the engine reads it."""
    env = os.environ if env is None else env
    if "PULUMI_CONFIG_PASSPHRASE" in env:
        return env["PULUMI_CONFIG_PASSPHRASE"]
    path = env.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    raise JournalError(
        "the step journal needs the stack's passphrase: set PULUMI_CONFIG_PASSPHRASE or "
        "PULUMI_CONFIG_PASSPHRASE_FILE (or SHOPORG_JOURNAL=off, and keep the engine's "
        "checkpoints: unset PULUMI_SKIP_CHECKPOINTS)"
    )


def derive(secret: str, salt: bytes) -> bytes:
    """The AES-256 key from the passphrase and a salt (scrypt, n=2**14)."""
    return hashlib.scrypt(secret.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)


def seal(key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    nonce = secrets.token_bytes(_NONCE)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def unseal(key: bytes, sealed: bytes, aad: bytes = b"") -> bytes:
    if len(sealed) < _NONCE + _TAG:
        raise JournalError("a journal record is too short")
    try:
        return AESGCM(key).decrypt(sealed[:_NONCE], sealed[_NONCE:], aad)
    except InvalidTag:
        raise JournalError("a journal record does not authenticate (wrong passphrase?)") from None


# --- writing -----------------------------------------------------------------------------


class Writer:
    """Appends sealed records to one journal file; safe across threads and processes."""

    def __init__(self, path: Path | None, secret: str, root: Path | None = None) -> None:
        """``path`` None: the stack's default journal under ``root``
        (:func:`journal_path`), opened at the first record that names a URN: the stack is
        only known from a URN. Records before it (a ``configure``) wait in memory; a run
        that never steps (a preview, a refresh) writes no file."""
        self.path = path
        self.root = root or Path.cwd()
        self.salt = secrets.token_bytes(16)
        self._keys = derive(secret, self.salt)
        self._fd = -1
        self._waiting: list[bytes] = []
        self._lock = threading.Lock()
        if path is not None:
            self._open(path)

    def _open(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self.path = path

    def append(self, record: Mapping[str, Any]) -> None:
        body = json.dumps({**record, "at": time.time(), "pid": os.getpid()},
                          separators=(",", ":"), sort_keys=True).encode()
        line = json.dumps({
            "v": VERSION,
            "salt": base64.b64encode(self.salt).decode(),
            "sealed": base64.b64encode(seal(self._keys, body, b"v2")).decode(),
        }, separators=(",", ":")) + "\n"
        data = line.encode()
        with self._lock:  # one write per record (O_APPEND: whole lines, in any process)
            if self._fd < 0:
                urn = record.get("urn")
                if not urn:
                    self._waiting.append(data)
                    return
                self._open(journal_path(self.root, stack_of(str(urn))[0]))
                data = b"".join([*self._waiting, data])
                self._waiting.clear()
            written = os.write(self._fd, data)
        if written != len(data):
            raise JournalError(f"short write to {self.path} ({written} of {len(data)})")
        # Durable before the engine hears of the step. Outside the lock: concurrent steps'
        # fsyncs overlap (the kernel commits them together: 0.14 ms each for 8 threads
        # against 0.4 ms alone, here) instead of queueing. A group commit of our own (one
        # thread fsyncs for all waiting) measured 10-20 % slower: its lock convoys on the GIL.
        os.fsync(self._fd)


_writer: Writer | None = None
_writer_lock = threading.Lock()


def enabled(env: Mapping[str, str] | None = None) -> bool:
    """Whether our providers journal: ``SHOPORG_JOURNAL`` names a file, or the engine saves
    state only at the end (``PULUMI_SKIP_CHECKPOINTS``, truthy the way the engine reads it)
    and ``SHOPORG_JOURNAL`` does not say ``off``."""
    env = os.environ if env is None else env
    setting = env.get(ENV, "")
    if setting.lower() in OFF:
        return False
    skip = env.get("PULUMI_SKIP_CHECKPOINTS", "")
    return bool(setting) or skip == "1" or skip.lower() == "true"


def writer() -> Writer | None:
    """This process's writer, or None when it does not journal (:func:`enabled`)."""
    global _writer
    if not enabled():
        return None
    path = os.environ.get(ENV)
    with _writer_lock:
        if _writer is None:
            from shoporg.backends.settings import project_root

            _writer = Writer(Path(path) if path else None, passphrase(), project_root())
        return _writer


_request = threading.local()


def set_request(request: Any | None) -> None:
    """The engine's ``Create`` request this thread is serving (set by the servicer)."""
    _request.current = request


def intent(id_: str, outputs: Mapping[str, Any]) -> None:
    """Record, before the platform call, what a create generates and cannot read back (an
    initial password): a kill between the platform's answer and the ``create`` record then
    loses nothing. ``shoporg recover`` puts an intent without its ``create`` in state and
    its refresh keeps it only if the object exists. No-op unless journaling."""
    request = getattr(_request, "current", None)
    journal = writer()
    if journal is None or request is None:
        return
    from google.protobuf.json_format import MessageToDict

    journal.append({"op": "intent", "urn": request.urn, "type": request.type, "id": id_,
                    "inputs": MessageToDict(request.properties), "outputs": dict(outputs)})


# --- reading -----------------------------------------------------------------------------


def read(path: Path, secret: str) -> list[dict[str, Any]]:
    """Every record, oldest first. A torn last line (a kill mid-write) is ignored; any other
    unreadable line is an error (a wrong passphrase or a damaged file)."""
    if not path.exists():
        return []
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    complete, tail = lines[:-1], lines[-1]  # the tail lacks its newline: torn (or empty)
    keys: dict[bytes, bytes] = {}
    records = []
    for number, line in enumerate(complete, 1):
        if not line.strip():
            continue
        try:
            envelope = json.loads(line)
            if envelope.get("v") != VERSION:
                raise JournalError(f"unknown record version {envelope.get('v')!r}")
            salt = base64.b64decode(envelope["salt"])
            sealed = base64.b64decode(envelope["sealed"])
        except (ValueError, KeyError, TypeError) as exc:
            raise JournalError(f"{path}:{number}: unreadable journal record ({exc})") from exc
        if salt not in keys:
            keys[salt] = derive(secret, salt)
        records.append(json.loads(unseal(keys[salt], sealed, b"v2")))
    del tail  # never a complete record: the write that would have ended it never returned
    return records


def saved_after(path: Path, deployment: Mapping[str, Any]) -> bool:
    """Whether the state (a ``pulumi stack export`` deployment) was saved after the
    journal's last record: then the engine finished its run (successful or not) and the
    state holds every step the journal does, so the journal is spent. A run killed before
    or during its final save leaves the previous save, older than its records."""
    stamp = (deployment.get("manifest") or {}).get("time")
    if not stamp or not path.exists():
        return False
    return _epoch_ns(str(stamp)) > path.stat().st_mtime_ns


def _epoch_ns(stamp: str) -> int:
    """Nanoseconds since the epoch of the engine's RFC 3339 time (Go: up to 9 digits)."""
    match = re.fullmatch(r"(.+?T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", stamp)
    if match is None:
        raise JournalError(f"unreadable state save time {stamp!r}")
    whole, fraction, zone = match.groups()
    seconds = datetime.datetime.fromisoformat(whole + zone.replace("Z", "+00:00"))
    return int(seconds.timestamp()) * 10**9 + int((fraction or "0").ljust(9, "0")[:9])


# --- replaying onto a deployment -----------------------------------------------------------


def _state_value(value: Any) -> Any:
    """A gRPC-struct value (as JSON) in the state's form: secrets ``{sig, plaintext}``."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == SECRET_VALUE and "value" in value:
            return {SECRET_SIG: SECRET_VALUE, "plaintext": json.dumps(value["value"])}
        return {k: _state_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_state_value(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _secret(value: Any) -> Any:
    if isinstance(value, dict) and value.get(SECRET_SIG) == SECRET_VALUE:
        return value
    return {SECRET_SIG: SECRET_VALUE, "plaintext": json.dumps(value)}


def stack_of(urn: str) -> tuple[str, str]:
    """(stack, project) of a URN ``urn:pulumi:<stack>::<project>::...``."""
    head = urn.split("::")
    return head[0].removeprefix("urn:pulumi:"), head[1]


def replay(deployment: dict[str, Any], records: list[dict[str, Any]],
           secret_outputs: Mapping[str, tuple[str, ...]]) -> dict[str, int]:
    """Apply the journal to a ``pulumi stack export`` deployment, in place.

    A create or update puts the resource (by URN) with the journaled inputs and outputs,
    the outputs ``secret_outputs[type]`` marked secret in plaintext form for the engine to
    encrypt on import; a delete removes it. The stack resource and the default provider are
    added when the last save has none (a first ``up`` killed before its only save).
    An ``intent`` whose ``create`` never got journaled is put in state as if created (the
    refresh that follows keeps it only if the object exists). Dependencies on resources
    that are gone are dropped. Returns counts per operation.
    """
    resources: list[dict[str, Any]] = list(deployment.get("resources") or [])
    by_urn = {r["urn"]: r for r in resources}
    counts = {"create": 0, "update": 0, "delete": 0, "intent": 0}
    provider_inputs: dict[str, Any] | None = None
    first = next((r["urn"] for r in records if r.get("urn")), None)
    stack_urn = provider_ref = ""
    for record in records:
        if record.get("op") == "configure":
            provider_inputs = _state_value(record.get("args") or {})
    if first is not None:
        stack, project = stack_of(first)
        stack_urn = f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{project}-{stack}"
        provider_urn = f"urn:pulumi:{stack}::{project}::pulumi:providers:pulumi-python::default"
        prelude = []
        if stack_urn not in by_urn:
            prelude.append({"urn": stack_urn, "custom": False, "type": "pulumi:pulumi:Stack"})
        provider = next((r for r in resources if r["urn"] == provider_urn), None)
        if provider is None:
            provider = {"urn": provider_urn, "custom": True,
                        "id": str(uuid.uuid4()),
                        "type": "pulumi:providers:pulumi-python",
                        "inputs": provider_inputs or {}, "outputs": provider_inputs or {}}
            prelude.append(provider)
        resources = prelude + resources
        by_urn.update({r["urn"]: r for r in prelude})
        provider_ref = f"{provider_urn}::{provider['id']}"
    intents: dict[str, dict[str, Any]] = {}
    for record in records:  # the last intent of a create that has no record of its end
        if record.get("op") == "intent":
            intents[record["urn"]] = record
        elif record.get("op") == "create":
            intents.pop(record["urn"], None)
    removed: set[int] = set()  # id() of the entries deleted (each still in ``resources``)
    steps = [r for r in records if r.get("op") in ("create", "update", "delete") or (
        r.get("op") == "intent" and intents.get(r["urn"]) is r)]
    for record in steps:
        op, urn = record["op"], record["urn"]
        counts[op] += 1
        if op == "intent":
            if urn in by_urn:
                continue
            # Maybe created: in state with the inputs as outputs too, for the refresh to
            # read back (kept if the object exists, dropped if not).
            record = {**record, "outputs": {**(record.get("inputs") or {}),
                                            **(record.get("outputs") or {})}}
        if op == "delete":
            gone = by_urn.pop(urn, None)
            if gone is not None:
                removed.add(id(gone))  # dropped once, below: a list rebuild per delete is
            continue  # quadratic in a mass delete; a later re-create is a new entry
        secret = secret_outputs.get(record["type"], ())
        outputs = _state_value(record.get("outputs") or {})
        for name in secret:
            if name in outputs and outputs[name] is not None:
                outputs[name] = _secret(outputs[name])
        entry = by_urn.get(urn)
        if entry is None:
            entry = {"urn": urn, "custom": True, "type": record["type"],
                     "parent": stack_urn, "provider": provider_ref}
            if secret:
                entry["additionalSecretOutputs"] = list(secret)
            resources.append(entry)
            by_urn[urn] = entry
        entry["id"] = record["id"]
        entry["inputs"] = _state_value(record.get("inputs") or {})
        entry["outputs"] = outputs
        entry.pop("pendingReplacement", None)
        entry.pop("delete", None)
    resources = [r for r in resources if id(r) not in removed]
    for r in resources:  # a dependency deleted by the killed run (and not re-created)
        if r.get("dependencies"):
            r["dependencies"] = [d for d in r["dependencies"] if d in by_urn]
        if r.get("propertyDependencies"):
            r["propertyDependencies"] = {
                k: [d for d in v if d in by_urn] for k, v in r["propertyDependencies"].items()
            }
    deployment["resources"] = resources
    return counts
