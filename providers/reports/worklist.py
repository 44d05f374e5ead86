"""The operator's worklist: open manual steps, grouped the way a person works them.

    platform → account → seller-centre page → person → steps (oldest first)

One model (:func:`worklist`) rendered as Markdown (CI, PR comments), JSON (machines) or a
self-contained printable HTML checklist;
``shoporg tasks`` prints it and records confirmations in the ledger.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

import jinja2

from providers.backends.ledger import Step
from providers.reports.render import TEMPLATES, environment
from providers.runbooks import PLATFORM_NAMES

SCHEMA: Final = "shoporg.tasks/v1"


@dataclass
class PersonGroup:
    person: str
    steps: list[Step] = field(default_factory=list)


@dataclass
class PageGroup:
    page: str
    people: list[PersonGroup] = field(default_factory=list)


@dataclass
class AccountGroup:
    account: str
    pages: list[PageGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(p.steps) for page in self.pages for p in page.people)


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
                        {"page": g.page, "people": [
                            {"person": person.person,
                             "steps": [s.to_json() for s in person.steps]}
                            for person in g.people
                        ]} for g in a.pages
                    ]} for a in p.accounts
                ]} for p in self.platforms
            ],
        }


NOBODY: Final = "(no one in particular)"


def worklist(steps: Iterable[Step]) -> Worklist:
    """Group open steps; groups are ordered by their oldest step, steps oldest first."""
    ordered = sorted(steps, key=lambda s: (s.raised_at, s.id))
    platforms: dict[str, PlatformGroup] = {}
    for s in ordered:
        platform = platforms.setdefault(
            s.platform, PlatformGroup(s.platform, PLATFORM_NAMES.get(s.platform, s.platform)))
        account = _find(platform.accounts, "account", s.account, AccountGroup)
        page = _find(account.pages, "page", s.page or "(seller centre)", PageGroup)
        person = _find(page.people, "person", s.person or NOBODY, PersonGroup)
        person.steps.append(s)
    return Worklist(list(platforms.values()), len(ordered))


def _find(groups: list[Any], key: str, value: str, make: Any) -> Any:
    for group in groups:
        if getattr(group, key) == value:
            return group
    group = make(value)
    groups.append(group)
    return group


def render_worklist_markdown(work: Worklist) -> str:
    return environment().get_template("tasks.md.j2").render(work=work, schema=SCHEMA)


def render_worklist_html(work: Worklist) -> str:
    """One self-contained page (no network: styles inline) to print and tick off."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
    )
    return env.get_template("tasks.html.j2").render(work=work, schema=SCHEMA)


def render_worklist_json(work: Worklist) -> str:
    return json.dumps(work.to_json(), ensure_ascii=False, indent=2) + "\n"
