"""The platform rules, each written once: its code, the platforms it applies to, the platform
facts it reads and the one sentence that states it.

Every place that enforces or explains a rule takes its wording from here and adds only what
it alone knows: the validator (``providers/schema/rules.py``) the org.yaml position and a
suggestion, the sandbox (``providers/backends/sandbox/``) the object it refused, the live
rules (``providers/live_rules.py``) the account system's dates, the runbooks and the review
the step to take. ``code`` is the stable name the account system refuses with
(:attr:`shoporg.errors.RuleViolation.rule`); ``checked`` says where it is enforced, and
``tests/platforms/test_rule_table.py`` holds every rule to an invalid org.yaml fixture (when
``validate``) and a connector contract case (when ``apply``) that show its message.

Many rules also carry their check: a pure predicate over the facts of one subject
(:mod:`shoporg.platforms.facts`: the bindings of a shop, the seats of an account, ...). The
validator, the sandbox and the live rules build those facts from what they have and evaluate
every rule of the subject from here (:func:`broken`), so a new rule over existing facts is this
table's entry, a tagged fixture and a contract case. A rule that is not a predicate over
simple facts says why in ``by_hand`` and is checked by its consumers' code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Generic, Literal, TypeVar

from shoporg.platforms import (
    ACTIVATION_PLATFORMS,
    BINDING_PLATFORMS,
    CHAT_GROUP_PLATFORMS,
    COLON_LOGIN_PLATFORMS,
    DEPARTMENT_PLATFORMS,
    DOUYIN_CHANNEL_SOURCES,
    DOUYIN_CHANNEL_UNBIND_AFTER_DAYS,
    DOUYIN_MAX_CHANNEL_ACCOUNTS,
    DOUYIN_SELF_OPERATED_GMV_WINDOW_DAYS,
    DOUYIN_SELF_OPERATED_MIN_GMV_SHARE,
    INVITE_BY_EMAIL_PLATFORMS,
    KUAISHOU_NICK_NAME_MAX,
    MAINLAND_MOBILE_PATTERN,
    NICK_NAME_PLATFORMS,
    PHONE_LOGIN_PLATFORMS,
    PLATFORM_TITLES,
    PLATFORMS,
    ROLES_REQUIRED_PLATFORMS,
    RULE_SELF_OPERATED_CONSENT,
    RULE_SHOPEE_NOT_ACTIVATED,
    SHOPEE_ACTIVATION_LINK_HOURS,
    SHOPEE_SITES,
    SINGLE_SHOP_PLATFORMS,
    SITE_PLATFORMS,
    TWO_FACTOR_PLATFORMS,
    WALLET_PLATFORMS,
)
from shoporg.platforms.facts import (
    ChatGroupFacts,
    CreatorFacts,
    Facts,
    SeatFacts,
    ShopBindingFacts,
    ShopFacts,
    ShopsFacts,
    StaffRolesFacts,
    UserFacts,
)

#: Where a rule is enforced: org.yaml alone (``shoporg validate``, every preview), the live
#: account system at preview (``live_rules.py``), or the account system at apply.
Stage = Literal["validate", "preview", "apply"]


def _titles(platforms: frozenset[str]) -> str:
    """``Taobao, Tmall or Douyin``: the platforms in their canonical order."""
    names = [PLATFORM_TITLES[p] for p in PLATFORMS if p in platforms]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


F = TypeVar("F", bound=Facts)


@dataclass(frozen=True)
class PlatformRule(Generic[F]):
    """One platform rule. ``template`` is a :meth:`str.format` string over ``facts`` and
    ``platforms`` (the platforms' titles, e.g. "Taobao or Tmall").

    A rule that is a predicate over simple facts carries it: ``subject`` (the facts' type,
    :mod:`shoporg.platforms.facts`) and ``predicate`` (pure; True: the rule holds), and every
    consumer evaluates it from here (:func:`broken`). Any other rule says ``by_hand``: why its
    check is code in its consumers.
    """

    code: str
    platforms: frozenset[str]
    template: str
    checked: frozenset[Stage]
    facts: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}),
                                        hash=False)
    subject: type[F] | None = None
    predicate: Callable[[F], bool] | None = field(default=None, hash=False, compare=False)
    #: ``platforms`` are where a feature exists (the ``*_unsupported`` rules): the rule holds
    #: there, and elsewhere where the predicate (the subject does not use it) does. Otherwise
    #: the rule binds only its platforms.
    feature: bool = False
    by_hand: str = ""

    @property
    def message(self) -> str:
        """The rule stated, with its facts filled in."""
        return self.template.format_map({"platforms": _titles(self.platforms), **self.facts})

    def applies_to(self, platform: str) -> bool:
        return platform in self.platforms

    def holds(self, facts: F) -> bool:
        """Do ``facts`` keep the rule?"""
        assert self.predicate is not None, f"{self.code} is checked by hand: {self.by_hand}"
        if self.feature:
            return self.applies_to(facts.platform) or self.predicate(facts)
        return not self.applies_to(facts.platform) or self.predicate(facts)


def _rule(code: str, platforms: frozenset[str], template: str, *checked: Stage,
          by_hand: str, **facts: object) -> PlatformRule[Any]:
    """A rule whose check is code in its consumers (``by_hand`` says why)."""
    return PlatformRule(code, platforms, template, frozenset(checked), MappingProxyType(facts),
                        by_hand=by_hand)


def _check(subject: type[F], predicate: Callable[[F], bool], code: str,
           platforms: frozenset[str], template: str, *checked: Stage, feature: bool = False,
           **facts: object) -> PlatformRule[F]:
    """A rule that is ``predicate`` over the facts of ``subject``."""
    return PlatformRule(code, platforms, template, frozenset(checked), MappingProxyType(facts),
                        subject, predicate, feature)


ALL = frozenset(PLATFORMS)

# Why the rules below stay code in their consumers.
_PLATFORM_ONLY = ("the account's platform alone decides it: Tx.require_platform refuses the "
                  "operation by the rule's platforms")
_A_CHANGE = "it judges a change (before and after), not a state of facts"

# --- accounts and shops -----------------------------------------------------------------------
SINGLE_SHOP = _check(
    ShopsFacts, lambda f: f.shops <= 1,
    "single_shop", SINGLE_SHOP_PLATFORMS,
    "a {platforms} account has exactly one shop", "validate", "apply")
SHOPEE_SITE = _check(
    ShopFacts, lambda f: f.site in SHOPEE_SITES,
    "shopee_site", SITE_PLATFORMS,
    "a {platforms} shop names its site, one of {sites}", "validate", "apply",
    sites=", ".join(sorted(SHOPEE_SITES)))
SEAT_QUOTA = _check(
    SeatFacts, lambda f: f.seats_used <= f.seat_quota,
    "seat_quota", ALL,
    "every sub-account, a disabled one too, holds one of its main account's seats",
    "validate", "preview", "apply")
DEPARTMENTS_UNSUPPORTED = _rule(
    "departments_unsupported", DEPARTMENT_PLATFORMS,
    "only {platforms} seller centres have departments", "apply", by_hand=_PLATFORM_ONLY)

# --- logins and users -------------------------------------------------------------------------
LOGIN_FORMAT = _rule(
    "login_format", COLON_LOGIN_PLATFORMS,
    "a {platforms} sub-account login is '<main nick>:<name>' with the ASCII colon ':'",
    "validate", "apply",
    by_hand="the validator names the look-alike colon an IME typed and writes the fix; the "
    "nick and login_name are read apart in org.yaml but joined at apply")
IMMUTABLE_LOGIN = _rule(
    "immutable_login", COLON_LOGIN_PLATFORMS,
    "a {platforms} sub-account login can never be renamed: a new name means a new sub-account",
    "apply", by_hand=_A_CHANGE)
EMAIL_REQUIRED = _check(
    UserFacts, lambda f: bool(f.email),
    "email_required", INVITE_BY_EMAIL_PLATFORMS,
    "{platforms} invites users by email", "validate", "apply")
EMAIL_UNCONFIRMED = _rule(
    "ozon_email_unconfirmed", INVITE_BY_EMAIL_PLATFORMS,
    "a user {platforms} invites stays invited until they confirm the email", "apply",
    by_hand="a status transition, allowed once the user confirms by mail")
PHONE_LOGIN = _check(
    UserFacts, lambda f: f.login is None or re.match(MAINLAND_MOBILE_PATTERN, f.login) is not None,
    "ks_phone_format", PHONE_LOGIN_PLATFORMS,
    "a {platforms} staff member logs in with a mainland mobile number (11 digits starting "
    "13 to 19)", "validate", "apply")
NICK_NAME = _check(
    UserFacts, lambda f: f.display_name is None or 0 < len(f.display_name.strip())
    <= len(f.display_name) <= KUAISHOU_NICK_NAME_MAX,
    "ks_nick_name_required", NICK_NAME_PLATFORMS,
    "a {platforms} staff member's nickname is 1 to {max} characters", "validate", "apply",
    max=KUAISHOU_NICK_NAME_MAX)
ROLES_REQUIRED = _check(
    StaffRolesFacts, lambda f: f.roles > 0,
    "ks_roles_required", ROLES_REQUIRED_PLATFORMS,
    "a {platforms} staff member holds at least one role on its shop", "validate")
TWO_FACTOR_UNSUPPORTED = _check(
    UserFacts, lambda f: not f.two_factor,
    "two_factor_unsupported", TWO_FACTOR_PLATFORMS,
    "only {platforms} users carry a two-factor flag of their own", "apply", feature=True)

# --- Shopee main account ----------------------------------------------------------------------
_ACTIVATION = "the activation flow: a link sent, opened or expired by the account system's clock"
_WALLET = "the wallet password is a secret the account system holds only as a hash"
NOT_ACTIVATED = _rule(
    RULE_SHOPEE_NOT_ACTIVATED, ACTIVATION_PLATFORMS,
    "nothing is created under a {platforms} main account until its holder activates it "
    "through the link", "apply", by_hand=_ACTIVATION)
ACTIVATION_EXPIRED = _rule(
    "shopee_activation_expired", ACTIVATION_PLATFORMS,
    "an activation link is valid for {hours} hours: invite again to send a new one", "apply",
    by_hand=_ACTIVATION, hours=SHOPEE_ACTIVATION_LINK_HOURS)
ACTIVATION_UNSUPPORTED = _rule(
    "activation_unsupported", ACTIVATION_PLATFORMS,
    "only {platforms} main accounts are activated through a link", "apply",
    by_hand=_PLATFORM_ONLY)
WALLET_UNSUPPORTED = _rule(
    "wallet_password_unsupported", WALLET_PLATFORMS,
    "only {platforms} accounts have a wallet password", "apply", by_hand=_PLATFORM_ONLY)
WALLET_MAIN_ONLY = _rule(
    "wallet_password_main_only", WALLET_PLATFORMS,
    "only the main account sets the wallet password", "apply",
    by_hand="it judges who acts (the acting login), not a state")
WALLET_SAME_AS_SHOP = _rule(
    "wallet_password_same_as_shop", WALLET_PLATFORMS,
    "the wallet password must differ from the shop password", "apply", by_hand=_WALLET)
CHAT_GROUPS_UNSUPPORTED = _check(
    ChatGroupFacts, lambda f: f.groups == 0,
    "chat_groups_unsupported", CHAT_GROUP_PLATFORMS,
    "chat groups are a {platforms} feature", "validate", "apply", feature=True)

# --- Douyin bindings --------------------------------------------------------------------------
BINDINGS_UNSUPPORTED = _check(
    ShopBindingFacts, lambda f: f.bindings == 0,
    "bindings_unsupported", BINDING_PLATFORMS,
    "only {platforms} shops bind external accounts", "validate", "apply", feature=True)
OFFICIAL_EXISTS = _check(
    ShopBindingFacts, lambda f: f.officials <= 1,
    "official_exists", BINDING_PLATFORMS,
    "a shop has exactly one official {platforms} account, never unbound or replaced",
    "validate", "apply")
OFFICIAL_UNBIND = _rule(
    "official_unbind", BINDING_PLATFORMS,
    "a shop's official {platforms} account can never be unbound", "preview", "apply",
    by_hand=_A_CHANGE + " (an unbind, or a binding org.yaml dropped)")
CHANNEL_SOURCE = _check(
    ShopBindingFacts, lambda f: all(s in DOUYIN_CHANNEL_SOURCES for s in f.channel_sources),
    "channel_source", BINDING_PLATFORMS,
    "a channel account comes from one of {sources}", "validate", "apply",
    sources=", ".join(sorted(DOUYIN_CHANNEL_SOURCES)))
CHANNEL_LIMIT = _check(
    ShopBindingFacts, lambda f: f.channels <= DOUYIN_MAX_CHANNEL_ACCOUNTS,
    "channel_limit", BINDING_PLATFORMS,
    "{platforms} allows at most {limit} channel accounts per shop", "validate", "apply",
    limit=DOUYIN_MAX_CHANNEL_ACCOUNTS)
CHANNEL_UNBIND_TOO_EARLY = _rule(
    "channel_unbind_too_early", BINDING_PLATFORMS,
    "a channel account can be unbound only {days} days after binding", "preview", "apply",
    by_hand=_A_CHANGE + ", by the account system's clock; the refusal names the first allowed "
    "date", days=DOUYIN_CHANNEL_UNBIND_AFTER_DAYS)
SELF_OPERATED_TAKEN = _check(
    CreatorFacts, lambda f: len(f.self_operated_for) <= 1,
    "self_operated_taken", BINDING_PLATFORMS,
    "an account can be self-operated for one merchant only", "validate", "apply")
SELF_OPERATED_CONSENT = _rule(
    RULE_SELF_OPERATED_CONSENT, BINDING_PLATFORMS,
    "the creator must consent in their own {platforms} app", "apply",
    by_hand="consent is given in the creator's app: only the account system knows it")
SELF_OPERATED_GMV = _rule(
    "self_operated_gmv", BINDING_PLATFORMS,
    "at least {share:.0%} of the creator's GMV over the last {days} days must come from "
    "this shop", "apply",
    by_hand="the creator's sales over a window: only the account system knows them",
    share=DOUYIN_SELF_OPERATED_MIN_GMV_SHARE, days=DOUYIN_SELF_OPERATED_GMV_WINDOW_DAYS)

#: The table: every platform rule, once.
RULES: tuple[PlatformRule[Any], ...] = (
    SINGLE_SHOP, SHOPEE_SITE, SEAT_QUOTA, DEPARTMENTS_UNSUPPORTED,
    LOGIN_FORMAT, IMMUTABLE_LOGIN, EMAIL_REQUIRED, EMAIL_UNCONFIRMED, PHONE_LOGIN, NICK_NAME,
    ROLES_REQUIRED, TWO_FACTOR_UNSUPPORTED,
    NOT_ACTIVATED, ACTIVATION_EXPIRED, ACTIVATION_UNSUPPORTED,
    WALLET_UNSUPPORTED, WALLET_MAIN_ONLY, WALLET_SAME_AS_SHOP, CHAT_GROUPS_UNSUPPORTED,
    BINDINGS_UNSUPPORTED, OFFICIAL_EXISTS, OFFICIAL_UNBIND, CHANNEL_SOURCE, CHANNEL_LIMIT,
    CHANNEL_UNBIND_TOO_EARLY, SELF_OPERATED_TAKEN, SELF_OPERATED_CONSENT, SELF_OPERATED_GMV,
)
RULES_BY_CODE: Mapping[str, PlatformRule[Any]] = MappingProxyType({r.code: r for r in RULES})


def rules_of(subject: type[F], stage: Stage) -> tuple[PlatformRule[F], ...]:
    """The rules over ``subject``'s facts checked at ``stage``, in the table's order."""
    return tuple(r for r in RULES if r.subject is subject and stage in r.checked)


def broken(facts: F, stage: Stage) -> tuple[PlatformRule[F], ...]:
    """The rules checked at ``stage`` that ``facts`` break, in the table's order (the first is
    the one an account system refuses with)."""
    return tuple(r for r in rules_of(type(facts), stage) if not r.holds(facts))

