"""The seller centre: what a person (or a test) does by hand, outside the provider's protocol.

Registering accounts and shops (platform facts), the sub-account service switch, seat quotas,
Shopee activation and shop passwords, Ozon email confirmation, Douyin creator consent and GMV,
and the sandbox's own knobs: clock offset, faults, call counting, the audit log. These are
how tests and demos make drift; they go through the same transactions and audit log as the
provider's calls, under the backend's actor (``seller-center`` from the CLI).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TypeVar

from shoporg.backends.protocol import Account, AuditEntry, Shop, SubAccount
from shoporg.backends.sandbox import accounts, audit, creators, settings, sub_accounts
from shoporg.backends.sandbox.backend import SandboxBackend
from shoporg.backends.sandbox.faults import FaultConfig, load_config
from shoporg.backends.sandbox.tx import Tx

T = TypeVar("T")


class SellerCenter:
    def __init__(self, backend: SandboxBackend) -> None:
        self.backend = backend

    def _write(self, method: str, kind: str, name: str, fn: Callable[[Tx], T]) -> T:
        return self.backend.execute(method, kind, name, fn, write=True)

    def _read(self, method: str, fn: Callable[[Tx], T]) -> T:
        return self.backend.execute(method, "sandbox", self.backend.company, fn, write=False)

    # --- platform facts -----------------------------------------------------------------------

    def register_account(
        self, account_id: str, platform: str, nick: str, seat_quota: int, activated: bool = True
    ) -> Account:
        return self._write(
            "register_account", "account", account_id,
            lambda tx: accounts.register_account(
                tx, account_id, platform, nick, seat_quota, activated
            ),
        )

    def add_shop(self, account_id: str, shop_id: str, name: str, site: str | None) -> Shop:
        return self._write(
            "add_shop", "shop", f"{account_id}/{shop_id}",
            lambda tx: accounts.add_shop(tx, account_id, shop_id, name, site),
        )

    def set_seat_quota(self, account_id: str, seat_quota: int) -> Account:
        return self._write(
            "set_seat_quota", "account", account_id,
            lambda tx: accounts.set_seat_quota(tx, account_id, seat_quota),
        )

    def set_sub_account_service(self, account_id: str, enabled: bool) -> Account:
        return self._write(
            "set_sub_account_service", "account", account_id,
            lambda tx: sub_accounts.set_sub_account_service(tx, account_id, enabled),
        )

    def invite_main_account(self, account_id: str) -> Account:
        return self._write(
            "invite_main_account", "account", account_id,
            lambda tx: accounts.invite_main_account(tx, account_id),
        )

    def activate_main_account(self, account_id: str) -> Account:
        return self._write(
            "activate_main_account", "account", account_id,
            lambda tx: accounts.activate_main_account(tx, account_id),
        )

    def set_shop_password(self, account_id: str, password: str) -> Account:
        return self._write(
            "set_shop_password", "account", account_id,
            lambda tx: accounts.set_shop_password(tx, account_id, password),
        )

    def confirm_email(self, account_id: str, member_id: str) -> SubAccount:
        return self._write(
            "confirm_email", "sub_account", f"{account_id}/{member_id}",
            lambda tx: sub_accounts.confirm_email(tx, account_id, member_id),
        )

    def set_consent(self, creator_id: str, shop_id: str, consent: bool = True) -> None:
        self._write(
            "set_consent", "creator", creator_id,
            lambda tx: creators.set_consent(tx, creator_id, shop_id, consent),
        )

    def record_gmv(
        self,
        creator_id: str,
        amount: float,
        *,
        shop_id: str | None = None,
        elsewhere: str | None = None,
        day: date | None = None,
        days_ago: int = 0,
    ) -> None:
        """GMV of one day for one of our shops (``shop_id``) or a shop outside (``elsewhere``)."""
        if (shop_id is None) == (elsewhere is None):
            raise ValueError("give exactly one of shop_id or elsewhere")

        def run(tx: Tx) -> None:
            key = creators.shop_key(tx.company, shop_id) if shop_id else f"elsewhere:{elsewhere}"
            when = day or (tx.now.date() - timedelta(days=days_ago))
            creators.record_gmv(tx, creator_id, key, when, amount)

        self._write("record_gmv", "creator", creator_id, run)

    # --- sandbox knobs --------------------------------------------------------------------------

    def now(self) -> datetime:
        """The sandbox's time: the injected clock plus the file's offset."""
        return self._read("now", lambda tx: tx.now)

    def clock_offset(self) -> timedelta:
        return self._read("clock_offset", lambda tx: settings.read(tx.conn).clock_offset)

    def set_clock_offset(self, offset: timedelta) -> None:
        self._write(
            "set_clock_offset", "setting", settings.CLOCK_OFFSET,
            lambda tx: settings.write(
                tx, settings.CLOCK_OFFSET,
                None if not offset else repr(offset.total_seconds()),
            ),
        )

    def advance_clock(self, delta: timedelta) -> timedelta:
        def run(tx: Tx) -> timedelta:
            offset = settings.read(tx.conn).clock_offset + delta
            settings.write(tx, settings.CLOCK_OFFSET, repr(offset.total_seconds()))
            return offset

        return self._write("advance_clock", "setting", settings.CLOCK_OFFSET, run)

    def faults(self) -> FaultConfig:
        """The effective fault configuration (stored settings plus the environment)."""
        return self._read("faults", lambda tx: load_config(settings.read(tx.conn).faults))

    def set_faults(self, config: FaultConfig | None) -> None:
        """Store (or clear) the faults; ``fail_on_call`` counts from this moment."""
        value = None if config is None or not config.active else config.to_json()

        def run(tx: Tx) -> None:
            settings.write(tx, settings.FAULTS, value)
            settings.reset_fault_counter(tx.conn)

        self._write("set_faults", "setting", settings.FAULTS, run)

    def set_count_calls(self, enabled: bool) -> None:
        self._write(
            "set_count_calls", "setting", settings.COUNT_CALLS,
            lambda tx: settings.write(tx, settings.COUNT_CALLS, "1" if enabled else None),
        )

    def persisted_calls(self) -> dict[str, int]:
        return self._read("persisted_calls", lambda tx: settings.persisted_call_counts(tx.conn))

    def reset_counters(self) -> None:
        self._write(
            "reset_counters", "setting", "counters",
            lambda tx: settings.reset_counters(tx.conn),
        )

    def audit_log(
        self,
        *,
        kind: str | None = None,
        name: str | None = None,
        limit: int | None = None,
        all_companies: bool = False,
    ) -> list[AuditEntry]:
        return self._read(
            "audit_log",
            lambda tx: audit.entries(
                tx.conn, None if all_companies else tx.company, kind=kind, name=name, limit=limit
            ),
        )
