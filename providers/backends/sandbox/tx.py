"""The context one sandbox operation runs in: its transaction, company, time and actor.

Each rule module (``accounts.py``, ``sub_accounts.py``, ...) is a set of plain functions
taking a :class:`Tx`; the backend opens the transaction, reads the (offset) clock once, and
hands the same ``Tx`` to the function, so a rule and the audit entry of its change see the
same "now" and commit together.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shoporg.backends.sandbox import audit
from shoporg.backends.sandbox.clock import to_text
from shoporg.errors import NotFoundError, RuleViolation
from shoporg.platforms.facts import Facts
from shoporg.platforms.rules import PlatformRule, broken


@dataclass(frozen=True)
class Tx:
    conn: sqlite3.Connection
    company: str
    now: datetime
    actor: str
    operation: str

    @property
    def now_text(self) -> str:
        return to_text(self.now)

    def audit(
        self,
        kind: str,
        name: str,
        before: Mapping[str, object] | None,
        after: Mapping[str, object] | None,
    ) -> None:
        if before == after:
            return  # not a mutation: nothing to record
        audit.record(
            self.conn,
            company=self.company,
            at=self.now_text,
            actor=self.actor,
            operation=self.operation,
            kind=kind,
            name=name,
            before=before,
            after=after,
        )

    def violation(
        self, kind: str, name: str, rule: str, message: str, hint: str = ""
    ) -> RuleViolation:
        return RuleViolation(kind, name, self.operation, message, rule, hint)

    def not_found(self, kind: str, name: str, message: str = "does not exist") -> NotFoundError:
        return NotFoundError(kind, name, self.operation, message)

    def account(self, account_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM accounts WHERE company = ? AND id = ?", (self.company, account_id)
        ).fetchone()
        if row is None:
            raise self.not_found(
                "account", account_id, f"no such account in company {self.company!r}"
            )
        return row

    def refuse(
        self, kind: str, name: str, rule: PlatformRule[Any], message: str, hint: str = ""
    ) -> RuleViolation:
        """``rule`` refuses the change: ``message`` says what of this object breaks it, the
        hint states the rule (then ``hint``, what to do)."""
        return self.violation(
            kind, name, rule.code, message, f"{rule.message}; {hint}" if hint else rule.message
        )

    def require_platform(self, account: sqlite3.Row, rule: PlatformRule[Any]) -> None:
        """Refuse a feature the account's seller centre does not have (``rule``: the
        platforms that have it)."""
        if not rule.applies_to(account["platform"]):
            raise self.refuse("account", account["id"], rule, _is_a(account))

    def enforce(
        self,
        account: sqlite3.Row,
        kind: str,
        name: str,
        facts: Facts,
        words: Mapping[str, tuple[str, str]] | None = None,
    ) -> None:
        """Refuse the write unless ``facts`` -- its subject as the write would leave it --
        keep every rule of the table enforced at apply (the table's predicates decide; the
        first broken rule, in the table's order, refuses). ``words``: this object's message and
        hint for a rule, by code; a rule without words is refused with the facts described (a
        feature rule with the account's platform, as :meth:`require_platform` says it)."""
        for rule in broken(facts, "apply"):
            if words is not None and rule.code in words:
                message, hint = words[rule.code]
            elif rule.feature:
                message, hint = _is_a(account), ""
            else:
                message, hint = f"it would leave {facts.describe()}", ""
            raise self.refuse(kind, name, rule, message, hint)

    def shop(self, account_id: str, shop_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM shops WHERE company = ? AND account_id = ? AND id = ?",
            (self.company, account_id, shop_id),
        ).fetchone()
        if row is None:
            raise self.not_found("shop", f"{account_id}/{shop_id}", "no such shop in this account")
        return row


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def loads_list(text: str) -> tuple[str, ...]:
    data = json.loads(text)
    assert isinstance(data, list)
    return tuple(str(x) for x in data)


def _is_a(account: sqlite3.Row) -> str:
    """What a feature rule refuses an account for: its platform."""
    return f"account {account['id']!r} is a {account['platform']} account"

