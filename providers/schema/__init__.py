"""org.yaml: models, a position-keeping YAML loader, cross-object rules, JSON Schema.

::

    from shoporg.schema import load_org, validate_text
    org = load_org("org.yaml")        # raises shoporg.errors.ConfigError with every issue
    for member in org.members: ...

Modules: :mod:`.loader` (YAML -> data + positions), :mod:`.models` (pydantic),
:mod:`.rules` (cross-object rules), :mod:`.validate` (the pipeline), :mod:`.export`
(JSON Schema).
"""

from shoporg.schema.export import org_json_schema, render_json_schema
from shoporg.schema.models import (
    Account,
    Binding,
    ChatGroup,
    Department,
    Member,
    Org,
    Policies,
    RemovalLimits,
    Role,
    Shop,
    SubAccount,
    ToxicPair,
    Webhook,
)
from shoporg.schema.validate import load_org, validate_text

__all__ = [
    "Account",
    "Binding",
    "ChatGroup",
    "Department",
    "Member",
    "Org",
    "Policies",
    "RemovalLimits",
    "Role",
    "Shop",
    "SubAccount",
    "ToxicPair",
    "Webhook",
    "load_org",
    "org_json_schema",
    "render_json_schema",
    "validate_text",
]
