"""The evidence pack: what an auditor asks for, over a period, in one verifiable folder.

"Who had refund approval on which shop between April and June, who approved it, when was it
last reviewed?" Every answer is already recorded somewhere — org.yaml's git history (each
change, its author and committer), the apply journal (what was applied when, with the hash
of the org.yaml it applied), the manual-step ledger (each step raised and who confirmed it,
when, with what note), its attestations and access-review decisions, and the drift runs it
records (``shoporg drift``: exit code, counts, findings). :func:`collect` assembles them
for ``[start, end]`` (dates, both included) and :func:`write_pack` writes::

    index.html            a self-contained page: the period, its counts, every table
    pack.json             the period, the stack, the commits at its start and end, counts
    changes.{json,csv}    every change org.yaml's commits made in the period, per person and
                          object, with the commit, its author and committer (the approver of
                          record: who merged it), the apply that carried it and the manual
                          step that confirmed it where a person had to
    applies.{json,csv}    the journal's applies in the period, each with the commit whose
                          org.yaml it applied (matched by the file's SHA-256)
    manual-steps.{json,csv}  steps raised, confirmed or skipped in the period, with events
    attestations.{json,csv}  access reviews recorded in the period
    access-decisions.{json,csv}  keep / revoke / flag per line of an access review, by whom,
                          when, with the note (the default's too, for lines nobody decided)
    drift-runs.{json,csv}  each ``shoporg drift`` of the period: exit code, counts, findings
    access-start.csv, access-end.csv   who held which roles on which shop, as org.yaml
                          declared at the start and at the end of the period
    MANIFEST.sha256       the SHA-256 of every file above (``sha256sum -c`` reads it too)

:func:`verify` recomputes the manifest: a changed, missing or added file fails it. Nothing
secret goes in: the journal holds counts and hashes, the ledger's rows here hold objects,
operations and people, never desired values.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import subprocess
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import jinja2

from shoporg.backends.ledger.store import Ledger
from shoporg.backends.settings import BackendSettings
from shoporg.errors import ShoporgError
from shoporg.kinds import ROLE_GRANT, desired_world
from shoporg.reports import journal
from shoporg.reports.build import review_from_orgs
from shoporg.reports.sources import org_from_text
from shoporg.schema import Org

SCHEMA: Final = "shoporg.evidence/v1"
MANIFEST: Final = "MANIFEST.sha256"
TEMPLATE = Path(__file__).with_name("templates") / "evidence.html.j2"
_SEP = "\x1f"


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    committer: str  # who merged it: the approver of record
    at: datetime.datetime
    subject: str
    org_sha256: str  # of org.yaml as committed
    text: str


@dataclass
class Pack:
    start: datetime.date
    end: datetime.date
    stack: str | None
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    access: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # start / end
    meta: dict[str, Any] = field(default_factory=dict)


def _git(args: Sequence[str], cwd: Path) -> bytes:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        err = getattr(exc, "stderr", b"") or b""
        raise ShoporgError(
            f"evidence: git {' '.join(args)} failed in {cwd}: "
            f"{err.decode(errors='replace').strip() or exc}; the pack needs org.yaml's git "
            "history (run it in the org repository's clone, with its history fetched)"
        ) from None


def org_history(org_path: Path) -> list[Commit]:
    """Every commit that changed ``org_path``, oldest first, with the file as committed."""
    cwd, name = org_path.parent, org_path.name
    fmt = _SEP.join(("%H", "%an <%ae>", "%cn <%ce>", "%cI", "%s"))
    out = _git(["log", "--reverse", f"--format={fmt}", "--", name], cwd).decode()
    commits = []
    for line in out.splitlines():
        sha, author, committer, at, subject = line.split(_SEP, 4)
        blob = _git(["show", f"{sha}:./{name}"], cwd)
        commits.append(Commit(sha, author, committer, datetime.datetime.fromisoformat(at),
                              subject, hashlib.sha256(blob).hexdigest(),
                              blob.decode("utf-8-sig")))
    return commits


def _day(at: datetime.datetime) -> datetime.date:
    return at.astimezone(datetime.UTC).date()


def _in(at: datetime.datetime, start: datetime.date, end: datetime.date) -> bool:
    return start <= _day(at) <= end


def _org(commit: Commit | None, name: str) -> Org | None:
    return None if commit is None else org_from_text(commit.text, f"{commit.sha[:12]}:{name}")


def access_matrix(org: Org | None, on: datetime.date) -> list[dict[str, Any]]:
    """Who holds which roles (and so which permissions) on which shop, as ``org`` declares
    it on day ``on``."""
    if org is None:
        return []
    roles = {r.id: r for r in org.roles}
    people = {m.id: m for m in org.members}
    rows = []
    for ref, desired in desired_world(org, on).items():
        if ref.kind != ROLE_GRANT.word:
            continue
        member = people.get(str(desired.get("member_id")))
        role_ids = sorted(desired.get("role_ids") or ())
        rows.append({
            "member": str(desired.get("member_id")),
            "name": member.name if member else "",
            "department": member.department if member else "",
            "account": desired.account, "shop": str(desired.get("shop_id")),
            "roles": " ".join(role_ids),
            "permissions": " ".join(sorted({p for r in role_ids if r in roles
                                            for p in roles[r].permissions})),
            "object": ref.name,
        })
    return sorted(rows, key=lambda r: (r["member"], r["account"], r["shop"]))


def collect(root: Path, org_path: Path, settings: BackendSettings, start: datetime.date,
            end: datetime.date) -> Pack:
    """Everything recorded about the organization between ``start`` and ``end``."""
    if end < start:
        raise ShoporgError(f"evidence: --to {end} is before --from {start}")
    history = org_history(org_path)
    by_hash: dict[str, Commit] = {}
    for commit in history:
        by_hash.setdefault(commit.org_sha256, commit)
    pack = Pack(start, end, settings.stack)

    applies = []
    for entry in journal.read(root):
        at = datetime.datetime.fromisoformat(entry["at"])
        if settings.stack is not None and entry.get("stack") not in (None, settings.stack):
            continue
        applied = by_hash.get(entry.get("org_sha256", ""))
        applies.append({
            "at": entry["at"], "who": entry.get("who"), "stack": entry.get("stack"),
            "result": entry.get("result"), "reason": entry.get("reason"),
            "org_sha256": entry.get("org_sha256"), "plan_sha256": entry.get("plan_sha256"),
            "commit": applied.sha if applied else None,
            "commit_author": applied.author if applied else None,
            **{f"summary_{op}": n for op, n in sorted((entry.get("summary") or {}).items())},
            "_at": at,
        })

    ledger = Ledger(settings.ledger_path, stack=settings.stack)
    steps = ledger.steps()
    events = {s.id: ledger.history(s.id) for s in steps}

    def confirmation(kind: str, name: str, after: datetime.datetime) -> dict[str, Any] | None:
        for step in steps:
            if (step.kind, step.name) == (kind, name) and step.raised_at >= after:
                done = [e for e in events[step.id] if e["state"] in ("done", "skipped")]
                last = done[-1] if done else None
                return {"step": step.id, "state": step.state,
                        "by": last["by"] if last else None, "at": last["at"] if last else None,
                        "note": last["note"] if last else None}
        return None

    changes = []
    for index, commit in enumerate(history):
        if not _in(commit.at, start, end):
            continue
        before = history[index - 1] if index else None
        later = {c.org_sha256 for c in history[index:]}
        carried = next((a for a in applies if a["org_sha256"] in later
                        and a["_at"] >= commit.at and a["result"] != "failed"), None)
        after = org_from_text(commit.text, f"{commit.sha[:12]}:{org_path.name}")
        review = review_from_orgs(
            _org(before, org_path.name) or nothing_declared(after), after,
            today=_day(commit.at), source={"kind": "evidence", "commit": commit.sha},
            connectors=settings,
        )
        for change in review.changes:
            confirmed = (confirmation(change.kind, change.name, commit.at)
                         if carried is not None else None)
            changes.append({
                "commit": commit.sha, "committed_at": commit.at.isoformat(),
                "author": commit.author, "approver": commit.committer,
                "subject": commit.subject, "member": change.member,
                "member_name": change.member_name, "account": change.account,
                "kind": change.kind, "object": change.name, "op": change.op,
                "change": change.text,
                "permissions_gained": " ".join(change.permissions_gained),
                "permissions_lost": " ".join(change.permissions_lost),
                "risks": " ".join(change.risks),
                "applied_at": carried["at"] if carried else None,
                "applied_by": carried["who"] if carried else None,
                "confirmed_step": confirmed["step"] if confirmed else None,
                "confirmed_state": confirmed["state"] if confirmed else None,
                "confirmed_by": confirmed["by"] if confirmed else None,
                "confirmed_at": confirmed["at"] if confirmed else None,
                "confirmed_note": confirmed["note"] if confirmed else None,
            })

    manual = []
    for step in steps:
        in_period = [e for e in events[step.id]
                     if _in(datetime.datetime.fromisoformat(e["at"]), start, end)]
        if not in_period and not _in(step.raised_at, start, end):
            continue
        manual.append({
            "id": step.id, "kind": step.kind, "object": step.name, "account": step.account,
            "platform": step.platform, "operation": step.operation, "person": step.person,
            "raised_at": step.raised_at.isoformat(), "raised_by": step.raised_by,
            "state": step.state, "events": " | ".join(
                f"{e['at']} {e['state']} by {e['by']}" + (f": {e['note']}" if e["note"] else "")
                for e in events[step.id]),
        })

    attested = [
        {k: a[k] for k in ("seq", "kind", "name", "account", "by", "at", "note")}
        for a in ledger.attestations()
        if _in(datetime.datetime.fromisoformat(a["at"]), start, end)
    ]

    decided = [d for d in ledger.decisions()
               if _in(datetime.datetime.fromisoformat(d["at"]), start, end)]
    drift_runs = [
        {"at": r["at"], "stack": r["stack"], "by": r["by"], "exit_code": r["exit_code"],
         **{f"{k}": v for k, v in sorted(r["counts"].items())},
         "findings": " | ".join(f"{f['finding']} {f['kind']} {f['name']}: {f['text']}"
                                for f in r["findings"])}
        for r in ledger.drift_runs() if _in(datetime.datetime.fromisoformat(r["at"]), start, end)
    ]

    def at_day(day: datetime.date) -> Commit | None:
        return next((c for c in reversed(history) if _day(c.at) <= day), None)

    first, last = at_day(start), at_day(end)
    pack.access = {"start": access_matrix(_org(first, org_path.name), start),
                   "end": access_matrix(_org(last, org_path.name), end)}
    pack.tables = {
        "changes": changes,
        "applies": [{k: v for k, v in a.items() if k != "_at"} for a in applies
                    if _in(a["_at"], start, end)],
        "manual-steps": manual, "attestations": attested, "access-decisions": decided,
        "drift-runs": drift_runs,
    }
    pack.meta = {
        "schema": SCHEMA, "from": start.isoformat(), "to": end.isoformat(),
        "stack": settings.stack, "org_file": org_path.name,
        "commit_at_start": first.sha if first else None,
        "commit_at_end": last.sha if last else None,
        "counts": {name: len(rows) for name, rows in pack.tables.items()},
    }
    return pack


def nothing_declared(org: Org) -> Org:
    """Before org.yaml's first commit: the accounts and shops existed (a seller centre has
    them before shoporg), nothing shoporg manages did."""
    return org.model_copy(update={name: [] for name in DECLARED_SECTIONS})


#: Every list section of org.yaml but the platform facts (``accounts``): what shoporg
#: manages, read from the model so a new kind's section is emptied without a word here.
DECLARED_SECTIONS: Final[tuple[str, ...]] = tuple(
    name for name, f in Org.model_fields.items()
    if typing.get_origin(f.annotation) is list and name != "accounts")


def _csv(rows: Sequence[Mapping[str, Any]]) -> str:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def render_html(pack: Pack) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE.parent)),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    return env.get_template(TEMPLATE.name).render(pack=pack)


def manifest_of(out: Path, names: Iterable[str]) -> str:
    return "".join(f"{hashlib.sha256((out / n).read_bytes()).hexdigest()}  {n}\n"
                   for n in sorted(names))


def write_pack(pack: Pack, out: Path) -> list[str]:
    """Write the pack into ``out`` (created; refused when it holds files already, so an old
    pack is never half-overwritten) and return the file names, manifest last."""
    if out.exists() and any(out.iterdir()):
        raise ShoporgError(f"evidence: {out} is not empty; choose a new directory for the pack")
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {"pack.json": _json(pack.meta)}
    for name, rows in pack.tables.items():
        files[f"{name}.json"] = _json(rows)
        files[f"{name}.csv"] = _csv(rows)
    for when, rows in pack.access.items():
        files[f"access-{when}.csv"] = _csv(rows)
    files["index.html"] = render_html(pack)
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    (out / MANIFEST).write_text(manifest_of(out, files), encoding="utf-8")
    return [*sorted(files), MANIFEST]


def verify(out: Path) -> list[str]:
    """What is wrong with the pack in ``out``: files changed, missing or added since it was
    written (empty: the pack is as written)."""
    manifest = out / MANIFEST
    if not manifest.is_file():
        return [f"{manifest}: missing (not an evidence pack, or its manifest was removed)"]
    listed: dict[str, str] = {}
    problems = []
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or "/" in name or name in ("", MANIFEST):
            problems.append(f"{manifest}:{number}: not a manifest line")
            continue
        listed[name] = digest
    for name, digest in sorted(listed.items()):
        path = out / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            problems.append(f"{name}: changed since the pack was written (SHA-256 differs)")
    for path in sorted(out.iterdir()):
        if path.name != MANIFEST and path.name not in listed:
            problems.append(f"{path.name}: not in the manifest (added after the pack was written)")
    return problems
