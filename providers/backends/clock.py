"""Whose "today": the account system's clock where it has one, the machine's elsewhere.

Expiry (``expires:``), the Douyin 180-day unbind lock and the review's 14-day window are
judged by the clock of the system that enforces them, so a sandbox whose clock was moved
(``shoporg sandbox clock advance 181d``) is judged on its own day by the program, the
review and drift alike::

    account_system_now(backend, account_id)   # the time of the system serving one account
    account_system_today(settings)            # the one "today" of the program and reports

=========  ===============================================================================
connector  clock
=========  ===============================================================================
sandbox    its injected clock plus the offset stored in the sandbox file
ledger     the ledger's clock (``$SHOPORG_NOW`` for what-ifs, else the machine's)
taobao     the machine's (TOP signs requests with it and refuses one 10 minutes off)
=========  ===============================================================================

A stack with several connectors has one "today": the sandbox's if it serves any account
(only the sandbox's clock can be moved), else the ledger's, else the machine's.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shoporg.backends.settings import BackendSettings


def account_system_now(backend: object, account_id: str | None = None) -> datetime.datetime:
    """The time of the account system serving ``account_id`` (any account: the stack's)."""
    candidates: list[object] = [backend]
    backend_for = getattr(backend, "backend_for", None)  # a RoutedBackend
    if backend_for is not None:
        candidates = ([backend_for(account_id)] if account_id is not None
                      else list(getattr(backend, "backends", ())))
    for candidate in sorted(candidates, key=_clock_rank):
        now = getattr(type(candidate), "now", None)
        if callable(now):
            value: datetime.datetime = now(candidate)
            return value
    return datetime.datetime.now(datetime.UTC)


def account_system_today(settings: BackendSettings) -> datetime.date:
    """The date the program disables expired grants by and the reports judge expiry by.

    Opens nothing that is not there: a config-only review on a machine without the stack's
    sandbox file (a fork's pull request) gets the machine's date."""
    from shoporg.backends.settings import LEDGER_CONNECTOR, SANDBOX_CONNECTOR, TOP_CONNECTOR

    kinds = {settings.kind, *(kind for _, kind in settings.connectors)}
    if SANDBOX_CONNECTOR in kinds and Path(settings.sandbox_path).is_file():
        from shoporg.backends.sandbox import SandboxBackend

        sandbox = SandboxBackend(settings.sandbox_path, company=settings.company,
                                 instrumented=False)
        try:
            return local_date(sandbox.now())
        finally:
            sandbox.close()
    if LEDGER_CONNECTOR in kinds or settings.kind == TOP_CONNECTOR:
        from shoporg.backends.ledger.store import now as ledger_now

        return local_date(ledger_now())
    return datetime.date.today()


def local_date(when: datetime.datetime) -> datetime.date:
    """The calendar day of ``when`` here (so an unmoved clock gives ``date.today()``)."""
    return when.astimezone().date() if when.tzinfo is not None else when.date()


def _clock_rank(backend: object) -> int:
    name = type(backend).__name__
    return 0 if name == "SandboxBackend" else 1 if name == "LedgerBackend" else 2
