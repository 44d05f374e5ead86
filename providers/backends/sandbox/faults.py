"""Fault injection and latency for the reliability suite.

Configuration is a JSON object, read on every call from the sandbox file's ``settings``
table (key ``faults``, set with ``shoporg sandbox faults set ...``) and overridden key by key
by the environment variable ``SHOPORG_SANDBOX_FAULTS`` (JSON)::

    {"seed": 7,                 # deterministic draws (omit for random)
     "transient_rate": 0.2,     # share of calls failing with TransientError
     "throttle_rate": 0.1,      # share of calls failing with ThrottledError(retry_after)
     "retry_after": 1.5,        # seconds carried by ThrottledError
     "latency_ms": 20,          # added to every call, before the work
     "fail_on_call": 40,        # the 40th call since the faults were set (counted in the
                                #   file, across processes) fails once with TransientError
     "fail_objects": ["sub_account:tb-flagship/alice"],  # mutations of these always fail
     # How ``shoporg sandbox serve`` (the TOP endpoint) shows them to a TOP client:
     "isp_sub_codes": ["isp.top-remote-connection-timeout"],  # transient faults, in turn
                                #   (code 15 + these sub-codes; default code 10
                                #   isp.service-unavailable)
     "call_limited": "isp",     # throttling as code 15 isp.call-limited ("isp") or as
                                #   code 7 accesscontrol.limited-by-app-access-count ("app")
     "top_statuses": {"tb-youpin/zhang-wei": 3}}  # the TOP status served for a
                                #   sub-account (3 punished, -1 deleted, 2 frozen)

Why draws are keyed, not sequential: the Pulumi engine calls a provider from many threads,
so the order of calls is not reproducible. A draw is a hash of ``(seed, method, object,
attempt number for that object)``: the same run makes the same decisions however the threads
interleave, and a retry of the same call is a fresh attempt that will eventually pass.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import json
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, fields

from shoporg.errors import BackendError, ThrottledError, TransientError

ENV_VAR = "SHOPORG_SANDBOX_FAULTS"


@dataclass(frozen=True, slots=True)
class FaultConfig:
    seed: int | None = None
    transient_rate: float = 0.0
    throttle_rate: float = 0.0
    retry_after: float = 1.0
    latency_ms: float = 0.0
    fail_on_call: int | None = None
    fail_objects: tuple[str, ...] = ()
    isp_sub_codes: tuple[str, ...] = ()
    call_limited: str = "app"
    top_statuses: tuple[tuple[str, int], ...] = ()

    @property
    def active(self) -> bool:
        return self != FaultConfig()

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> FaultConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault setting(s) {unknown}; known: {sorted(known)}")
        seed = data.get("seed")
        fail_on_call = data.get("fail_on_call")
        objects = data.get("fail_objects", ())
        if isinstance(objects, str):
            objects = [o for o in objects.split(",") if o]
        if not isinstance(objects, list | tuple):
            raise ValueError("fail_objects must be a list of 'kind:name' patterns")
        config = cls(
            seed=None if seed is None else int(str(seed)),
            transient_rate=float(str(data.get("transient_rate", 0.0))),
            throttle_rate=float(str(data.get("throttle_rate", 0.0))),
            retry_after=float(str(data.get("retry_after", 1.0))),
            latency_ms=float(str(data.get("latency_ms", 0.0))),
            fail_on_call=None if fail_on_call is None else int(str(fail_on_call)),
            fail_objects=tuple(str(o) for o in objects),
            isp_sub_codes=_strings(data.get("isp_sub_codes", ())),
            call_limited=str(data.get("call_limited", "app")),
            top_statuses=_statuses(data.get("top_statuses", ())),
        )
        if config.call_limited not in ("app", "isp"):
            raise ValueError("call_limited must be 'app' or 'isp'")
        bad = [c for c in config.isp_sub_codes if not c.startswith("isp.")]
        if bad:
            raise ValueError(f"isp_sub_codes must start with 'isp.': {bad}")
        if not 0.0 <= config.transient_rate + config.throttle_rate <= 1.0:
            raise ValueError("transient_rate + throttle_rate must be between 0 and 1")
        if config.latency_ms < 0 or config.retry_after < 0:
            raise ValueError("latency_ms and retry_after cannot be negative")
        return config

    def to_json(self) -> str:
        data: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value != f.default:
                if f.name == "top_statuses":
                    data[f.name] = dict(value)
                else:
                    data[f.name] = list(value) if isinstance(value, tuple) else value
        return json.dumps(data, sort_keys=True, ensure_ascii=False)

    def top_status(self, name: str) -> int | None:
        """The TOP status injected for sub-account ``name`` (``<account>/<member>``)."""
        return next((code for pattern, code in self.top_statuses
                     if fnmatch.fnmatchcase(name, pattern)), None)


def _strings(value: object) -> tuple[str, ...]:
    """A list setting: a JSON list, or ``a,b`` from the command line."""
    if isinstance(value, str):
        return tuple(v for v in value.split(",") if v)
    if not isinstance(value, list | tuple):
        raise ValueError(f"expected a list, got {value!r}")
    return tuple(str(v) for v in value)


def _statuses(value: object) -> tuple[tuple[str, int], ...]:
    """``{"acct/member": 3}``, pairs, or ``acct/member=3,acct/other=-1`` (command line)."""
    pairs: list[tuple[object, ...]]
    if isinstance(value, str):
        pairs = [tuple(item.rsplit("=", 1)) for item in value.split(",") if item]
    elif isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, list | tuple):
        pairs = [tuple(p) for p in value]
    else:
        raise ValueError(f"top_statuses: expected {{name: status}}, got {value!r}")
    out = []
    for pair in pairs:
        if len(pair) != 2:
            raise ValueError(f"top_statuses: expected name=status, got {pair!r}")
        name, code = pair
        out.append((str(name), int(str(code))))
    return tuple(sorted(out))


def load_config(stored: str | None, environ: Mapping[str, str] | None = None) -> FaultConfig:
    """The stored settings, overridden key by key by ``SHOPORG_SANDBOX_FAULTS``."""
    environ = os.environ if environ is None else environ
    return _parse_config(stored, environ.get(ENV_VAR))


@functools.lru_cache(maxsize=64)
def _parse_config(stored: str | None, override: str | None) -> FaultConfig:
    """A pure function of the two JSON texts, asked once per sandbox call: parsed once per
    text (the config is frozen, so sharing it is safe; an invalid text raises each time)."""
    data: dict[str, object] = json.loads(stored) if stored else {}
    if override:
        extra = json.loads(override)
        if not isinstance(extra, dict):
            raise ValueError(f"{ENV_VAR} must be a JSON object")
        data.update(extra)
    return FaultConfig.from_mapping(data)


class FaultInjector:
    """Decides, per call, whether to delay and whether to fail it."""

    def __init__(self) -> None:
        self._attempts: Counter[tuple[str, str, str]] = Counter()
        self._lock = threading.Lock()
        self._random = random.Random()

    def before_call(
        self,
        config: FaultConfig,
        method: str,
        kind: str,
        name: str,
        mutating: bool,
        call_number: int | None,
    ) -> None:
        """Sleep and/or raise as configured. ``call_number`` is the file-wide call count."""
        if config.latency_ms:
            time.sleep(config.latency_ms / 1000.0)
        if config.fail_on_call is not None and call_number == config.fail_on_call:
            raise TransientError(kind, name, method, f"injected failure on call {call_number}")
        if mutating and any(
            fnmatch.fnmatchcase(f"{kind}:{name}", pattern) for pattern in config.fail_objects
        ):
            raise BackendError(kind, name, method, "injected permanent failure")
        if not (config.transient_rate or config.throttle_rate):
            return
        draw = self._draw(config.seed, method, kind, name)
        if draw < config.throttle_rate:
            raise ThrottledError(kind, name, method, "injected throttling", config.retry_after)
        if draw < config.throttle_rate + config.transient_rate:
            raise TransientError(kind, name, method, "injected transient failure")

    def _draw(self, seed: int | None, method: str, kind: str, name: str) -> float:
        with self._lock:
            if seed is None:
                return self._random.random()
            key = (method, kind, name)
            self._attempts[key] += 1
            attempt = self._attempts[key]
        digest = hashlib.blake2b(
            f"{seed}|{method}|{kind}|{name}|{attempt}".encode(), digest_size=8
        ).digest()
        return int.from_bytes(digest, "big") / 2**64
