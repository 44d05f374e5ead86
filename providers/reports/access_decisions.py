"""Closing an access review: its decisions, the default for the undecided, and the change.

A review (``shoporg review-access --open``) freezes who holds which roles on which shop;
reviewers say *keep*, *revoke* or *flag* per line (``--decide``), recorded append-only in
the ledger beside the attestations. :func:`close` (``--close``) settles it:

* a line nobody decided gets the review's default — but only once its deadline has passed
  (before that, closing is refused and names the lines still open); the default is
  recorded as a decision of its own ("the review's default"), so the evidence pack shows
  who decided what and what nobody did;
* *revoke* lines become an edit of org.yaml (:func:`revoke`), written as a patch for the
  normal pull-request review; nothing is applied here, and the edit goes through ``shoporg
  up``'s removal guard like any other (a default revoke is never applied silently);
* *flag* lines are listed for follow-up; *keep* lines change nothing.

The edit touches only the lines it must, keeping comments and layout: a revoked shop is
dropped from the sub-account entry's ``shops:`` (written out when it was implicit), and
when no shop is left the entry's ``roles:`` becomes ``[]`` — the person keeps the
sub-account (a seat, their history) and loses every role on that account; removing the
sub-account is a leaver's change, made by hand.
"""

from __future__ import annotations

import datetime
import difflib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from shoporg.backends.ledger.store import DecidedLine, Ledger
from shoporg.errors import ConfigError, ShoporgError
from shoporg.schema.loader import Loaded, load_text
from shoporg.schema.validate import validate_text

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Closed:
    review: str
    lines: tuple[DecidedLine, ...]
    defaulted: int  # lines the default decided
    old_text: str
    new_text: str
    patch: str

    def decided(self, decision: str) -> list[DecidedLine]:
        return [x for x in self.lines if x.decision == decision]


def close(ledger: Ledger, review: str, org_text: str, filename: str, today: datetime.date,
          ) -> Closed:
    header, lines = ledger.review(review)
    deadline = datetime.date.fromisoformat(header["deadline"])
    undecided = [x for x in lines if x.decision is None]
    if undecided and today <= deadline:
        shown = ", ".join(x.line.object for x in undecided[:5])
        more = f" and {len(undecided) - 5} more" if len(undecided) > 5 else ""
        raise ShoporgError(
            f"access review {review!r}: {len(undecided)} line(s) not decided yet ({shown}{more})"
            f" and its deadline {deadline} has not passed: decide them (`shoporg review-access "
            f"--review {review} --keep|--revoke|--flag OBJECT`) or close it after {deadline}"
            f", when they get the default ({header['fallback']}); nothing was changed")
    if undecided:
        lines = ledger.decide(
            review, [x.line.object for x in undecided], header["fallback"],
            by="shoporg (the review's default)",
            note=f"nobody decided by the deadline {deadline}")
    revoked = [x for x in lines if x.decision == "revoke"]
    new_text = revoke(org_text, filename, revoked)
    patch = "".join(difflib.unified_diff(
        org_text.splitlines(keepends=True), new_text.splitlines(keepends=True),
        fromfile=f"a/{filename}", tofile=f"b/{filename}"))
    return Closed(review, tuple(lines), len(undecided), org_text, new_text, patch)


def revoke(text: str, filename: str, revoked: Iterable[DecidedLine]) -> str:
    """``text`` (org.yaml) without the roles of the revoked lines, else unchanged."""
    by_entry: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for x in revoked:
        by_entry[(x.line.member, x.line.account)].add(x.line.shop)
    for (member, account), shops in sorted(by_entry.items()):
        loaded = _load(text, filename)
        path, entry = _entry(loaded, member, account, filename)
        current = entry.get("shops")
        if current is None:
            current = _account_shops(loaded.data, account)
        keep = [s for s in current if s not in shops]
        if keep:
            text = _set(text, loaded, path, "shops", _flow(keep), before="roles")
        else:
            text = _set(text, loaded, path, "roles", "[]", before=None)
    try:
        validate_text(text, filename)
    except ConfigError as exc:  # the edit broke a rule: say so, write nothing
        raise ShoporgError(
            f"{filename}: the revocations would leave it invalid ({exc}); make them by hand "
            "and open a pull request") from None
    return text


def _load(text: str, filename: str) -> Loaded:
    loaded = load_text(text, filename)
    if loaded.issues:
        raise ShoporgError(f"{loaded.issues[0]} (fix org.yaml before closing the review)")
    return loaded


def _entry(loaded: Loaded, member: str, account: str, filename: str
           ) -> tuple[Path_, dict[str, Any]]:
    for i, m in enumerate(loaded.data.get("members") or []):
        if m.get("id") != member:
            continue
        for j, e in enumerate(m.get("sub_accounts") or []):
            if e.get("account") == account:
                return ("members", i, "sub_accounts", j), e
    raise ShoporgError(
        f"{filename}: member {member} has no sub-account on {account} any more (changed since "
        "the review was opened); nothing to revoke there — open a new review")


def _account_shops(data: Any, account: str) -> list[str]:
    for a in data.get("accounts") or []:
        if a.get("id") == account:
            return [str(s.get("id")) for s in a.get("shops") or []]
    return []


def _flow(items: Sequence[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _offset(text: str, line: int, column: int) -> int:
    """The index in ``text`` of a 1-based (line, column)."""
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts[line - 1] + column - 1


def _value_end(text: str, start: int) -> int:
    """Where the value starting at ``start`` ends: a flow collection's closing bracket, a
    scalar's end of line (before a comment), or a block collection's last line."""
    if text[start] in "[{":
        depth, quote = 0, ""
        for i in range(start, len(text)):
            ch = text[i]
            if quote:
                quote = "" if ch == quote else quote
            elif ch in "'\"":
                quote = ch
            elif ch in "[{":
                depth += 1
            elif ch in "]}":
                depth -= 1
                if depth == 0:
                    return i + 1
        raise ShoporgError("org.yaml: an unclosed flow collection")
    line_start = text.rfind("\n", 0, start) + 1
    indent = start - line_start
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    if text[start] != "-":  # a scalar on the key's line
        comment = text.find(" #", start, end)
        return comment if comment >= 0 else end
    pos = end  # a block sequence: lines indented more, or items at its own indentation
    while pos < len(text):
        nxt = text.find("\n", pos + 1)
        line = text[pos + 1:len(text) if nxt < 0 else nxt]
        stripped = line.lstrip(" ")
        depth = len(line) - len(stripped)
        if stripped and not stripped.startswith("#") and (
                depth < indent or (depth == indent and not stripped.startswith("- "))):
            break
        if stripped and not stripped.startswith("#"):
            end = len(text) if nxt < 0 else nxt
        pos = len(text) if nxt < 0 else nxt
    return end


def _set(text: str, loaded: Loaded, mapping: Path_, key: str, value: str,
         before: str | None) -> str:
    """``text`` with ``mapping``'s ``key`` set to the flow ``value``: its old value replaced,
    or, when absent, the key inserted before the key ``before``."""
    path = (*mapping, key)
    if path in loaded.keys:
        key_at = _offset(text, *loaded.keys[path])
        colon = text.index(":", key_at) + 1
        end = _value_end(text, _offset(text, *loaded.values[path]))
        return text[:colon] + " " + value + text[end:]
    assert before is not None
    anchor = (*mapping, before)
    at = _offset(text, *loaded.keys[anchor])
    container = _offset(text, *loaded.values[mapping])
    if text[container] == "{":
        return text[:at] + f"{key}: {value}, " + text[at:]
    indent = at - (text.rfind("\n", 0, at) + 1)
    return text[:at] + f"{key}: {value}\n" + " " * indent + text[at:]
