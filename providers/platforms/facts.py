"""The facts a platform rule reads: one small value per *subject* (the bindings of one shop,
one main account's seats, ...).

A rule of the table (:mod:`shoporg.platforms.rules`) is a pure predicate over one of these.
Each consumer builds the same value from what it has -- the validator from org.yaml, the
sandbox from its rows as its write would leave them -- and evaluates every rule of that
subject from the table, so a new rule over facts that already exist needs no consumer code.
``describe`` states the facts in words: what a consumer says of a rule it has no words of its
own for.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol


class Facts(Protocol):
    """What every subject's facts have: the platform they are on, and a description."""

    @property
    def platform(self) -> str: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class ShopsFacts:
    """The shops of one main account."""

    platform: str
    account: str
    shops: int

    def describe(self) -> str:
        return f"account {self.account!r} with {self.shops} shop(s)"


@dataclass(frozen=True)
class SeatFacts:
    """The seats of one main account and the sub-accounts holding them. Apart from its shops:
    a write is held to the rules of what it changes, so re-registering a shop is never refused
    for seats the seller centre lowered."""

    platform: str
    account: str
    seats_used: int
    seat_quota: int

    def describe(self) -> str:
        return (f"account {self.account!r} with {self.seats_used} sub-account(s) on "
                f"{self.seat_quota} seat(s)")


@dataclass(frozen=True)
class ShopFacts:
    """One shop on its account."""

    platform: str
    shop: str
    site: str | None

    def describe(self) -> str:
        return f"shop {self.shop!r} on site {self.site!r}"


@dataclass(frozen=True)
class UserFacts:
    """The user behind one sub-account, as the seller centre invites them."""

    platform: str
    user: str
    email: str | None
    two_factor: bool = False
    #: The login as the seller centre writes it, and the name it shows (None: not known).
    login: str | None = None
    display_name: str | None = None

    def describe(self) -> str:
        return (f"user {self.user!r} " + (f"with email {self.email!r}" if self.email else
                                          "without an email")
                + (", two-factor on" if self.two_factor else "")
                + (f", login {self.login!r}" if self.login is not None else "")
                + (f", named {self.display_name!r}" if self.display_name is not None else ""))


@dataclass(frozen=True)
class StaffRolesFacts:
    """The roles one sub-account holds on one shop of its account."""

    platform: str
    member: str
    shop: str
    roles: int

    def describe(self) -> str:
        return f"member {self.member!r} with {self.roles} role(s) on shop {self.shop!r}"


@dataclass(frozen=True)
class ShopBindingFacts:
    """The external accounts bound to one shop."""

    platform: str
    shop: str
    officials: int = 0
    channels: int = 0
    self_operated: int = 0
    #: Where each channel account lives (None: not said).
    channel_sources: tuple[str | None, ...] = ()

    @property
    def bindings(self) -> int:
        return self.officials + self.channels + self.self_operated

    def plus(self, kind: str, source: str | None = None) -> ShopBindingFacts:
        """The shop's bindings with one more account of ``kind`` (``source``: a channel's)."""
        if kind == "official":
            return replace(self, officials=self.officials + 1)
        if kind == "channel":
            return replace(self, channels=self.channels + 1,
                           channel_sources=(*self.channel_sources, source))
        return replace(self, self_operated=self.self_operated + 1)

    def describe(self) -> str:
        return (f"shop {self.shop!r} with {self.officials} official, {self.channels} channel "
                f"and {self.self_operated} self-operated account(s)")


@dataclass(frozen=True)
class CreatorFacts:
    """Where one external account (a creator) is self-operated: the shops, of any merchant,
    that hold it."""

    platform: str
    creator: str
    self_operated_for: frozenset[str]

    def describe(self) -> str:
        return f"creator {self.creator!r} self-operated for {len(self.self_operated_for)} shop(s)"


@dataclass(frozen=True)
class ChatGroupFacts:
    """The customer-service chat groups of one shop."""

    platform: str
    shop: str
    groups: int

    def describe(self) -> str:
        return f"shop {self.shop!r} with {self.groups} chat group(s)"
