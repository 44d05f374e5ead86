"""The whole organization on one page: a self-contained HTML report people open and print.

::

    org_page(org, today, steps=ledger.steps("open"))        # shoporg report --html
    review_page(review, proposed_org)                        # shoporg review --html
    drift_page(report, org, today, steps)                    # shoporg drift --html

One model (:class:`OrgPage`) rendered by ``templates/report.html.j2`` (autoescaped): the
department tree as nested boxes (HTML/CSS, no script needed), the access matrix person × shop
× roles (high-risk permissions and toxic pairs marked, from the platform catalogues and
:func:`shoporg.reports.risks.find_risks`), the open manual steps (the worklist), seats used
per account, and for a review or drift the changes, highlighted. Everything is inlined (no
network, no fonts fetched); a little script filters the matrix by platform and department
and, without it, everything is shown. Built from the kinds registry's desired world.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import jinja2

from shoporg.backends.ledger import Step as LedgerStep
from shoporg.kinds import BY_WORD, ROLE_GRANT, SUB_ACCOUNT, Ref, desired_world
from shoporg.platforms import CATALOGUES
from shoporg.reports.context import Context, holdings, names
from shoporg.reports.drift import DriftReport
from shoporg.reports.model import Review
from shoporg.reports.render import TEMPLATES
from shoporg.reports.risks import find_risks
from shoporg.reports.worklist import Worklist, worklist
from shoporg.reports.world import Obj, Plan, objects
from shoporg.runbooks import PLATFORM_NAMES
from shoporg.schema import Org

SCHEMA: Final = "shoporg.report-html/v1"
NO_DEPARTMENT: Final = "(no department)"


@dataclass
class Person:
    id: str
    name: str
    status: str  # active | left
    mark: str = ""  # added | removed | changed | "" (nothing to highlight)


@dataclass
class DeptNode:
    id: str | None
    name: str
    people: list[Person] = field(default_factory=list)
    children: list[DeptNode] = field(default_factory=list)

    @property
    def size(self) -> int:
        """People in this department and below."""
        return len(self.people) + sum(c.size for c in self.children)


@dataclass(frozen=True)
class Column:
    shop: str
    name: str
    account: str
    platform: str


@dataclass(frozen=True)
class Cell:
    roles: tuple[str, ...] = ()  # held (after the change)
    added: tuple[str, ...] = ()  # of ``roles``: new with the change
    removed: tuple[str, ...] = ()  # held before, gone after
    high_risk: str = ""  # the catalogue names of the high-risk permissions held here
    toxic: str = ""  # the toxic pair's reason, when this person holds one on this account

    @property
    def blank(self) -> bool:
        return not self.roles and not self.removed


@dataclass(frozen=True)
class Row:
    member: str
    name: str
    department: str  # the path, 客服部 / 售前
    departments: str  # the ids from the root down, space-separated (the filter's key)
    status: str
    mark: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Seats:
    account: str
    platform: str
    nick: str
    used: int  # declared sub-accounts (disabled ones still hold a seat)
    enabled: int
    quota: int

    @property
    def over(self) -> bool:
        return self.used > self.quota

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.used / self.quota)) if self.quota else 100


@dataclass(frozen=True)
class ChangeLine:
    mark: str  # added | removed | changed | risk
    account: str
    text: str
    detail: str = ""


@dataclass
class OrgPage:
    kind: str  # report | review | drift
    title: str
    company: str
    today: str
    tree: list[DeptNode]
    columns: list[Column]
    rows: list[Row]
    seats: list[Seats]
    work: Worklist | None
    toxic: list[str] = field(default_factory=list)
    changes: list[ChangeLine] = field(default_factory=list)
    summary: str = ""
    platforms: list[tuple[str, str]] = field(default_factory=list)  # (code, title)
    departments: list[tuple[str, str]] = field(default_factory=list)  # (id, path)
    schema: str = SCHEMA

    @property
    def people(self) -> int:
        return len(self.rows)


# --- building ---------------------------------------------------------------------------


def _context(org: Org, world: Mapping[Ref, Obj], today: datetime.date) -> Context:
    """A context whose plan holds the whole world as new (nothing before): every holding is
    "held", so the review's risk rules report every toxic pair held today."""
    return Context(org, None, Plan({}, world, ()), today)


def _toxic(ctx: Context) -> dict[tuple[str, str], str]:
    """(account, member) → the reason of a toxic pair they hold (the review's rule)."""
    out: dict[tuple[str, str], str] = {}
    for risk in find_risks(ctx, []):
        if risk.code == "toxic_pair" and risk.member is not None:
            out.setdefault((risk.account, risk.member), risk.text)
    return out


def _roles(world: Mapping[Ref, Obj], ctx: Context, account: str, member: str,
           shop: str) -> tuple[str, ...]:
    grant = world.get(ROLE_GRANT.ref(account, member, shop))
    sub = world.get(SUB_ACCOUNT.ref(account, member))
    if grant is None or sub is None or not sub.get("enabled", True):
        return ()
    return tuple(sorted(ctx.role_name(account, r, world) for r in grant.get("role_ids") or []))


def _tree(org: Org, ctx: Context, marks: Mapping[str, str],
          extra: Iterable[tuple[str, str | None]] = ()) -> list[DeptNode]:
    nodes: dict[str, DeptNode] = {}
    roots: list[DeptNode] = []
    for dept, parent in org.walk_departments():
        node = DeptNode(dept.id, dept.name)
        nodes[dept.id] = node
        (nodes[parent.id].children if parent is not None else roots).append(node)
    loose = DeptNode(None, NO_DEPARTMENT)
    people = [(m.id, m.department) for m in org.members] + list(extra)
    for member, home in people:
        person = Person(member, ctx.member_name(member), ctx.status(member),
                        marks.get(member, ""))
        (nodes[home] if home is not None and home in nodes else loose).people.append(person)
    return roots + ([loose] if loose.people else [])


def _columns(org: Org) -> list[Column]:
    return [Column(s.id, s.name, a.id, a.platform) for a in org.accounts for s in a.shops]


def _seats(org: Org, world: Mapping[Ref, Obj]) -> list[Seats]:
    used: dict[str, int] = {}
    enabled: dict[str, int] = {}
    for o in world.values():
        if o.kind == SUB_ACCOUNT.word:
            used[o.account] = used.get(o.account, 0) + 1
            enabled[o.account] = enabled.get(o.account, 0) + bool(o.get("enabled", True))
    return [Seats(a.id, a.platform, a.nick, used.get(a.id, 0), enabled.get(a.id, 0),
                  a.seat_quota) for a in org.accounts]


def _rows(org: Org, ctx: Context, world: Mapping[Ref, Obj], columns: list[Column],
          marks: Mapping[str, str],
          before: Mapping[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]]
          | None = None,
          extra: Iterable[tuple[str, str | None]] = ()) -> list[Row]:
    """One row per person (org.yaml order, then people only the change knows); ``before``:
    (member, shop) → (added, removed) role names of a review."""
    held = holdings(world, ctx)
    toxic = _toxic(ctx)
    rows: list[Row] = []
    people = [(m.id, m.department) for m in org.members] + list(extra)
    for member, dept in people:
        chain = ctx.department_chain(dept)
        cells: list[Cell] = []
        for col in columns:
            roles = _roles(world, ctx, col.account, member, col.shop)
            added, removed = (before or {}).get((member, col.shop), ((), ()))
            cat = CATALOGUES.get(col.platform)
            codes = held.get((col.account, member, col.shop), frozenset())
            risky = cat.high_risk(codes) if cat is not None else frozenset()
            cells.append(Cell(
                roles=roles, added=tuple(r for r in added if r in roles),
                removed=tuple(r for r in removed if r not in roles),
                high_risk=names(risky, cat) if risky else "",
                toxic=toxic.get((col.account, member), "") if roles else "",
            ))
        rows.append(Row(member, ctx.member_name(member),
                        " / ".join(n for _, n in chain) or NO_DEPARTMENT,
                        " ".join(d for d, _ in chain), ctx.status(member),
                        marks.get(member, ""), tuple(cells)))
    return rows


def _page(kind: str, title: str, org: Org, today: datetime.date, *,
          steps: Iterable[LedgerStep] | None, marks: Mapping[str, str] | None = None,
          before: Mapping[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]]
          | None = None, extra: Iterable[tuple[str, str | None]] = (),
          changes: list[ChangeLine] | None = None, summary: str = "") -> OrgPage:
    world = objects(desired_world(org, today))
    ctx = _context(org, world, today)
    marks = marks or {}
    extra = list(extra)
    columns = _columns(org)
    platforms = list(dict.fromkeys(c.platform for c in columns))
    toxic = sorted(set(_toxic(ctx).values()))
    return OrgPage(
        kind=kind, title=title, company=org.company, today=today.isoformat(),
        tree=_tree(org, ctx, marks, extra), columns=columns,
        rows=_rows(org, ctx, world, columns, marks, before, extra),
        seats=_seats(org, world), work=worklist(steps) if steps is not None else None,
        toxic=toxic, changes=changes or [], summary=summary,
        platforms=[(p, PLATFORM_NAMES.get(p, p)) for p in platforms],
        departments=[(d.id, " / ".join(n for _, n in ctx.department_chain(d.id)))
                     for d, _ in org.walk_departments()],
    )


def org_page(org: Org, today: datetime.date,
             steps: Iterable[LedgerStep] | None = None) -> OrgPage:
    """The whole organization as org.yaml declares it (``shoporg report``)."""
    return _page("report", f"{org.company} — organization", org, today, steps=steps,
                 summary=f"{len(org.members)} people, {len(_columns(org))} shops on "
                 f"{len(org.accounts)} accounts")


def review_page(review: Review, org: Org) -> OrgPage:
    """The proposed organization with what the change does highlighted (``review --html``).

    ``org`` is the proposed org.yaml; people the change removes stay on the page (struck)."""
    today = datetime.date.fromisoformat(review.today)
    known = {m.id for m in org.members}
    shops = review.matrix_shops
    before: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for matrix_row in review.matrix:
        for shop, change in zip(shops, matrix_row.cells, strict=True):
            if change.added or change.removed:
                before[(matrix_row.member, shop)] = (change.added, change.removed)
    extra = [(m, None) for m in review.people if m not in known]
    changes = [ChangeLine("risk", r.account, r.text, r.title) for r in review.risks]
    changes += [ChangeLine(_MARK.get(c.op, "changed"), c.account, c.text) for c in
                review.changes]
    totals = review.totals()
    summary = ("no changes" if review.empty else
               ", ".join(f"{n} to {op}" for op, n in totals.items() if n)
               + f"; {len(review.risks)} risk{'s' if len(review.risks) != 1 else ''}")
    page = _page("review", f"{review.company} — review", org, today, steps=None,
                 marks=review.people, before=before, extra=extra, changes=changes,
                 summary=summary)
    if extra:  # removed people: their removed roles, on the shops they held
        index = {c.shop: i for i, c in enumerate(page.columns)}
        fixed: list[Row] = []
        for row in page.rows:
            if row.member in known:
                fixed.append(row)
                continue
            cells = list(row.cells)
            for (member, shop), (_, removed) in before.items():
                if member == row.member and shop in index:
                    cells[index[shop]] = Cell(removed=removed)
            fixed.append(Row(row.member, row.name, row.department, row.departments,
                             row.status, "removed", tuple(cells)))
        page.rows = fixed
    return page


_MARK: Final = {"create": "added", "delete": "removed", "replace": "changed",
                "update": "changed", "effect": "changed"}
_DRIFT_MARK: Final = {"changed": "changed", "missing": "removed",
                      "undeclared-in-state": "changed"}


def _member_of(kind: str, name: str) -> str | None:
    found = BY_WORD.get(kind)
    if found is None or "member" not in found.fields:
        return None
    return found.parse(name).get("member")


def drift_page(report: DriftReport, org: Org, today: datetime.date,
               steps: Iterable[LedgerStep] | None = None) -> OrgPage:
    """The declared organization with what differs live highlighted (``drift --html``)."""
    marks: dict[str, str] = {}
    changes: list[ChangeLine] = []
    for d in report.drifted:
        detail = "; ".join(f"{k}: declared {a!r}, live {b!r}" for k, a, b in d.fields)
        changes.append(ChangeLine(_DRIFT_MARK.get(d.what, "changed"), d.account,
                                  f"{d.kind.replace('_', ' ')} {d.name}: {d.what}", detail))
        member = _member_of(d.kind, d.name)
        if member:
            marks[member] = "changed"
    for u in report.unmanaged:
        changes.append(ChangeLine("added", u.account, f"not in org.yaml: {u.detail}"))
    for v in report.unverified:
        changes.append(ChangeLine("risk", v.account, f"unverified {v.kind.replace('_', ' ')} "
                                  f"{v.name}: last confirmed {v.last_verified} "
                                  f"({v.age_days} days ago)"))
    for s in report.overdue:  # open longer than policies.step_age_days
        changes.append(ChangeLine("risk", s.account, f"overdue step #{s.id}: {s.operation} "
                                  f"{s.kind.replace('_', ' ')} {s.name}, open {s.age_days} "
                                  f"days (since {s.raised_at})"))
    for s in report.waiting:  # work still open, not drift
        changes.append(ChangeLine("changed", s.account, f"waiting for step #{s.id}: "
                                  f"{s.waiting}"))
    for n in report.not_applied:  # declared, never applied: the next `shoporg up` makes it
        changes.append(ChangeLine("added", n.account, f"not applied yet: {n.line}"))
    summary = ("no drift" if report.clean else
               f"{len(report.drifted)} changed, {len(report.unmanaged)} not in org.yaml, "
               f"{len(report.unverified)} unverified, {len(report.overdue)} overdue steps"
               ) + f"; {len(report.open_steps)} manual steps open" + (
               f"; {len(report.not_applied)} not applied yet" if report.not_applied else "")
    stack = f" ({report.stack})" if report.stack else ""
    return _page("drift", f"{org.company} — drift{stack}", org, today, steps=steps,
                 marks=marks, changes=changes, summary=summary)


# --- rendering --------------------------------------------------------------------------


def render_html(page: OrgPage) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
    )
    return env.get_template("report.html.j2").render(page=page)


def write_html(path: Path, page: OrgPage) -> None:
    path.write_text(render_html(page), encoding="utf-8")
