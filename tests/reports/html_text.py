"""Markdown as GitHub shows it, for tests: a real CommonMark/GFM renderer (markdown-it-py,
GFM tables, strike-through and autolinks; raw HTML allowed, as in a PR comment) and the
visible text and elements of what it renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from markdown_it import MarkdownIt


def github_markdown() -> MarkdownIt:
    md = MarkdownIt("gfm-like", {"linkify": True})
    # GitHub links bare URLs only with a scheme or www. (not "example.com"): so does this.
    md.linkify.set({"fuzzy_link": False})
    return md


def to_html(markdown: str) -> str:
    return github_markdown().render(markdown)


@dataclass
class Element:
    tag: str
    text: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)  # tags of the elements inside


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[Element] = []
        self.elements: list[Element] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for open_ in self.stack:
            open_.children.append(tag)
        element = Element(tag)
        self.elements.append(element)
        if tag not in ("br", "hr", "img", "input"):
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for open_ in self.stack:
            open_.text.append(data)


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector


def squash(text: str) -> str:
    """Text as a browser lays it out: runs of white space are one space."""
    return " ".join(text.split())
