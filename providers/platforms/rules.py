"""The platform rules, each written once: its code, the platforms it applies to, the platform
facts it reads and the one sentence that states it.

Every place that enforces or explains a rule takes its wording from here and adds only what
it alone knows: the validator (``providers/schema/rules.py``) the org.yaml position and a
suggestion, the sandbox (``providers/backends/sandbox/``) the object it refused, the live
rules (``providers/live_rules.py``) the account system's dates, the runbooks and the review
the step to take. ``code`` is the stable name the account system refuses with
(:attr:`providers.errors.RuleViolation.rule`); ``checked`` says where it is enforced, and
``tests/platforms/test_rule_table.py`` holds every rule to an invalid org.yaml fixture (when
``validate``) and a connector contract case (when ``apply``) that show its message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from providers.platforms import (
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
    PLATFORM_TITLES,
    PLATFORMS,
    RULE_SELF_OPERATED_CONSENT,
    RULE_SHOPEE_NOT_ACTIVATED,
    SHOPEE_ACTIVATION_LINK_HOURS,
    SHOPEE_SITES,
    SINGLE_SHOP_PLATFORMS,
    SITE_PLATFORMS,
    TWO_FACTOR_PLATFORMS,
    WALLET_PLATFORMS,
)

#: Where a rule is enforced: org.yaml alone (``shoporg validate``, every preview), the live
#: account system at preview (``live_rules.py``), or the account system at apply.
Stage = Literal["validate", "preview", "apply"]


def _titles(platforms: frozenset[str]) -> str:
    """``Taobao, Tmall or Douyin``: the platforms in their canonical order."""
    names = [PLATFORM_TITLES[p] for p in PLATFORMS if p in platforms]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


@dataclass(frozen=True)
class PlatformRule:
    """One platform rule. ``template`` is a :meth:`str.format` string over ``facts`` and
    ``platforms`` (the platforms' titles, e.g. "Taobao or Tmall")."""

    code: str
    platforms: frozenset[str]
    template: str
    checked: frozenset[Stage]
    facts: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}),
                                        hash=False)

    @property
    def message(self) -> str:
        """The rule stated, with its facts filled in."""
        return self.template.format_map({"platforms": _titles(self.platforms), **self.facts})

    def applies_to(self, platform: str) -> bool:
        return platform in self.platforms


def _rule(code: str, platforms: frozenset[str], template: str, *checked: Stage,
          **facts: object) -> PlatformRule:
    return PlatformRule(code, platforms, template, frozenset(checked), MappingProxyType(facts))


ALL = frozenset(PLATFORMS)

# --- accounts and shops -----------------------------------------------------------------------
SINGLE_SHOP = _rule(
    "single_shop", SINGLE_SHOP_PLATFORMS,
    "a {platforms} account has exactly one shop", "validate", "apply")
SHOPEE_SITE = _rule(
    "shopee_site", SITE_PLATFORMS,
    "a {platforms} shop names its site, one of {sites}", "validate", "apply",
    sites=", ".join(sorted(SHOPEE_SITES)))
SEAT_QUOTA = _rule(
    "seat_quota", ALL,
    "every sub-account, a disabled one too, holds one of its main account's seats",
    "validate", "preview", "apply")
DEPARTMENTS_UNSUPPORTED = _rule(
    "departments_unsupported", DEPARTMENT_PLATFORMS,
    "only {platforms} seller centres have departments", "apply")

# --- logins and users -------------------------------------------------------------------------
LOGIN_FORMAT = _rule(
    "login_format", COLON_LOGIN_PLATFORMS,
    "a {platforms} sub-account login is '<main nick>:<name>' with the ASCII colon ':'",
    "validate", "apply")
IMMUTABLE_LOGIN = _rule(
    "immutable_login", COLON_LOGIN_PLATFORMS,
    "a {platforms} sub-account login can never be renamed: a new name means a new sub-account",
    "apply")
EMAIL_REQUIRED = _rule(
    "email_required", INVITE_BY_EMAIL_PLATFORMS,
    "{platforms} invites users by email", "validate", "apply")
EMAIL_UNCONFIRMED = _rule(
    "ozon_email_unconfirmed", INVITE_BY_EMAIL_PLATFORMS,
    "a user {platforms} invites stays invited until they confirm the email", "apply")
TWO_FACTOR_UNSUPPORTED = _rule(
    "two_factor_unsupported", TWO_FACTOR_PLATFORMS,
    "only {platforms} users carry a two-factor flag of their own", "apply")

# --- Shopee main account ----------------------------------------------------------------------
NOT_ACTIVATED = _rule(
    RULE_SHOPEE_NOT_ACTIVATED, ACTIVATION_PLATFORMS,
    "nothing is created under a {platforms} main account until its holder activates it "
    "through the link", "apply")
ACTIVATION_EXPIRED = _rule(
    "shopee_activation_expired", ACTIVATION_PLATFORMS,
    "an activation link is valid for {hours} hours: invite again to send a new one", "apply",
    hours=SHOPEE_ACTIVATION_LINK_HOURS)
ACTIVATION_UNSUPPORTED = _rule(
    "activation_unsupported", ACTIVATION_PLATFORMS,
    "only {platforms} main accounts are activated through a link", "apply")
WALLET_UNSUPPORTED = _rule(
    "wallet_password_unsupported", WALLET_PLATFORMS,
    "only {platforms} accounts have a wallet password", "apply")
WALLET_MAIN_ONLY = _rule(
    "wallet_password_main_only", WALLET_PLATFORMS,
    "only the main account sets the wallet password", "apply")
WALLET_SAME_AS_SHOP = _rule(
    "wallet_password_same_as_shop", WALLET_PLATFORMS,
    "the wallet password must differ from the shop password", "apply")
CHAT_GROUPS_UNSUPPORTED = _rule(
    "chat_groups_unsupported", CHAT_GROUP_PLATFORMS,
    "chat groups are a {platforms} feature", "validate", "apply")

# --- Douyin bindings --------------------------------------------------------------------------
BINDINGS_UNSUPPORTED = _rule(
    "bindings_unsupported", BINDING_PLATFORMS,
    "only {platforms} shops bind external accounts", "validate", "apply")
OFFICIAL_EXISTS = _rule(
    "official_exists", BINDING_PLATFORMS,
    "a shop has exactly one official {platforms} account, never unbound or replaced",
    "validate", "apply")
OFFICIAL_UNBIND = _rule(
    "official_unbind", BINDING_PLATFORMS,
    "a shop's official {platforms} account can never be unbound", "preview", "apply")
CHANNEL_SOURCE = _rule(
    "channel_source", BINDING_PLATFORMS,
    "a channel account comes from one of {sources}", "validate", "apply",
    sources=", ".join(sorted(DOUYIN_CHANNEL_SOURCES)))
CHANNEL_LIMIT = _rule(
    "channel_limit", BINDING_PLATFORMS,
    "{platforms} allows at most {limit} channel accounts per shop", "validate", "apply",
    limit=DOUYIN_MAX_CHANNEL_ACCOUNTS)
CHANNEL_UNBIND_TOO_EARLY = _rule(
    "channel_unbind_too_early", BINDING_PLATFORMS,
    "a channel account can be unbound only {days} days after binding", "preview", "apply",
    days=DOUYIN_CHANNEL_UNBIND_AFTER_DAYS)
SELF_OPERATED_TAKEN = _rule(
    "self_operated_taken", BINDING_PLATFORMS,
    "an account can be self-operated for one merchant only", "validate", "apply")
SELF_OPERATED_CONSENT = _rule(
    RULE_SELF_OPERATED_CONSENT, BINDING_PLATFORMS,
    "the creator must consent in their own {platforms} app", "apply")
SELF_OPERATED_GMV = _rule(
    "self_operated_gmv", BINDING_PLATFORMS,
    "at least {share:.0%} of the creator's GMV over the last {days} days must come from "
    "this shop", "apply",
    share=DOUYIN_SELF_OPERATED_MIN_GMV_SHARE, days=DOUYIN_SELF_OPERATED_GMV_WINDOW_DAYS)

#: The table: every platform rule, once.
RULES: tuple[PlatformRule, ...] = (
    SINGLE_SHOP, SHOPEE_SITE, SEAT_QUOTA, DEPARTMENTS_UNSUPPORTED,
    LOGIN_FORMAT, IMMUTABLE_LOGIN, EMAIL_REQUIRED, EMAIL_UNCONFIRMED, TWO_FACTOR_UNSUPPORTED,
    NOT_ACTIVATED, ACTIVATION_EXPIRED, ACTIVATION_UNSUPPORTED,
    WALLET_UNSUPPORTED, WALLET_MAIN_ONLY, WALLET_SAME_AS_SHOP, CHAT_GROUPS_UNSUPPORTED,
    BINDINGS_UNSUPPORTED, OFFICIAL_EXISTS, OFFICIAL_UNBIND, CHANNEL_SOURCE, CHANNEL_LIMIT,
    CHANNEL_UNBIND_TOO_EARLY, SELF_OPERATED_TAKEN, SELF_OPERATED_CONSENT, SELF_OPERATED_GMV,
)
RULES_BY_CODE: Mapping[str, PlatformRule] = MappingProxyType({r.code: r for r in RULES})

