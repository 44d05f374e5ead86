"""Platform facts shared by the validator, the sandbox and the reports.

Everything here is a fact about a seller platform (from SPEC.md "Platform rules"), not a
choice of ours: which platforms exist, their limits, login formats and permission
catalogues. Keeping them in one place means the validator (preview time) and the sandbox
(apply time) can never disagree about a rule.
"""

from __future__ import annotations

from typing import Literal, get_args

from providers.platforms.catalogue import CATALOGUES, Permission, PermissionCatalogue

Platform = Literal["taobao", "tmall", "shopee", "ozon", "douyin"]
PLATFORMS: tuple[Platform, ...] = get_args(Platform)

# Taobao and Tmall share the TOP seller centre and its sub-account rules.
COLON_LOGIN_PLATFORMS: frozenset[str] = frozenset({"taobao", "tmall"})
# Taobao, Tmall and Douyin: one shop per platform account (SPEC "Domain model").
SINGLE_SHOP_PLATFORMS: frozenset[str] = frozenset({"taobao", "tmall", "douyin"})
# Platforms whose seller centre has a department tree we mirror.
DEPARTMENT_PLATFORMS: frozenset[str] = frozenset({"taobao", "tmall"})

# Platforms whose shops each name their site (a country market); the others name none.
SITE_PLATFORMS: frozenset[str] = frozenset({"shopee"})
SHOPEE_SITES: frozenset[str] = frozenset(
    {"MY", "SG", "TH", "ID", "VN", "PH", "TW", "BR", "MX", "CO", "CL"}
)

# Douyin shop (抖店) binding rules.
DOUYIN_MAX_CHANNEL_ACCOUNTS = 5
DOUYIN_CHANNEL_UNBIND_AFTER_DAYS = 180
DOUYIN_SELF_OPERATED_MIN_GMV_SHARE = 0.5
DOUYIN_SELF_OPERATED_GMV_WINDOW_DAYS = 30
DOUYIN_CHANNEL_SOURCES: frozenset[str] = frozenset({"douyin", "toutiao", "xigua", "huoshan"})

# Shopee main-account activation link lifetime.
SHOPEE_ACTIVATION_LINK_HOURS = 72

# Refusals that wait on a third party, not on the operator: a Douyin creator has not
# consented yet; a Shopee main account is not activated yet (its holder opens the link).
# The platform says so by these rule names; shoporg turns them into pending steps.
RULE_SELF_OPERATED_CONSENT = "self_operated_consent"
RULE_SHOPEE_NOT_ACTIVATED = "shopee_not_activated"


def taobao_login(main_nick: str, name: str) -> str:
    """The immutable Taobao/Tmall sub-account login: ``<main nick>:<name>`` (ASCII colon)."""
    return f"{main_nick}:{name}"


__all__ = [
    "CATALOGUES",
    "COLON_LOGIN_PLATFORMS",
    "DEPARTMENT_PLATFORMS",
    "DOUYIN_CHANNEL_SOURCES",
    "DOUYIN_CHANNEL_UNBIND_AFTER_DAYS",
    "DOUYIN_MAX_CHANNEL_ACCOUNTS",
    "DOUYIN_SELF_OPERATED_GMV_WINDOW_DAYS",
    "DOUYIN_SELF_OPERATED_MIN_GMV_SHARE",
    "PLATFORMS",
    "SHOPEE_ACTIVATION_LINK_HOURS",
    "SHOPEE_SITES",
    "SINGLE_SHOP_PLATFORMS",
    "SITE_PLATFORMS",
    "Permission",
    "PermissionCatalogue",
    "Platform",
    "taobao_login",
]
