"""A company's weeks on the real connectors, as a model: issue 28's lifecycle test.

One small company (tests/fixtures/lifecycle/org.yaml) runs as an operations team would run it:
Taobao and Tmall on TOP (``shoporg sandbox serve``: TOP's protocol on loopback, in front of the
sandbox file that stands for the platform), its 快手小店 on the Kuaishou connector (``shoporg
sandbox serve --protocol kuaishou`` on the same file: staff moved by API), Shopee, Ozon and
Douyin on the manual-step ledger. A second company's stack (``other``, ledger only) shares the
ledger file. The rules are the company's days: joiners, leavers, movers, role changes, expiry,
login renames, the guarded ``shoporg up``, an operator working the worklist (late, out of order,
skipping, ticking done what nobody did), hand changes in the TOP and Kuaishou seller centres,
the nightly ``shoporg drift``, time passing and the access review.

The model (plain Python below) keeps what the company declared, what the operator did and which
hand changes are live; "live" is the platform itself on TOP and Kuaishou (the sandbox file, read
directly) and the ledger's record elsewhere (it is the system of record there: a step ticked
done though not done cannot be told from one done). After every rule the tool's outputs are
compared with it:

- the open worklist (``shoporg tasks --format json``) is exactly what separates declared from
  live: no step for a leaver's never-created account, no step of the other stack, at most one
  open step per object and operation, every open step carries the current desired values;
- every hand change on TOP or in the Kuaishou seller centre is named by the next drift, and
  drift names nothing else;
- ``shoporg up`` exits 0 on every legitimate change, and ``up``, ``pulumi preview`` and
  ``shoporg drift`` keep running whatever the operator did;
- a leaver is disabled everywhere once their disable steps are done.

Bounded (a few examples of a few steps) with ``SHOPORG_LIFECYCLE=1``; skipped otherwise while
the seams of issue 28 are being fixed. ``make lifecycle`` is the long run
(``SHOPORG_LIFECYCLE_DAYS``, a 40-person company, one seeded simulation you can replay with
``SHOPORG_LIFECYCLE_SEED``) and writes its numbers to docs/lifecycle.md.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import re
import shutil
import socket
import subprocess
import time
import traceback
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from shoporg.backends.ledger import Ledger
from shoporg.backends.sandbox import SandboxBackend
from shoporg.backends.sandbox.kuaishou_staff import KsStaff, KuaishouStaff
from tests.engine.conftest import (
    TOP_APP_KEY,
    TOP_APP_SECRET,
    TOP_SESSION,
    StackProject,
    served,
)

pytestmark = pytest.mark.children_untraced  # a scenario (tests/conftest.py)

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "lifecycle"
DOC = REPO / "docs" / "lifecycle.md"

DAYS = int(os.environ.get("SHOPORG_LIFECYCLE_DAYS", "0") or 0)  # > 0: the long run
#: Diagnostics: check only these invariant families (comma-separated: worklist, drift, runs,
#: leavers). Default: every one.
CHECKS = frozenset(filter(None, os.environ.get("SHOPORG_LIFECYCLE_CHECK", "").split(","))) or {
    "worklist", "drift", "runs", "leavers"}

#: The engine's refresh preview is run beside the engine-free drift, and must agree with it,
#: on the first nightly drift of every example and then every Nth (the long run: every 5th
#: night; the bounded run: only the first, since tests/engine/test_drift_equivalence.py
#: compares the two on every kind of hand change and each comparison is an engine run).
ENGINE_DRIFT_EVERY = int(os.environ.get("SHOPORG_LIFECYCLE_ENGINE_DRIFT", "0") or 0) or (
    5 if DAYS else 0)

TOP = {"tb-qh": "taobao", "tm-qh": "tmall"}
#: On the Kuaishou connector: every staff change by API, so never a step (its roles exist).
KUAISHOU = {"ks-qh": "kuaishou"}
LEDGER = {"sp-qh": "shopee", "oz-qh": "ozon", "dy-qh": "douyin"}
ACCOUNTS = (*TOP, *KUAISHOU, *LEDGER)
SHOP = {"tb-qh": "tb-qh-shop", "tm-qh": "tm-qh-shop", "sp-qh": "sp-qh-my",
        "oz-qh": "oz-qh-shop", "dy-qh": "dy-qh-shop", "ks-qh": "ks-qh-shop"}
#: The 快手小店 behind ks-qh: its seller id and the roles made in its seller centre (by the
#: names org.yaml's roles carry).
KS_SELLER = 2001
KS_ROLES = {21: "客服", 22: "运营"}
KS_APP_KEY, KS_SIGN_SECRET, KS_TOKEN = "ks-lifecycle-app", "ks-sign-lifecycle", "ks-token-qh"
OTHER_ACCOUNTS = frozenset({"sp-yf"})  # the other stack's
DEPARTMENTS = ("cs", "ops", "warehouse")
SESSIONS = json.dumps({a: f"{TOP_SESSION}-{a}" for a in TOP})
ATTESTATION_DAYS = 90
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红"

# --- the model --------------------------------------------------------------------------------


@dataclass
class Entry:
    login_name: str
    roles: list[str]
    expires: datetime.date | None = None


@dataclass
class Person:
    id: str
    name: str
    department: str
    status: str = "active"
    subs: dict[str, Entry] = field(default_factory=dict)
    renamed: int = 0

    def to_yaml(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "name": self.name, "department": self.department,
            "email": f"{self.id.replace('-', '.')}@qinghe-wj.com",
            "phone": mobile(self.id),
        }
        if self.status != "active":
            out["status"] = self.status
        out["sub_accounts"] = []
        for account, e in self.subs.items():
            sub: dict[str, Any] = {"account": account, "login_name": e.login_name,
                                   "roles": list(e.roles)}
            if e.expires is not None:
                sub["expires"] = e.expires.isoformat()
            out["sub_accounts"].append(sub)
        return out


def roles_of(base: dict[str, Any]) -> dict[str, list[str]]:
    by_account: dict[str, list[str]] = {a: [] for a in ACCOUNTS}
    platform = {a["id"]: a["platform"] for a in base["accounts"]}
    for r in base["roles"]:
        for a in ACCOUNTS:
            if platform[a] == r["platform"]:
                by_account[a].append(r["id"])
    return by_account


def company(size: int, seed: int) -> tuple[dict[str, Any], dict[str, Person]]:
    """The fixture's company, grown to ``size`` people (the long run) by a seeded draw."""
    base: dict[str, Any] = yaml.safe_load((FIXTURES / "org.yaml").read_text())
    people: dict[str, Person] = {}
    for m in base.pop("members"):
        people[m["id"]] = Person(m["id"], m["name"], m["department"], subs={
            s["account"]: Entry(s["login_name"], list(s["roles"])) for s in m["sub_accounts"]})
    rnd = random.Random(seed)
    roles = roles_of(base)
    n = 0
    while len(people) < size:
        n += 1
        person = new_person(f"staff-{n:03d}", rnd, roles)
        people[person.id] = person
    return base, people


def new_person(member_id: str, rnd: random.Random, roles: dict[str, list[str]]) -> Person:
    name = rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN)
    accounts = rnd.sample((*TOP, *LEDGER), rnd.randint(1, 3))
    person = Person(member_id, name, rnd.choice(DEPARTMENTS), subs={
        a: Entry(login(a, member_id), [rnd.choice(roles[a])]) for a in accounts})
    # The 快手小店 drawn last, so the draws above (and the examples they replay) stay as
    # they were before it joined the model.
    for account in KUAISHOU:
        if rnd.random() < 0.4:
            person.subs[account] = Entry(login(account, member_id), [rnd.choice(roles[account])])
    return person


def mobile(member_id: str) -> str:
    """A person's mobile number: a mainland one (Kuaishou's login), stable per member id."""
    return "139" + str(zlib.crc32(member_id.encode()) % 10**8).zfill(8)


def login(account: str, member_id: str, renamed: int = 0) -> str:
    if account in KUAISHOU:
        return mobile(member_id)  # a staff member logs in with their mobile: never renamed
    tail = f"{renamed}" if renamed else ""
    return (member_id + tail) if account in TOP else member_id.replace("-", "") + tail


@dataclass
class Stats:
    """The long run's numbers (docs/lifecycle.md)."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    counts: Counter[str] = field(default_factory=Counter)
    drift_codes: Counter[int] = field(default_factory=Counter)

    def timed(self, name: str, seconds: float) -> None:
        self.seconds[name].append(seconds)


STATS = Stats()

# --- the project ------------------------------------------------------------------------------


def free_port(taken: frozenset[int] = frozenset()) -> int:
    """A free port *below* the kernel's ephemeral range. A port from ``bind(0)`` is free
    only until someone else binds port 0: another xdist worker's loopback chat, TOP endpoint
    or PostgreSQL (tests/pg.py) took this run's port between its choice and the endpoint's
    start (a CI run failed three cases with "Address already in use"). Below the range,
    nothing takes it by chance."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    first, span = 10000, max(1000, low - 10000)
    start = (os.getpid() * 7919) % span  # each worker starts elsewhere
    for offset in range(span):
        port = first + (start + offset) % span
        if port in taken:  # chosen for another endpoint of this run, not bound yet
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


#: One TOP and one Kuaishou endpoint address for the run: every copy serves its sandbox
#: there in turn. (The state keeps the endpoints of the last up: a refresh on a copy whose
#: endpoint moved would call the old one.)
PORT = free_port()
KS_PORT = free_port(taken=frozenset({PORT}))

#: What the stack must not take from the environment: its config is what is used.
ENVIRONMENT = ("SHOPORG_TAOBAO_APP_KEY", "SHOPORG_TAOBAO_APP_SECRET", "SHOPORG_TAOBAO_SESSION",
               "SHOPORG_TAOBAO_ENDPOINT", "SHOPORG_KUAISHOU_APP_KEY",
               "SHOPORG_KUAISHOU_SIGN_SECRET", "SHOPORG_KUAISHOU_ACCESS_TOKEN",
               "SHOPORG_KUAISHOU_ENDPOINT", "SHOPORG_LEDGER")


@contextmanager
def endpoints(project: StackProject) -> Iterator[None]:
    """``shoporg sandbox serve`` (TOP, at :data:`PORT`) and ``shoporg sandbox serve
    --protocol kuaishou`` (at :data:`KS_PORT`) on the project's sandbox; the stack's endpoints
    point at them (the credentials are in the prepared stack's config already)."""
    with served(project, "--app-key", TOP_APP_KEY, "--app-secret", TOP_APP_SECRET,
                "--session", SESSIONS, port=PORT) as top, \
            served(project, "--protocol", "kuaishou", "--app-key", KS_APP_KEY, "--app-secret",
                   KS_SIGN_SECRET, "--token", json.dumps({str(KS_SELLER): KS_TOKEN}),
                   port=KS_PORT) as kuaishou:
        project.pulumi.run("config", "set", "shoporg:taobaoEndpoint", top)
        project.pulumi.run("config", "set", "shoporg:kuaishouEndpoint", kuaishou)
        yield


def same_env(project: StackProject, start: StackProject) -> None:
    """A copy runs on the start's clock and, like it, on its stack config alone."""
    project.pulumi.env["SHOPORG_NOW"] = start.pulumi.env["SHOPORG_NOW"]
    for key in ENVIRONMENT:
        project.pulumi.env.pop(key, None)


def write_org(project: StackProject, base: dict[str, Any], people: dict[str, Person]) -> None:
    data = {**base, "members": [p.to_yaml() for p in people.values()]}
    project.org_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def run(project: StackProject, *args: str) -> subprocess.CompletedProcess[str]:
    """``shoporg ARGS`` as ``StackProject.shoporg`` runs it (in this process where no engine
    runs, else a process of its own), timed."""
    started = time.perf_counter()
    proc = project.shoporg(*args, check=False)
    name = " ".join(args[:2]) if args[0] in ("tasks", "sandbox") else args[0]
    STATS.timed(name, time.perf_counter() - started)
    return proc


def open_steps(project: StackProject) -> list[dict[str, Any]]:
    proc = run(project, "tasks", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    work = json.loads(proc.stdout)
    return [s for p in work["platforms"] for a in p["accounts"] for g in a["pages"]
            for person in g["people"] for s in person["steps"]]


def prepare(root: Path, size: int, seed: int, now: datetime.datetime) -> StackProject:
    """The company applied and every step of day one done: the start every example copies."""
    base, people = company(size, seed)
    root.mkdir(parents=True, exist_ok=True)
    write_org_file = root / "start.yaml"
    write_org_file.write_text(yaml.safe_dump(
        {**base, "members": [p.to_yaml() for p in people.values()]},
        allow_unicode=True, sort_keys=False))
    project = StackProject(root, org=write_org_file, sandbox_init=())
    project.pulumi.env["SHOPORG_NOW"] = now.isoformat()
    for key in ENVIRONMENT:
        project.pulumi.env.pop(key, None)  # the stack config is what is used
    # The 快手小店 as its seller centre has it: the seller and the roles made there by hand.
    backend = SandboxBackend(project.sandbox_path, instrumented=False, actor="seller-center")
    try:
        staff = KuaishouStaff(backend)
        staff.register_seller(KS_SELLER, "青禾文具快手小店")
        for role_id, name in KS_ROLES.items():
            staff.add_role(KS_SELLER, role_id, name)
    finally:
        backend.close()
    config = project.pulumi
    config.run("config", "set", "shoporg:backend", "taobao")
    config.run("config", "set", "shoporg:connectors",
               "{shopee: ledger, ozon: ledger, douyin: ledger, kuaishou: kuaishou}")
    config.run("config", "set", "shoporg:taobaoAppKey", TOP_APP_KEY)
    config.run("config", "set", "--secret", "shoporg:taobaoAppSecret", TOP_APP_SECRET)
    config.run("config", "set", "--secret", "shoporg:taobaoSession", SESSIONS)
    config.run("config", "set", "shoporg:kuaishouAppKey", KS_APP_KEY)
    config.run("config", "set", "--secret", "shoporg:kuaishouSignSecret", KS_SIGN_SECRET)
    config.run("config", "set", "--secret", "shoporg:kuaishouAccessToken",
               json.dumps({account: KS_TOKEN for account in KUAISHOU}))
    # The other company: its own stack and org file, the same (default) ledger file.
    shutil.copy(FIXTURES / "other.yaml", root / "other.yaml")
    config.run("stack", "init", "other")
    config.run("config", "set", "shoporg:backend", "ledger")
    config.run("config", "set", "shoporg:orgFile", "other.yaml")
    other = project.shoporg("up", check=False)
    assert other.returncode == 0, other.stdout + other.stderr
    config.run("stack", "select", "test")
    with endpoints(project):
        first = project.shoporg("up", check=False)
        assert first.returncode == 0, first.stdout + first.stderr
        for _ in range(3):  # departments, then sub-accounts, then grants
            steps = [s for s in open_steps(project) if s["account"] not in OTHER_ACCOUNTS]
            for step in steps:
                if step["account"] in TOP:
                    do_on_top(project, step)
                else:
                    tick(project, "done", step["id"])
        settle = project.shoporg("up", check=False)
        assert settle.returncode == 0, settle.stdout + settle.stderr
        left = [s for s in open_steps(project) if s["account"] not in OTHER_ACCOUNTS]
        assert left == [], f"day one did not settle: {left}"
    return project


def ks_staff(backend: SandboxBackend) -> list[KsStaff]:
    """The 快手小店's staff as its seller centre lists them (stopped ones too)."""
    found, _ = KuaishouStaff(backend).staff_list(KS_SELLER, include_disabled=True)
    return found


def ks_member(staff: KsStaff) -> str:
    """The member a staff member is, as the connector names it: the org.yaml id it wrote in
    ``remarks``; one made by hand, without it, is ``sub-<staff id>``."""
    return staff.remarks or f"sub-{staff.staff_user_id}"


def tick(project: StackProject, state: str, step_id: int) -> bool:
    extra = ("--note", "done in the seller centre") if state == "done" else (
        "--reason", "not needed")
    proc = run(project, "tasks", state, str(step_id), "--by", "运营 小王", *extra)
    return proc.returncode == 0


def sandbox(project: StackProject, *args: str) -> bool:
    return run(project, "sandbox", *args).returncode == 0


def role_ids_by_name(project: StackProject, account: str) -> dict[str, str]:
    """The platform's role ids by role name (the operator picks roles by name)."""
    backend = SandboxBackend(project.sandbox_path, instrumented=False)
    try:
        return {r.name: r.id for r in backend.list_roles(account)}
    finally:
        backend.close()


def do_on_top(project: StackProject, step: dict[str, Any]) -> bool:
    """A TOP step done by hand in the seller centre (千牛), as its runbook says."""
    account, kind, op, want = step["account"], step["kind"], step["operation"], step["desired"]
    member = want.get("member_id") if want else step["name"].split("/")[1].split("@")[0]
    if kind == "department":
        if op == "delete":
            return sandbox(project, "dept", "remove", account, want["department_id"])
        return sandbox(project, "dept", "add", account, want["department_id"], want["name"])
    if kind == "sub_account":
        if op == "delete":
            return sandbox(project, "sub", "delete", account, member)
        fields = ["--name", want["display_name"]]
        if want.get("department_id"):
            fields += ["--department", want["department_id"]]
        for key in ("email", "phone"):
            if want.get(key):
                fields += [f"--{key}", want[key]]
        ok = sandbox(project, "sub", "create" if op == "create" else "set", account, member,
                     *([want["login"]] if op == "create" else []), *fields)
        if ok and op != "create":
            sandbox(project, "sub", "enable" if want["enabled"] else "disable", account, member)
        return ok
    if kind == "role_grant":
        shop = SHOP[account]
        backend = SandboxBackend(project.sandbox_path, instrumented=False)
        try:
            live = backend.get_grant(account, member, shop)
            names = {r.id: r.name for r in backend.list_roles(account)}
        finally:
            backend.close()
        declared_names = {r["id"]: r["name"] for r in yaml.safe_load(
            project.org_file.read_text())["roles"]}
        by_name = {v: k for k, v in names.items()}
        wanted = set() if op == "delete" else {
            by_name[declared_names[r]] for r in want["role_ids"]}
        have = set(live.role_ids) if live is not None else set()
        ok = True
        if have - wanted:
            ok = sandbox(project, "revoke", account, member, shop, *sorted(have - wanted)) and ok
        if wanted - have:
            ok = sandbox(project, "grant", account, member, shop, *sorted(wanted - have)) and ok
        return ok
    return False


# --- the machine ------------------------------------------------------------------------------


@dataclass
class HandChange:
    what: str  # "extra role" | "unmanaged sub-account" | "re-enabled leaver"
    kind: str
    name: str
    account: str
    member: str
    role: str | None = None


class Lifecycle:
    """The company, the model of it, and the checks: shared by the state machine (bounded
    runs) and the seeded day loop (the long run)."""

    def __init__(self, project: StackProject, base: dict[str, Any], people: dict[str, Person],
                 now: datetime.datetime) -> None:
        self.project = project
        self.base = base
        self.people = people
        self.roles = roles_of(base)
        self.role_names = {r["id"]: r["name"] for r in base["roles"]}
        self.nick = {a["id"]: a["nick"] for a in base["accounts"]}
        self.now = now
        self.synced = True  # org.yaml (and its effective dates) applied by the last up
        self.fresh = True  # ... and nothing changed on TOP since: the worklist must match live
        self.hand: list[HandChange] = []
        self.drifts = 0  # nightly drifts run so far
        self.compare_engine_drift = True  # beside the engine-free drift (ENGINE_DRIFT_EVERY)
        # Skipped by the operator: a removal until the person is edited again; any other
        # step until the next up, which asks for it again while org.yaml declares it.
        self.waived: set[tuple[str, str]] = set()
        self.skipped_until_up: set[tuple[str, str]] = set()
        self.false_ticks: list[str] = []
        self.attested_at: datetime.datetime | None = None
        self.joined = 0
        self.ghosts = 0
        self.log: list[str] = []
        write_org(project, base, people)

    # -- what is declared ----------------------------------------------------------------

    @property
    def today(self) -> datetime.date:
        return self.now.astimezone().date()

    def enabled(self, person: Person, entry: Entry) -> bool:
        if person.status == "left":
            return False
        return entry.expires is None or entry.expires >= self.today

    def desired_login(self, account: str, entry: Entry) -> str:
        return f"{self.nick[account]}:{entry.login_name}" if account in TOP else entry.login_name

    def edited(self, person: Person) -> None:
        write_org(self.project, self.base, self.people)
        self.synced = self.fresh = False
        self.waived = {w for w in self.waived if not w[1].split("@")[0].endswith(f"/{person.id}")}

    # -- what is live ----------------------------------------------------------------------

    def live(self) -> dict[tuple[str, str], dict[str, Any]]:
        """(kind, name) → live values of every sub-account and grant: TOP's from the
        platform itself, the ledger platforms' from the ledger's record."""
        out: dict[tuple[str, str], dict[str, Any]] = {}
        backend = SandboxBackend(self.project.sandbox_path, instrumented=False)
        try:
            for account in TOP:
                names = {r.id: r.name for r in backend.list_roles(account)}
                ids = {self.role_names[r]: r for r in self.roles[account]}
                for s in backend.list_sub_accounts(account):
                    out[("sub_account", f"{account}/{s.member_id}")] = {
                        "login": s.login, "enabled": s.status != "disabled",
                        "department_id": s.department_id, "member": s.member_id}
                for g in backend.list_grants(account):
                    out[("role_grant", f"{account}/{g.member_id}@{g.shop_id}")] = {
                        "role_ids": sorted(ids.get(names.get(r, r), r) for r in g.role_ids)}
            for account in KUAISHOU:
                ids = {self.role_names[r]: r for r in self.roles[account]}
                for staff in ks_staff(backend):
                    member = ks_member(staff)
                    out[("sub_account", f"{account}/{member}")] = {
                        "login": staff.phone, "enabled": not staff.disabled,
                        "department_id": None, "member": member}
                    out[("role_grant", f"{account}/{member}@{SHOP[account]}")] = {
                        "role_ids": sorted(ids.get(KS_ROLES.get(r, ""), str(r))
                                           for r in staff.role_ids)}
        finally:
            backend.close()
        ledger = Ledger(self.ledger_path)
        for account in LEDGER:
            for (kind, name), step in ledger.confirmed(account).items():
                if kind in ("sub_account", "role_grant") and step.operation != "delete" \
                        and step.desired is not None:
                    d = dict(step.desired)
                    out[(kind, name)] = {"login": d.get("login"), "enabled": d.get("enabled"),
                                         "role_ids": sorted(d.get("role_ids") or [])}
        return out

    @property
    def ledger_path(self) -> Path:
        return self.project.root / ".shoporg" / "ledger.db"

    def needed(self) -> dict[tuple[str, str], dict[str, Any]]:
        """(kind, name) → desired values of every object whose declared and live state differ
        in a way no API closes: what the worklist must hold (after an up), nothing more."""
        live = self.live()
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for p in self.people.values():
            for account, e in p.subs.items():
                sub_name, grant_name = f"{account}/{p.id}", f"{account}/{p.id}@{SHOP[account]}"
                want = {"login": self.desired_login(account, e),
                        "enabled": self.enabled(p, e),
                        "department_id": p.department if account in TOP else None}
                have = live.get(("sub_account", sub_name))
                if not want["enabled"] and (have is None or have["login"] != want["login"]):
                    # A leaver (or expired) who never got this login needs nothing: not the
                    # account, not its roles. A renamed one's old login is removed by its own
                    # step (a replacement's removal), which check_leavers counts.
                    continue
                if have is None or have["login"] != want["login"] or (
                        account in TOP and have["department_id"] != want["department_id"]) or (
                        account not in TOP and have["enabled"] != want["enabled"]):
                    out[("sub_account", sub_name)] = want
                grant = {"login": want["login"], "role_ids": sorted(e.roles)}
                have_grant = live.get(("role_grant", grant_name))
                if have_grant is None or have_grant["role_ids"] != grant["role_ids"] or (
                        account in LEDGER and have_grant.get("login") != grant["login"]):
                    out[("role_grant", grant_name)] = grant
        return out

    # -- the checks --------------------------------------------------------------------------

    def check_always(self) -> None:
        if "worklist" not in CHECKS:
            return
        steps = open_steps(self.project)
        foreign = [s for s in steps if s["account"] not in ACCOUNTS]
        assert not foreign, "another stack's steps are on this stack's worklist: " + brief(
            foreign)
        per = Counter((s["kind"], s["name"], s["operation"]) for s in steps)
        twice = {k: n for k, n in per.items() if n > 1}
        assert not twice, f"more than one open step per object and operation: {twice}"

    def check_after_up(self) -> None:
        """What must hold once an up has applied org.yaml and nothing changed since."""
        if not self.fresh:
            return
        steps = [s for s in open_steps(self.project) if s["account"] in ACCOUNTS]
        needed = self.needed()
        # A renamed login on a platform without an API is a removal of the old login beside
        # the new one's create, under one name: the removal is open work until done.
        every, steps = steps, [s for s in steps if not self.replaced_login(s)]
        if "worklist" in CHECKS:
            left = {f"{a}/{p.id}" for p in self.people.values() if p.status == "left"
                    for a in p.subs}
            live = self.live()
            ghosts = [s for s in steps if s["name"].split("@")[0] in left
                      and ("sub_account", s["name"].split("@")[0]) not in live]
            assert not ghosts, "steps for a leaver's never-created account: " + brief(ghosts)
            extra = [s for s in steps if (s["kind"], s["name"]) not in needed]
            assert not extra, ("open steps for objects already as declared (or not "
                               "declared): " + brief(extra))
            stale = [s for s in steps if (s["kind"], s["name"]) in needed
                     and not agrees(s["desired"], needed[(s["kind"], s["name"])])]
            assert not stale, "open steps whose values are not the desired ones: " + "; ".join(
                f"#{s['id']} {s['operation']} {s['name']} {s['desired']} (wanted "
                f"{needed[(s['kind'], s['name'])]})" for s in stale)
            opened = {(s["kind"], s["name"]) for s in steps}
            # A hand change on TOP is drift's to name (checked at every drift), not a step:
            # `shoporg up` plans from the state, and `pulumi up --refresh` puts it back.
            handled = {(h.kind, h.name) for h in self.live_hand_changes()}
            missing = sorted(set(needed) - opened - self.waived - self.skipped_until_up
                             - handled)
            assert not missing, ("declared and live differ with no open step: "
                                 + ", ".join(f"{k} {n} (wanted {needed[(k, n)]})"
                                             for k, n in missing))
        if "leavers" in CHECKS:
            self.check_leavers(every)

    def replaced_login(self, step: dict[str, Any]) -> bool:
        if step["operation"] != "delete" or not step.get("desired"):
            return False
        account, member = step["name"].split("@")[0].split("/")
        person = self.people.get(member)
        entry = person.subs.get(account) if person else None
        if entry is None:
            return False
        return bool(step["desired"].get("login") != self.desired_login(account, entry))

    def check_leavers(self, steps: list[dict[str, Any]]) -> None:
        """A leaver is disabled everywhere once their disable steps are done."""
        live = self.live()
        waiting = {s["name"] for s in steps if s["kind"] == "sub_account"}
        # Re-enabled by hand on TOP: drift's to name; `shoporg up` plans from the state.
        waiting |= {h.name for h in self.live_hand_changes() if h.what == "re-enabled leaver"}
        for p in self.people.values():
            if p.status != "left":
                continue
            for account in p.subs:
                name = f"{account}/{p.id}"
                have = live.get(("sub_account", name))
                if have is None or name in waiting or ("sub_account", name) in (
                        self.waived | self.skipped_until_up):
                    continue
                assert have["enabled"] is False, (
                    f"{p.name} ({p.id}) left, no step is open for {name}, and it is enabled")

    def check_drift(self, proc: subprocess.CompletedProcess[str]) -> None:
        assert proc.returncode in (0, 2, 3), (
            f"drift could not run (exit {proc.returncode}):\n{tail(proc)}")
        report = json.loads(proc.stdout)
        STATS.drift_codes[proc.returncode] += 1
        if "drift" not in CHECKS:
            return
        live_hand = self.live_hand_changes()
        named = {d["name"] for d in report["drifted"]} | {u["name"] for u in report["unmanaged"]}
        unnamed = [h for h in live_hand if h.name not in named]
        assert not unnamed, "hand changes drift did not name: " + "; ".join(
            f"{h.what} {h.name}" for h in unnamed)
        known = {h.name for h in live_hand}
        false = [d for d in report["drifted"] if d["name"] not in known] + [
            u for u in report["unmanaged"] if u["name"] not in known]
        STATS.counts["false drift findings"] += len(false)
        assert not false, "drift called these hand changes, nobody made them: " + "; ".join(
            f"{d['name']}: {d.get('text') or d.get('detail')}" for d in false)
        stale = self.expected_unverified()
        reported = {(u["kind"], u["name"]) for u in report["unverified"]}
        assert reported == stale, (
            f"unverified: drift says {sorted(reported)}, the ledger's dates say {sorted(stale)} "
            f"(today {self.today}, last access review {self.attested_at})")
        want = 2 if live_hand else 3 if stale else 0
        assert proc.returncode == want, f"drift exit {proc.returncode}, expected {want}"

    def live_hand_changes(self) -> list[HandChange]:
        live = self.live()
        out = []
        for h in self.hand:
            have = live.get((h.kind, h.name))
            person = self.people.get(h.member)
            if h.what == "unmanaged sub-account":
                still = have is not None
            elif h.what == "re-enabled leaver":
                entry = person.subs.get(h.account) if person else None
                still = bool(have and have["enabled"] and person and entry
                             and not self.enabled(person, entry))
            else:
                entry = person.subs.get(h.account) if person else None
                still = bool(have and h.role in have["role_ids"]
                             and not (entry and h.role in entry.roles))
            if still:
                out.append(h)
        self.hand = out
        return out

    def expected_unverified(self) -> set[tuple[str, str]]:
        ledger = Ledger(self.ledger_path)
        out = set()
        for account in LEDGER:
            for key, at in ledger.verified_at(account).items():
                if (self.today - at.date()).days > ATTESTATION_DAYS:
                    out.add(key)
        return out

    # -- the rules' bodies -------------------------------------------------------------------

    def active(self) -> list[Person]:
        return [p for p in self.people.values() if p.status == "active"]

    def joiner(self, rnd: random.Random) -> None:
        self.joined += 1
        person = new_person(f"new-{self.joined:03d}", rnd, self.roles)
        self.people[person.id] = person
        self.note(f"joiner {person.id} on {sorted(person.subs)}")
        self.edited(person)

    def leaver(self, rnd: random.Random) -> None:
        person = rnd.choice(self.active())
        person.status = "left"
        self.note(f"leaver {person.id}")
        self.edited(person)

    def mover(self, rnd: random.Random) -> None:
        person = rnd.choice(self.active())
        person.department = rnd.choice([d for d in DEPARTMENTS if d != person.department])
        self.note(f"mover {person.id} → {person.department}")
        self.edited(person)

    def role_change(self, rnd: random.Random) -> None:
        person = rnd.choice(self.active())
        account = rnd.choice(sorted(person.subs))
        entry = person.subs[account]
        others = [r for r in self.roles[account] if r not in entry.roles]
        entry.roles = [rnd.choice(others)] if others else entry.roles
        self.note(f"role change {person.id} on {account} → {entry.roles}")
        self.edited(person)

    def expiry(self, rnd: random.Random) -> None:
        person = rnd.choice(self.active())
        account = rnd.choice(sorted(person.subs))
        person.subs[account].expires = self.today + datetime.timedelta(days=rnd.randint(-1, 10))
        self.note(f"expiry {person.id} on {account} at {person.subs[account].expires}")
        self.edited(person)

    def rename(self, rnd: random.Random) -> bool:
        """A login rename, where the platform allows one (not Taobao/Tmall: immutable)."""
        choices = [(p, a) for p in self.active() for a in p.subs if a in LEDGER]
        if not choices:
            return False
        person, account = rnd.choice(choices)
        person.renamed += 1
        person.subs[account].login_name = login(account, person.id, person.renamed)
        self.note(f"rename {person.id} on {account} → {person.subs[account].login_name}")
        self.edited(person)
        return True

    def up(self) -> None:
        before = {s["id"] for s in open_steps(self.project)}
        proc = run(self.project, "up")
        self.note(f"up → exit {proc.returncode}")
        if "runs" in CHECKS:
            assert proc.returncode == 0, f"shoporg up failed on a legitimate change:\n{tail(proc)}"
        if proc.returncode != 0:
            return
        after = {s["id"] for s in open_steps(self.project)}
        STATS.counts["steps raised by up"] += len(after - before)
        STATS.counts["steps closed by up"] += len(before - after)
        self.synced = self.fresh = True
        self.skipped_until_up.clear()
        self.check_after_up()

    def preview(self) -> None:
        started = time.perf_counter()
        result = self.project.preview(check=False)
        STATS.timed("pulumi preview", time.perf_counter() - started)
        self.note(f"preview → exit {result.returncode}")
        if "runs" in CHECKS:
            assert result.returncode == 0, f"pulumi preview failed:\n{result.stderr[-3000:]}"

    def operator(self, rnd: random.Random) -> None:
        """A random subset of the open steps, in a random order (a grant before its
        sub-account, say): most done properly, some skipped, some ticked done though nobody
        did them, some left for later."""
        steps = [s for s in open_steps(self.project) if s["account"] in ACCOUNTS]
        rnd.shuffle(steps)
        for step in steps[: rnd.randint(0, len(steps))]:
            action = rnd.choices(("do", "do and tick", "skip", "false tick"),
                                 weights=(6, 2, 1, 1))[0]
            on_top = step["account"] in TOP
            if action == "skip":
                if tick(self.project, "skip", step["id"]):
                    (self.waived if step["operation"] == "delete" else
                     self.skipped_until_up).add((step["kind"], step["name"]))
                    STATS.counts["steps skipped"] += 1
            elif action == "false tick":
                if tick(self.project, "done", step["id"]):
                    self.false_ticks.append(f"#{step['id']} {step['operation']} {step['name']}")
                    STATS.counts["steps ticked though not done"] += 1
            elif on_top:
                done = do_on_top(self.project, step)
                STATS.counts["TOP steps done in the seller centre" if done
                             else "TOP steps refused by the seller centre (out of order)"] += 1
                if done and action == "do and tick":
                    tick(self.project, "done", step["id"])
            else:
                if tick(self.project, "done", step["id"]):
                    STATS.counts["ledger steps done"] += 1
            self.note(f"operator {action} #{step['id']} {step['operation']} {step['name']}")
            if on_top:
                self.fresh = False

    def hand_change(self, rnd: random.Random) -> bool:
        live = self.live()
        options: list[str] = ["unmanaged sub-account"]
        # An extra role is one neither declared nor live already: a grant whose update step
        # nobody did still holds its old role, and granting that again changes nothing
        # (the model once expected drift to name such a non-change).
        def spare(p: Person, a: str) -> set[str]:
            return set(self.roles[a]) - set(p.subs[a].roles) - set(
                live[("role_grant", f"{a}/{p.id}@{SHOP[a]}")]["role_ids"])

        grants = [(p, a) for p in self.active() for a in p.subs if a in TOP
                  and ("role_grant", f"{a}/{p.id}@{SHOP[a]}") in live and spare(p, a)]
        if grants:
            options.append("extra role")
        leavers = [(p, a) for p in self.people.values() for a in p.subs if a in TOP
                   and live.get(("sub_account", f"{a}/{p.id}"), {}).get("enabled") is False]
        if leavers:
            options.append("re-enabled leaver")
        what = rnd.choice(options)
        if what == "extra role":
            person, account = rnd.choice(grants)
            role = rnd.choice(sorted(spare(person, account)))
            platform_id = role_ids_by_name(self.project, account)[self.role_names[role]]
            ok = sandbox(self.project, "grant", account, person.id, SHOP[account], platform_id)
            change = HandChange(what, "role_grant", f"{account}/{person.id}@{SHOP[account]}",
                                account, person.id, role)
        elif what == "re-enabled leaver":
            person, account = rnd.choice(leavers)
            ok = sandbox(self.project, "sub", "enable", account, person.id)
            change = HandChange(what, "sub_account", f"{account}/{person.id}", account, person.id)
        else:
            self.ghosts += 1
            account = rnd.choice(sorted(TOP))
            member = f"temp-{self.ghosts}"
            name = f"临时工{self.ghosts}"
            ok = sandbox(self.project, "sub", "create", account, member,
                         f"{self.nick[account]}:{name}", "--name", name,
                         "--department", "cs", "--phone", "13900029999")
            change = HandChange(what, "sub_account", f"{account}/{member}", account, member)
        assert ok, f"the seller centre refused the hand change {what}"
        self.hand.append(change)
        self.fresh = False
        STATS.counts[f"hand changes: {what}"] += 1
        self.note(f"hand change: {what} {change.name}")
        return True

    def hand_change_on_kuaishou(self, rnd: random.Random) -> bool:
        """In the 快手小店 seller centre: an extra role on someone's staff member, a staff
        member made by hand (no org.yaml id in its remarks), a stopped leaver started again."""
        backend = SandboxBackend(self.project.sandbox_path, instrumented=False,
                                 actor="seller-center")
        try:
            staff = {ks_member(s): s for s in ks_staff(backend)}
            account = next(iter(KUAISHOU))
            options: list[str] = ["unmanaged sub-account"]
            names = {r: self.role_names[r] for r in self.roles[account]}

            def spare(p: Person) -> list[str]:  # neither declared nor live (see hand_change)
                live_names = {KS_ROLES[i] for i in staff[p.id].role_ids}
                return sorted(r for r in self.roles[account]
                              if r not in p.subs[account].roles and names[r] not in live_names)

            extra = [p for p in self.active() if account in p.subs and p.id in staff
                     and not staff[p.id].disabled and spare(p)]
            if extra:
                options.append("extra role")
            stopped = [p for p in self.people.values() if account in p.subs
                       and p.id in staff and staff[p.id].disabled]
            if stopped:
                options.append("re-enabled leaver")
            what = rnd.choice(options)
            platform_ids = {name: role_id for role_id, name in KS_ROLES.items()}
            if what == "extra role":
                person = rnd.choice(extra)
                role = rnd.choice(spare(person))
                mine = staff[person.id]
                KuaishouStaff(backend).update(
                    KS_SELLER, mine.staff_user_id,
                    role_ids=sorted({*mine.role_ids, platform_ids[self.role_names[role]]}))
                change = HandChange(what, "role_grant", f"{account}/{person.id}@{SHOP[account]}",
                                    account, person.id, role)
            elif what == "re-enabled leaver":
                person = rnd.choice(stopped)
                ok = sandbox(self.project, "kuaishou", "start", str(KS_SELLER),
                             str(staff[person.id].staff_user_id))
                assert ok, "the seller centre refused to start a stopped staff member"
                change = HandChange(what, "sub_account", f"{account}/{person.id}", account,
                                    person.id)
            else:
                self.ghosts += 1
                made = KuaishouStaff(backend).create(
                    KS_SELLER, contact_phone=f"1370000{self.ghosts:04d}",
                    nick_name=f"临时工{self.ghosts}", role_ids=[min(KS_ROLES)])
                member = ks_member(made)
                change = HandChange(what, "sub_account", f"{account}/{member}", account, member)
                # A Kuaishou staff member holds at least one role: made by hand, its roles
                # are a second object org.yaml does not declare (the lifecycle model's first
                # Kuaishou finding was this model forgetting so; drift names both).
                self.hand.append(HandChange(what, "role_grant",
                                            f"{account}/{member}@{SHOP[account]}", account,
                                            member))
        finally:
            backend.close()
        self.hand.append(change)
        self.fresh = False
        STATS.counts[f"hand changes in the Kuaishou seller centre: {what}"] += 1
        self.note(f"hand change on Kuaishou: {what} {change.name}")
        return True

    def drift(self) -> None:
        proc = run(self.project, "drift", "--format", "json")
        self.note(f"drift → exit {proc.returncode}")
        self.check_drift(proc)
        self.drifts += 1
        if self.compare_engine_drift and (
                self.drifts == 1 or (ENGINE_DRIFT_EVERY and self.drifts % ENGINE_DRIFT_EVERY == 0)):
            # The engine's refresh preview must find exactly what the engine-free read did
            # (issue 31). Nothing moved in between: both closing the same read-back steps
            # first, the second finds them closed, as the first reported them.
            engine = run(self.project, "drift", "--format", "json", "--engine")
            assert (engine.returncode, json.loads(engine.stdout)) == (
                proc.returncode, json.loads(proc.stdout)), (
                f"engine-free drift (exit {proc.returncode}) and the engine's (exit "
                f"{engine.returncode}) disagree:\n{proc.stdout}\n---\n{engine.stdout}")
            STATS.counts["drifts compared with the engine's"] += 1

    def advance(self, days: int) -> None:
        before = {(p.id, a): self.enabled(p, e) for p in self.people.values()
                  for a, e in p.subs.items()}
        self.now += datetime.timedelta(days=days)
        self.project.pulumi.env["SHOPORG_NOW"] = self.now.isoformat()
        after = {(p.id, a): self.enabled(p, e) for p in self.people.values()
                 for a, e in p.subs.items()}
        if before != after:  # an expiry date passed: the declared state moved
            self.synced = self.fresh = False
        self.note(f"clock +{days}d → {self.today}")

    def attest(self) -> None:
        proc = run(self.project, "review-access", "--attest", "--by", "审计 小陈",
                   "--note", "quarterly review")
        self.note(f"review-access --attest → exit {proc.returncode}")
        if "runs" in CHECKS:
            assert proc.returncode == 0, f"review-access --attest failed:\n{tail(proc)}"
        self.attested_at = self.now

    def note(self, text: str) -> None:
        self.log.append(f"{self.today} {time.strftime('%H:%M:%S')} {text}")
        STATS.counts["rules"] += 1


def agrees(step: dict[str, Any] | None, want: dict[str, Any]) -> bool:
    if step is None:
        return False
    for key, value in want.items():
        if key == "role_ids":
            if sorted(step.get(key) or []) != value:
                return False
        elif key in step and step[key] != value:
            return False
    return True


def brief(steps: list[dict[str, Any]]) -> str:
    return "; ".join(f"#{s['id']} {s['operation']} {s['kind']} {s['name']} "
                     f"{json.dumps(s['desired'], ensure_ascii=False)}" for s in steps)


def tail(proc: subprocess.CompletedProcess[str]) -> str:
    text = (proc.stdout or "") + (proc.stderr or "")
    lines = [line for line in text.splitlines() if line.strip()]
    return "\n".join(lines[-25:])


# --- the bounded run: a Hypothesis state machine ----------------------------------------------

SEEDS = st.integers(0, 2**16)
CHANGES = ("joiner", "leaver", "mover", "role_change", "expiry", "rename")


class CompanyWeeks(RuleBasedStateMachine):
    """One small company's weeks; each example starts from a copy of the applied start."""

    start: StackProject
    workdir: Path
    counter = 0

    def __init__(self) -> None:
        super().__init__()
        CompanyWeeks.counter += 1
        root = self.workdir / f"example-{CompanyWeeks.counter}"
        shutil.rmtree(root, ignore_errors=True)
        project = self.start.copy_to(root)
        same_env(project, self.start)
        self._server = endpoints(project)
        self._server.__enter__()
        base, people = company(4, 0)
        now = datetime.datetime.fromisoformat(self.start.pulumi.env["SHOPORG_NOW"])
        self.life = Lifecycle(project, base, people, now)

    def teardown(self) -> None:
        print("\n".join(["example:", *self.life.log]))  # shown with a failure (or -s)
        self._server.__exit__(None, None, None)
        shutil.rmtree(self.life.project.root, ignore_errors=True)

    @initialize()
    def started(self) -> None:
        self.life.check_always()

    @precondition(lambda self: len(self.life.active()) > 1)
    @rule(change=st.sampled_from(CHANGES), seed=SEEDS)
    def org_change(self, change: str, seed: int) -> None:
        """An edit of org.yaml: a joiner (1-3 platforms), a leaver (status: left), a mover
        (department), a role change, an expiry date, a login rename (Shopee, Ozon, Douyin)."""
        getattr(self.life, change)(random.Random(seed))

    @rule()
    def up(self) -> None:
        self.life.up()

    @rule()
    def preview(self) -> None:
        self.life.preview()

    @rule(seed=SEEDS)
    def operator(self, seed: int) -> None:
        self.life.operator(random.Random(seed))

    @rule(seed=SEEDS)
    def hand_change(self, seed: int) -> None:
        self.life.hand_change(random.Random(seed))

    @rule(seed=SEEDS)
    def kuaishou_hand_change(self, seed: int) -> None:
        self.life.hand_change_on_kuaishou(random.Random(seed))

    @precondition(lambda self: self.life.synced)
    @rule()
    def nightly_drift(self) -> None:
        self.life.drift()

    @rule(days=st.sampled_from([1, 3, 7, 30, 91]))
    def clock(self, days: int) -> None:
        self.life.advance(days)

    @rule()
    def attest(self) -> None:
        self.life.attest()

    @rule(changes=st.lists(st.tuples(st.sampled_from(CHANGES), SEEDS), max_size=2),
          seed=SEEDS, hand=st.booleans(), kuaishou_hand=st.booleans())
    def working_day(self, changes: list[tuple[str, int]], seed: int, hand: bool,
                    kuaishou_hand: bool = False) -> None:
        """The rules above in a day's order (Hypothesis tries a subset of rules per example,
        so a few examples would seldom line them up): edits, up, the operator's work, maybe a
        hand change on TOP and one in the Kuaishou seller centre, up, the nightly drift, the
        next morning. (``kuaishou_hand`` draws from its own seed, so the replays written
        before it do what they did.)"""
        for change, change_seed in changes:
            if len(self.life.active()) > 1:
                getattr(self.life, change)(random.Random(change_seed))
                self.life.check_always()
        rnd = random.Random(seed)
        self.life.up()
        self.life.operator(rnd)
        self.life.check_always()
        if hand:
            self.life.hand_change(rnd)
        if kuaishou_hand:
            self.life.hand_change_on_kuaishou(random.Random(seed + 1))
        self.life.up()
        self.life.drift()
        self.life.advance(1)

    @invariant()
    def worklist_holds(self) -> None:
        self.life.check_always()


@pytest.fixture(scope="module")
def start(engine: None, tmp_path_factory: pytest.TempPathFactory) -> StackProject:
    now = datetime.datetime.now(datetime.UTC).replace(second=0, microsecond=0)
    size = 40 if DAYS else 4
    return prepare(tmp_path_factory.mktemp("lifecycle-start"), size, 0, now)


@pytest.mark.slow
@pytest.mark.skipif(bool(DAYS), reason="the long run (SHOPORG_LIFECYCLE_DAYS) runs instead")
def test_a_small_company_s_weeks_keep_worklist_drift_and_up_truthful(
    start: StackProject, tmp_path: Path,
) -> None:
    CompanyWeeks.start, CompanyWeeks.workdir = start, tmp_path
    run_state_machine_as_test(CompanyWeeks, settings=settings(
        max_examples=int(os.environ.get("SHOPORG_LIFECYCLE_EXAMPLES", "3")),
        stateful_step_count=int(os.environ.get("SHOPORG_LIFECYCLE_STEPS", "8")),
        deadline=None, database=None, print_blob=True,
        # The same examples every run (a suite's time and verdict do not move); explore new
        # ones with SHOPORG_LIFECYCLE_RANDOM=1 (and --hypothesis-seed to replay one).
        derandomize=os.environ.get("SHOPORG_LIFECYCLE_RANDOM") != "1",
        suppress_health_check=list(HealthCheck),
    ))


#: Failing examples the model found, replayed rule by rule on every run (each was a minimal
#: example Hypothesis printed; docs/lifecycle.md says what each found and what fixed it).
REGRESSIONS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    # seed 1: the replacement's create met the old login still awaiting its removal step
    # ("cannot access local variable 'live'") — fixed in providers/resources/base.py.
    # The long run (seed 28, day 17) then found the night after: drift named the old login,
    # still live until the new one is made, a replacement by hand — fixed in
    # providers/reports/drift.py (a replacement waits on its open create step).
    "a renamed ledger login, then up": [
        ("org_change", {"change": "rename", "seed": 0}), ("attest", {}),
        ("clock", {"days": 1}), ("up", {}), ("nightly_drift", {})],
    # seed 3: a role added by hand in 千牛 on a mover's grant; the model expected a step,
    # where the hand change is drift's to name (and `pulumi up --refresh` puts it back).
    "a mover, then an extra role by hand on TOP": [
        ("attest", {}),
        ("working_day", {"changes": [("expiry", 577)], "hand": False, "seed": 686}),
        ("working_day", {"changes": [("mover", 686)], "hand": True, "seed": 8648})],
    # Random exploration, --hypothesis-seed=13 (10 examples of 15 rules): a person renamed and
    # leaving the same day; the model asked for the leaver's new login, where the product
    # (rightly) asks only for the old login's removal — the model's expectation, fixed.
    "a login renamed the day its holder leaves": [
        ("hand_change", {"seed": 0}), ("attest", {}), ("nightly_drift", {}),
        ("operator", {"seed": 4794}),
        ("working_day", {"changes": [], "hand": False, "seed": 145}), ("clock", {"days": 7}),
        ("preview", {}),
        ("working_day", {"changes": [("rename", 64785), ("leaver", 1754)], "hand": False,
                         "seed": 3357})],
    # The same exploration: a leaver re-enabled by hand on TOP is drift's to name (`shoporg
    # up` plans from the state); the model's leaver check expected up to have undone it.
    "a leaver re-enabled by hand on TOP, then a working day": [
        ("hand_change", {"seed": 0}), ("attest", {}),
        ("working_day", {"changes": [("leaver", 0), ("expiry", 582)], "hand": True,
                         "seed": 429}),
        ("working_day", {"changes": [("joiner", 42953), ("role_change", 20888)], "hand": True,
                         "seed": 70})],
    # 2026-12-07, the 快手小店 joined the model; --hypothesis-seed=29 (8 examples of 12 rules):
    # a staff member made by hand in its seller centre comes with a role (Kuaishou allows no
    # staff without one), and drift named that grant too. Rightly: the model had expected
    # only the staff member.
    # The same day, --hypothesis-seed=31 (8 × 12): a role change on TOP whose grant step was
    # ticked done though nobody did it (the read-back reopened it), then skipped; the "extra
    # role" drawn by hand was the old role the grant still held, a non-change drift rightly
    # did not name. The model's draw, fixed: an extra role is neither declared nor live.
    "a grant step ticked though not done, skipped, then a role added by hand": [
        ("working_day", {"changes": [("role_change", 9645), ("expiry", 24678)], "hand": True,
                         "seed": 65536}),
        ("working_day", {"changes": [("rename", 5404)], "hand": True, "seed": 207}),
        ("working_day", {"changes": [("leaver", 49332), ("role_change", 27)], "hand": False,
                         "kuaishou_hand": True, "seed": 11137}),
        ("working_day", {"changes": [("mover", 2044), ("mover", 2044)], "hand": True,
                         "seed": 397})],
    "a staff member made by hand in the Kuaishou seller centre": [
        ("attest", {}), ("attest", {}), ("kuaishou_hand_change", {"seed": 33504}),
        ("working_day", {"changes": [], "hand": True, "kuaishou_hand": True, "seed": 2298})],
}


@pytest.mark.slow
@pytest.mark.skipif(bool(DAYS), reason="the long run (SHOPORG_LIFECYCLE_DAYS) runs instead")
@pytest.mark.parametrize("rules", list(REGRESSIONS.values()), ids=list(REGRESSIONS))
def test_what_the_model_once_found_stays_fixed(
    start: StackProject, tmp_path: Path, rules: list[tuple[str, dict[str, Any]]],
) -> None:
    CompanyWeeks.start, CompanyWeeks.workdir = start, tmp_path
    machine = CompanyWeeks()
    # What each found is decided by the engine-free checks (worklist, drift, up); whether the
    # engine's refresh preview agrees with that drift is the exploration's question above
    # and tests/engine/test_drift_equivalence.py's, not worth an engine run per replay.
    machine.life.compare_engine_drift = False
    try:
        machine.started()
        for name, kwargs in rules:
            getattr(machine, name)(**kwargs)
            machine.worklist_holds()
    finally:
        machine.teardown()


# --- the long run: a seeded day loop on a 40-person company -----------------------------------


@pytest.mark.skipif(not DAYS, reason="set SHOPORG_LIFECYCLE_DAYS (`make lifecycle`)")
def test_a_forty_person_company_s_days(start: StackProject, tmp_path: Path) -> None:
    seed = int(os.environ.get("SHOPORG_LIFECYCLE_SEED", "28"))
    rnd = random.Random(seed)
    project = start.copy_to(tmp_path / "long")
    same_env(project, start)
    base, people = company(40, 0)
    life = Lifecycle(project, base, people,
                     datetime.datetime.fromisoformat(start.pulumi.env["SHOPORG_NOW"]))
    started, finding, day = time.perf_counter(), "", 0
    try:
        with endpoints(project):
            for day in range(1, DAYS + 1):
                one_day(life, rnd, day)
    except AssertionError as exc:
        finding = f"day {day}: {exc}"
        raise
    except Exception:
        finding = f"day {day}: error\n{traceback.format_exc()}"
        raise
    finally:
        write_numbers(life, seed, day, time.perf_counter() - started, finding)


def one_day(life: Lifecycle, rnd: random.Random, day: int) -> None:
    """A working day: a few org.yaml changes, the guarded up, the operator's work, now and
    then a hand change in the seller centre, an up, the nightly drift, the next day."""
    for _ in range(rnd.choice((0, 1, 1, 2))):
        change = rnd.choices(("joiner", "leaver", "mover", "role_change", "expiry", "rename"),
                             weights=(3, 2, 2, 3, 1, 1))[0]
        if change == "rename":
            life.rename(rnd)
        else:
            getattr(life, change)(rnd)
        life.check_always()
    life.up()
    life.check_always()
    life.operator(rnd)
    life.check_always()
    if rnd.random() < 0.2:
        life.hand_change(rnd)
    if rnd.random() < 0.1:
        life.hand_change_on_kuaishou(rnd)
    if rnd.random() < 0.1:
        life.preview()
    life.up()
    life.drift()
    if day % 30 == 0:
        life.attest()
    life.advance(1)
    life.check_always()


def write_numbers(life: Lifecycle, seed: int, days: int, seconds: float, finding: str) -> None:
    ledger = Ledger(life.ledger_path)
    steps = [s for s in ledger.steps() if s.account in ACCOUNTS]
    by_state = Counter(s.state for s in steps)
    gone = sum(p.status == "left" for p in life.people.values())
    lines = [
        f"Run of {datetime.date.today().isoformat()}: `SHOPORG_LIFECYCLE_DAYS={DAYS}`, seed "
        f"{seed}, {len(life.people)} people at the end ({gone} left), {days} simulated days "
        f"in {seconds / 60:.1f} min.",
        "",
        f"Result: **{'FAILED — ' + finding.splitlines()[0] if finding else 'passed'}**",
        "",
        "| steps | count |", "| --- | ---: |",
        f"| raised (this stack) | {len(steps)} |",
        f"| closed done | {by_state['done']} |",
        f"| closed skipped | {by_state['skipped']} |",
        f"| open at the end | {by_state['open']} |",
        *(f"| {k} | {v} |" for k, v in sorted(STATS.counts.items())),
        "",
        "| nightly drift exit | nights |", "| --- | ---: |",
        *(f"| {k} | {v} |" for k, v in sorted(STATS.drift_codes.items())),
        "",
        "| command | runs | mean s | max s |", "| --- | ---: | ---: | ---: |",
        *(f"| `{k}` | {len(v)} | {sum(v) / len(v):.2f} | {max(v):.2f} |"
          for k, v in sorted(STATS.seconds.items())),
    ]
    if finding:
        lines += ["", "Finding (replay: the same seed and days):", "", "```",
                  *finding.splitlines()[:40], "```", "", "Last rules:", "", "```",
                  *life.log[-30:], "```"]
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    begin, end = "<!-- lifecycle:numbers -->", "<!-- /lifecycle:numbers -->"
    block = "\n".join([begin, *lines, end])
    if begin in text and end in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text,
                      flags=re.S)
    else:
        text += "\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")
