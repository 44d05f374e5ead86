"""A company's own org repository: what ``shoporg new`` writes, and the version it pins.

The repository a company keeps its organization in is theirs, not a fork of this one: its
``org.yaml``, a three-line Pulumi program calling the installed package, stack config, CI
workflows and a pin file naming the shoporg version its CI installs. :mod:`.generate`
renders the files (``shoporg new``); this module is only what every command needs at start:
the pin, read without importing the templates, so a newer (or older) ``shoporg`` than the
repository's CI runs says so (:func:`version_warning`).
"""

from __future__ import annotations

import re
from pathlib import Path

from shoporg import __version__
from shoporg.versions import newer

#: The org repository's dependency pin: what its CI installs (``pip install -r``).
PIN_FILE = "requirements.txt"
_PIN = re.compile(r"^\s*shoporg\s*==\s*([0-9][^\s;#]*)", re.MULTILINE)


def pinned_version(root: Path) -> str | None:
    """The ``shoporg==X`` version the repository at ``root`` pins, if it pins one."""
    try:
        text = (root / PIN_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    match = _PIN.search(text)
    return match[1] if match else None


def version_warning(root: Path, running: str = __version__) -> str | None:
    """What to tell the user when the shoporg running is not the one ``root`` pins."""
    pinned = pinned_version(root)
    if pinned is None or pinned == running:
        return None
    where = root / PIN_FILE
    if newer(pinned, running):
        return (f"warning: this is shoporg {running}, older than the {pinned} this repository "
                f"pins ({where}) and its CI runs: install that version "
                f"(pipx install shoporg=={pinned}, or pip install -r {PIN_FILE})")
    return (f"warning: this is shoporg {running}, but this repository pins {pinned} ({where}), "
            "the version its CI runs. To move the pin: `shoporg new . --force` (it updates "
            "the pin, the workflows and the other generated files, showing each diff), "
            "then review and commit the change.")
