"""Runbooks: the manual steps no platform API can do, rendered for the person who does them.

Every operation TOP lacks (creating or deleting a sub-account, department changes, granting
roles, role update/delete) and every operation on Shopee, Ozon and Douyin becomes a
:class:`~shoporg.errors.ManualStepRequired` carrying a :class:`~shoporg.errors.Runbook`::

    raise manual_step(account.platform, "sub_account", "create", account_id="tb-youpin",
                      name="tb-youpin/zhang-wei", person="张伟 (zhang-wei)",
                      fields={"login": "优品数码专营:张伟", "department": "售前"})

The text comes from ``templates/<platform>/<kind>_<operation>.j2`` if present, else
``templates/<platform>/<operation>.j2`` (Tmall uses Taobao's); a step that waits on a third
party uses ``templates/<platform>/<kind>_<waits_on>.j2`` or ``<waits_on>.j2``
(``shop_binding_consent``, ``activation``). Rendered with
``StrictUndefined`` so a template can never print a blank where a value was meant. A
template states a platform rule, or reads its facts, through ``rules``
(:data:`shoporg.platforms.rules.RULES_BY_CODE`, e.g.
``{{ rules.channel_unbind_too_early.message }}``), never in its own words.
Runbooks never carry secrets: a password is set by the person, never written here.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Literal

import jinja2

from shoporg.errors import ManualStepRequired, Runbook
from shoporg.kinds import KINDS
from shoporg.platforms import SHARED_SELLER_CENTRE
from shoporg.platforms.rules import RULES_BY_CODE
from shoporg.platforms.seller_centres import SELLER_CENTRE_NAMES, SELLER_CENTRE_PAGES

Operation = Literal["create", "update", "delete"]
ThirdParty = Literal["consent", "activation"]

#: Whom a third-party step waits on, as the worklist says it.
THIRD_PARTIES: dict[ThirdParty, str] = {
    "consent": "the creator (consent in their Douyin app)",
    "activation": "the main-account holder (the activation link)",
}
TEMPLATES = Path(__file__).parent / "templates"

#: Which seller centre each platform's steps happen in, and its pages (platform facts).
PLATFORM_NAMES = SELLER_CENTRE_NAMES
PAGES = SELLER_CENTRE_PAGES

#: Who a step is for when the caller names no one (``runbook(person=None)``): the fields
#: that follow identify them. A template that must name someone prints ``{{ for_whom }}``
#: (the person, else this); the others print ``person`` only ``{% if person %}``.
UNNAMED_PERSON = "the employee these fields describe"

#: How a runbook names a backend spec's field (``SubAccountSpec.display_name`` → "name"):
#: the words the seller-centre forms use, so a step reads as what to type where. The words
#: several kinds share are here; a kind's own are on its ``Kind`` (``field_labels``), joined
#: below. Every field of a ``*Spec`` and every key a caller passes to :func:`labelled` has
#: one (a key missing would print raw: ``tests/runbooks/test_field_labels.py`` names it).
_SHARED_LABELS: dict[str, str] = {
    "id": "id",
    "member_id": "employee id (工号)",
    "login": "login (账号名)",
    "display_name": "name (姓名)",
    "department_id": "department (部门)",
    "email": "email",
    "phone": "phone (手机)",
    "name": "name",
    "description": "description",
    "shop_id": "shop",
    "status": "status",
    "member": "employee id (工号)",
    # Keys the ledger already passes in the forms' words: printed as they are, said so here.
    "shop": "shop",
    "roles": "roles",
    "account": "account",
    "group": "group",
    "members": "members",
    "who": "who",
}


def _field_labels() -> dict[str, str]:
    labels = dict(_SHARED_LABELS)
    for kind in KINDS:
        for key, label in kind.field_labels.items():
            if labels.setdefault(key, label) != label:
                raise ValueError(f"{kind.word} labels {key!r} {label!r}, another kind or the "
                                 f"shared labels say {labels[key]!r}: one field, one word")
    return labels


FIELD_LABELS: dict[str, str] = _field_labels()


def labelled(fields: Mapping[str, object | None]) -> dict[str, object | None]:
    """``fields`` keyed by their runbook labels (an unknown key is kept as it is; the tests
    see that there is none)."""
    return {FIELD_LABELS.get(key, key): value for key, value in fields.items()}


#: What a runbook calls each kind (``Kind.runbook_label``), and the wallet password (a
#: main-account setting with runbooks of its own, not a kind).
KIND_LABELS: dict[str, str] = {
    **{kind.word: kind.runbook_label for kind in KINDS},
    "wallet": "wallet password",
}


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain text for terminals, state outputs and Markdown (escaped there)
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def template_platform(platform: str) -> str:
    """Tmall shares Taobao's seller centre (TOP), so it shares its templates."""
    return SHARED_SELLER_CENTRE.get(platform, platform)


def runbook(
    platform: str,
    kind: str,
    operation: Operation,
    *,
    account_id: str,
    name: str,
    fields: Mapping[str, object | None],
    person: str | None = None,
    note: str | None = None,
    waits_on: ThirdParty | None = None,
) -> Runbook:
    """Render one manual step. ``fields`` with a ``None`` value are left out.

    ``waits_on`` names the third party a step waits for (:data:`THIRD_PARTIES`): its own
    template, and the step completes when the platform shows they acted."""
    if platform not in PLATFORM_NAMES:
        raise ValueError(f"no runbooks for platform {platform!r}")
    shown = {k: _show(v) for k, v in fields.items() if v is not None}
    page = PAGES[platform].get(kind, "")
    env = _environment()
    folder = template_platform(platform)
    template = env.select_template(
        [f"{folder}/{kind}_{waits_on}.j2", f"{folder}/{waits_on}.j2"] if waits_on
        else [f"{folder}/{kind}_{operation}.j2", f"{folder}/{operation}.j2"]
    )
    text = template.render(
        platform=platform,
        platform_name=PLATFORM_NAMES[platform],
        page=page,
        kind=kind,
        kind_label=KIND_LABELS.get(kind, kind),
        operation=operation,
        account=account_id,
        object=name,
        person=person,
        for_whom=person or UNNAMED_PERSON,
        fields=shown,
        note=note,
        rules=RULES_BY_CODE,
    )
    return Runbook(
        platform=platform,
        kind=kind,
        operation=operation,
        account_id=account_id,
        name=name,
        page=f"{PLATFORM_NAMES[platform]} › {page}" if page else PLATFORM_NAMES[platform],
        text=" ".join(text.split()),
        person=person,
        fields=shown,
        waits_on=THIRD_PARTIES[waits_on] if waits_on else None,
    )


def manual_step(
    platform: str,
    kind: str,
    operation: Operation,
    *,
    account_id: str,
    name: str,
    fields: Mapping[str, object | None],
    person: str | None = None,
    note: str | None = None,
    waits_on: ThirdParty | None = None,
) -> ManualStepRequired:
    """The error a backend raises for a step no API can do (see the module docstring)."""
    return ManualStepRequired(
        runbook(
            platform, kind, operation, account_id=account_id, name=name, fields=fields,
            person=person, note=note, waits_on=waits_on,
        )
    )


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)


__all__ = [
    "FIELD_LABELS", "KIND_LABELS", "PAGES", "PLATFORM_NAMES", "THIRD_PARTIES", "Operation",
    "ThirdParty", "labelled", "manual_step", "runbook",
]
