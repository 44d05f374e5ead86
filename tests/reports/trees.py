"""Reviews whose department trees the tree tests draw (and render in a browser)."""

from __future__ import annotations

import yaml

from shoporg.reports.build import review_from_orgs
from shoporg.reports.model import Review
from shoporg.reports.sources import org_from_file, org_from_text

from .conftest import ORGS, TODAY


def many_departments(departments: int) -> Review:
    """The 1,000-person onboarding (orgs/thousand.yaml) spread over ``departments`` new
    sub-departments of 运营部: a change touching that many departments."""
    org = yaml.safe_load((ORGS / "thousand.yaml").read_text(encoding="utf-8"))
    ops = next(d for d in org["departments"] if d["id"] == "ops")
    ops.setdefault("children", []).extend(
        {"id": f"ops-{i:03d}", "name": f"运营{i:03d}组"} for i in range(departments))
    temps = [m for m in org["members"] if m["id"].startswith("temp-")]
    for i, m in enumerate(temps):
        m["department"] = f"ops-{i % departments:03d}"
    new = org_from_text(yaml.safe_dump(org, allow_unicode=True, sort_keys=False), "many.yaml")
    return review_from_orgs(org_from_file(ORGS / "base.yaml"), new, today=TODAY,
                            source={"kind": "config", "old": "base.yaml", "new": "many.yaml"})
