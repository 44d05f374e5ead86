"""The two ways into a review, both ending in the same :class:`Plan` and :class:`Review`::

    review_from_preview(preview_json, org, today)      # engine-backed (trusted CI)
    review_from_orgs(base_org, proposed_org, today)    # config-only (safe for forks)
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Mapping
from typing import Any

from providers.reports.desired import desired_objects
from providers.reports.interpret import build_review
from providers.reports.model import Review
from providers.reports.world import Obj, Plan, diff_worlds, plan_from_preview
from providers.schema import Org


def _follow_renames(old: Mapping[str, Obj], new_org: Org) -> dict[str, Obj]:
    """Key the base world's objects of a renamed member (``previously:``) by the new id,
    as the engine's aliases do, so a rename diffs as the change it is, not delete+create."""
    renamed = {old_id: m.id for m in new_org.members for old_id in m.previously}
    out: dict[str, Obj] = {}
    for name, obj in old.items():
        member = obj.get("member_id")
        if obj.kind in ("sub_account", "role_grant") and member in renamed:
            prefix, _, rest = name.partition("/")
            tail = rest[len(str(member)):]  # "" or "@shop"
            name = f"{prefix}/{renamed[str(member)]}{tail}"
        out[name] = Obj(obj.kind, name, obj.inputs, obj.outputs)
    return out


def plan_from_orgs(old_org: Org, new_org: Org, today: datetime.date) -> Plan:
    old = _follow_renames(desired_objects(old_org, today), new_org)
    return diff_worlds(old, desired_objects(new_org, today))


def review_from_orgs(old_org: Org, new_org: Org, *, today: datetime.date,
                     source: dict[str, Any]) -> Review:
    plan = plan_from_orgs(old_org, new_org, today)
    return build_review(plan, new_org, old_org=old_org, today=today, source=source)


def review_from_preview(preview: Mapping[str, Any], org: Org, *, today: datetime.date,
                        source: dict[str, Any], only: Collection[str] | None = None) -> Review:
    """``only``: a shard stack's accounts (the preview covers only those)."""
    plan = plan_from_preview(preview, desired_objects(org, today, only))
    return build_review(plan, org, today=today, source=source)
