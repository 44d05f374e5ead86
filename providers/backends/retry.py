"""One backend call, retried the way every caller retries it: throttling waits what the
platform asked for, transient faults back off; the providers, the program's live rules, the
importer and drift's listings share it (no Pulumi import here: drift and the importer run
without the engine)."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from typing import TypeVar

from shoporg.errors import ThrottledError, TransientError

T = TypeVar("T")

MAX_ATTEMPTS = int(os.environ.get("SHOPORG_MAX_ATTEMPTS", "8"))
MAX_THROTTLE_WAIT_S = 60.0


def call_with_retries(fn: Callable[[], T], *, sleep: Callable[[float], None] = time.sleep) -> T:
    """Run one backend call, absorbing throttling and transient faults with bounded retries.

    Throttling waits what the platform asked for (capped); other transient failures back
    off exponentially with jitter. After ``MAX_ATTEMPTS`` the last error propagates, still
    naming the object and the operation.
    """
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return fn()
        except ThrottledError as exc:
            if attempt == MAX_ATTEMPTS:
                raise
            sleep(min(exc.retry_after, MAX_THROTTLE_WAIT_S))
        except TransientError:
            if attempt == MAX_ATTEMPTS:
                raise
            sleep(min(0.05 * 2**attempt, 2.0) * (0.5 + random.random()))
    raise AssertionError("unreachable")
