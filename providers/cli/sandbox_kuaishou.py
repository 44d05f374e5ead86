"""``shoporg sandbox kuaishou ...``: the Kuaishou seller centre (快手小店 商家后台) by hand.

What a person does there, and the open platform's staff API cannot: register a seller (a
platform fact), make a role (``open.user.sub.account.role.list`` only lists them), and hand
changes to staff that ``shoporg drift`` must then name::

    shoporg sandbox kuaishou seller 1001 优品数码快手小店      # a seller (its numeric id)
    shoporg sandbox kuaishou role 1001 11 客服 --desc 接待买家   # 子账号管理 › 角色管理
    shoporg sandbox kuaishou staff 1001 [--json]              # 员工管理: every staff member
    shoporg sandbox kuaishou stop 1001 3000000001             # 停用 by hand (start: 启用)
    shoporg sandbox kuaishou remove 1001 3000000001           # 删除 by hand

``shoporg sandbox serve --protocol kuaishou --token '{"1001": "<token>"}'`` then serves the
seller to the Kuaishou connector (``shoporg:kuaishouAccessToken``: that token for the account).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from shoporg.backends.sandbox.kuaishou_staff import KuaishouStaff

if TYPE_CHECKING:
    from shoporg.backends.sandbox import SellerCenter

Handler = Callable[["SellerCenter", argparse.Namespace], int]
ACTIONS = ("seller", "role", "staff", "stop", "start", "remove")
COLUMNS = ("staff_user_id", "phone", "nick_name", "contact_phone", "remarks", "role_ids",
           "disabled", "deleted")


def register(cmd: Callable[[str, Handler, str], argparse.ArgumentParser], word: str) -> None:
    """The ``kuaishou`` subcommand of ``shoporg sandbox`` (``word``: its name)."""
    p = cmd(word, _kuaishou, "the Kuaishou seller centre by hand: sellers, roles, staff")
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("seller_id", type=int)
    p.add_argument("rest", nargs="*", metavar="ARG",
                   help="seller: NAME; role: ROLE_ID NAME; stop/start/remove: STAFF_ID")
    p.add_argument("--desc", default="", help="role: its description")
    p.add_argument("--json", action="store_true", help="staff: as JSON")


def _kuaishou(sc: SellerCenter, args: argparse.Namespace) -> int:
    from shoporg.cli.sandbox import _print_json, _table

    staff = KuaishouStaff(sc.backend)
    rest: list[str] = args.rest
    wants = {"seller": 1, "role": 2, "staff": 0, "stop": 1, "start": 1, "remove": 1}[args.action]
    if len(rest) != wants:
        raise ValueError(f"kuaishou {args.action} takes {wants} argument(s) after the seller "
                         f"id, got {len(rest)}")
    if args.action == "seller":
        staff.register_seller(args.seller_id, rest[0])
        print(f"seller {args.seller_id} ({rest[0]}) registered")
    elif args.action == "role":
        role = staff.add_role(args.seller_id, _number(rest[0], "ROLE_ID"), rest[1], args.desc)
        print(f"role {role.role_id} ({role.role_name}) of seller {args.seller_id}")
    elif args.action == "staff":
        found, _ = staff.staff_list(args.seller_id, include_deleted=True, include_disabled=True)
        rows = [{"staff_user_id": s.staff_user_id, **s.view()} for s in found]
        if args.json:
            _print_json(rows)
        else:
            print(_table(rows, COLUMNS) if rows else "(no staff)")
    elif args.action == "remove":
        gone = staff.remove(args.seller_id, _number(rest[0], "STAFF_ID"))
        print(f"staff {gone.staff_user_id} ({gone.nick_name}) removed")
    else:
        changed = staff.hand_set_disabled(args.seller_id, _number(rest[0], "STAFF_ID"),
                                          args.action == "stop")
        print(f"staff {changed.staff_user_id} ({changed.nick_name}) "
              f"{'stopped' if changed.disabled else 'started'}")
    return 0


def _number(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{what} must be a number, got {text!r}") from None
