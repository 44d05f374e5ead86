"""Closing removal steps the account system shows done.

A removal no API can do (deleting a sub-account in 千牛, a grant in Shopee's seller centre)
is a ledger step; the engine forgets the object when it records the step, so no later read
of that resource can see it gone. Every ``up`` therefore looks once, before it plans: an open
removal step whose object the account's bulk listing no longer shows is done — closed "by
read-back", as a read-back closes a create (``ObjectProvider._close_seen``)::

    up      → delete of tm-youpin/li-lei is step #31 (open); the run goes on
    (千牛)   → an operator deletes the sub-account
    up      → tm-youpin's listing lacks it: step #31 done, by read-back

On the ledger's platforms the listing *is* the ledger's confirmed state, so a step closes
there only once a person confirmed it (``shoporg tasks done``) — nothing is pretended done.
"""

from __future__ import annotations

from collections.abc import Collection

from shoporg.backends.ledger.store import Ledger, LedgerError
from shoporg.backends.protocol import Backend
from shoporg.kinds import BY_WORD


def close_removals_seen(ledger: Ledger, backend: Backend,
                        accounts: Collection[str] | None = None) -> list[int]:
    """Mark done the open removal steps (of ``accounts``, default all) whose object the
    backend's listing no longer holds; one listing per kind and account. The ids closed."""
    steps = [s for s in ledger.steps("open") if s.operation == "delete"
             and (accounts is None or s.account in accounts) and s.kind in BY_WORD]
    listed: dict[tuple[str, str], set[str]] = {}
    gone: list[int] = []
    for step in steps:
        key = (step.kind, step.account)
        if key not in listed:
            listed[key] = {o.ref.name for o in BY_WORD[step.kind].listing(backend, step.account)}
        if step.name not in listed[key]:
            gone.append(step.id)
    if gone:
        try:
            ledger.mark(gone, "done", by="read-back",
                        note="seen gone by shoporg's read-back of the account's listing")
        except LedgerError:
            return []  # an operator confirmed one meanwhile: the next run closes the rest
    return gone
