"""``shoporg new DIR``: the files of a company's org repository, and writing them safely.

Every file has an owner (:class:`Owner`):

* **yours** — written once as a starting point and never overwritten (``org.yaml``, the
  README, the stacks' config): after ``shoporg new`` they are the company's;
* **shoporg's** — derived from the installed tool (the Pulumi project and program, the pin,
  the CI workflows, the Makefile, the editor schema, ``.gitignore``): ``shoporg new . --force``
  after an upgrade rewrites the ones that differ, printing each diff, and that is how the
  pin moves.

Without ``--force`` an existing file is never touched: the command refuses and names them.
The values the files carry (the version, the engine version and its Go, the state and
ledger paths) come from where the tool keeps them, never from a copy: this repository's
``examples/ci/`` is what the workflows render to (``tests/scaffold/test_generate.py``).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path, PurePosixPath

import jinja2

from shoporg import __version__
from shoporg.backends.settings import DEFAULT_LEDGER_PATH, DEFAULT_SANDBOX_PATH
from shoporg.engine import ENGINE_VERSION
from shoporg.engine.environment import HOME_DIR, STATE_DIR
from shoporg.engine.install import GO_MODULE
from shoporg.errors import ShoporgError
from shoporg.scaffold import PIN_FILE, pinned_version
from shoporg.versions import newer

TEMPLATES = Path(__file__).with_name("templates")
#: The CI workflows, as ``.github/workflows/<name>.yml`` (and ``examples/ci/`` here).
WORKFLOWS = ("review", "review-comment", "drift", "expiry")
WORKFLOW_DIR = ".github/workflows"


class Owner(Enum):
    YOURS = "yours"  # a starting point, never overwritten
    SHOPORG = "shoporg's"  # derived from the installed tool; --force updates it


@dataclass(frozen=True)
class Generated:
    path: str  # relative, POSIX
    owner: Owner
    text: str


@dataclass(frozen=True)
class Outcome:
    path: str
    action: str  # "created", "updated", "unchanged", "kept (yours)"
    diff: str = ""


@cache
def _environment() -> jinja2.Environment:
    # Workflows are full of GitHub's ``${{ }}`` and bash's ``${#x}``: our own delimiters.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        variable_start_string="{@", variable_end_string="@}",
        comment_start_string="{@#", comment_end_string="#@}",
        keep_trailing_newline=True, autoescape=False,
    )


def go_version() -> str:
    """The Go the engine's module asks for (its ``go`` line): what CI installs to build it."""
    text = (GO_MODULE / "go.mod").read_text(encoding="utf-8")
    match = re.search(r"^go (\d+\.\d+(?:\.\d+)?)$", text, re.MULTILINE)
    if match is None:  # pragma: no cover - the shipped go.mod always has one
        raise RuntimeError(f"{GO_MODULE / 'go.mod'} names no Go version")
    return match[1]


def ignored_paths() -> tuple[str, ...]:
    """What an org repository keeps out of git: local state and its passphrase, the engine's
    home, the sandbox, the local ledger, the venv, the sandbox stack's salted config."""
    return (
        f"/{STATE_DIR}/", f"/{HOME_DIR}/", f"/{PurePosixPath(DEFAULT_SANDBOX_PATH).parent}/",
        f"/{DEFAULT_LEDGER_PATH}*", "/.venv/", "/stacks/Pulumi.dev.yaml", "__pycache__/",
    )


def files(company: str, version: str = __version__) -> tuple[Generated, ...]:
    """Every file ``shoporg new`` writes, rendered for ``company`` and shoporg ``version``."""
    from shoporg.schema import render_json_schema

    values = {
        "company": company, "version": version,
        "engine_version": ENGINE_VERSION, "go_version": go_version(), "pin_file": PIN_FILE,
        "ignored": ignored_paths(), "workflow_dir": WORKFLOW_DIR,
    }

    def render(path: str) -> str:
        # A dotfile's template drops its dot (package data globs skip dotfiles).
        return _environment().get_template(path.lstrip(".") + ".j2").render(values)

    yours = ("org.yaml", "README.md", "stacks/Pulumi.dev.yaml", "stacks/Pulumi.prod.yaml")
    ours = ("Pulumi.yaml", "stacks/__main__.py", PIN_FILE, ".gitignore", "Makefile")
    return (
        *(Generated(path, Owner.YOURS, render(path)) for path in yours),
        *(Generated(path, Owner.SHOPORG, render(path)) for path in ours),
        Generated("org.schema.json", Owner.SHOPORG, render_json_schema()),
        *(Generated(f"{WORKFLOW_DIR}/{name}.yml", Owner.SHOPORG,
                    render(f"workflows/{name}.yml")) for name in WORKFLOWS),
    )


def workflow(name: str, version: str = __version__) -> str:
    """One rendered CI workflow (``examples/ci/<name>.yml`` is this for our version)."""
    [found] = (g.text for g in files("example", version)
               if g.path == f"{WORKFLOW_DIR}/{name}.yml")
    return found


def conflicts(target: Path, generated: Iterable[Generated]) -> list[str]:
    """The files ``shoporg new`` would write that already exist in ``target``."""
    return [g.path for g in generated if (target / g.path).exists()]


def _diff(path: str, old: str, new: str) -> str:
    return "".join(difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True),
        fromfile=f"a/{path}", tofile=f"b/{path}",
    ))


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.shoporg-new")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write(target: Path, generated: Sequence[Generated], force: bool) -> list[Outcome]:
    """Write ``generated`` under ``target``.

    Without ``force`` nothing is written when any of the files exists (:class:`Refused`
    names them). With it, shoporg's files that differ are rewritten (each outcome carries
    its diff) and yours are kept as they are."""
    existing = conflicts(target, generated)
    if existing and not force:
        raise Refused(target, existing)
    pinned = pinned_version(target)
    if force and pinned is not None and newer(pinned, __version__):
        raise ShoporgError(
            f"new {target} --force: the repository pins shoporg {pinned} ({PIN_FILE}), newer "
            f"than this shoporg {__version__}; nothing was written. Install {pinned} "
            f"(pipx install shoporg=={pinned}) and run it again."
        )
    outcomes: list[Outcome] = []
    for g in generated:
        path = target / g.path
        if not path.exists():
            _write(path, g.text)
            outcomes.append(Outcome(g.path, "created"))
        elif g.owner is Owner.YOURS:
            outcomes.append(Outcome(g.path, "kept (yours)"))
        elif (old := path.read_text(encoding="utf-8")) == g.text:
            outcomes.append(Outcome(g.path, "unchanged"))
        else:
            _write(path, g.text)
            outcomes.append(Outcome(g.path, "updated", _diff(g.path, old, g.text)))
    return outcomes


class Refused(ShoporgError):
    """``shoporg new`` into a directory that already holds some of its files."""

    def __init__(self, target: Path, existing: Sequence[str]) -> None:
        self.existing = tuple(existing)
        listed = ", ".join(existing)
        super().__init__(
            f"new {target}: {len(existing)} of its files already exist ({listed}); nothing "
            "was written. To update shoporg's generated files after an upgrade (your org.yaml, "
            "README and stack config are kept), run `shoporg new "
            f"{target} --force`; to start afresh, choose an empty directory."
        )
