"""``shoporg sandbox ...``: the seller centre of the sandbox account system on the command line.

These are the hand changes a person makes in a seller centre -- how tests and demos create
drift -- plus the sandbox's own knobs::

    shoporg sandbox init --org org.yaml          # create the file, register accounts and shops
    shoporg sandbox ls sub-accounts --account tb-flagship
    shoporg sandbox sub disable tb-flagship alice
    shoporg sandbox grant tb-flagship alice tb-flagship cs-agent
    shoporg sandbox clock advance 181d
    shoporg sandbox faults set transient_rate=0.2 seed=7
    shoporg sandbox audit --limit 20
    shoporg sandbox serve --port 0               # a TOP endpoint on 127.0.0.1 (taobao backend)
    shoporg sandbox serve --protocol kuaishou    # Kuaishou's merchant open platform instead

The file is ``--file``, else ``$SHOPORG_SANDBOX``, else ``.sandbox/sandbox.db``; the company
(tenant) is ``--company``, else ``$SHOPORG_COMPANY``, else ``default``. Hand changes are
recorded in the audit log as actor ``seller-center`` (``--actor`` to change) and are never
counted as provider calls nor subjected to injected faults. Passwords are read from stdin.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from shoporg.backends.protocol import (
    BINDING_KINDS,
    BindingKind,
    BindingSpec,
    DepartmentSpec,
    GrantSpec,
    RoleSpec,
    SubAccountSpec,
    SubAccountStatus,
)
from shoporg.backends.sandbox import FaultConfig, SandboxBackend, SellerCenter
from shoporg.backends.sandbox.clock import parse_duration
from shoporg.cli import Command
from shoporg.kinds import BY_TABLE, ROLE_GRANT
from shoporg.platforms import KUAISHOU_OPEN_PLATFORM, SHOPEE, SHOPEE_ACTIVATION_LINK_HOURS

Handler = Callable[[SellerCenter, argparse.Namespace], int]

# The platform facts (not kinds: org.yaml declares them, shoporg never creates them) and
# their columns; every kind's table comes from its ``Kind`` (table, records, table_columns).
_FACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("id", "platform", "nick", "seat_quota", "seats_used", "sub_account_service",
                 "activated", "activation_expires_at", "wallet_password_set"),
    "shops": ("account_id", "id", "name", "site"),
}
TABLES = (*_FACT_COLUMNS, *BY_TABLE)
#: `shoporg sandbox serve --protocol`: TOP (the default) or an open platform by its name.
TOP_PROTOCOL = "top"


def register(subparsers: Any, command: Command) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        command.word, help=command.help,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--file", help="sandbox file (default $SHOPORG_SANDBOX or .sandbox/sandbox.db)"
    )
    parser.add_argument("--company", help="tenant (default $SHOPORG_COMPANY or 'default')")
    parser.add_argument("--actor", default="seller-center", help="who the audit log names")
    parser.set_defaults(func=_run)
    sub = parser.add_subparsers(dest="sandbox_command", metavar="SUBCOMMAND")
    sub.required = True

    def cmd(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
        p.set_defaults(handler=handler)
        return p

    p = cmd("init", _init, "create or migrate the file; register org.yaml's accounts and shops")
    p.add_argument("--org", help="org.yaml whose accounts and shops to register")
    p.add_argument("--pending-activation", action="store_true",
                   help="leave Shopee main accounts waiting for activation "
                        f"(a {SHOPEE_ACTIVATION_LINK_HOURS}-hour link)")
    p.add_argument("--demo-creators", action="store_true",
                   help="the demo world: org.yaml's self-operated creators consent and sell "
                        "mostly through the bound shop")

    p = cmd("account", _account, "register a main account (a platform fact)")
    p.add_argument("account_id")
    p.add_argument("platform")
    p.add_argument("nick")
    p.add_argument("--seats", type=int, default=20)
    p.add_argument("--pending-activation", action="store_true")

    p = cmd("shop", _shop, "register a shop under an account")
    p.add_argument("account_id")
    p.add_argument("shop_id")
    p.add_argument("--name")
    p.add_argument("--site")

    for name in ("ls", "show"):
        p = cmd(name, _ls, "list objects as tables (all kinds unless one is named)")
        p.add_argument("kind", nargs="?", choices=TABLES)
        p.add_argument("--account", help="only this account")
        p.add_argument("--json", action="store_true")

    p = cmd("sub", _sub, "create, edit, disable, enable or delete a sub-account by hand")
    p.add_argument("action", choices=("create", "set", "disable", "enable", "delete"))
    p.add_argument("account_id")
    p.add_argument("member_id")
    p.add_argument("login", nargs="?", help="create: the login (Taobao/Tmall: nick:name)")
    p.add_argument("--name", help="display name")
    p.add_argument("--department")
    p.add_argument("--no-department", action="store_true")
    p.add_argument("--email")
    p.add_argument("--phone")
    p.add_argument("--dispatch", action=argparse.BooleanOptionalAction)
    p.add_argument("--two-factor", action=argparse.BooleanOptionalAction)

    for name, handler in (("grant", _grant), ("revoke", _revoke)):
        p = cmd(name, handler, f"{name} roles of a sub-account on a shop")
        p.add_argument("account_id")
        p.add_argument("member_id")
        p.add_argument("shop_id")
        p.add_argument("role_ids", nargs="+")

    p = cmd("dept", _dept, "add or remove a department")
    p.add_argument("action", choices=("add", "rm"))
    p.add_argument("account_id")
    p.add_argument("department_id")
    p.add_argument("name", nargs="?")
    p.add_argument("--parent")

    p = cmd("role", _role, "add or remove a role")
    p.add_argument("action", choices=("add", "rm"))
    p.add_argument("account_id")
    p.add_argument("role_id")
    p.add_argument("name", nargs="?")
    p.add_argument("codes", nargs="*")

    p = cmd("bind", _bind, "bind an external Douyin-family account to a shop")
    p.add_argument("account_id")
    p.add_argument("shop_id")
    p.add_argument("kind", choices=BINDING_KINDS)
    p.add_argument("external_id")
    p.add_argument("--source", help="channel accounts: douyin, toutiao, xigua, huoshan")

    p = cmd("unbind", _unbind, "unbind an external account from a shop")
    p.add_argument("account_id")
    p.add_argument("shop_id")
    p.add_argument("external_id")

    p = cmd("confirm-email", _confirm_email, "an Ozon user confirms the invitation email")
    p.add_argument("account_id")
    p.add_argument("member_id")

    p = cmd(SHOPEE, _shopee, "Shopee main account: invite again, activate, passwords")
    p.add_argument("action", choices=("invite", "activate", "shop-password", "wallet-password"))
    p.add_argument("account_id")
    p.add_argument("--as", dest="acting_login", help="wallet-password: who sets it")

    p = cmd("consent", _consent, "a Douyin creator consents to be a shop's self-operated account")
    p.add_argument("creator_id")
    p.add_argument("shop_id")
    p.add_argument("--revoke", action="store_true")

    p = cmd("gmv", _gmv, "record a Douyin creator's GMV for one day")
    p.add_argument("creator_id")
    p.add_argument("amount", type=float)
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--shop", help="one of this company's shops")
    where.add_argument("--elsewhere", help="a label for a shop outside the sandbox")
    p.add_argument("--days-ago", type=int, default=0)

    p = cmd("service", _service, "switch an account's sub-account service on or off")
    p.add_argument("account_id")
    p.add_argument("state", choices=("on", "off"))

    p = cmd("seats", _seats, "set an account's seat quota")
    p.add_argument("account_id")
    p.add_argument("seats", type=int)

    p = cmd("clock", _clock, "show, advance, set or reset the sandbox clock offset")
    p.add_argument("action", choices=("show", "advance", "set", "reset"))
    p.add_argument("duration", nargs="?", help="e.g. 181d, 73h, 30m")

    p = cmd("faults", _faults, "show, set or clear injected faults and latency")
    p.add_argument("action", choices=("show", "set", "clear"))
    p.add_argument("settings", nargs="*", metavar="KEY=VALUE",
                   help="seed, transient_rate, throttle_rate, retry_after, latency_ms, "
                        "fail_on_call, fail_objects (comma-separated kind:name globs)")

    p = cmd("audit", _audit, "show the audit log (oldest first)")
    p.add_argument("--kind")
    p.add_argument("--object", help="e.g. tb-flagship/alice")
    p.add_argument("--limit", type=int)
    p.add_argument("--all-companies", action="store_true")
    p.add_argument("--json", action="store_true")

    p = cmd("serve", _serve, "serve the sandbox as a TOP endpoint on 127.0.0.1 (taobao backend)")
    p.add_argument("--port", type=int, default=0, help="0 (default): any free port")
    p.add_argument("--protocol", choices=(TOP_PROTOCOL, KUAISHOU_OPEN_PLATFORM),
                   default=TOP_PROTOCOL,
                   help="top (default): Taobao's TOP; kuaishou: Kuaishou's merchant open "
                        "platform (staff API; --app-secret is its sign secret)")
    p.add_argument("--token", help="kuaishou: access tokens, '{\"<seller id>\": \"<token>\"}' "
                                   "(default $SHOPORG_KUAISHOU_TOKEN, else random, printed)")
    p.add_argument("--app-key", default=os.environ.get("SHOPORG_TAOBAO_APP_KEY") or "sandbox",
                   help="app key clients must send (default $SHOPORG_TAOBAO_APP_KEY or sandbox)")
    p.add_argument("--app-secret", help="signing secret (default $SHOPORG_TAOBAO_APP_SECRET, "
                                        "else a random one, printed: sandbox only)")
    p.add_argument("--session", help="sessions clients must send, one per main account: "
                                     "'{\"<account id>\": \"<session>\"}' or one for a "
                                     "single account (default $SHOPORG_TAOBAO_SESSION, else "
                                     "random, printed)")

    from shoporg.cli import sandbox_kuaishou

    sandbox_kuaishou.register(cmd, KUAISHOU_OPEN_PLATFORM)

    p = cmd("stats", _stats, "provider call counts persisted in the file")
    p.add_argument("--enable", action="store_true", help="start persisting per-method counts")
    p.add_argument("--disable", action="store_true")
    p.add_argument("--reset", action="store_true")


def _run(args: argparse.Namespace) -> int:
    backend = SandboxBackend(args.file, args.company, actor=args.actor, instrumented=False)
    try:
        handler: Handler = args.handler
        return handler(SellerCenter(backend), args)
    except ValueError as exc:
        # Bad hand input (a duration, a fault setting, an org file): a message, not a traceback.
        print(f"shoporg: sandbox {args.sandbox_command}: {exc}", file=sys.stderr)
        return 2
    finally:
        backend.close()


# --- output -----------------------------------------------------------------------------------


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple | list):
        return ",".join(str(v) for v in value) or "-"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return str(value)


def _table(rows: Sequence[dict[str, object]], columns: Sequence[str]) -> str:
    cells = [[_cell(r[c]) for c in columns] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))


# --- handlers ---------------------------------------------------------------------------------


def _init(sc: SellerCenter, args: argparse.Namespace) -> int:
    """Register org.yaml's main accounts and shops: the platform facts a real seller
    centre already has before shoporg runs. The file is validated first (same loader and
    rules as ``shoporg validate``), so a broken org.yaml registers nothing."""
    from shoporg.schema import load_org

    org = load_org(args.org) if args.org else None
    accounts = org.accounts if org else []
    shops = 0
    for account in accounts:
        sc.register_account(
            account.id, account.platform, account.nick, account.seat_quota,
            activated=not args.pending_activation,
        )
        for shop in account.shops:
            sc.add_shop(account.id, shop.id, shop.name, shop.site)
            shops += 1
    creators = 0
    if org is not None and args.demo_creators:
        # The demo world: each declared self-operated creator has consented and sold 80% of
        # its last-30-day GMV through the shop (over DOUYIN_SELF_OPERATED_MIN_GMV_SHARE).
        for binding in org.bindings:
            if binding.kind == "self_operated":
                sc.set_consent(binding.external_account, binding.shop)
                sc.record_gmv(binding.external_account, 8000, shop_id=binding.shop)
                sc.record_gmv(binding.external_account, 2000, elsewhere="another-merchant")
                creators += 1
    sc.backend.connection()  # creates and migrates the file even with nothing to register
    print(
        f"sandbox {sc.backend.path} (company {sc.backend.company}): "
        f"{len(accounts)} account(s), {shops} shop(s) registered"
        + (f", {creators} creator(s) consented" if creators else "")
    )
    return 0


def _account(sc: SellerCenter, args: argparse.Namespace) -> int:
    account = sc.register_account(
        args.account_id, args.platform, args.nick, args.seats,
        activated=not args.pending_activation,
    )
    print(f"account {account.id} ({account.platform}, {account.nick}): {account.seat_quota} seats")
    return 0


def _shop(sc: SellerCenter, args: argparse.Namespace) -> int:
    shop = sc.add_shop(args.account_id, args.shop_id, args.name or args.shop_id, args.site)
    print(f"shop {shop.id} in account {shop.account_id}")
    return 0


def _collect(sc: SellerCenter, table: str, account_ids: list[str]) -> list[dict[str, object]]:
    b = sc.backend
    if table == "accounts":
        return [
            {k: v for k, v in dataclasses.asdict(a).items() if k != "shops"}
            for a in b.list_accounts()
            if a.id in account_ids
        ]
    kind = BY_TABLE.get(table)
    rows: list[dict[str, object]] = []
    for account_id in account_ids:
        items = kind.records(b, account_id) if kind is not None else b.list_shops(account_id)
        for item in items:
            assert dataclasses.is_dataclass(item) and not isinstance(item, type)
            rows.append(dataclasses.asdict(item))
    return rows


def _columns(table: str) -> tuple[str, ...]:
    return BY_TABLE[table].table_columns if table in BY_TABLE else _FACT_COLUMNS[table]


def _ls(sc: SellerCenter, args: argparse.Namespace) -> int:
    account_ids = [a.id for a in sc.backend.list_accounts()]
    if args.account:
        if args.account not in account_ids:
            print(f"shoporg: no account {args.account!r} in company {sc.backend.company!r}",
                  file=sys.stderr)
            return 1
        account_ids = [args.account]
    kinds = [args.kind] if args.kind else list(TABLES)
    data = {kind: _collect(sc, kind, account_ids) for kind in kinds}
    if args.json:
        _print_json(data if len(kinds) > 1 else data[kinds[0]])
        return 0
    blocks = []
    for kind in kinds:
        rows = data[kind]
        body = _table(rows, _columns(kind)) if rows else "(none)"
        blocks.append(f"{kind}\n{body}" if len(kinds) > 1 else body)
    print("\n\n".join(blocks))
    return 0


def _sub(sc: SellerCenter, args: argparse.Namespace) -> int:
    b = sc.backend
    if args.action == "create":
        if not args.login:
            print("shoporg: sub create needs a LOGIN", file=sys.stderr)
            return 2
        sub = b.create_sub_account(
            args.account_id,
            SubAccountSpec(
                member_id=args.member_id,
                login=args.login,
                display_name=args.name or args.member_id,
                department_id=args.department,
                email=args.email,
                phone=args.phone,
                dispatch=bool(args.dispatch),
                two_factor=bool(args.two_factor),
            ),
        )
    elif args.action == "set":
        current = b.get_sub_account(args.account_id, args.member_id)
        if current is None:
            print(f"shoporg: no sub-account {args.account_id}/{args.member_id}", file=sys.stderr)
            return 1
        old = current.spec()

        def pick(new: Any, keep: Any) -> Any:
            return keep if new is None else new

        spec = SubAccountSpec(
            member_id=old.member_id,
            login=pick(args.login, old.login),
            display_name=pick(args.name, old.display_name),
            department_id=None if args.no_department else pick(args.department, old.department_id),
            email=pick(args.email, old.email),
            phone=pick(args.phone, old.phone),
            dispatch=pick(args.dispatch, old.dispatch),
            two_factor=pick(args.two_factor, old.two_factor),
        )
        sub = b.update_sub_account(args.account_id, spec)
    elif args.action in ("disable", "enable"):
        status: SubAccountStatus = "disabled" if args.action == "disable" else "active"
        sub = b.set_sub_account_status(args.account_id, args.member_id, status)
    else:
        b.delete_sub_account(args.account_id, args.member_id)
        print(f"sub-account {args.account_id}/{args.member_id} deleted")
        return 0
    print(f"sub-account {sub.account_id}/{sub.member_id} ({sub.login}): {sub.status}")
    return 0


def _change_roles(sc: SellerCenter, args: argparse.Namespace, add: bool) -> int:
    b = sc.backend
    current = b.get_grant(args.account_id, args.member_id, args.shop_id)
    roles = set(current.role_ids if current else ())
    roles = roles | set(args.role_ids) if add else roles - set(args.role_ids)
    name = ROLE_GRANT.ref(args.account_id, args.member_id, args.shop_id).name
    if not roles and current is not None:
        b.delete_grant(args.account_id, args.member_id, args.shop_id)
        print(f"grant {name}: no roles left, removed")
        return 0
    grant = b.set_grant(args.account_id, GrantSpec(args.member_id, args.shop_id, tuple(roles)))
    print(f"grant {name}: {', '.join(grant.role_ids) or '-'}")
    return 0


def _grant(sc: SellerCenter, args: argparse.Namespace) -> int:
    return _change_roles(sc, args, add=True)


def _revoke(sc: SellerCenter, args: argparse.Namespace) -> int:
    return _change_roles(sc, args, add=False)


def _dept(sc: SellerCenter, args: argparse.Namespace) -> int:
    if args.action == "add":
        dept = sc.backend.create_department(
            args.account_id,
            DepartmentSpec(args.department_id, args.name or args.department_id, args.parent),
        )
        print(f"department {dept.account_id}/{dept.id} ({dept.name}) added")
    else:
        sc.backend.delete_department(args.account_id, args.department_id)
        print(f"department {args.account_id}/{args.department_id} removed")
    return 0


def _role(sc: SellerCenter, args: argparse.Namespace) -> int:
    if args.action == "add":
        role = sc.backend.create_role(
            args.account_id, RoleSpec(args.role_id, args.name or args.role_id, tuple(args.codes))
        )
        print(f"role {role.account_id}/{role.id}: {', '.join(role.effective)}")
    else:
        sc.backend.delete_role(args.account_id, args.role_id)
        print(f"role {args.account_id}/{args.role_id} removed")
    return 0


def _bind(sc: SellerCenter, args: argparse.Namespace) -> int:
    kind: BindingKind = args.kind
    binding = sc.backend.bind(
        args.account_id, BindingSpec(args.shop_id, kind, args.external_id, args.source)
    )
    print(f"{binding.kind} account {binding.external_id} bound to shop {binding.shop_id}")
    return 0


def _unbind(sc: SellerCenter, args: argparse.Namespace) -> int:
    sc.backend.unbind(args.account_id, args.shop_id, args.external_id)
    print(f"{args.external_id} unbound from shop {args.shop_id}")
    return 0


def _confirm_email(sc: SellerCenter, args: argparse.Namespace) -> int:
    sub = sc.confirm_email(args.account_id, args.member_id)
    print(f"sub-account {sub.account_id}/{sub.member_id}: email confirmed, {sub.status}")
    return 0


def _read_password(prompt: str) -> str:
    # Never from argv: command lines end up in shell history and process lists.
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\n")


def _shopee(sc: SellerCenter, args: argparse.Namespace) -> int:
    if args.action == "invite":
        account = sc.invite_main_account(args.account_id)
        print(f"activation link sent; valid until {_cell(account.activation_expires_at)}")
    elif args.action == "activate":
        sc.activate_main_account(args.account_id)
        print(f"main account {args.account_id} activated")
    elif args.action == "shop-password":
        sc.set_shop_password(args.account_id, _read_password("shop password: "))
        print(f"shop password of {args.account_id} set")
    else:
        sc.backend.set_wallet_password(
            args.account_id, _read_password("wallet password: "), args.acting_login
        )
        print(f"wallet password of {args.account_id} set (synced to all its shops)")
    return 0


def _consent(sc: SellerCenter, args: argparse.Namespace) -> int:
    sc.set_consent(args.creator_id, args.shop_id, consent=not args.revoke)
    verb = "withdrew consent for" if args.revoke else "consents to"
    print(f"creator {args.creator_id} {verb} shop {args.shop_id}")
    return 0


def _gmv(sc: SellerCenter, args: argparse.Namespace) -> int:
    sc.record_gmv(
        args.creator_id, args.amount, shop_id=args.shop, elsewhere=args.elsewhere,
        days_ago=args.days_ago,
    )
    print(f"GMV {args.amount:g} recorded for creator {args.creator_id}")
    return 0


def _service(sc: SellerCenter, args: argparse.Namespace) -> int:
    account = sc.set_sub_account_service(args.account_id, args.state == "on")
    print(f"sub-account service of {account.id}: {args.state}")
    return 0


def _seats(sc: SellerCenter, args: argparse.Namespace) -> int:
    account = sc.set_seat_quota(args.account_id, args.seats)
    print(f"account {account.id}: {account.seat_quota} seats ({account.seats_used} used)")
    return 0


def _fmt_offset(offset: timedelta) -> str:
    return f"{offset.total_seconds() / 86400:+g}d ({offset.total_seconds():+g}s)"


def _clock(sc: SellerCenter, args: argparse.Namespace) -> int:
    if args.action in ("advance", "set") and not args.duration:
        print(f"shoporg: clock {args.action} needs a DURATION such as 181d", file=sys.stderr)
        return 2
    if args.action == "advance":
        sc.advance_clock(parse_duration(args.duration))
    elif args.action == "set":
        sc.set_clock_offset(parse_duration(args.duration))
    elif args.action == "reset":
        sc.set_clock_offset(timedelta(0))
    print(f"sandbox time {sc.now().isoformat(timespec='seconds')}, "
          f"offset {_fmt_offset(sc.clock_offset())}")
    return 0


def _faults(sc: SellerCenter, args: argparse.Namespace) -> int:
    if args.action == "clear":
        sc.set_faults(None)
    elif args.action == "set":
        data: dict[str, object] = json.loads(sc.faults().to_json())
        for item in args.settings:
            key, sep, value = item.partition("=")
            if not sep:
                print(f"shoporg: expected KEY=VALUE, got {item!r}", file=sys.stderr)
                return 2
            data[key] = value
        sc.set_faults(FaultConfig.from_mapping(data))
    print(f"faults: {sc.faults().to_json()}")
    return 0


def _audit(sc: SellerCenter, args: argparse.Namespace) -> int:
    entries = sc.audit_log(
        kind=args.kind, name=args.object, limit=args.limit, all_companies=args.all_companies
    )
    if args.json:
        _print_json([dataclasses.asdict(e) for e in entries])
        return 0
    rows: list[dict[str, object]] = [
        {
            "seq": e.seq, "at": e.at, "actor": e.actor, "operation": e.operation,
            "object": f"{e.kind}:{e.name}",
            "change": _change(e.before, e.after),
        }
        for e in entries
    ]
    print(_table(rows, ("seq", "at", "actor", "operation", "object", "change")) if rows
          else "(no entries)")
    return 0


def _change(before: object, after: object) -> str:
    if before is None:
        return "created"
    if after is None:
        return "deleted"
    assert isinstance(before, dict) and isinstance(after, dict)
    diffs = [
        f"{k}: {_cell(before.get(k))} -> {_cell(after.get(k))}"
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    ]
    return "; ".join(diffs)


def _serve(sc: SellerCenter, args: argparse.Namespace) -> int:
    """Until interrupted: the first line printed is ``endpoint <url>`` (for scripts)."""
    import secrets

    from shoporg.backends.sandbox.loopback import serve_until_interrupted
    from shoporg.backends.sandbox.top_server import TopServer, TopService

    if args.protocol == KUAISHOU_OPEN_PLATFORM:
        from shoporg.backends.sandbox import kuaishou_server

        return kuaishou_server.serve(
            sc.backend.path, sc.backend.company, port=args.port, app_key=args.app_key,
            sign_secret=args.app_secret or os.environ.get("SHOPORG_KUAISHOU_SIGN_SECRET"),
            tokens=args.token or os.environ.get("SHOPORG_KUAISHOU_TOKEN"),
            out=lambda line: print(line, flush=True))

    generated = []
    secret = args.app_secret or os.environ.get("SHOPORG_TAOBAO_APP_SECRET")
    if not secret:
        secret = secrets.token_hex(16)
        generated.append(f"app secret {secret}")
    # One session per main account: a JSON object {"<account id>": "<session>"} (the form
    # of shoporg:taobaoSession), a plain one for a single account, or random ones, printed.
    session = args.session or os.environ.get("SHOPORG_TAOBAO_SESSION") or None
    # The platform side: instrumented (faults, call counts), audited as ``top-api``.
    backend = SandboxBackend(sc.backend.path, sc.backend.company, actor="top-api")
    service = TopService(backend, app_key=args.app_key, app_secret=secret, session=session)
    if session is None:
        generated.append("sessions " + json.dumps(service.sessions, ensure_ascii=False))
    server = TopServer(service, args.port)
    print(f"endpoint {server.url}", flush=True)
    print(f"company {backend.company}, file {backend.path}, app key {args.app_key}"
          + (f"; generated sandbox-only {', '.join(generated)}" if generated else ""),
          flush=True)
    def close() -> None:
        service.close()
        backend.close()

    return serve_until_interrupted(server, close)


def _stats(sc: SellerCenter, args: argparse.Namespace) -> int:
    if args.enable or args.disable:
        sc.set_count_calls(args.enable)
    if args.reset:
        sc.reset_counters()
    counts = sc.persisted_calls()
    if not counts:
        print("(no calls counted; `shoporg sandbox stats --enable` to start)")
    else:
        print(_table([{"method": k, "calls": v} for k, v in counts.items()], ("method", "calls")))
    return 0
