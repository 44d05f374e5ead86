"""The department tree's Mermaid node ids: one node per department, person and "… more"."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoporg.reports.build import plan_from_orgs
from shoporg.reports.context import Context
from shoporg.reports.diagram import DEPT, MORE, PERSON, _node, mermaid_tree
from shoporg.reports.sources import org_from_text

from .conftest import ORGS, TODAY

BASE = (ORGS / "base.yaml").read_text(encoding="utf-8")
NODE_ID = re.compile(r"^[A-Za-z0-9_]+$")  # what Mermaid reads as one id, whatever follows

nodes = st.tuples(st.sampled_from((DEPT, PERSON, MORE)), st.none() | st.text())


@given(nodes, nodes)
def test_node_ids_are_injective(a: tuple[str, str | None], b: tuple[str, str | None]) -> None:
    assert (_node(*a) == _node(*b)) is (a == b)


@given(nodes)
def test_a_node_id_is_one_mermaid_id(a: tuple[str, str | None]) -> None:
    assert NODE_ID.match(_node(*a))


@pytest.mark.parametrize(
    ("case", "a", "b"),
    [
        ("a hyphen and an underscore are two people", (PERSON, "zhang-wei"), (PERSON, "zhang_wei")),
        ("a department called none is not the no-department node", (DEPT, "none"), (DEPT, None)),
        ("a person and a department sharing an id are two nodes", (PERSON, "ops"), (DEPT, "ops")),
        ("an escape written out is not the character it escapes", (PERSON, "a_X2dX"),
         (PERSON, "a-")),
    ],
)
def test_distinct_names_get_distinct_nodes(case: str, a: tuple[str, str | None],
                                           b: tuple[str, str | None]) -> None:
    assert _node(*a) != _node(*b), case


def test_zhang_wei_and_zhang_underscore_wei_are_two_people_each_with_one_parent() -> None:
    twin = BASE.replace("  - id: zhang-wei\n", "  - id: zhang_wei\n    name: 张伟二\n"
                        "    department: cs-aftersale\n    sub_accounts: []\n"
                        "  - id: zhang-wei\n", 1)
    old, new = org_from_text(BASE, "old"), org_from_text(twin, "new")
    ctx = Context(new_org=new, old_org=old, plan=plan_from_orgs(old, new, TODAY), today=TODAY)
    tree = mermaid_tree(ctx, {"zhang-wei": "changed", "zhang_wei": "added"})
    people = re.findall(r"--> (p_\w+)\[", tree)  # one edge per person: their one parent
    assert len(people) == len(set(people)) == 2, tree
    assert '"✎ 张伟"' in tree and '"+ 张伟二"' in tree  # each with the sign of their change
