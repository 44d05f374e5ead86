"""Pictures for reviewers: the affected department subtree (Mermaid) and a person × shop
access matrix.

::

    graph TD
      d_cs["客服部"] --> d_cs_presale["售前"]
      d_cs_presale --> p_zhang_wei["张伟"]:::changed

GitHub renders a ```` ```mermaid ```` block in comments. Both pictures are capped so a
1,000-person change stays readable; the JSON report always has every row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from itertools import pairwise
from typing import Final

from shoporg.kinds import ROLE_GRANT, SUB_ACCOUNT, Ref
from shoporg.reports.context import Context
from shoporg.reports.model import MatrixCell, MatrixRow
from shoporg.reports.world import Obj

PEOPLE_PER_DEPARTMENT = 8
MAX_PEOPLE_NODES = 60
MAX_DEPARTMENT_NODES = 60
# Mermaid refuses more than 500 edges and 50,000 characters (its maxEdges / maxTextSize);
# the caps above give at most 60 + 60 + 60 + 61 edges, and the text is kept well under.
MAX_TREE_CHARS = 20_000

# A person's node: its class (a light fill with a dark text colour, so the label reads on
# GitHub's light and dark themes alike) and the sign its label starts with (colour alone
# is not enough; strike-through is unreadable on Chinese text). Also the legend, in order.
KINDS_OF_CHANGE: Final = {
    "added": ("+", "added", "fill:#d9f2d9,stroke:#2e7d32,color:#102a12"),
    "removed": ("−", "removed (all access)", "fill:#f9d6d5,stroke:#c62828,color:#3b0d0c"),
    "left": ("⏏", "left the company", "fill:#e4d7f5,stroke:#6a3fa0,color:#241238"),
    "moved": ("↪", "moved department", "fill:#d6e8fa,stroke:#1f5fa8,color:#0b2540"),
    "changed": ("✎", "access changed", "fill:#fff1c2,stroke:#b8860b,color:#3a2a00"),
}
STYLES = tuple(f"classDef {k} {style};" for k, (_, _, style) in KINDS_OF_CHANGE.items())


#: Node id prefixes: they differ in their first letter, so no two kinds of node share an id.
#: (MORE: the people of a department not drawn; REST: the departments not drawn.)
DEPT, PERSON, MORE, REST, KEY = "d_", "p_", "more_", "r_", "k_"
# What a missing department encodes to: it starts with "X", which no id's encoding does.
_NO_DEPARTMENT = "Xnone"
_LITERAL = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def _node(prefix: str, ident: str | None) -> str:
    """A Mermaid node id that is injective in (prefix, ident), so ``zhang-wei`` and
    ``zhang_wei`` stay two people: ``-`` (the common separator) is written ``_``, a-z and 0-9
    stay, anything else is ``_X<hex>X`` (an ``X`` never stands alone, so every id decodes
    back one way); None, the no-department node, is ``Xnone``."""
    if ident is None:
        return prefix + _NO_DEPARTMENT
    return prefix + "".join(
        ch if ch in _LITERAL else "_" if ch == "-" else f"_X{ord(ch):x}X" for ch in ident
    )


# Mermaid entity codes (``#name;`` / ``#code;``): Mermaid turns them into HTML character
# references, so every character that would end the quoted label, start an entity, be read
# as HTML or (between backticks) as a Markdown string shows as itself.
_MERMAID_CODES: Final = {"#": "#35;", "&": "#amp;", "<": "#lt;", ">": "#gt;", '"': "#quot;",
                         "`": "#96;"}


def _label(text: str) -> str:
    """A quoted Mermaid label that shows ``text`` literally (a name from a fork's org.yaml
    must not become markup); line breaks become spaces."""
    text = " ".join(text.splitlines())
    return '"' + "".join(_MERMAID_CODES.get(ch, ch) for ch in text) + '"'


def mermaid_tree(ctx: Context, people: Mapping[str, str]) -> str:
    """A ``graph TD`` of the departments holding changed people, with their ancestors.

    Within Mermaid's limits however large the change (500 edges, 50,000 characters: past
    them GitHub shows an error instead of the picture): at most :data:`MAX_DEPARTMENT_NODES`
    departments and :data:`MAX_PEOPLE_NODES` people, the rest counted in "… N more" nodes
    (at most one per department shown), and the whole under :data:`MAX_TREE_CHARS`."""
    if not people:
        return ""
    departments, persons = MAX_DEPARTMENT_NODES, MAX_PEOPLE_NODES
    while True:
        text = _tree(ctx, people, departments, persons)
        if len(text) <= MAX_TREE_CHARS or departments + persons <= 2:
            return text
        departments, persons = max(1, departments // 2), max(1, persons // 2)


def _tree(ctx: Context, people: Mapping[str, str], max_departments: int,
          max_people: int) -> str:
    by_dept: dict[str | None, list[str]] = defaultdict(list)
    for member in sorted(people):
        by_dept[ctx.member_department(member)].append(member)
    order = ctx.department_order()
    nodes: dict[str | None, str] = {}  # department id -> its node line
    edges: dict[tuple[str, str], None] = {}
    shown: list[str | None] = []
    # Departments left out, counted under their nearest ancestor that is shown.
    rest: dict[str | None, list[int]] = {}  # anchor -> [departments, people]
    for dept in sorted(by_dept, key=lambda d: (order.get(d, len(order)), d or "")):
        chain: list[tuple[str | None, str]] = [*ctx.department_chain(dept)]
        chain = chain or [(None, "(no department)")]
        new = [(d_id, name) for d_id, name in chain if d_id not in nodes]
        if len(nodes) + len(new) > max_departments:
            anchor = next((d_id for d_id, _ in reversed(chain) if d_id in nodes), None)
            counts = rest.setdefault(anchor, [0, 0])
            counts[0] += 1
            counts[1] += len(by_dept[dept])
            continue
        for d_id, d_name in new:
            nodes[d_id] = f"{_node(DEPT, d_id)}[{_label(d_name)}]"
        for (a, _), (b, _) in pairwise(chain):
            edges[(_node(DEPT, a), _node(DEPT, b))] = None
        shown.append(dept)
    lines = ["graph TD"]
    lines += [f"  {n}" for n in nodes.values()]
    lines += [f"  {a} --> {b}" for a, b in edges]
    kinds = _kinds_of_change(ctx, people)
    placed = 0
    for dept in shown:
        members = by_dept[dept]
        parent = _node(DEPT, dept)
        room = max(0, min(PEOPLE_PER_DEPARTMENT, max_people - placed))
        for member in members[:room]:
            kind, note = kinds[member]
            sign = KINDS_OF_CHANGE[kind][0]
            lines.append(
                f"  {parent} --> {_node(PERSON, member)}"
                f"[{_label(f'{sign} {ctx.member_name(member)}{note}')}]:::{kind}"
            )
        placed += min(room, len(members))
        left = len(members) - min(room, len(members))
        if left:
            lines.append(f"  {parent} --> {_node(MORE, dept)}"
                         f"[{_label(f'… {left} more')}]")
    for anchor, (n_depts, n_people) in rest.items():
        label = _label(f"… {n_depts} more departments, {n_people} people")
        node = f"{_node(REST, anchor)}[{label}]"
        lines.append(f"  {_node(DEPT, anchor)} --> {node}" if anchor in nodes else f"  {node}")
    used = [k for k in KINDS_OF_CHANGE if k in {kind for kind, _ in kinds.values()}]
    lines.append(f"  subgraph {KEY}legend[{_label('legend')}]")
    lines += [f"    {_node(KEY, k)}[{_label(f'{KINDS_OF_CHANGE[k][0]} {KINDS_OF_CHANGE[k][1]}')}]"
              f":::{k}" for k in used]
    lines.append("  end")
    lines += [f"  {s}" for s in STYLES]
    return "\n".join(lines)


def _kinds_of_change(ctx: Context, people: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """member -> (added / removed / left / moved / changed, a note for the label): left is
    ``status: left`` in the proposed org.yaml, moved a department other than before (the
    note names it)."""
    left = {m.id for m in ctx.new_org.members if m.status == "left"}
    depts: list[dict[str, str]] = [{}, {}]  # before, after
    for i, (org, world) in enumerate(((ctx.old_org, ctx.plan.old), (ctx.new_org, ctx.plan.new))):
        for o in world.values():
            if o.kind == "sub_account" and o.get("department_id"):
                depts[i].setdefault(str(o.get("member_id")), str(o.get("department_id")))
        if org is not None:
            depts[i].update({m.id: m.department for m in org.members})
    out: dict[str, tuple[str, str]] = {}
    for member, status in people.items():
        before, after = depts[0].get(member), depts[1].get(member)
        if member in left and status != "added":
            out[member] = ("left", " (left)")
        elif status in ("added", "removed"):
            out[member] = (status, "")
        elif before is not None and after is not None and before != after:
            chain = ctx.department_chain(before)
            out[member] = ("moved", f" (from {chain[-1][1] if chain else before})")
        else:
            out[member] = ("changed", "")
    return out


def _roles(world: Mapping[Ref, Obj], account: str, member: str, shop: str,
           ctx: Context) -> set[str]:
    grant = world.get(ROLE_GRANT.ref(account, member, shop))
    sub = world.get(SUB_ACCOUNT.ref(account, member))
    if grant is None or sub is None or not sub.get("enabled", True):
        return set()
    return {ctx.role_name(account, r, world) for r in grant.get("role_ids") or []}


def access_matrix(ctx: Context, members: list[str]) -> tuple[list[str], list[MatrixRow]]:
    """Rows: the touched people; columns: every shop any of them holds roles on."""
    shop_accounts: dict[str, str] = {}
    for world in (ctx.plan.old, ctx.plan.new):
        for o in world.values():
            if o.kind == "role_grant" and o.get("member_id") in members:
                shop_accounts[str(o.get("shop_id"))] = o.account
    account_order = ctx.account_order()
    shops = sorted(shop_accounts, key=lambda s: (
        account_order.index(shop_accounts[s]) if shop_accounts[s] in account_order else 99, s))
    rows: list[MatrixRow] = []
    for member in members:
        cells = []
        for shop in shops:
            account = shop_accounts[shop]
            before = _roles(ctx.plan.old, account, member, shop, ctx)
            after = _roles(ctx.plan.new, account, member, shop, ctx)
            cells.append(MatrixCell(kept=tuple(sorted(before & after)),
                                    added=tuple(sorted(after - before)),
                                    removed=tuple(sorted(before - after))))
        rows.append(MatrixRow(member, ctx.member_name(member), tuple(cells)))
    return shops, rows
