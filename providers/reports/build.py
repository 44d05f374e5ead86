"""The two ways into a review, both ending in the same :class:`Plan` and :class:`Review`::

    review_from_preview(preview_json, org, today)      # engine-backed (trusted CI)
    review_from_orgs(base_org, proposed_org, today)    # config-only (safe for forks)
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Mapping
from typing import Any

from shoporg.backends.settings import BackendSettings
from shoporg.kinds import desired_world
from shoporg.reports.interpret import build_review
from shoporg.reports.model import Review
from shoporg.reports.world import Plan, diff_worlds, follow_renames, objects, plan_from_preview
from shoporg.schema import Org


def plan_from_orgs(old_org: Org, new_org: Org, today: datetime.date) -> Plan:
    new_world = desired_world(new_org, today)
    old = follow_renames(objects(desired_world(old_org, today)), new_world)
    return diff_worlds(old, objects(new_world))


def review_from_orgs(old_org: Org, new_org: Org, *, today: datetime.date,
                     source: dict[str, Any], connectors: BackendSettings | None = None
                     ) -> Review:
    """``connectors``: the stack's routing, for the manual steps (None: the sandbox)."""
    plan = plan_from_orgs(old_org, new_org, today)
    return build_review(plan, new_org, old_org=old_org, today=today, source=source,
                        connectors=connectors)


def review_from_preview(preview: Mapping[str, Any], org: Org, *, today: datetime.date,
                        source: dict[str, Any], only: Collection[str] | None = None,
                        connectors: BackendSettings | None = None) -> Review:
    """``only``: a shard stack's accounts (the preview covers only those)."""
    plan = plan_from_preview(preview, objects(desired_world(org, today, only)))
    return build_review(plan, org, today=today, source=source, connectors=connectors)
