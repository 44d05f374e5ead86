"""The operator's worklist: open manual steps, grouped the way a person works them.

    platform → account → seller-centre page → person → steps (oldest first)

A step that names no person (a department, a role, a chat group, a binding...) is grouped
with the page's other steps of its kind, headed by the kind's label from the registry
("departments"), never under a made-up person. One model (:func:`worklist`) rendered as
Markdown (CI, PR comments), JSON (machines) or a self-contained printable HTML checklist;
``shoporg tasks`` prints it and records confirmations in the ledger.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import jinja2

from shoporg.backends.ledger import Step
from shoporg.kinds import BY_WORD
from shoporg.reports.render import TEMPLATES, environment
from shoporg.runbooks import PLATFORM_NAMES

K = TypeVar("K")
G = TypeVar("G")

SCHEMA: Final = "shoporg.tasks/v1.1"


def kind_label(word: str) -> str:
    """A kind as people read it ("sub-account"): the registry's label; an unknown word (a
    step of a newer version's kind in the ledger) as it is written, spaced."""
    kind = BY_WORD.get(word)
    return kind.label if kind is not None else word.replace("_", " ")


@dataclass
class StepGroup:
    """One person's steps on a page, or (``person`` None) the page's steps of one kind
    that name no person: a department, a role, a chat group, a binding."""

    person: str | None
    kind: str | None = None
    steps: list[Step] = field(default_factory=list)

    @property
    def title(self) -> str:
        """The group's heading: the person, or the kind's label in the plural."""
        if self.person is not None:
            return self.person
        return f"{kind_label(self.kind or '')}s"


@dataclass
class PageGroup:
    page: str
    groups: list[StepGroup] = field(default_factory=list)


@dataclass
class AccountGroup:
    account: str
    pages: list[PageGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(g.steps) for page in self.pages for g in page.groups)


@dataclass
class PlatformGroup:
    platform: str
    title: str
    accounts: list[AccountGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(a.count for a in self.accounts)


@dataclass
class Worklist:
    platforms: list[PlatformGroup]
    total: int

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "open": self.total,
            "platforms": [
                {"platform": p.platform, "open": p.count, "accounts": [
                    {"account": a.account, "open": a.count, "pages": [
                        {"page": page.page, "people": [
                            {"person": g.person, "kind": g.kind,
                             "steps": [s.to_json() for s in g.steps]}
                            for g in page.groups
                        ]} for page in a.pages
                    ]} for a in p.accounts
                ]} for p in self.platforms
            ],
        }


def worklist(steps: Iterable[Step]) -> Worklist:
    """Group open steps; groups are ordered by their oldest step, steps oldest first. A
    step for no one joins its page's group of that kind (see the module docstring)."""
    ordered = sorted(steps, key=lambda s: (s.raised_at, s.id))
    platforms: list[PlatformGroup] = []
    # Each group by its path, so a thousand steps are a thousand look-ups, not a scan each.
    by_platform: dict[str, PlatformGroup] = {}
    by_account: dict[tuple[str, str], AccountGroup] = {}
    by_page: dict[tuple[str, str, str], PageGroup] = {}
    by_group: dict[tuple[str, str, str, str | None, str | None], StepGroup] = {}
    for s in ordered:
        page_name = s.page or "(seller centre)"
        person, kind = (s.person, None) if s.person else (None, s.kind)
        platform = _child(by_platform, s.platform, platforms, PlatformGroup,
                          s.platform, PLATFORM_NAMES.get(s.platform, s.platform))
        account = _child(by_account, (s.platform, s.account), platform.accounts, AccountGroup,
                         s.account)
        page = _child(by_page, (s.platform, s.account, page_name), account.pages, PageGroup,
                      page_name)
        _child(by_group, (s.platform, s.account, page_name, person, kind), page.groups,
               StepGroup, person, kind).steps.append(s)
    return Worklist(platforms, len(ordered))


def _child(index: dict[K, G], key: K, siblings: list[G], make: Callable[..., G],
           *fields: Any) -> G:
    """The group at ``key``, made from ``fields`` and appended to ``siblings`` the first
    time."""
    found = index.get(key)
    if found is None:
        found = index[key] = make(*fields)
        siblings.append(found)
    return found


def render_worklist_markdown(work: Worklist) -> str:
    return environment().get_template("tasks.md.j2").render(work=work, schema=SCHEMA,
                                                            kind_label=kind_label)


def render_worklist_html(work: Worklist) -> str:
    """One self-contained page (no network: styles inline) to print and tick off."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
    )
    return env.get_template("tasks.html.j2").render(work=work, schema=SCHEMA,
                                                    kind_label=kind_label)


def render_worklist_json(work: Worklist) -> str:
    return json.dumps(work.to_json(), ensure_ascii=False, indent=2) + "\n"
