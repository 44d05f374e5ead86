"""The org.yaml data model: one pydantic model per kind, ``extra="forbid"`` everywhere.

::

    company: 杭州优品电子商务有限公司
    accounts:                         # 主账号: one seller-centre tenant
      - id: tb-flagship
        platform: taobao
        nick: 优品数码旗舰店
        seat_quota: 10
        shops: [{id: tb-flagship-shop, name: 优品数码旗舰店}]
      - {id: sp-main, platform: shopee, nick: youpin.digital, seat_quota: 8,
         shops: [{id: sp-my, name: Youpin Digital MY, site: MY}]}    # Shopee shops name a site
      - {id: dy-main, platform: douyin, nick: 优品数码抖店, seat_quota: 8,
         shops: [{id: dy-shop, name: 优品数码官方旗舰店}]}
    departments:                      # 部门: a tree
      - {id: cs, name: 客服部, children: [{id: cs-presale, name: 售前}]}
    roles:                            # a named permission set of one platform
      - {id: tb-cs, platform: taobao, name: 客服, permissions: [ww-chat, refund-view]}
    members:                          # staff; each sub_accounts entry is one 子账号
      - id: zhang-wei
        name: 张伟
        department: cs-presale
        sub_accounts:
          - {account: tb-flagship, login_name: 张伟, roles: [tb-cs], dispatch: true}
          - {account: sp-main, login_name: zhangwei}   # a Shopee seat, for the chat group
    bindings:                         # Douyin: official / channel / self_operated
      - {shop: dy-shop, kind: channel, external_account: "7120001", source: toutiao}
    chat_groups:                      # Shopee: customer-service groups per shop
      - {shop: sp-my, name: 售前, members: [zhang-wei]}
    policies:
      toxic_pairs:
        - {platforms: [taobao, tmall], permissions: [item-price, refund-approve], reason: ...}
      removal_limits: {overall: 0.2}  # how much access one change may take away (RemovalLimits)

The models check the shape of each object on its own (types, required keys, id syntax,
enums), strictly, as the JSON Schema editors use does: no text becomes a number or a
boolean (``seat_quota: "12"``, ``dispatch: "true"`` and ``dispatch: yes`` are errors, see
the YAML 1.2 table in :mod:`shoporg.schema.loader`); the one text that is parsed is a
date, written YYYY-MM-DD as JSON Schema's ``format: date`` says. Rules that need more
than one object (references, quotas, uniqueness, platform rules) live in
:mod:`shoporg.schema.rules`, because they need positions to report and must all run
even when one of them fails. The same models are meant for every boundary
(provider ``check()`` included), so they stay free of YAML and position concerns.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Final, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    NonNegativeInt,
    PrivateAttr,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from shoporg.platforms import (
    COLON_LOGIN_PLATFORMS,
    SHOPEE_SITES,
    Platform,
    taobao_login,
)
from shoporg.platforms import EMAIL_PATTERN as EMAIL_PATTERN
from shoporg.platforms import ChannelSource as ChannelSource

if TYPE_CHECKING:  # the registry is loaded by Org.census, not by loading org.yaml
    from shoporg.kinds import Tally

# Ids become Pulumi resource names and URNs, so they are ASCII slugs; human (Chinese)
# names go in ``name``. The message for a mismatch is keyed by this exact pattern in
# shoporg.schema.validate.PATTERN_HINTS.
ID_PATTERN: Final = r"^[a-z][a-z0-9_-]{0,63}$"

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Text = Annotated[str, StringConstraints(min_length=1)]
Email = Annotated[str, StringConstraints(pattern=EMAIL_PATTERN)]
PermissionCode = Annotated[str, StringConstraints(min_length=1)]

# Checked by rules.account_shape (with a did-you-mean); the enum is for editors only.
ShopeeSite = Annotated[str, Field(json_schema_extra={"enum": sorted(SHOPEE_SITES)})]

DATE_PATTERN: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _iso_date(value: object) -> object:
    """YAML 1.2 has no date type: a date is the text YYYY-MM-DD (a date object passes)."""
    if not isinstance(value, str):
        return value
    if not re.match(DATE_PATTERN, value):
        timed = re.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ]", value)
        what = "has a time of day" if timed else "is not a date"
        raise PydanticCustomError(
            "shoporg_date", f"{value!r} {what} (write a date like 2025-12-31)")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError(
            "shoporg_date",
            f"{value!r} is not a valid date (write a real date as YYYY-MM-DD)") from None


def _whole(value: object) -> object:
    """12.0 is the whole number 12, as it is to JSON Schema (``integer``) and editors."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: A day, written 2025-12-31 (the JSON Schema says string, format date, this pattern).
IsoDate = Annotated[
    datetime.date,
    BeforeValidator(_iso_date),
    Field(json_schema_extra={"pattern": DATE_PATTERN}),
]

#: A whole number; never text or a boolean (strict), 12.0 is 12 (as to JSON Schema).
Count = Annotated[NonNegativeInt, BeforeValidator(_whole)]

#: A grant whose ``valid_from`` and ``expires`` are at most this many days apart is
#: temporary access (a colleague covering a holiday), and reviews say so.
TEMPORARY_DAYS: Final = 14

MemberStatus = Literal["active", "left"]
BindingKind = Literal["official", "channel", "self_operated"]


class _Model(BaseModel):
    # frozen: later stages key dicts by these objects and must not mutate the config.
    # strict: what the editor's JSON Schema accepts, no more (no "12" -> 12, "yes" -> True).
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Shop(_Model):
    """A shop (店铺) under a platform account. Shopee shops name their site."""

    id: Id
    name: Text
    site: ShopeeSite | None = Field(
        default=None, description="Shopee site code (MY, SG, TH, ...); only for shopee shops."
    )


class Account(_Model):
    """A platform main account (主账号) and the shops it owns."""

    id: Id
    platform: Platform
    nick: Text = Field(description="Main account login (主账号名); Taobao logins are nick:name.")
    seat_quota: Count = Field(description="Sub-account seats owned (子账号名额).")
    shops: list[Shop] = Field(min_length=1)

    def login(self, login_name: str) -> str:
        """The full sub-account login as the seller centre shows it."""
        if self.platform in COLON_LOGIN_PLATFORMS:
            return taobao_login(self.nick, login_name)
        return login_name


class Department(_Model):
    """A department (部门); ``children`` nest to form the tree."""

    id: Id
    name: Text
    manager: Id | None = Field(
        default=None,
        description="The member who reviews this department's access "
        "(`shoporg review-access --manager ID`, with its sub-departments).",
    )
    children: list[Department] = []
    defaults: dict[Id, list[Id]] = Field(
        default={},
        description="The roles a member of this department (or of a sub-department that "
        "names none for that account) gets on each account, by account id: a member's "
        "sub_accounts entry without roles: takes them; an entry that says roles: (even []) "
        "keeps its own. A member who moves department takes the new department's roles.",
        # Keys are account ids: one not shaped like an id is refused, as the model does.
        json_schema_extra={"additionalProperties": False},
    )


class Role(_Model):
    """A named set of one platform's permission codes (see shoporg.platforms.catalogue)."""

    id: Id
    platform: Platform
    name: Text
    permissions: list[PermissionCode] = Field(min_length=1)
    description: str | None = None


class SubAccount(_Model):
    """One member's sub-account (子账号) on one platform account, with its role grants."""

    account: Id
    login_name: Text = Field(
        description="Taobao/Tmall: only the part after the colon; the login is nick:login_name."
    )
    shops: list[Id] | None = Field(
        default=None, description="Shops the roles apply to; omitted means every shop."
    )
    roles: list[Id] = []
    valid_from: IsoDate | None = Field(
        default=None,
        description="First day of the grant (YYYY-MM-DD), for a hire who starts on a given "
        "day or a colleague covering a holiday. Before that day the sub-account is not "
        "created and its roles are not granted; the first `shoporg up` on or after it "
        "creates and grants them (the day is judged by the account system's clock, as "
        "expires: is; both days are included). It may not be after expires:; when expires: "
        f"is at most {TEMPORARY_DAYS} days after it, reviews flag the grant as temporary "
        "access.",
    )
    expires: IsoDate | None = Field(
        default=None,
        description="Last day of the grant (YYYY-MM-DD): from the day after it the "
        "sub-account is disabled (never deleted).",
    )
    dispatch: bool = Field(
        default=False, description="Joins customer-service chat dispatch (分流)."
    )
    #: The department whose ``defaults`` gave this entry its roles (None: its own roles:).
    _roles_from: str | None = PrivateAttr(default=None)

    @property
    def roles_from(self) -> str | None:
        """The department whose ``defaults`` gave this entry its roles, if any."""
        return self._roles_from

    def shop_ids(self, account: Account) -> list[str]:
        """The shops this sub-account's roles apply to (default: all shops of the account)."""
        return list(self.shops) if self.shops is not None else [s.id for s in account.shops]

    def started(self, today: datetime.date) -> bool:
        """Whether its start day has come: before ``valid_from`` the sub-account is not
        declared at all (not created, nothing granted); from that day on it is."""
        return self.valid_from is None or self.valid_from <= today

    def temporary(self) -> bool:
        """A short elevation: ``valid_from`` and ``expires`` at most :data:`TEMPORARY_DAYS`
        days apart (reviews call it temporary access)."""
        return (self.valid_from is not None and self.expires is not None
                and (self.expires - self.valid_from).days <= TEMPORARY_DAYS)


class Member(_Model):
    """A staff member. ``status: left`` means: disable every sub-account they have."""

    id: Id
    name: Text
    department: Id
    email: Email | None = None
    phone: str | None = None
    status: MemberStatus = "active"
    previously: list[Id] = Field(
        default=[], description="Earlier ids of this member, so a rename is not delete+create."
    )
    sub_accounts: list[SubAccount] = []


class Binding(_Model):
    """An external account bound to a Douyin shop."""

    shop: Id
    kind: BindingKind
    external_account: Text
    source: ChannelSource | None = Field(
        default=None, description="Channel accounts only: where the account lives."
    )


class ChatGroup(_Model):
    """A Shopee customer-service chat group of one shop."""

    shop: Id
    name: Text
    members: list[Id] = Field(min_length=1)


class ToxicPair(_Model):
    """Two permissions no single member may hold on one account (segregation of duties)."""

    platforms: list[Platform] = Field(min_length=1)
    # A YAML list of two (strict would want a Python tuple); the codes stay strict text.
    permissions: tuple[PermissionCode, PermissionCode] = Field(strict=False)
    reason: Text


class RemovalLimits(_Model):
    """How much access one change may take away before `shoporg up` needs `--allow-removals`:
    the guard counts people and what they hold (sub-accounts, role grants), never departments
    or roles."""

    # The guard's only limits (providers/reports/guard.py); their defaults live here alone.
    overall: float = Field(
        default=0.25, gt=0, le=1,
        description="Largest share of the people holding access anywhere that one change may "
        "take access from (delete a sub-account or a role grant of).",
    )
    per_account: float = Field(
        default=0.25, gt=0, le=1,
        description="The same share for the people on one platform account, and for the "
        "people of one department (with its sub-departments).",
    )
    min_people: Count = Field(
        default=2,
        description="A group is over its share only when the change takes access from more "
        "than this many of its people: one leaver in a team of three passes, three of four "
        "staff do not.",
    )


#: Where a webhook's URL or secret is: an environment variable's name or a stack config key
#: (``shoporg:dingtalkUrl``, set with ``pulumi config set --secret``). Never the value.
ENV_NAME_PATTERN: Final = r"^[A-Z_][A-Z0-9_]{0,127}$"
CONFIG_KEY_PATTERN: Final = r"^[A-Za-z][A-Za-z0-9_-]*:[A-Za-z][A-Za-z0-9_-]*$"
EnvName = Annotated[str, StringConstraints(pattern=ENV_NAME_PATTERN)]
ConfigKey = Annotated[str, StringConstraints(pattern=CONFIG_KEY_PATTERN)]
NotifyEvent = Literal["up", "drift", "tasks"]


class Webhook(_Model):
    """A team chat to tell after ``shoporg up``, ``drift`` and ``tasks`` (providers/notify).

    org.yaml names only where the URL and the signing secret are (an environment variable or
    a Pulumi secret config key), never the values."""

    name: Id
    type: Literal["dingtalk", "wecom", "feishu", "generic"] = Field(
        description="DingTalk / WeCom (企业微信) / Feishu group robot, or a generic JSON webhook "
        "(Slack-compatible {\"text\": ...})."
    )
    url_env: EnvName | None = Field(default=None, description="Environment variable holding "
                                    "the webhook URL.")
    url_config: ConfigKey | None = Field(default=None, description="Stack config key (a "
                                         "Pulumi secret) holding the webhook URL.")
    secret_env: EnvName | None = Field(
        default=None,
        description="Environment variable holding the signing secret (DingTalk 加签 / Feishu "
        "签名校验).")
    secret_config: ConfigKey | None = Field(default=None, description="Stack config key (a "
                                            "Pulumi secret) holding the signing secret.")
    events: list[NotifyEvent] = Field(default=["up", "drift", "tasks"],
                                      description="Which commands post here.")

    @model_validator(mode="after")
    def _one_place_each(self) -> Webhook:
        if (self.url_env is None) == (self.url_config is None):
            raise ValueError("name the webhook URL in exactly one of url_env / url_config")
        if self.secret_env is not None and self.secret_config is not None:
            raise ValueError("name the signing secret in at most one of secret_env / "
                             "secret_config")
        if self.type in ("wecom", "generic") and (self.secret_env or self.secret_config):
            raise ValueError(f"{self.type} webhooks are not signed: drop the secret")
        return self


class Policies(_Model):
    toxic_pairs: list[ToxicPair] = []
    removal_limits: RemovalLimits = RemovalLimits()
    notify: list[Webhook] = Field(default=[], description="Team chats told after `shoporg "
                                  "up`, `drift` and `tasks`, with a link to the full report.")
    attestation_days: Annotated[int, BeforeValidator(_whole)] = Field(
        default=90, ge=1,
        description="On platforms without a read API (the ledger), an object last confirmed "
        "or attested longer ago than this is reported by `shoporg drift` as unverified.",
    )
    step_age_days: Annotated[int, BeforeValidator(_whole)] = Field(
        default=14, ge=1,
        description="A manual step open longer than this is reported by `shoporg drift` as "
        "overdue (exit 3, like unverified objects, unless there is drift).",
    )


class Org(_Model):
    """The whole organization declared in org.yaml."""

    company: Text
    accounts: list[Account]
    departments: list[Department]
    roles: list[Role] = []
    members: list[Member]
    bindings: list[Binding] = []
    chat_groups: list[ChatGroup] = []
    policies: Policies = Policies()

    @model_validator(mode="after")
    def _department_defaults(self) -> Org:
        """An entry without ``roles:`` takes its member's department's ``defaults`` for its
        account (the nearest department up the tree that names that account). Only roles
        that exist and are the account's platform's are taken: the validator reports the
        others where they are written, at the department (rules.department_defaults)."""
        parents = {d.id: p.id if p is not None else None for d, p in self.walk_departments()}
        defaults = {d.id: d.defaults for d, _ in self.walk_departments() if d.defaults}
        if not defaults:
            return self
        platforms = {a.id: a.platform for a in self.accounts}
        roles = {r.id: r.platform for r in self.roles}

        def inherited(department: str | None, account: str) -> tuple[str, list[str]] | None:
            seen: set[str] = set()
            while department is not None and department not in seen:
                seen.add(department)
                if account in defaults.get(department, {}):
                    return department, defaults[department][account]
                department = parents.get(department)
            return None

        members = []
        for m in self.members:
            entries = []
            for e in m.sub_accounts:
                found = None if "roles" in e.model_fields_set else inherited(m.department,
                                                                              e.account)
                if found is not None:
                    usable = [r for r in found[1] if roles.get(r) == platforms.get(e.account)]
                    e = e.model_copy(update={"roles": usable})
                    e._roles_from = found[0]
                entries.append(e)
            members.append(m.model_copy(update={"sub_accounts": entries}))
        return self.model_copy(update={"members": members})

    def walk_departments(self) -> Iterator[tuple[Department, Department | None]]:
        """Every department with its parent, parents before children (creation order)."""
        stack: list[tuple[Department, Department | None]] = [
            (d, None) for d in reversed(self.departments)
        ]
        while stack:
            dept, parent = stack.pop()
            yield dept, parent
            stack.extend((c, dept) for c in reversed(dept.children))

    def census(self) -> tuple[Tally, ...]:
        """What the validate summary counts, in its order: the platform facts, then what
        each kind declares (``Kind.counts``, in registry order)."""
        # Imported here: the kinds read this module's models (for annotations only), and
        # loading org.yaml needs no registry.
        from shoporg.kinds import KINDS, Tally

        facts = (Tally("accounts", "account", lambda org: len(org.accounts)),
                 Tally("shops", "shop", lambda org: sum(len(a.shops) for a in org.accounts)))
        return (*facts, *(c for kind in KINDS for c in kind.counts))

    def counts(self) -> dict[str, int]:
        """How many objects of each kind are declared (the validate summary line)."""
        out: dict[str, int] = {}
        for count in self.census():
            for c in (count, count.aside):
                if c is not None:
                    out[c.key] = c.of(self)
        return out

    def summary(self) -> str:
        """``5 accounts, 6 shops, ..., 16 members (2 left), ...``: one count per kind."""
        counts = self.counts()
        said = []
        for c in self.census():
            n = counts[c.key]
            phrase = f"{n} {c.noun}{'' if n == 1 else 's'}"
            if c.aside is not None:
                phrase += f" ({counts[c.aside.key]} {c.aside.noun})"
            said.append(phrase)
        return ", ".join(said)
