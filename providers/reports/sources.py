"""Where a review's inputs come from: org.yaml text (a file or a git revision), saved
``pulumi preview --json`` output, or a live preview through :class:`shoporg.engine.cli.Pulumi`.

Reviews read org.yaml through the validator, with one exception: a toxic pair is demoted
from an error to the review's ``toxic_pair`` risk flag, so a pull request that introduces
one gets a review saying so (``pulumi preview`` and ``shoporg up`` still refuse it).
"""

from __future__ import annotations

import gzip
import json
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shoporg.errors import ConfigError, ConfigIssue, ShoporgError
from shoporg.schema import Org
from shoporg.schema.loader import load_text
from shoporg.schema.validate import validated

if TYPE_CHECKING:
    from shoporg.engine.on_disk import Resource

TOXIC_MARK = "would hold the toxic pair"
# The key Pulumi marks a secret value with in state and preview JSON.
SECRET_SIG = "4dabf18193072939515e22adb298388d"


def org_from_text(text: str, filename: str) -> Org:
    try:
        return validated(text, filename)
    except ConfigError as exc:
        if not exc.issues or not all(TOXIC_MARK in i.message for i in exc.issues):
            raise
    # Only toxic-pair issues: the document is otherwise valid, so the model builds.
    return Org.model_validate(load_text(text, filename).data)


def org_from_file(path: Path) -> Org:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigIssue(str(path), 1, 1, f"cannot read the file: {exc}")]) from None
    return org_from_text(text, str(path))


def repo_path(path: Path, cwd: Path) -> str:
    """``path`` as git names it: relative to the work tree holding ``cwd``, POSIX
    (``org.yaml``, never a runner's ``/home/runner/work/…/org.yaml``, which reviews print
    into PR comments); as given when there is no work tree or it lies outside."""
    try:
        return _in_work_tree(path, cwd)
    except (subprocess.CalledProcessError, OSError, ValueError):
        return str(path)


def _in_work_tree(path: Path | str, cwd: Path) -> str:
    top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=cwd,
                         capture_output=True, text=True, check=True).stdout.strip()
    return (cwd / path).resolve().relative_to(Path(top).resolve()).as_posix()


def org_at_revision(ref: str, path: str, cwd: Path) -> Org:
    """org.yaml as committed at ``ref`` (``git show REF:PATH``); no checkout needed."""
    try:
        rel = _in_work_tree(path, cwd)
        shown = subprocess.run(["git", "show", f"{ref}:{rel}"], cwd=cwd,
                               capture_output=True, check=True)
    except subprocess.CalledProcessError as exc:
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else str(exc.stderr)
        raise ShoporgError(f"cannot read {path} at {ref}: {err.strip()}") from None
    except (OSError, ValueError) as exc:
        raise ShoporgError(f"cannot read {path} at {ref}: {exc}") from None
    return org_from_text(shown.stdout.decode("utf-8-sig"), f"{ref}:{rel}")


def read_preview(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz":  # CI artifacts and large fixtures are kept gzipped
            raw = gzip.decompress(raw)
        data = json.loads(raw.decode("utf-8"))
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ShoporgError(f"{path}: not a `pulumi preview --json` file ({exc})") from None
    if not isinstance(data, dict) or "steps" not in data:
        raise ShoporgError(f"{path}: not a `pulumi preview --json` file (no steps)")
    return data


def parse_preview_output(stdout: str) -> dict[str, Any]:
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError as exc:
        raise ShoporgError(f"the engine's preview output is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ShoporgError("the engine's preview output is not a JSON object")
    diagnostics = [d for d in data.get("diagnostics") or [] if d.get("severity") == "error"]
    if diagnostics:
        text = "\n".join(str(d.get("message", "")).strip() for d in diagnostics)
        raise ShoporgError(f"the preview failed:\n{text}")
    return data


def slim_preview(data: dict[str, Any]) -> dict[str, Any]:
    """A preview with only what reviews read (fixtures; no paths, timestamps or pickles)."""
    keep_state = ("type", "inputs", "outputs")

    def state(s: dict[str, Any] | None) -> dict[str, Any] | None:
        if not s:
            return None
        out = {k: s[k] for k in keep_state if k in s}
        for k in ("inputs", "outputs"):
            if isinstance(out.get(k), dict):
                out[k] = {
                    n: v for n, v in out[k].items()
                    if not n.startswith("__") and not (isinstance(v, dict) and SECRET_SIG in v)
                }
        return out

    steps = []
    for s in data.get("steps") or []:
        step: dict[str, Any] = {"op": s["op"], "urn": s["urn"]}
        for key in ("oldState", "newState"):
            if s.get(key):
                step[key] = state(s[key])
        for key in ("replaceReasons", "diffReasons"):
            if s.get(key):
                step[key] = s[key]
        steps.append(step)
    return {"steps": steps, "changeSummary": data.get("changeSummary", {})}


def engine_preview(project: Path, *, stack: str | None = None, refresh: bool = False,
                   save_plan: Path | None = None,
                   targets: Sequence[str] = ()) -> dict[str, Any]:
    """Run ``pulumi preview --json`` (read-only) and return its parsed output; ``targets``:
    URNs the preview is limited to."""
    from shoporg.engine.cli import Pulumi  # the engine is optional for config reviews

    args = ["preview", "--json"]
    if refresh:
        args.append("--refresh")
    if stack:
        args += ["--stack", stack]
    for urn in targets:
        args += ["--target", urn]
    if save_plan is not None:
        args += ["--save-plan", str(save_plan)]
    result = Pulumi(project).run(*args, check=False)
    if result.returncode != 0:
        try:
            parse_preview_output(result.stdout)
        except ShoporgError as exc:
            raise ShoporgError(f"{exc}\n{result.stderr[-2000:]}".rstrip()) from None
        raise ShoporgError(
            f"`pulumi {' '.join(args)}` exited {result.returncode}:\n{result.output[-4000:]}"
        )
    return parse_preview_output(result.stdout)


def stack_resources(project: Path, stack: str) -> list[Resource]:
    """The resources in ``stack``'s checkpoint, as ``pulumi stack export`` lists them (read
    from the file backend where it is one, else the CLI alone: no program or plugin). Secret
    values stay ciphertext."""
    from shoporg.engine.on_disk import checkpoint_resources, exported_resources

    found = checkpoint_resources(project, stack)
    if found is not None:
        return found
    from shoporg.engine.cli import Pulumi

    result = Pulumi(project).run("stack", "export", "--stack", stack, check=False)
    if result.returncode != 0:
        raise ShoporgError(
            f"`pulumi stack export --stack {stack}` exited {result.returncode}:\n"
            f"{result.stderr[-2000:]}".rstrip())
    try:
        return exported_resources(result.stdout)
    except ValueError as exc:
        raise ShoporgError(f"`pulumi stack export --stack {stack}`: {exc}") from None
