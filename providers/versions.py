"""Release numbers, read one way: shoporg's own (``0.1.0``, a repository's pin) and the
engine's (``v3.265.1``, or ``v3.265.1-dev.0`` as ``pulumi version`` prints it).

Imported at every command's start (the pin check), so it imports nothing but ``re``.
"""

from __future__ import annotations

import re

_RELEASE = re.compile(r"v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?")


def release(text: str | None) -> tuple[int, int, int] | None:
    """``(major, minor, patch)`` of ``X.Y.Z`` (a ``v`` before it, a ``-``/``+`` suffix after
    it allowed); anything else (``0.2.0rc1``, ``3.1``): None."""
    if not text:
        return None
    match = _RELEASE.fullmatch(text.strip())
    return None if match is None else (int(match[1]), int(match[2]), int(match[3]))


def newer(version: str, than: str) -> bool:
    """``version`` is a later release than ``than`` (either unreadable: no)."""
    a, b = release(version), release(than)
    return a is not None and b is not None and a > b
