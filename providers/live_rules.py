"""Rules that need the live account system, checked by the program before anything is
registered — so ``pulumi preview`` reports them with ``org.yaml:LINE:COL`` and nothing
changes. Read-only: two list calls per account at most.

::

    accounts:
      - id: dy-youpin          # must exist in the account system (a platform fact)
        platform: douyin
        nick: 优品数码抖店
        seat_quota: 8          # the platform's own quota must hold the declared sub-accounts
        shops: [{id: dy-youpin-shop, name: 优品数码官方旗舰店}]
    bindings:                  # removing an official Douyin account here can never be applied
      - {shop: dy-youpin-shop, kind: official, external_account: youpin_digital}
      # nor removing a channel account before its unbind lock ends (by the account
      # system's clock): the error names the first allowed date
      - {shop: dy-youpin-shop, kind: channel, external_account: youpin_xigua, source: xigua}
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

from shoporg.backends.clock import account_system_now
from shoporg.backends.protocol import Account, AccountReader, Binding, BindingBackend
from shoporg.backends.retry import call_with_retries
from shoporg.errors import ConfigIssue
from shoporg.platforms import ACTIVATION_PLATFORMS, DOUYIN_CHANNEL_UNBIND_AFTER_DAYS
from shoporg.platforms.facts import SeatFacts
from shoporg.platforms.rules import (
    CHANNEL_UNBIND_TOO_EARLY,
    OFFICIAL_UNBIND,
    SEAT_QUOTA,
    broken,
)
from shoporg.runbooks import runbook
from shoporg.schema import Org
from shoporg.schema.loader import Path, load_text


class LiveBackend(AccountReader, BindingBackend, Protocol):
    """The calls these rules use (a narrow view of the Backend protocol)."""


def live_accounts(org: Org, backend: AccountReader, only: frozenset[str] | None = None
                  ) -> dict[str, Account | None]:
    """Each declared main account as the account system has it (None: it does not exist),
    read once for both rule sets below (a shard reads only its ``only`` accounts)."""
    return {account.id: call_with_retries(partial(backend.get_account, account.id))
            for account in org.accounts if only is None or account.id in only}


def live_issues(
    org: Org,
    backend: LiveBackend,
    text: str,
    filename: str,
    only: frozenset[str] | None = None,
    accounts: dict[str, Account | None] | None = None,
) -> list[ConfigIssue]:
    """Every live-state problem of ``org`` (restricted to a shard's ``only`` accounts);
    ``accounts``: :func:`live_accounts`, read here when not given."""
    problems: list[tuple[Path, str]] = []
    declared_subs = Counter(s.account for m in org.members for s in m.sub_accounts)
    official = {(b.shop, b.external_account) for b in org.bindings if b.kind == "official"}
    if accounts is None:
        accounts = live_accounts(org, backend, only)
    for index, account in enumerate(org.accounts):
        if account.id not in accounts:
            continue
        live = accounts[account.id]
        if live is None:
            problems.append((
                ("accounts", index, "id"),
                f"account {account.id!r} does not exist in the account system "
                "(register the main account on the platform first; for the sandbox: "
                "`shoporg sandbox init --org org.yaml`)",
            ))
            continue
        if live.platform != account.platform:
            problems.append((
                ("accounts", index, "platform"),
                f"account {account.id!r} is a {live.platform} account in the account system, "
                f"not {account.platform}",
            ))
        # The table's rules over the account's seats: org.yaml's sub-accounts on the live quota.
        seats = SeatFacts(live.platform, account.id, declared_subs[account.id], live.seat_quota)
        for rule in broken(seats, "preview"):
            problems.append((
                ("accounts", index, "seat_quota"),
                f"account {account.id!r} has {live.seat_quota} sub-account seats on the "
                f"platform but org.yaml declares {declared_subs[account.id]} sub-accounts "
                f"({rule.message}: buy seats in the seller centre or remove sub-accounts)"
                if rule is SEAT_QUOTA else
                f"{seats.describe()} ({rule.message}: change org.yaml or the seller centre)",
            ))
        if not OFFICIAL_UNBIND.applies_to(account.platform):
            continue  # no bindings to keep
        now: datetime | None = None
        for binding in call_with_retries(partial(backend.list_bindings, account.id)):
            kept = (binding.shop_id, binding.external_id) in official
            if binding.kind == "official" and not kept:
                problems.append((
                    ("bindings",),
                    f"the official account {binding.external_id!r} of shop "
                    f"{binding.shop_id!r} is missing here ({OFFICIAL_UNBIND.message}): put its "
                    "binding back",
                ))
            if binding.kind != "channel" or _kept(org, binding):
                continue
            allowed_from = binding.bound_at + timedelta(days=DOUYIN_CHANNEL_UNBIND_AFTER_DAYS)
            now = now or account_system_now(backend, account.id)
            if now < allowed_from:
                changed = next((i for i, b in enumerate(org.bindings)
                                if (b.shop, b.external_account)
                                == (binding.shop_id, binding.external_id)), None)
                problems.append((
                    ("bindings", changed) if changed is not None else ("bindings",),
                    f"the channel account {binding.external_id!r} of shop {binding.shop_id!r} "
                    f"was bound on {binding.bound_at.date().isoformat()} and can be unbound "
                    f"only from {allowed_from.date().isoformat()} "
                    f"({CHANNEL_UNBIND_TOO_EARLY.message}); "
                    + ("changing its kind or source unbinds it: keep it as it is bound"
                       if changed is not None else "unbinding it would fail: keep its binding")
                    + f" ({binding.kind}, source {binding.source}) in org.yaml until "
                    f"{allowed_from.date().isoformat()}",
                ))
    if not problems:
        return []
    loaded = load_text(text, filename)
    return sorted(loaded.issue(path, message, key=True) for path, message in problems)


def _kept(org: Org, live: Binding) -> bool:
    """org.yaml declares ``live`` exactly as it is bound (another kind or source for the same
    account is an unbind and a new bind)."""
    return any((b.shop, b.kind, b.external_account, b.source)
               == (live.shop_id, live.kind, live.external_id, live.source)
               for b in org.bindings)


def live_notices(
    org: Org,
    backend: AccountReader,
    text: str,
    filename: str,
    only: frozenset[str] | None = None,
    accounts: dict[str, Account | None] | None = None,
) -> list[ConfigIssue]:
    """What waits on a third party and is known before anything is applied: a Shopee main
    account not activated yet — above all one whose activation link has expired, which only
    "invite again" helps. Reported at preview with its runbook; not errors (the sub-accounts
    under it wait as pending steps; everything else goes ahead). ``accounts``:
    :func:`live_accounts`, read here when not given."""
    notes: list[tuple[Path, str]] = []
    waiting = Counter(s.account for m in org.members for s in m.sub_accounts)
    if accounts is None:
        accounts = live_accounts(org, backend, only)
    for index, account in enumerate(org.accounts):
        if account.platform not in ACTIVATION_PLATFORMS or account.id not in accounts:
            continue
        live = accounts[account.id]
        if live is None or live.activated:
            continue
        if live.activation_link_expired:
            state = ("its activation link expired at " + live.activation_expires_at.isoformat()
                     if live.activation_expires_at else "no activation link was ever sent")
        else:
            assert live.activation_expires_at is not None
            state = ("it awaits activation; the link is valid until "
                     + live.activation_expires_at.isoformat())
        step = runbook(account.platform, "account", "update", account_id=account.id,
                       name=account.id,
                       fields={}, note=state, waits_on="activation")
        notes.append((("accounts", index, "id"),
                      f"{step.text} ({waiting[account.id]} sub-account(s) declared here)"))
    if not notes:
        return []
    loaded = load_text(text, filename)
    return sorted(loaded.issue(path, message, key=True) for path, message in notes)
