"""Platform facts shared by the validator, the sandbox and the reports.

Everything here is a fact about a seller platform (from SPEC.md "Platform rules"), not a
choice of ours: which platforms exist, their limits, login formats and permission
catalogues. Keeping them in one place means the validator (preview time) and the sandbox
(apply time) can never disagree about a rule. Each rule that reads these facts is stated once
in :mod:`shoporg.platforms.rules`, many as a predicate over a subject's facts
(:mod:`shoporg.platforms.facts`); where a manual step happens (each seller centre and its
pages) is :mod:`shoporg.platforms.seller_centres`. Platform names are written as string
literals only in this package.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

from shoporg.platforms.catalogue import CATALOGUES, Permission, PermissionCatalogue

Platform = Literal["taobao", "tmall", "shopee", "ozon", "douyin", "kuaishou"]
PLATFORMS: tuple[Platform, ...] = get_args(Platform)
#: Each platform's id by name, for code that must name one (a CLI verb, a demo world).
TAOBAO, TMALL, SHOPEE, OZON, DOUYIN, KUAISHOU = PLATFORMS
#: How the platforms write their own names in a sentence.
PLATFORM_TITLES: dict[str, str] = {
    "taobao": "Taobao", "tmall": "Tmall", "shopee": "Shopee", "ozon": "Ozon", "douyin": "Douyin",
    "kuaishou": "Kuaishou",
}

# The platforms TOP serves (Taobao's open platform covers Tmall sellers too).
TOP_PLATFORMS: tuple[Platform, ...] = ("taobao", "tmall")
# The platforms Kuaishou's merchant open platform (快手电商开放平台) serves.
KUAISHOU_PLATFORMS: tuple[Platform, ...] = ("kuaishou",)

#: The open platforms shoporg has a connector for, by the connector's name as stack config
#: writes it (``shoporg:backend``, ``shoporg:connectors``), with the platforms each serves.
#: The TOP connector is named ``taobao`` after the open platform it speaks to: it serves Tmall
#: accounts too.
OpenPlatform = Literal["taobao", "kuaishou"]
OPEN_PLATFORMS: dict[str, tuple[Platform, ...]] = {
    "taobao": TOP_PLATFORMS, "kuaishou": KUAISHOU_PLATFORMS,
}
TOP_OPEN_PLATFORM, KUAISHOU_OPEN_PLATFORM = get_args(OpenPlatform)
# Tmall shares Taobao's seller centre (TOP), so its steps read as Taobao's.
SHARED_SELLER_CENTRE: dict[str, str] = {"tmall": "taobao"}

# Taobao and Tmall share the TOP seller centre and its sub-account rules.
COLON_LOGIN_PLATFORMS: frozenset[str] = frozenset({"taobao", "tmall"})
# Taobao, Tmall, Douyin and Kuaishou: one shop per platform account (SPEC "Domain model";
# a 快手小店 is its seller account).
SINGLE_SHOP_PLATFORMS: frozenset[str] = frozenset({"taobao", "tmall", "douyin", "kuaishou"})
# Platforms whose seller centre has a department tree we mirror.
DEPARTMENT_PLATFORMS: frozenset[str] = frozenset({"taobao", "tmall"})

# Platforms whose shops each name their site (a country market); the others name none.
SITE_PLATFORMS: frozenset[str] = frozenset({"shopee"})
SHOPEE_SITES: frozenset[str] = frozenset(
    {"MY", "SG", "TH", "ID", "VN", "PH", "TW", "BR", "MX", "CO", "CL"}
)

# Platforms whose seller centre has a wallet (payment) password, set by the main account.
WALLET_PLATFORMS: frozenset[str] = frozenset({"shopee"})
# Platforms whose main account is activated through an emailed link (valid a few hours).
ACTIVATION_PLATFORMS: frozenset[str] = frozenset({"shopee"})
# Platforms whose shops keep customer-service chat groups (per shop).
CHAT_GROUP_PLATFORMS: frozenset[str] = frozenset({"shopee"})
# Platforms that invite a user by email; the user stays invited until they confirm it.
INVITE_BY_EMAIL_PLATFORMS: frozenset[str] = frozenset({"ozon"})
# Platforms whose users carry a two-factor-authentication flag of their own.
TWO_FACTOR_PLATFORMS: frozenset[str] = frozenset({"ozon"})
# Platforms whose shops bind external accounts (official, channel, self-operated).
BINDING_PLATFORMS: frozenset[str] = frozenset({"douyin"})

# Platforms whose sub-accounts (staff) log in with their mobile number: login_name is it.
PHONE_LOGIN_PLATFORMS: frozenset[str] = frozenset({"kuaishou"})
# A mainland China mobile number, as Kuaishou's staff API takes one (phone, contactPhone).
MAINLAND_MOBILE_PATTERN: Final = r"^1[3-9][0-9]{9}$"
# Platforms whose staff carry no email (a Kuaishou staff member is a phone, a nickname and
# a contact phone, which the seller centre requires: the login phone when none is given).
EMAILLESS_PLATFORMS: frozenset[str] = frozenset({"kuaishou"})
# Platforms whose staff members name themselves (Kuaishou's nickName): at most this long.
NICK_NAME_PLATFORMS: frozenset[str] = frozenset({"kuaishou"})
KUAISHOU_NICK_NAME_MAX = 20
# Platforms where a staff member always holds at least one role (Kuaishou's roleIds): the
# account system refuses a staff member without one, so org.yaml must name one.
ROLES_REQUIRED_PLATFORMS: frozenset[str] = frozenset({"kuaishou"})

# What every seller centre accepts as an email address (org.yaml's check and the sandbox's).
# Deliberately loose: "something@domain.tld". Ozon proves an address by sending mail.
EMAIL_PATTERN: Final = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

# Douyin shop (抖店) binding rules.
DOUYIN_MAX_CHANNEL_ACCOUNTS = 5
DOUYIN_CHANNEL_UNBIND_AFTER_DAYS = 180
DOUYIN_SELF_OPERATED_MIN_GMV_SHARE = 0.5
DOUYIN_SELF_OPERATED_GMV_WINDOW_DAYS = 30
# Where a channel account lives; a Literal gives editors an enum to complete from.
ChannelSource = Literal["douyin", "toutiao", "xigua", "huoshan"]
DOUYIN_CHANNEL_SOURCES: frozenset[str] = frozenset(get_args(ChannelSource))

# Shopee main-account activation link lifetime.
SHOPEE_ACTIVATION_LINK_HOURS = 72

# Refusals that wait on a third party, not on the operator: a Douyin creator has not
# consented yet; a Shopee main account is not activated yet (its holder opens the link).
# The platform says so by these rule names; shoporg turns them into pending steps.
RULE_SELF_OPERATED_CONSENT = "self_operated_consent"
RULE_SHOPEE_NOT_ACTIVATED = "shopee_not_activated"
# The platform whose third party each of those refusals waits on (its runbook's platform).
PLATFORM_OF_RULE: dict[str, str] = {
    RULE_SELF_OPERATED_CONSENT: "douyin",
    RULE_SHOPEE_NOT_ACTIVATED: "shopee",
}


def contact_of(platform: str, login: str, email: str | None, phone: str | None
               ) -> tuple[str | None, str | None]:
    """The email and phone a sub-account carries on ``platform``, from its member's."""
    if platform in EMAILLESS_PLATFORMS:
        email = None
    if platform in PHONE_LOGIN_PLATFORMS and not phone:
        phone = login
    return email, phone


def taobao_login(main_nick: str, name: str) -> str:
    """The immutable Taobao/Tmall sub-account login: ``<main nick>:<name>`` (ASCII colon)."""
    return f"{main_nick}:{name}"


__all__ = [
    "ACTIVATION_PLATFORMS",
    "BINDING_PLATFORMS",
    "CATALOGUES",
    "CHAT_GROUP_PLATFORMS",
    "COLON_LOGIN_PLATFORMS",
    "DEPARTMENT_PLATFORMS",
    "DOUYIN",
    "DOUYIN_CHANNEL_SOURCES",
    "DOUYIN_CHANNEL_UNBIND_AFTER_DAYS",
    "DOUYIN_MAX_CHANNEL_ACCOUNTS",
    "DOUYIN_SELF_OPERATED_GMV_WINDOW_DAYS",
    "DOUYIN_SELF_OPERATED_MIN_GMV_SHARE",
    "EMAILLESS_PLATFORMS",
    "EMAIL_PATTERN",
    "INVITE_BY_EMAIL_PLATFORMS",
    "KUAISHOU",
    "KUAISHOU_NICK_NAME_MAX",
    "KUAISHOU_OPEN_PLATFORM",
    "KUAISHOU_PLATFORMS",
    "MAINLAND_MOBILE_PATTERN",
    "NICK_NAME_PLATFORMS",
    "OPEN_PLATFORMS",
    "OZON",
    "PHONE_LOGIN_PLATFORMS",
    "PLATFORMS",
    "PLATFORM_OF_RULE",
    "PLATFORM_TITLES",
    "ROLES_REQUIRED_PLATFORMS",
    "RULE_SELF_OPERATED_CONSENT",
    "RULE_SHOPEE_NOT_ACTIVATED",
    "SHARED_SELLER_CENTRE",
    "SHOPEE",
    "SHOPEE_ACTIVATION_LINK_HOURS",
    "SHOPEE_SITES",
    "SINGLE_SHOP_PLATFORMS",
    "SITE_PLATFORMS",
    "TAOBAO",
    "TMALL",
    "TOP_OPEN_PLATFORM",
    "TOP_PLATFORMS",
    "TWO_FACTOR_PLATFORMS",
    "WALLET_PLATFORMS",
    "ChannelSource",
    "OpenPlatform",
    "Permission",
    "PermissionCatalogue",
    "Platform",
    "contact_of",
    "taobao_login",
]
