"""What every API connector (TOP, Kuaishou) keeps about its own reads: how many calls it made
(by method, for benchmarks and ``shoporg watch``) and, per account, the listings it read a
moment ago, dropped on every write to that account."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class AccountReads:
    """Call counts and a short-lived cache of each account's reads (``ttl`` seconds)."""

    def __init__(self, ttl: float) -> None:
        self._calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._ttl = ttl
        self._cache: dict[tuple[str, str], tuple[float, Any]] = {}
        self._generations: dict[str, int] = {}

    def _count(self, method: str) -> None:
        with self._lock:
            self._calls[method] += 1

    @property
    def calls(self) -> Mapping[str, int]:
        with self._lock:
            return dict(self._calls)

    def reset_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def _memo(self, account_id: str, piece: str, load: Callable[[], T]) -> T:
        key = (account_id, piece)
        with self._lock:
            hit = self._cache.get(key)
            generation = self._generations.get(account_id, 0)
        if hit is not None and time.monotonic() - hit[0] < self._ttl:
            value: T = hit[1]
            return value
        value = load()
        with self._lock:
            # A read that raced a write to this account may predate it: never cache it, or
            # the writer's own read-back would see the state from before its write.
            if self._generations.get(account_id, 0) == generation:
                self._cache[key] = (time.monotonic(), value)
        return value

    def _wrote(self, account_id: str) -> None:
        with self._lock:
            self._generations[account_id] = self._generations.get(account_id, 0) + 1
            for key in [k for k in self._cache if k[0] == account_id]:
                del self._cache[key]
