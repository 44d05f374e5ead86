"""The org.yaml snippet a kind's modules show is a shape org.yaml really has.

Each ``providers/kinds/<kind>.py`` and ``providers/resources/<kind>.py`` docstring opens with
the org.yaml section it handles; every item of it must validate with the schema's model for
that section (a docstring showing ``account:`` where org.yaml says ``external_account:``
misled readers before).
"""

from __future__ import annotations

import importlib
import textwrap
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from shoporg.kinds import KINDS, Kind
from shoporg.schema import Binding, ChatGroup, Department, Member, Role

SECTIONS: dict[str, type[BaseModel]] = {
    "departments": Department, "roles": Role, "members": Member, "bindings": Binding,
    "chat_groups": ChatGroup,
}


def snippet(doc: str) -> dict[str, Any]:
    """The indented block after the first ``::`` of a docstring, as YAML."""
    _, _, rest = doc.partition("::\n")
    lines = []
    for line in rest.splitlines()[1:]:
        if line.strip() and not line.startswith("    "):
            break
        lines.append(line)
    data = yaml.safe_load(textwrap.dedent("\n".join(lines)))
    assert isinstance(data, dict), doc[:80]
    return data


MODULES = [
    pytest.param(module, id=module)
    for kind in KINDS
    for module in (f"shoporg.kinds.{kind.word}", kind.resource.partition(":")[0])
]


@pytest.mark.parametrize("module", MODULES)
def test_the_docstring_snippet_is_valid_org_yaml(module: str) -> None:
    doc = importlib.import_module(module).__doc__ or ""
    data = snippet(doc)
    [(section, items)] = data.items()
    model = SECTIONS[section]
    for item in items:
        model.model_validate(item)


@pytest.mark.parametrize("kind", KINDS, ids=[k.word for k in KINDS])
def test_the_docstring_names_the_kinds_resource_name_format(kind: Kind) -> None:
    doc = importlib.import_module(f"shoporg.kinds.{kind.word}").__doc__ or ""
    example = kind.ref(*(f"<{f}>" for f in kind.fields)).name
    assert example.replace("<binding_kind>", "<kind>").replace("<external>", "<external account>") \
        in doc.replace("``", ""), example
