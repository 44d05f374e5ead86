"""Render a :class:`~shoporg.reports.model.Review`: Markdown (PR comment) and JSON.

The plan is interpreted once; this module only lays it out. Markdown comes from
``templates/review.md.j2`` (jinja2, ``StrictUndefined``: a missing name is a bug, never an
empty string). GitHub refuses comments over 65,536 characters, so the Markdown is always
under :data:`MARKDOWN_LIMIT`: long sections collapse into ``<details>``, and if that is not
enough, lists are cut at ever smaller caps, with a notice pointing to the JSON report. The
JSON report is never cut (``json.dumps`` of :meth:`Review.to_json`, not a template: a
machine format wants exact escaping more than layout).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any, Final

import jinja2

from shoporg.reports.model import (
    RISK_CODES,
    SCHEMA,
    AccountSection,
    Change,
    DepartmentSection,
    ManualAccount,
    ManualPlatform,
    MatrixCell,
    MatrixRow,
    Review,
    Risk,
)

MARKDOWN_LIMIT: Final = 60_000
COLLAPSE_OVER: Final = 10  # list items before a section folds into <details>
TEMPLATES: Final = Path(__file__).parent / "templates"

BADGES: Final = {"create": "➕", "update": "✏️", "replace": "♻️", "delete": "➖", "effect": "↪️",
                  "disable": "⏸️", "enable": "▶️", "expiry": "⏳"}


@dataclass(frozen=True)
class Budget:
    people: int | None  # people per account section (None: all)
    risks: int | None  # risks per risk group
    matrix: int  # matrix rows
    pictures: bool
    steps: int | None = None  # manual steps per account (None: all)


# The pictures go last: the tree is capped (diagram.py, at most 20,000 characters), so it
# stays while lists are cut, until only the smallest lists are left.
BUDGETS: Final = (
    Budget(None, None, 60, True),
    Budget(150, 60, 30, True, 100),
    Budget(60, 30, 20, True, 40),
    Budget(25, 15, 20, True, 15),
    Budget(8, 8, 10, True, 8),
    Budget(0, 3, 10, True, 3),
    Budget(0, 3, 0, False, 3),
)


@dataclass(frozen=True)
class RiskGroup:
    title: str
    total: int
    risks: tuple[Risk, ...]
    collapse: bool

    @property
    def hidden(self) -> int:
        return self.total - len(self.risks)


@dataclass(frozen=True)
class SectionView:
    section: AccountSection
    departments: tuple[DepartmentSection, ...]
    people_total: int
    hidden: int
    collapse: bool


@dataclass(frozen=True)
class ManualView:
    """One platform's manual steps, each account's list cut to the budget."""

    platform: ManualPlatform
    accounts: tuple[tuple[ManualAccount, int], ...]  # (account, steps left out)
    collapse: bool


@dataclass(frozen=True)
class View:
    """What the template needs beyond the review: caps applied, labels, helpers."""

    source_line: str
    totals: dict[str, int]
    risk_groups: tuple[RiskGroup, ...]
    sections: tuple[SectionView, ...]
    manual: tuple[ManualView, ...]
    manual_operations: str  # "create 2 · update 1"
    show_pictures: bool
    matrix_rows: tuple[MatrixRow, ...]
    matrix_hidden: int
    truncated: str
    limit: int
    json_name: str

    @staticmethod
    def badge(op: str) -> str:
        return BADGES.get(op, op)

    @staticmethod
    def flags(change: Change) -> str:
        if not change.risks:
            return ""
        return " — ⚠️ " + ", ".join(RISK_CODES[r].lower() for r in change.risks)

    @staticmethod
    def cell(c: MatrixCell) -> str:
        parts = [_cell_text(r) for r in c.kept]
        parts += [f"<b>+{_cell_text(r)}</b>" for r in c.added]
        # A sign and a word, never strike-through alone: struck 财务 is unreadable and
        # struck 美工 reads 美王.
        parts += [f"<b>−</b>{_cell_text(r)} (lost)" for r in c.removed]
        return "<br>".join(parts) or "·"


# Text from org.yaml (names, nicks, runbooks) may come from a fork's pull request: it is
# rendered as exactly that text, never as Markdown or HTML. Every character that can start
# markup is written as a numeric character reference, which CommonMark/GFM show as the
# character itself, both in Markdown and inside the HTML blocks (<summary>) where backslash
# escapes would show. (Code spans take no references: see ``_code_span``.)
_MARKUP: Final = frozenset("&<>\\`*~[]|$@")
_LINE_START: Final = frozenset("-+=>#")  # list, setext, quote, heading: only at a line start
_LINE_BREAKS: Final = re.compile(r"[ \t]*(?:\r\n|\r|\n)(?:[ \t\r\n]*(?:\r\n|\r|\n))?")
_ORDERED: Final = re.compile(r"^(\d{1,9})([.)])")
_AUTOLINK: Final = re.compile(r"(?i)(?<=www)\.|:(?=//)|/(?=/)")  # www. scheme:// //host
_CODE: Final = re.compile(r"`([^`\r\n]+)`")
_NAMED: Final = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def _ref(ch: str) -> str:
    return _NAMED.get(ch) or f"&#{ord(ch)};"


def _md_line(line: str, *, at_start: bool = True) -> str:
    # An underscore between two letters or digits can neither open nor close emphasis.
    out = "".join(
        _ref(ch) if ch in _MARKUP or (ch == "_" and not (
            0 < i < len(line) - 1 and line[i - 1].isalnum() and line[i + 1].isalnum()))
        else ch
        for i, ch in enumerate(line)
    )
    out = _AUTOLINK.sub(lambda m: _ref(m.group()), out)
    out = _ORDERED.sub(lambda m: m.group(1) + _ref(m.group(2)), out)
    if not at_start:
        return out
    stripped = out.lstrip()  # any Unicode space: "** name**" would not open the bold
    indent = "".join(_ref(ch) for ch in out[: len(out) - len(stripped)])
    if stripped[:1] in _LINE_START:
        stripped = _ref(stripped[0]) + stripped[1:]
    return indent + stripped


def _lines(text: object) -> list[str]:
    """The lines of ``text``, blank ones dropped (a blank line ends a list item or a bold;
    one blank-only line is kept: it is the text)."""
    lines = [line for line in _LINE_BREAKS.split(str(text)) if line.strip()]
    return lines or [str(text).replace("\r", " ").replace("\n", " ")]


def _trailing(out: str) -> str:
    # Trailing blanks as references: "**name **" would not close the bold.
    stripped = out.rstrip()
    return stripped + "".join(_ref(ch) for ch in out[len(stripped):])


def _inline(text: object, *, at_start: bool, at_end: bool, sep: str) -> str:
    lines = _lines(text)
    out = sep.join(_md_line(line, at_start=at_start or (i > 0 and sep == "\n"))
                   for i, line in enumerate(lines))
    return _trailing(out) if at_end else out


def _md(text: object) -> str:
    """A name (or any one-line text) as literal Markdown inline text: line breaks become
    spaces, so it fits a heading, a bold span or a table cell."""
    return _inline(text, at_start=True, at_end=True, sep=" ")


_cell_text = _md  # a GFM table cell: the same one line, its | written as a reference


def _code_span(body: str, *, cell: bool = False) -> str:
    """``body`` as a whole code span (backticks included), shown literally: a fence longer
    than any run of backticks inside; in a table cell ``|`` is escaped (GFM splits cells
    before it reads code spans) and line breaks are spaces."""
    body = re.sub(r"\r\n|\r|\n", " ", body)
    if cell:
        body = body.replace("|", "\\|")
    fence = "`" * (max((len(r) for r in re.findall(r"`+", body)), default=0) + 1)
    pad = " " if body[:1] == "`" or body[-1:] == "`" or (
        body[:1] == " " and body[-1:] == " " and body.strip()) else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def _code_cell(text: object) -> str:
    return _code_span(str(text), cell=True)


def _sentence(text: object) -> str:
    """A domain sentence or runbook (interpret, runbooks): literal text, its line breaks
    kept (blank lines dropped), whose `quoted` parts (logins, commands) are code spans.
    Names inside stay literal either way: a code span shows its text as is, the rest is
    written as ``md`` writes it."""
    parts = _CODE.split(str(text))
    last = len(parts) - 1
    return "".join(
        _code_span(p) if i % 2 else _inline(p, at_start=i == 0, at_end=i == last, sep="\n")
        for i, p in enumerate(parts))


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown, not HTML: escaping is explicit via the md filter
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = _md
    env.filters["cell"] = _cell_text
    env.filters["code_cell"] = _code_cell
    env.filters["text"] = _sentence
    env.filters["js"] = lambda v: json.dumps(v, ensure_ascii=False)
    return env


def source_line(source: dict[str, Any]) -> str:
    kind = source.get("kind")
    if kind == "engine":
        return f"engine preview of stack {source.get('stack') or '(selected)'}"
    if kind == "preview-file":
        return f"saved preview {source.get('file')}"
    if kind == "config":
        return f"config-only: {source.get('old')} → {source.get('new')}"
    if kind == "drift":
        return f"refresh preview of stack {source.get('stack') or '(selected)'}"
    return str(kind)


def _view(review: Review, budget: Budget, json_name: str) -> View:
    groups: list[RiskGroup] = []
    hidden_risks = 0
    for code, title in RISK_CODES.items():
        risks = [r for r in review.risks if r.code == code]
        if not risks:
            continue
        kept = risks if budget.risks is None else risks[: budget.risks]
        hidden_risks += len(risks) - len(kept)
        groups.append(RiskGroup(title, len(risks), tuple(kept), len(risks) > COLLAPSE_OVER))
    sections: list[SectionView] = []
    # A person is in one section per account they change on: the notice counts each person
    # once (the sum over sections gave "2090 of 1000 people"), however many accounts cut them.
    left_out: set[str] = set()
    for s in review.sections:
        total = s.people_count
        room = total if budget.people is None else budget.people
        depts: list[DepartmentSection] = []
        for d in s.departments:
            if room <= 0:
                break
            people = d.people[:room]
            room -= len(people)
            depts.append(replace(d, people=people))
        shown = sum(len(d.people) for d in depts)
        left_out |= ({p.member for d in s.departments for p in d.people}
                     - {p.member for d in depts for p in d.people})
        lines = total + len(s.objects) + sum(len(p.changes) for d in depts for p in d.people)
        sections.append(SectionView(s, tuple(depts), total, total - shown,
                                    lines > COLLAPSE_OVER * 3))
    manual: list[ManualView] = []
    hidden_steps = 0
    for p in review.manual_steps:
        cut = tuple(
            (replace(a, steps=a.steps[:keep]), len(a.steps) - len(a.steps[:keep]))
            for a in p.accounts
            for keep in [len(a.steps) if budget.steps is None else budget.steps]
        )
        hidden_steps += sum(h for _, h in cut)
        manual.append(ManualView(p, cut, p.count > COLLAPSE_OVER))
    matrix = review.matrix[: budget.matrix] if budget.pictures else ()
    notes = []
    if left_out:
        notes.append(f"{len(left_out)} of {len(review.people)} people's changes left out")
    if hidden_risks:
        notes.append(f"{hidden_risks} of {len(review.risks)} risk lines left out")
    if hidden_steps:
        notes.append(f"{hidden_steps} of {review.manual_step_count} manual steps left out")
    if review.mermaid and not budget.pictures:
        notes.append("department tree and access matrix left out")
    return View(
        source_line=source_line(review.source),
        totals=review.totals(),
        risk_groups=tuple(groups),
        sections=tuple(sections),
        manual=tuple(manual),
        manual_operations=" · ".join(
            f"{op} {n}" for op, n in review.manual_operation_counts().items()),
        show_pictures=budget.pictures,
        matrix_rows=tuple(matrix),
        matrix_hidden=len(review.matrix) - len(matrix) if budget.pictures else 0,
        truncated="; ".join(notes),
        limit=MARKDOWN_LIMIT,
        json_name=json_name,
    )


def render_markdown(review: Review, *, json_name: str = "review.json",
                    limit: int = MARKDOWN_LIMIT) -> str:
    """The PR comment, at the most detailed budget that fits under ``limit`` characters."""
    template = environment().get_template("review.md.j2")
    text = ""
    for budget in BUDGETS:
        view = replace(_view(review, budget, json_name), limit=limit)
        text = template.render(review=review, view=view, schema=SCHEMA)
        if len(text) < limit:
            return text
    return text[: limit - 200] + "\n\n> [!WARNING]\n> Cut at the size limit; see the JSON report.\n"


def render_json(review: Review) -> str:
    return json.dumps(review.to_json(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"
