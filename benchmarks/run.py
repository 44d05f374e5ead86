"""The scale benchmark: the engine floor, shoporg, and shoporg without bulk reads, side by side.

Run (``make bench`` runs the first line)::

    .venv/bin/python -m benchmarks.run                       # --size small (~1,000 resources)
    .venv/bin/python -m benchmarks.run --size large          # ~10,000 resources, ~30-60 min
    .venv/bin/python -m benchmarks.run --size tiny --configs floor,shoporg --json out.json

Three configurations get a project each (temp dir, own state and sandbox) and are measured
**interleaved** in one run — ``up`` of all three, then the previews of all three, ... — so
a noisy machine (2 cores, other people's tests) slows them alike and the *ratios* stay
meaningful even when the seconds do not:

``floor``      the engine floor: as many :class:`shoporg.engine.floor.Floor` resources
               (a dynamic resource that touches nothing) as shoporg builds;
``shoporg``    the stack program on a generated org.yaml against the sandbox;
``nobulk``     the same with ``SHOPORG_BULK_READS=0`` (one backend read per resource, the
               way typical providers work).

More, on request (issue 17: ``--configs floor-checkpoints,floor,journaled``):

``floor-checkpoints`` the floor with the engine's default checkpoints (two whole-state saves
               per step, whatever ``--keep-checkpoints`` says); ``--cap-minutes`` stops it
               (the whole process tree) and reports "> cap" with how many resources its
               state held by then; only its ``up`` is measured (previews run the floor's
               program, measured as ``floor``);
``checkpoints`` shoporg with the engine's default checkpoints;
``journaled``  shoporg as ``shoporg up`` runs it: one save at the end plus the providers'
               step journal (``PULUMI_SKIP_CHECKPOINTS=true``, ``SHOPORG_JOURNAL``).
``shaped``     the floor with shoporg's shape: one ``Floor`` per object of the same org.yaml's
               desired world, with its inputs, wired outputs and order
               (``shoporg.engine.floor.shaped``), one save, no sandbox: (b)→shaped is
               the engine's work on shoporg's resources, shaped→(c) shoporg's providers
               and the simulated platform;
``floor-wide`` the floor as wide as shoporg's resources: each ``Floor`` gets as many extra
               string properties as the same org's desired objects carry on average
               (:func:`shaped_width`, fractional: spread evenly over the resources;
               ``floor-w<N>``: N each), no wiring, no order:
               (b)→wide is what the engine and the SDK charge per property, wide→shaped
               what wiring, aliases and dependency order add.

``floor``, ``shoporg`` and ``nobulk`` save once (``PULUMI_SKIP_CHECKPOINTS=true``, unless
``--keep-checkpoints``) with the journal off (``SHOPORG_JOURNAL=off``): the floor is the
engine alone, and (b) against ``journaled`` is what the journal costs.

Preview variants (``--ops preview,preview-pd,preview-w4,preview-w32``): the no-op preview
with ``PULUMI_PARALLEL_DIFF=true`` or with 4 / 32 provider-server workers instead of 16,
interleaved with the plain one on the same deployed stacks.

Per configuration and operation (``up`` from empty, no-op ``preview``, ``preview
--refresh``): wall time, backend calls (the sandbox persists provider call counts in its
file, ``shoporg sandbox stats --enable``; not during ``up`` unless ``--count-up-calls``: the
count is a write transaction per call), the peak RSS of the largest process (``wait4``)
and the peak RSS summed over the process tree (sampled from ``/proc``). Plus the validator
on a 10,000-member org.yaml. Nothing is asserted: the ratios are reported.

The code under test is a snapshot: ``providers/`` is copied into the work dir at start and
put first on ``PYTHONPATH`` for every engine process, so edits made in the checkout while a
long run is going (other people share it) cannot change a run half-way.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.orggen import Size, add_size_flags, expected_resources, generate, size_from_args
from shoporg.backends.sandbox import SandboxBackend, SellerCenter
from shoporg.engine.cli import Pulumi, launcher_dir
from shoporg.engine.floor import shaped_props
from shoporg.engine.install import ENGINE_BINARY
from shoporg.errors import EngineError
from shoporg.kinds import desired_world
from shoporg.schema import Org, validate_text
from shoporg.stack import args_of

REPO = Path(__file__).resolve().parents[1]
STACK = "bench"
CONFIGS = ("floor", "shoporg", "nobulk")
JOURNAL_CONFIGS = ("floor-checkpoints", "checkpoints", "journaled", "shaped", "floor-wide")
#: Configurations running a floor program (no sandbox; see :func:`is_floor` for the widths),
#: and those keeping the checkpoints.
FLOOR_CONFIGS = ("floor", "floor-checkpoints", "shaped", "floor-wide")
#: ``floor-w<N>``: the floor with N extra properties per resource (a width sweep).
FLOOR_WIDTH = re.compile(r"floor-w(\d+)")
CHECKPOINT_CONFIGS = ("floor-checkpoints", "checkpoints")
OPS: dict[str, tuple[str, ...]] = {
    "up": ("up", "--yes", "--skip-preview"),
    "preview": ("preview", "--expect-no-changes"),
    "refresh": ("preview", "--refresh", "--expect-no-changes"),
    "preview-pd": ("preview", "--expect-no-changes"),
    "preview-w4": ("preview", "--expect-no-changes"),
    "preview-w32": ("preview", "--expect-no-changes"),
}
#: The environment an operation adds (the preview variants: issue 17's evaluation).
OP_ENV: dict[str, dict[str, str]] = {
    "preview-pd": {"PULUMI_PARALLEL_DIFF": "true"},
    "preview-w4": {"SHOPORG_PROVIDER_WORKERS": "4"},
    "preview-w32": {"SHOPORG_PROVIDER_WORKERS": "32"},
}

FLOOR_PROGRAM = '''\
"""Benchmark floor: BENCH_FLOOR_COUNT trivial dynamic resources with BENCH_FLOOR_WIDTH extra
string properties on average (written by benchmarks/run.py)."""
import os

from shoporg.engine.floor import Floor

width = float(os.environ.get("BENCH_FLOOR_WIDTH", "0"))
for i in range(int(os.environ["BENCH_FLOOR_COUNT"])):
    extra = int((i + 1) * width) - int(i * width)  # a fractional width, spread evenly
    Floor(f"f{i:05d}", value=str(i), props={f"p{j}": f"{i:05d}-{j:02d}" for j in range(extra)})
'''

SHAPED_PROGRAM = '''\
"""Benchmark shaped floor: org.yaml's desired world as Floor resources (benchmarks/run.py)."""
from shoporg.engine.floor import shaped
from shoporg.schema.validate import load_org
from shoporg.stack import build

build(load_org("org.yaml"), make=shaped)
'''

FLOOR_PULUMI_YAML = """\
name: bench-floor
main: .
runtime:
  name: python
  options:
    toolchain: pip
"""


def _log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- measuring one engine command ----------------------------------------------------------


def _role(pid: str) -> str:
    """What a process of the tree is: the engine, a plugin, the program or the provider."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = [a.decode(errors="replace") for a in fh.read().split(b"\0") if a]
    except OSError:
        return "?"
    return role_of(argv)


def role_of(argv: Sequence[str]) -> str:
    """:func:`_role` from a command line."""
    if not argv:
        return "?"
    name = os.path.basename(argv[0])
    if not name.startswith("python"):
        return name
    # Our Python processes: ``-m shoporg.engine.dynamic_provider`` serves the resources,
    # ``-m shoporg.engine.language_host`` starts the program, which runs as
    # ``pulumi-language-python-exec`` (providers/engine/install.py names them).
    for arg in argv[1:]:
        if arg.endswith("dynamic_provider"):
            return "provider"
        if arg.endswith("language_host"):
            return "language-host"
        if os.path.basename(arg) == "pulumi-language-python-exec":
            return "program"
    return "python"


def _scan_tree(root: int, page: int, cpu: dict[int, tuple[str, float]]) -> int:
    """Bytes of RSS summed over ``root`` and all its descendants (one /proc scan); records
    each descendant's CPU seconds so far into ``cpu`` (pid → (role, seconds))."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as fh:
                stat = fh.read()
            with open(f"/proc/{entry.name}/statm") as fh:
                pages = int(fh.read().split()[1])
        except OSError:
            continue  # exited between listing and reading
        # The command name may contain spaces and parentheses: fields start after the last ")".
        fields = stat[stat.rindex(")") + 2:].split()
        pid = int(entry.name)
        parent[pid] = int(fields[1])
        rss[pid] = pages * page
        ticks[pid] = int(fields[11]) + int(fields[12])  # utime + stime
    total, todo = 0, [root]
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    hz = os.sysconf("SC_CLK_TCK")
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        if pid in ticks:
            role = cpu[pid][0] if pid in cpu else _role(str(pid))
            cpu[pid] = (role, ticks[pid] / hz)
        todo.extend(children.get(pid, ()))
    return total


def cpu_by_role(cpu: dict[int, tuple[str, float]]) -> dict[str, float]:
    by_role: dict[str, float] = {}
    for role, seconds in cpu.values():
        by_role[role] = round(by_role.get(role, 0.0) + seconds, 2)
    return by_role


@dataclass
class Sample:
    seconds: float
    returncode: int
    max_rss_mb: float  # the largest single process (wait4 includes reaped descendants)
    tree_rss_mb: float  # the whole process tree at its sampled peak
    calls: dict[str, int] = field(default_factory=dict)
    capped: bool = False  # stopped at --cap-minutes: ``seconds`` is a lower bound
    done: int | None = None  # a capped up: resources in its state when it was stopped
    cpu_s: float = 0.0  # user + system CPU of the whole tree (wait4: reaped descendants)
    #: CPU seconds per process role, sampled every 0.5 s (the last half second is missed)
    cpu_roles: dict[str, float] = field(default_factory=dict)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


def measure(cmd: Sequence[str], cwd: Path, env: dict[str, str], log: Path,
            cap: float | None = None) -> Sample:
    """Run ``cmd`` to its end, or stop its whole process tree after ``cap`` seconds."""
    page = os.sysconf("SC_PAGE_SIZE")
    capped = False
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # its own group: a cap stops it all
        peak = 0
        cpu: dict[int, tuple[str, float]] = {}
        done = threading.Event()

        def sample() -> None:
            nonlocal peak, capped
            while not done.wait(0.5):
                peak = max(peak, _scan_tree(proc.pid, page, cpu))
                if cap is not None and not capped and time.perf_counter() - started > cap:
                    capped = True
                    os.killpg(proc.pid, signal.SIGKILL)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return Sample(
        seconds=elapsed,
        returncode=proc.returncode,
        max_rss_mb=usage.ru_maxrss / 1024,  # Linux reports KiB
        tree_rss_mb=peak / 2**20,
        capped=capped,
        cpu_s=usage.ru_utime + usage.ru_stime,
        cpu_roles=cpu_by_role(cpu),
    )


# -- the three projects -------------------------------------------------------------------


class Project:
    def __init__(self, name: str, root: Path, extra_env: dict[str, str]) -> None:
        self.name = name
        self.root = root
        self.sandbox = root / ".sandbox" / "sandbox.db"
        env = {**os.environ, "SHOPORG_SANDBOX": str(self.sandbox), **extra_env}
        env.pop("SHOPORG_SANDBOX_FAULTS", None)
        self.pulumi = Pulumi(root, env)
        self.log = root / "engine.log"

    def seller_center(self) -> SellerCenter:
        return SellerCenter(SandboxBackend(self.sandbox, instrumented=False))

    def shoporg(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "shoporg.cli.main", *args], cwd=self.root,
            env=self.pulumi.env, check=True, capture_output=True,
        )

    @property
    def counts_calls(self) -> bool:
        return not is_floor(self.name)

    def runs(self, op: str) -> bool:
        """A capped checkpointed floor only has an ``up`` (its previews are the floor's)."""
        return op == "up" or self.name != "floor-checkpoints"

    def run(self, op: str, parallel: int | None, cap: float | None = None,
            count_up_calls: bool = False) -> Sample:
        args = list(OPS[op])
        if parallel is not None:
            args += ["--parallel", str(parallel)]
        # Counting costs the sandbox a write transaction per call, which the floor does not
        # pay: an up (two calls per resource, known) is measured without it by default.
        counting = self.counts_calls and (op != "up" or count_up_calls)
        if self.counts_calls:
            self.seller_center().set_count_calls(counting)
        if counting:
            self.seller_center().reset_counters()
        cmd = [str(launcher_dir() / ENGINE_BINARY), *args, "--stack", STACK]
        env = {**self.pulumi.env, **OP_ENV.get(op, {})}
        sample = measure(cmd, self.root, env, self.log,
                         cap if self.name in CHECKPOINT_CONFIGS else None)
        if sample.capped:
            sample.done = state_or_error(self).get("resources")
        if counting:
            sample.calls = self.seller_center().persisted_calls()
        return sample

    def state_stats(self) -> dict[str, Any]:
        """Resource count, state size, inputs per resource (the pickled provider not counted)
        and the pickled provider's size and secrecy."""
        out = self.pulumi.run("stack", "export", "--stack", STACK).stdout
        deployment = json.loads(out)["deployment"]
        resources = [
            r for r in deployment.get("resources", []) if "dynamic" in r.get("type", "")
        ]
        providers = [r.get("inputs", {}).get("__provider") for r in resources]
        secret = sum(1 for p in providers if isinstance(p, dict))
        sizes = [len(p) for p in providers if isinstance(p, str)]
        inputs = [len(set(r.get("inputs", {})) - {"__provider"}) for r in resources]
        return {
            "resources": len(resources),
            "state_mb": round(len(out) / 2**20, 2),
            "inputs_per_resource": round(statistics.fmean(inputs), 2) if inputs else None,
            "provider_pickle_bytes": max(sizes) if sizes else None,
            "secret_providers": secret,
        }


def state_or_error(project: Project) -> dict[str, Any]:
    """:meth:`Project.state_stats`, or why it could not be read (a stopped run's state)."""
    try:
        return project.state_stats()
    except (EngineError, ValueError, KeyError) as exc:
        return {"error": str(exc)[:200]}


def snapshot_code(work: Path) -> Path:
    """Copy ``providers/`` into ``work/code`` (see the module docstring); return that dir."""
    code = work / "code"
    shutil.copytree(REPO / "providers", code / "providers",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return code


def is_floor(name: str) -> bool:
    """Whether a configuration runs a floor program (its own, or the shaped one)."""
    return name in FLOOR_CONFIGS or FLOOR_WIDTH.fullmatch(name) is not None


def known_config(name: str) -> bool:
    return name in CONFIGS or name in JOURNAL_CONFIGS or is_floor(name)


def floor_width(name: str, wide: float) -> float:
    """Extra properties per ``Floor`` of a floor configuration, on average (``wide``:
    ``floor-wide``'s)."""
    if name == "floor-wide":
        return wide
    match = FLOOR_WIDTH.fullmatch(name)
    return int(match.group(1)) if match else 0


def shaped_width(org: Org) -> float:
    """Properties per resource, on average, that the shaped floor of ``org`` (and so
    shoporg's resources) gives the engine beyond the floor's own ``value``: those of
    :func:`shoporg.engine.floor.shaped_props` that are not None (the SDK drops None-valued
    inputs), a wired input counting whatever its output will be."""
    world = desired_world(org, datetime.date.today())
    widths = [
        sum(v is not None for v in shaped_props(args_of(d), {w.input: w for w in d.wires})
            .values())
        for d in world.values()
    ]
    return round(statistics.fmean(widths), 3) if widths else 0.0


def make_projects(
    work: Path, size: Size, configs: Sequence[str], env: dict[str, str]
) -> tuple[list[Project], int]:
    org_text = generate(size)
    org = validate_text(org_text, "org.yaml")  # a broken generator fails here, not in the engine
    count = sum(expected_resources(size).values())
    wide = shaped_width(org) if "floor-wide" in configs else 0.0
    projects = []
    for name in configs:
        root = work / name
        root.mkdir(parents=True)
        extra = dict(env)
        extra["SHOPORG_JOURNAL"] = "off"  # only ``journaled`` journals (see the docstring)
        if name in CHECKPOINT_CONFIGS:
            extra.pop("PULUMI_SKIP_CHECKPOINTS", None)
        if name == "shaped":
            (root / "Pulumi.yaml").write_text(FLOOR_PULUMI_YAML)
            (root / "__main__.py").write_text(SHAPED_PROGRAM)
            (root / "org.yaml").write_text(org_text)
        elif is_floor(name):
            (root / "Pulumi.yaml").write_text(FLOOR_PULUMI_YAML)
            (root / "__main__.py").write_text(FLOOR_PROGRAM)
            extra["BENCH_FLOOR_COUNT"] = str(count)
            extra["BENCH_FLOOR_WIDTH"] = str(floor_width(name, wide))
        else:
            shutil.copy(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
            shutil.copytree(
                REPO / "stacks", root / "stacks",
                ignore=shutil.ignore_patterns("Pulumi.*.yaml", "__pycache__"),
            )
            (root / "org.yaml").write_text(org_text)
            if name == "nobulk":
                extra["SHOPORG_BULK_READS"] = "0"
            if name == "journaled":
                extra["PULUMI_SKIP_CHECKPOINTS"] = "true"
                extra["SHOPORG_JOURNAL"] = str(root / ".shoporg" / "steps" / f"{STACK}.jsonl")
        project = Project(name, root, extra)
        if not is_floor(name):
            project.shoporg("sandbox", "init", "--org", "org.yaml")
            project.seller_center().set_count_calls(True)
        project.pulumi.run("stack", "init", STACK)
        projects.append(project)
    return projects, count


# -- validation -----------------------------------------------------------------------------


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def validation_seconds(members: int, accounts: int) -> float:
    text = generate(Size(members=members, accounts=accounts))
    return best_of(2, lambda: validate_text(text, "org.yaml"))


# -- report ---------------------------------------------------------------------------------


def median(samples: list[Sample], attr: str) -> float:
    return float(statistics.median(getattr(s, attr) for s in samples))


def report(results: dict[str, dict[str, list[Sample]]], meta: dict[str, Any]) -> str:
    lines = [
        f"size: {meta['size']} → {meta['resources']} resources; engine --parallel "
        f"{meta['parallel'] or 'default (8)'}; repeat {meta['repeat']} (median); "
        f"checkpoints {meta['checkpoints']}; extra env {' '.join(meta['env']) or '-'}",
        "",
        "| operation | floor (a) s | shoporg (b) s | nobulk (c) s | b/a | c/b "
        "| calls b | calls c | max RSS MB a/b/c | tree RSS MB a/b/c |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for op in OPS:
        row = {c: results.get(c, {}).get(op, []) for c in CONFIGS}
        if any(row.values()):
            lines.append(_row(op, row))
    if any(c in results for c in JOURNAL_CONFIGS):
        lines += ["", *journal_table(results, meta["resources"])]
    for c in CONFIGS:
        refresh = results.get(c, {}).get("refresh")
        if refresh and refresh[0].calls:
            per_method = ", ".join(f"{k} {v}" for k, v in sorted(refresh[0].calls.items()))
            lines.append(f"\nrefresh calls, {c}: {per_method}")
    for name, stats in meta.get("state", {}).items():
        lines.append(f"\nstate after up, {name}: {stats}")
    if "validate_s" in meta:
        lines.append(
            f"\nvalidation of {meta['validate_members']} members: {meta['validate_s']:.2f} s "
            f"(shoporg no-op preview: {fmt_or(meta.get('preview_b_s'))} s)"
        )
    return "\n".join(lines) + "\n"


#: Issue 17's table: its columns, and the configuration each reads.
JOURNAL_COLUMNS = (
    ("floor, checkpoints (a) s", "floor-checkpoints"),
    ("floor, one save (b) s", "floor"),
    ("floor, shoporg's width s", "floor-wide"),
    ("floor, shoporg's shape s", "shaped"),
    ("shoporg journaled (c) s", "journaled"),
    ("shoporg, one save, no journal s", "shoporg"),
    ("shoporg, checkpoints s", "checkpoints"),
)


def journal_table(results: dict[str, dict[str, list[Sample]]], resources: int) -> list[str]:
    """Seconds per configuration and operation, with c/b, c/wide, c/shaped, a/c and c's
    seconds per resource; a capped run shows as "> cap" and how many resources its state held when
    stopped."""
    head = " | ".join(title for title, _ in JOURNAL_COLUMNS)
    lines = [f"| operation | {head} | c/b | c/wide | c/shaped | a/c | c s/resource |",
             "| --- |" + " ---: |" * (len(JOURNAL_COLUMNS) + 5)]
    for op in OPS:
        samples = {c: results.get(c, {}).get(op, []) for _, c in JOURNAL_COLUMNS}
        if not any(samples.values()):
            continue
        secs = {c: median(ss, "seconds") if ss else None for c, ss in samples.items()}
        capped = {c for c, ss in samples.items() if any(s.capped for s in ss)}
        cells = []
        for _, c in JOURNAL_COLUMNS:
            if c in capped:
                done = samples[c][0].done
                cells.append(f"> {_fmt(secs[c], '.0f')} ({done if done is not None else '?'}"
                             f" of {resources} done)")
            else:
                cells.append(_fmt(secs[c]))
        floor_a, floor_b, ours = secs["floor-checkpoints"], secs["floor"], secs["journaled"]
        a_over_c = _ratio(floor_a, ours)
        if "floor-checkpoints" in capped and a_over_c != "–":
            a_over_c = "> " + a_over_c
        per = _fmt(ours / resources, ".4f") if ours is not None else "–"
        lines.append(f"| {op} | {' | '.join(cells)} | {_ratio(ours, floor_b)} "
                     f"| {_ratio(ours, secs['floor-wide'])} "
                     f"| {_ratio(ours, secs['shaped'])} | {a_over_c} "
                     f"| {per} |")
    return lines


def _fmt(v: float | None, spec: str = ".1f") -> str:
    return "–" if v is None else format(v, spec)


def _ratio(x: float | None, y: float | None) -> str:
    return "–" if x is None or y is None or y == 0 else f"{x / y:.2f}×"


def _row(op: str, row: dict[str, list[Sample]]) -> str:
    def med(c: str, attr: str) -> float | None:
        return median(row[c], attr) if row[c] else None

    def mem(attr: str) -> str:
        return " / ".join(_fmt(med(c, attr), ".0f") for c in CONFIGS)

    def calls(c: str) -> str:
        v = med(c, "total_calls")
        return "–" if v is None or not any(s.calls for s in row[c]) else str(int(v))

    failed = [c for c in CONFIGS for s in row[c] if s.returncode != 0]
    note = f" (exit≠0: {', '.join(failed)})" if failed else ""
    a, b, c = (med(x, "seconds") for x in CONFIGS)
    return (
        f"| {op}{note} | {_fmt(a)} | {_fmt(b)} | {_fmt(c)} | {_ratio(b, a)} | {_ratio(c, b)} "
        f"| {calls('shoporg')} | {calls('nobulk')} | {mem('max_rss_mb')} "
        f"| {mem('tree_rss_mb')} |"
    )


def fmt_or(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    add_size_flags(ap)
    ap.add_argument("--configs", default=",".join(CONFIGS),
                    help="comma-separated subset of " + ",".join((*CONFIGS, *JOURNAL_CONFIGS))
                    + " and floor-w<N> (the floor with N extra properties per resource)")
    ap.add_argument("--ops", default="up,preview,refresh", help="comma-separated subset of "
                    + ",".join(OPS) + " (up always runs first: the others need a deployed "
                    "stack)")
    ap.add_argument("--repeat", type=int, default=1, help="previews per configuration (median)")
    ap.add_argument("--parallel", type=int, help="engine --parallel (default: the engine's)")
    ap.add_argument("--validate-members", type=int, default=10_000,
                    help="members in the validation run (0 to skip)")
    ap.add_argument("--keep-checkpoints", action="store_true",
                    help="let the engine rewrite the whole state file after every step (its "
                    "default; quadratic in resources). Without it the runner sets "
                    "PULUMI_SKIP_CHECKPOINTS=true for all configurations (RESULTS.md)")
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                    help="extra environment for every configuration (e.g. a kill-switch, "
                    "SHOPORG_SDK_SPEEDUPS=0, to measure what a change bought)")
    ap.add_argument("--cap-minutes", type=float, metavar="M",
                    help="stop a checkpointed configuration's up after M minutes (reported "
                    "as \"> M min\" with how far it got; issue 17 caps the floor at 30)")
    ap.add_argument("--count-up-calls", action="store_true",
                    help="count the sandbox calls of up too (a write transaction per call, "
                    "which the floor does not pay; previews and refreshes are always counted)")
    ap.add_argument("--work", type=Path, help="keep the projects here (default: a temp dir)")
    ap.add_argument("--json", type=Path, help="also write the raw samples here")
    args = ap.parse_args(argv)
    size = size_from_args(args)
    configs = [c for c in args.configs.split(",") if c]
    ops = ["up", *[o for o in args.ops.split(",") if o and o != "up"]]
    unknown = {c for c in configs if not known_config(c)} | (set(ops) - set(OPS))
    if unknown:
        ap.error(f"unknown configuration or operation: {', '.join(sorted(unknown))}")

    work = args.work or Path(tempfile.mkdtemp(prefix="shoporg-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {} if args.keep_checkpoints else {"PULUMI_SKIP_CHECKPOINTS": "true"}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(snapshot_code(work)), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    for item in args.env:
        key, sep, value = item.partition("=")
        if not sep:
            ap.error(f"--env wants KEY=VALUE, got {item!r}")
        env[key] = value
    projects, count = make_projects(work, size, configs, env)
    _log(f"{count} resources per configuration; projects in {work}")
    results: dict[str, dict[str, list[Sample]]] = {p.name: {} for p in projects}
    for op in ops:
        for _ in range(1 if op == "up" else args.repeat):
            for project in projects:  # interleaved: a, b, c, a, b, c, ...
                if not project.runs(op):
                    continue
                cap = args.cap_minutes * 60 if args.cap_minutes else None
                sample = project.run(op, args.parallel, cap, args.count_up_calls)
                results[project.name].setdefault(op, []).append(sample)
                _log(f"{op:8} {project.name:8} {sample.seconds:7.1f}s rc={sample.returncode} "
                     f"{'capped ' if sample.capped else ''}"
                     f"calls={sample.total_calls} maxrss={sample.max_rss_mb:.0f}MB "
                     f"tree={sample.tree_rss_mb:.0f}MB cpu={sample.cpu_s:.1f}s "
                     f"{sample.cpu_roles}")
    meta: dict[str, Any] = {
        "size": asdict(size), "resources": count, "parallel": args.parallel,
        "repeat": args.repeat, "checkpoints": "kept" if args.keep_checkpoints else "skipped",
        "env": args.env,
        "state": {p.name: state_or_error(p) for p in projects},
    }
    if "shoporg" in results and "preview" in results["shoporg"]:
        meta["preview_b_s"] = median(results["shoporg"]["preview"], "seconds")
    if args.validate_members:
        meta["validate_members"] = args.validate_members
        meta["validate_s"] = validation_seconds(args.validate_members, size.accounts)
    text = report(results, meta)
    print(text)
    if args.json:
        raw = {c: {op: [asdict(s) for s in ss] for op, ss in r.items()} for c, r in results.items()}
        args.json.write_text(json.dumps({"meta": meta, "results": raw}, indent=2))
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    failed = any(s.returncode != 0 and not s.capped
                 for r in results.values() for ss in r.values() for s in ss)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
