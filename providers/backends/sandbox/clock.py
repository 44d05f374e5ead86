"""Time for the sandbox's time-bound rules (Shopee's activation link, Douyin's channel unbind).

The backend asks a :class:`Clock` for "now" and then adds the offset stored in the sandbox
file (``settings.clock_offset_seconds``). The clock is injectable so unit tests can pin time
(:class:`FixedClock`); the offset lives in the file so separate processes -- the CLI, the
Pulumi provider, a test -- agree on the same shifted time (``shoporg sandbox clock advance``).
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until told to move; thread-safe."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2025, 1, 1, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = when


_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """``"181d"``, ``"73h"``, ``"-5m"``, ``"90s"``, ``"2w"`` -> timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 181d, 73h, 30m, 90s, 2w)")
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def to_text(when: datetime) -> str:
    """The one way times are stored: ISO 8601 in UTC, so text order is time order."""
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def from_text(text: str) -> datetime:
    return datetime.fromisoformat(text)
