"""The body of ``stacks/__main__.py``: read stack config, load org.yaml, build, export.

An invalid org.yaml fails the run before a single resource is registered, with every
``org.yaml:LINE:COL`` line, so a preview of a broken file changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

from providers.backends.settings import project_root
from providers.errors import ConfigError
from providers.schema import load_org
from providers.stack import build


def org_path(config: pulumi.Config, root: Path) -> Path:
    path = Path(config.get("orgFile") or "org.yaml")
    return path if path.is_absolute() else root / path


def main() -> None:
    config = pulumi.Config("shoporg")
    root = project_root()
    path = org_path(config, root)
    try:
        org = load_org(path)
    except ConfigError as exc:
        lines = "\n".join(str(i) for i in exc.issues)
        raise pulumi.RunError(
            f"{path.name} is invalid ({len(exc.issues)} problem(s)); nothing was changed:\n{lines}"
        ) from None
    built = build(org)
    pulumi.export("company", org.company)
    pulumi.export("summary", built.summary())
