"""What the stack program registers for an org.yaml, without the engine.

Mirrors :func:`providers.stack.build` object for object (same resource names, same inputs),
so a config-only review (``shoporg review --base REF``) sees exactly the objects a preview
would. ``tests/reports/test_desired.py`` holds the two together: it compares this with the
inputs of a real engine preview of the repo's org.yaml.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection

from providers.platforms import DEPARTMENT_PLATFORMS
from providers.reports.world import Obj
from providers.schema import Org
from providers.stack import sub_account_enabled


def desired_objects(org: Org, today: datetime.date,
                    only: Collection[str] | None = None) -> dict[str, Obj]:
    """Resource name -> object; ``only`` limits it to a shard stack's accounts."""
    out: dict[str, Obj] = {}

    def add(kind_: str, resource: str, **inputs: object) -> None:
        out[resource] = Obj(kind_, resource, inputs)

    selected = [a for a in org.accounts if only is None or a.id in only]
    tree = list(org.walk_departments())
    for account in selected:
        if account.platform in DEPARTMENT_PLATFORMS:
            for dept, parent in tree:
                add("department", f"{account.id}/{dept.id}", account_id=account.id,
                    department_id=dept.id, name=dept.name,
                    parent_id=parent.id if parent else None)
        for role in org.roles:
            if role.platform == account.platform:
                add("role", f"{account.id}/{role.id}", account_id=account.id, role_id=role.id,
                    name=role.name, description=role.description or "",
                    permissions=sorted(role.permissions))

    accounts = {a.id: a for a in selected}
    for member in org.members:
        for entry in member.sub_accounts:
            if entry.account not in accounts:
                continue  # another shard's account
            account = accounts[entry.account]
            has_tree = account.platform in DEPARTMENT_PLATFORMS
            add("sub_account", f"{account.id}/{member.id}", account_id=account.id,
                member_id=member.id, login=account.login(entry.login_name),
                display_name=member.name,
                department_id=member.department if has_tree else None,
                email=member.email, phone=member.phone, dispatch=entry.dispatch,
                two_factor=False, enabled=sub_account_enabled(member, entry, today))
            if entry.roles:
                for shop_id in entry.shop_ids(account):
                    add("role_grant", f"{account.id}/{member.id}@{shop_id}",
                        account_id=account.id, member_id=member.id,
                        login=account.login(entry.login_name), shop_id=shop_id,
                        role_ids=sorted(entry.roles))

    shop_account = {s.id: a for a in selected for s in a.shops}
    for b in org.bindings:
        if b.shop not in shop_account:
            continue
        add("shop_binding", f"{b.shop}/{b.kind}/{b.external_account}",
            account_id=shop_account[b.shop].id, shop_id=b.shop, kind=b.kind,
            external_id=b.external_account, source=b.source)
    for g in org.chat_groups:
        if g.shop not in shop_account:
            continue
        add("chat_group", f"{g.shop}/{g.name}", account_id=shop_account[g.shop].id,
            shop_id=g.shop, name=g.name, member_ids=sorted(g.members))
    return out
