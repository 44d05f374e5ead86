"""Scenario 5 — secrets: the generated initial passwords and a backend credential never
appear in plaintext anywhere shoporg or the engine writes: ``pulumi stack export``, the
state files (checkpoints, backups, history), verbose engine logs, review / drift reports,
the apply journal, the sandbox file (with its WAL) and audit log, or the pickled provider.

The plaintexts are learnt the only sanctioned way, ``pulumi stack export --show-secrets``,
then every artefact is searched for them (as text, JSON-escaped and base64).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.engine.conftest import StackProject
from tests.reliability.conftest import audit_rows, report, stack_export

pytestmark = pytest.mark.children_untraced  # a scenario (tests/conftest.py)

TOKEN = "probe-token-7Qx2vL9sKm3W"


def secret_plaintexts(export: dict[str, Any]) -> Iterator[str]:
    """Plaintexts of every secret output in a ``--show-secrets`` export."""
    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if "plaintext" in node and len(node) == 2:
                value = json.loads(node["plaintext"])
                if isinstance(value, str):
                    yield value
                return
            for v in node.values():
                yield from walk(v)
        elif isinstance(node, list):
            for v in node:
                yield from walk(v)

    yield from walk(export)


def spellings(secret: str) -> list[bytes]:
    raw = secret.encode()
    return [raw, json.dumps(secret).encode(), base64.b64encode(raw)]


@dataclass(frozen=True)
class Artefact:
    name: str
    data: bytes


def files_under(root: Path, label: str) -> Iterator[Artefact]:
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        yield Artefact(f"{label}/{path.relative_to(root)}", path.read_bytes())


def pickled_providers(export: dict[str, Any]) -> Iterator[Artefact]:
    for resource in export["deployment"]["resources"]:
        pickled = resource.get("inputs", {}).get("__provider")
        if isinstance(pickled, str):
            yield Artefact(f"pickled provider of {resource['urn'].split('::')[-1]}",
                           base64.b64decode(pickled))


def hire(member_id: str, name: str, phone: str) -> dict[str, Any]:
    return {"id": member_id, "name": name, "department": "cs-presale", "phone": phone,
            "sub_accounts": [{"account": "tb-youpin", "login_name": name,
                              "roles": ["tb-cs-presale"]}]}


@pytest.fixture(scope="module")
def applied(
    engine: None, tmp_path_factory: pytest.TempPathFactory
) -> tuple[StackProject, list[Artefact]]:
    project = StackProject(tmp_path_factory.mktemp("secrets"))
    project.pulumi.run("config", "set", "--secret", "shoporg:probeToken", TOKEN)
    artefacts: list[Artefact] = []
    # 1. the first apply at -v=9: every property crossing the engine's gRPC is logged
    verbose = project.pulumi.run("up", "--yes", "--skip-preview", "--logtostderr", "--logflow",
                                 "-v=9")
    artefacts.append(Artefact("pulumi up -v=9 output", verbose.output.encode()))
    # 2. a new hire at -v=8 (engine and plugins): verbose, and a password is generated
    project.edit(lambda org: org["members"].append(hire("qian-yu", "钱宇", "13800010099")))
    verbose = project.pulumi.run("up", "--yes", "--skip-preview", "--logtostderr", "--logflow",
                                 "-v=8")
    assert len(verbose.output) > 100_000  # really verbose
    artefacts.append(Artefact("pulumi up -v=8 output", verbose.output.encode()))
    # 3. another hire through the guarded wrapper: review report and journal
    project.edit(lambda org: org["members"].append(hire("sun-li", "孙丽", "13800010098")))
    guarded = project.shoporg("up", "--review", str(project.root / "applied-review.md"))
    artefacts.append(Artefact("shoporg up output", (guarded.stdout + guarded.stderr).encode()))
    # 4. reports: review of a pending change, drift after a hand change
    project.shoporg("sandbox", "sub", "disable", "tb-youpin", "zhang-wei")
    drift = project.shoporg("drift", "--json", str(project.root / "drift.json"),
                            "--markdown", str(project.root / "drift.md"), check=False)
    assert drift.returncode == 2, drift.stdout + drift.stderr  # the hand change is drift
    artefacts.append(Artefact("shoporg drift output", (drift.stdout + drift.stderr).encode()))
    review = project.shoporg("review", "--json", str(project.root / "review.json"),
                             "--markdown", str(project.root / "review.md"))
    artefacts.append(Artefact("shoporg review output", (review.stdout + review.stderr).encode()))
    # 5. everything at rest
    plain = stack_export(project)
    artefacts.append(Artefact("pulumi stack export", json.dumps(plain).encode()))
    artefacts += pickled_providers(plain)
    for name in ("applied-review.md", "drift.json", "drift.md", "review.json", "review.md"):
        artefacts.append(Artefact(name, (project.root / name).read_bytes()))
    artefacts += files_under(project.root / ".pulumi-state", ".pulumi-state")
    artefacts += files_under(project.root / ".sandbox", ".sandbox")
    if (project.root / ".shoporg").is_dir():
        artefacts += files_under(project.root / ".shoporg", ".shoporg")
    audit = "\n".join(f"{r.before} {r.after}" for r in audit_rows(project.sandbox_path))
    artefacts.append(Artefact("sandbox audit log", audit.encode()))
    return project, artefacts


def initial_passwords(project: StackProject) -> list[str]:
    shown = stack_export(project, "--show-secrets")
    return [
        password
        for r in shown["deployment"]["resources"] if ":SubAccount::" in r["urn"]
        for password in secret_plaintexts(r.get("outputs", {}).get("initial_password"))
    ]


def known_secrets(project: StackProject) -> list[str]:
    """The credential, every initial password, and any other secret the state holds."""
    shown = stack_export(project, "--show-secrets")
    return sorted({TOKEN, *initial_passwords(project), *secret_plaintexts(shown)})


@pytest.mark.slow
def test_every_sub_account_has_an_encrypted_initial_password(
    applied: tuple[StackProject, list[Artefact]],
) -> None:
    project, _ = applied
    passwords = initial_passwords(project)
    created = sum(1 for r in stack_export(project)["deployment"]["resources"]
                  if ":SubAccount::" in r["urn"])
    # Every sub-account created by shoporg carries one (adopted ones have none to carry).
    assert len(passwords) == created
    assert all(len(p) >= 12 for p in passwords)


UPSTREAM_V9 = pytest.mark.xfail(
    strict=True,
    reason="Pulumi v3.259.0 logs every property it (un)marshals at -v=9, secret values "
    "included ('Unmarshaling property for RPC[Provider.Create(...).outputs]'), although its "
    "docs promise no known secrets below level 11; -v=8 and below are clean (upstream)",
)
KINDS_OF_ARTEFACT = (
    "pulumi stack export", pytest.param("pulumi up -v=9 output", marks=UPSTREAM_V9),
    "pulumi up -v=8 output", "shoporg up output",
    "shoporg drift output", "shoporg review output", "applied-review.md", "drift.json",
    "drift.md", "review.json", "review.md", "sandbox audit log",
)


@pytest.mark.slow
@pytest.mark.parametrize("name", [*KINDS_OF_ARTEFACT, "state files", "sandbox files",
                                  "journal", "pickled providers"])
def test_no_secret_appears_in_plaintext(
    applied: tuple[StackProject, list[Artefact]], name: str
) -> None:
    project, artefacts = applied
    prefix = {"state files": ".pulumi-state/", "sandbox files": ".sandbox/",
              "journal": ".shoporg/", "pickled providers": "pickled provider of "}.get(name)
    chosen = [a for a in artefacts if (a.name.startswith(prefix) if prefix else a.name == name)]
    assert chosen, f"nothing collected for {name}"
    secrets = known_secrets(project)
    leaks = [
        (a.name, s[:4] + "…")
        for a in chosen for s in secrets if any(form in a.data for form in spellings(s))
    ]
    assert leaks == []
    report(f"secrets: {name}", f"{len(secrets)} secrets × {len(chosen)} artefact(s), 0 found")
