"""Text from org.yaml is shown as exactly that text: in the review's Markdown (rendered by a
real CommonMark/GFM renderer), in the worklist and in Mermaid labels. A fork's pull request
may put anything into a name; it must never become bold text, a link, an image or HTML."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from shoporg.reports.build import review_from_orgs
from shoporg.reports.diagram import _label
from shoporg.reports.render import (
    _cell_text,
    _code_cell,
    _md,
    _sentence,
    render_markdown,
)
from shoporg.reports.sources import org_from_text

from .conftest import FIXTURES, ORGS, TODAY
from .html_text import parse, squash, to_html

BASE = (ORGS / "base.yaml").read_text(encoding="utf-8")
NASTY = [line for line in (FIXTURES / "literal" / "names.txt").read_text(
    encoding="utf-8").splitlines() if line]
MARKUP = list("*_`[]()<>&#!|~$@:/.\\-+=1wW \n\t")
# What YAML can hold in a string (no C0 controls but tab and newline, no lone surrogates),
# with Markdown's own characters drawn often.
texts = st.text(
    st.sampled_from(MARKUP) | st.characters(blacklist_categories=("Cs", "Cc")), min_size=1
).filter(lambda t: t.strip())
FORMATTING = {"a", "em", "strong", "img", "code", "del", "s", "h1", "h2", "h3", "h4", "h5",
              "h6", "ul", "ol", "li", "blockquote", "pre", "table", "hr", "br", "p", "input",
              "details", "summary", "b", "i", "sub", "script", "iframe"}


def only(markdown: str, tag: str) -> tuple[str, set[str]]:
    """The visible text of the last ``tag`` element and the tags anywhere in the page."""
    page = parse(to_html(markdown))
    element = [e for e in page.elements if e.tag == tag][-1]
    assert not element.children, (markdown, element.children)
    return squash("".join(element.text)), {e.tag for e in page.elements}


def case_source(place: Callable[[str], str]) -> str:
    return place.__code__.co_names.__repr__()


# Where the review, the worklist and the access review put a name: (case, markdown with the
# rendered name, the element whose text it must be, the tags the template itself writes).
PLACES: list[tuple[str, Callable[[str], str], str, set[str]]] = [
    ("a person's bold name in a list item",
     lambda t: f"- **{_md(t)}** (`zhang-wei`, added)\n", "strong", {"ul", "li", "strong", "code"}),
    ("a heading (the company, an account's nick)", lambda t: f"## {_md(t)}\n", "h2", {"h2"}),
    ("a table cell", lambda t: f"| shop | person |\n| --- | --- |\n| x | {_cell_text(t)} |\n",
     "td", {"table", "thead", "tbody", "tr", "th", "td"}),
    ("a <summary> line (raw HTML, no Markdown)",
     lambda t: f"<details><summary>{_md(t)}</summary>\n\nx\n\n</details>\n",
     "summary", {"details", "summary", "p"}),
    ("a runbook under a worklist step",
     lambda t: f"- x\n  - [ ] **#1** create\n\n    {_sentence(t)}\n", "p",
     {"ul", "li", "strong", "p"}),
    ("a sentence in a nested list item", lambda t: f"- **x**\n  - {_sentence(t)}\n", "li",
     {"ul", "li", "strong"}),
    ("an italic state note", lambda t: f"- raised today — <i>{_md(t)}</i>\n", "i",
     {"ul", "li", "i"}),
]


@pytest.mark.parametrize(("case", "place", "tag", "own"), PLACES, ids=[p[0] for p in PLACES])
@settings(max_examples=150, deadline=None)
@given(text=texts)
@example(text="**x** [link](http://example.com)")
@example(text="www.example.com and a@b.co")
@example(text="1. one\n\n- two\n# three\n    four ")
@example(text=" ~~struck~~ $x$ ")
def test_any_text_renders_as_exactly_that_text(
    case: str, place: Callable[[str], str], tag: str, own: set[str], text: str
) -> None:
    # Sentences mark their own code spans with backticks (tested below): not in this case.
    assume("`" not in text or "_sentence" not in case_source(place))
    shown, tags = only(place(text), tag)
    assert shown == squash(text), case
    assert tags <= own, (case, tags - own)


@settings(max_examples=150, deadline=None)
@given(text=texts.filter(lambda t: not set(t) & set("`\r\n")))  # a login is one line
def test_a_name_inside_a_sentence_s_code_span_is_shown_as_is(text: str) -> None:
    sentence = f"{text} gets sub-account `优品数码专营:{text}` on tb-youpin"
    page = parse(to_html(f"- {_sentence(sentence)}\n"))
    [code] = [e for e in page.elements if e.tag == "code"]
    assert squash("".join(code.text)) == squash(f"优品数码专营:{text}")
    assert squash("".join(page.text)) == squash(sentence.replace("`", ""))
    assert {e.tag for e in page.elements} == {"ul", "li", "code"}


@settings(max_examples=150, deadline=None)
@given(text=texts)
def test_a_value_in_a_table_cell_s_code_span_is_shown_as_is(text: str) -> None:
    shown, tags = only(f"| a | b |\n| --- | --- |\n| {_code_cell(text)} | x |\n", "code")
    assert shown == squash(text)
    assert "a" not in tags and "strong" not in tags


def mermaid_decode(label: str) -> str:
    """What Mermaid shows for a quoted label: ``#name;`` / ``#code;`` are character
    references (its entity codes), anything else is text."""
    assert label[0] == label[-1] == '"'
    body = label[1:-1]
    assert not set(body) & set('"`<>&\n\r'), body  # nothing that ends, or marks up, the label
    return html.unescape(re.sub(r"#(\d+);", r"&#\1;", re.sub(r"#([A-Za-z]\w*);", r"&\1;", body)))


@settings(max_examples=300, deadline=None)
@given(text=texts)
@example(text="#35; &amp; `**x**`")
def test_a_mermaid_label_shows_the_name_literally(text: str) -> None:
    assert squash(mermaid_decode(_label(text))) == squash(text)


@pytest.mark.parametrize("name", NASTY)
def test_a_member_s_name_is_text_in_the_whole_review(name: str) -> None:
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    new = org_from_text(BASE.replace("    name: 张伟\n", f'    name: "{quoted}"\n'), "n")
    review = review_from_orgs(org_from_text(BASE, "o"), new, today=TODAY,
                              source={"kind": "config", "old": "a", "new": "b"})
    page = parse(to_html(render_markdown(review)))
    tags = {e.tag for e in page.elements}
    assert not tags & {"a", "em", "img", "script", "iframe", "del", "h1"}, tags
    assert squash(name) in squash("".join(page.text))
