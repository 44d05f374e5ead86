"""Main accounts and shops: platform facts, plus the account-wide switches and Shopee's rules.

Accounts and shops are registered in the seller centre (``shoporg sandbox init`` from an
org.yaml, or ``shoporg sandbox account add``); the provider only reads them. Rules here:

``single_shop``, ``shopee_site`` (predicates of the table over the account's shops and the
shop, evaluated by ``Tx.enforce``); main-account activation (``activation_unsupported``,
``shopee_activation_expired``: "invite again" sends a new link, ``shopee_not_activated``); the
wallet password (``wallet_password_unsupported``, ``wallet_password_main_only``,
``wallet_password_same_as_shop``), stored as a salted hash. Each is stated once, with its
facts, in :mod:`shoporg.platforms.rules`.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from shoporg.backends.protocol import Account, Shop
from shoporg.backends.sandbox.clock import from_text
from shoporg.backends.sandbox.passwords import hash_password, verify_password
from shoporg.backends.sandbox.tx import Tx
from shoporg.errors import ConflictError
from shoporg.platforms import (
    ACTIVATION_PLATFORMS,
    PLATFORM_TITLES,
    PLATFORMS,
    SHOPEE_ACTIVATION_LINK_HOURS,
    Platform,
)
from shoporg.platforms.facts import ShopFacts, ShopsFacts
from shoporg.platforms.rules import (
    ACTIVATION_EXPIRED,
    ACTIVATION_UNSUPPORTED,
    NOT_ACTIVATED,
    SHOPEE_SITE,
    SINGLE_SHOP,
    WALLET_MAIN_ONLY,
    WALLET_SAME_AS_SHOP,
    WALLET_UNSUPPORTED,
)

ACTIVATION_LINK = timedelta(hours=SHOPEE_ACTIVATION_LINK_HOURS)


# --- reads ------------------------------------------------------------------------------------


def _shop(row: sqlite3.Row) -> Shop:
    return Shop(account_id=row["account_id"], id=row["id"], name=row["name"], site=row["site"])


def _account(tx: Tx, row: sqlite3.Row, shops: tuple[Shop, ...]) -> Account:
    seats_used: int = tx.conn.execute(
        "SELECT count(*) FROM sub_accounts WHERE company = ? AND account_id = ?",
        (tx.company, row["id"]),
    ).fetchone()[0]
    activated = bool(row["activated"])
    sent = row["activation_sent_at"]
    expires = None if activated or sent is None else from_text(sent) + ACTIVATION_LINK
    platform: Platform = row["platform"]
    return Account(
        id=row["id"],
        platform=platform,
        nick=row["nick"],
        seat_quota=row["seat_quota"],
        seats_used=seats_used,
        sub_account_service=bool(row["service_enabled"]),
        activated=activated,
        activation_expires_at=expires,
        wallet_password_set=row["wallet_password_hash"] is not None,
        shops=shops,
        activation_link_expired=not activated and (expires is None or tx.now > expires),
    )


def list_shops(tx: Tx, account_id: str) -> list[Shop]:
    tx.account(account_id)
    rows = tx.conn.execute(
        "SELECT * FROM shops WHERE company = ? AND account_id = ? ORDER BY id",
        (tx.company, account_id),
    ).fetchall()
    return [_shop(r) for r in rows]


def get_account(tx: Tx, account_id: str) -> Account | None:
    row = tx.conn.execute(
        "SELECT * FROM accounts WHERE company = ? AND id = ?", (tx.company, account_id)
    ).fetchone()
    if row is None:
        return None
    return _account(tx, row, tuple(list_shops(tx, account_id)))


def list_accounts(tx: Tx) -> list[Account]:
    shops: dict[str, list[Shop]] = {}
    for r in tx.conn.execute(
        "SELECT * FROM shops WHERE company = ? ORDER BY id", (tx.company,)
    ).fetchall():
        shops.setdefault(r["account_id"], []).append(_shop(r))
    rows = tx.conn.execute(
        "SELECT * FROM accounts WHERE company = ? ORDER BY id", (tx.company,)
    ).fetchall()
    return [_account(tx, r, tuple(shops.get(r["id"], ()))) for r in rows]


def view(row: sqlite3.Row) -> dict[str, object]:
    """The audit view: flags instead of password hashes."""
    return {
        "id": row["id"],
        "platform": row["platform"],
        "nick": row["nick"],
        "seat_quota": row["seat_quota"],
        "sub_account_service": bool(row["service_enabled"]),
        "activated": bool(row["activated"]),
        "activation_sent_at": row["activation_sent_at"],
        "shop_password_set": row["shop_password_hash"] is not None,
        "wallet_password_set": row["wallet_password_hash"] is not None,
    }


# --- seller-centre registration ---------------------------------------------------------------


def ensure_company(tx: Tx) -> None:
    tx.conn.execute(
        "INSERT OR IGNORE INTO companies (id, created_at) VALUES (?, ?)",
        (tx.company, tx.now_text),
    )


def register_account(
    tx: Tx, account_id: str, platform: str, nick: str, seat_quota: int, activated: bool
) -> Account:
    """Register (or re-register, idempotently) a main account as a platform fact."""
    if platform not in PLATFORMS:
        raise tx.violation(
            "account", account_id, "unknown_platform", f"unknown platform {platform!r}",
            f"one of {', '.join(PLATFORMS)}",
        )
    if seat_quota < 0:
        raise tx.violation("account", account_id, "seat_quota", "seat quota cannot be negative")
    if not nick.strip():
        raise tx.violation("account", account_id, "required_field", "nick is required")
    ensure_company(tx)
    existing = tx.conn.execute(
        "SELECT * FROM accounts WHERE company = ? AND id = ?", (tx.company, account_id)
    ).fetchone()
    if existing is not None:
        if existing["platform"] != platform:
            raise ConflictError(
                "account", account_id, tx.operation,
                f"already registered as a {existing['platform']} account",
            )
        tx.conn.execute(
            "UPDATE accounts SET nick = ?, seat_quota = ? WHERE company = ? AND id = ?",
            (nick, seat_quota, tx.company, account_id),
        )
    else:
        # Only some main accounts need activation; everyone else is live at registration.
        is_activated = activated or platform not in ACTIVATION_PLATFORMS
        tx.conn.execute(
            "INSERT INTO accounts (company, id, platform, nick, seat_quota, activated,"
            " activation_sent_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                tx.company, account_id, platform, nick, seat_quota, int(is_activated),
                None if is_activated else tx.now_text, tx.now_text,
            ),
        )
    after = tx.account(account_id)
    tx.audit("account", account_id, None if existing is None else view(existing), view(after))
    result = get_account(tx, account_id)
    assert result is not None
    return result


def add_shop(
    tx: Tx, account_id: str, shop_id: str, name: str, site: str | None
) -> Shop:
    account = tx.account(account_id)
    platform = account["platform"]
    existing = tx.conn.execute(
        "SELECT * FROM shops WHERE company = ? AND id = ?", (tx.company, shop_id)
    ).fetchone()
    if existing is not None:
        if existing["account_id"] != account_id:
            raise ConflictError(
                "shop", shop_id, tx.operation, f"belongs to account {existing['account_id']!r}"
            )
    # The table's rules over the account's shops and over this shop, as the write leaves them.
    shops = len(list_shops(tx, account_id)) + (1 if existing is None else 0)
    tx.enforce(account, "shop", shop_id, ShopsFacts(platform, account_id, shops), {
        SINGLE_SHOP.code: (f"account {account_id!r} already has a shop",
                           "register another account"),
    })
    tx.enforce(account, "shop", shop_id, ShopFacts(platform, shop_id, site), {
        SHOPEE_SITE.code: (f"unknown site {site!r}", ""),
    })
    before = None if existing is None else dict(existing)
    tx.conn.execute(
        "INSERT INTO shops (company, account_id, id, name, site) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (company, id) DO UPDATE SET name = excluded.name, site = excluded.site",
        (tx.company, account_id, shop_id, name, site),
    )
    shop = Shop(account_id=account_id, id=shop_id, name=name, site=site)
    tx.audit("shop", f"{account_id}/{shop_id}", before, {
        "company": tx.company, "account_id": account_id, "id": shop_id, "name": name, "site": site,
    })
    return shop


def update_account(tx: Tx, account_id: str, assignments: str, args: tuple[object, ...]) -> Account:
    before = tx.account(account_id)
    tx.conn.execute(
        f"UPDATE accounts SET {assignments} WHERE company = ? AND id = ?",
        (*args, tx.company, account_id),
    )
    tx.audit("account", account_id, view(before), view(tx.account(account_id)))
    result = get_account(tx, account_id)
    assert result is not None
    return result


def set_seat_quota(tx: Tx, account_id: str, seat_quota: int) -> Account:
    if seat_quota < 0:
        raise tx.violation("account", account_id, "seat_quota", "seat quota cannot be negative")
    return update_account(tx, account_id, "seat_quota = ?", (seat_quota,))


# --- Shopee -----------------------------------------------------------------------------------


def invite_main_account(tx: Tx, account_id: str) -> Account:
    """Send a fresh activation link ("invite again")."""
    account = tx.account(account_id)
    tx.require_platform(account, ACTIVATION_UNSUPPORTED)
    if account["activated"]:
        raise tx.violation(
            "account", account_id, "shopee_already_activated", "the main account is already active"
        )
    return update_account(tx, account_id, "activation_sent_at = ?", (tx.now_text,))


def activate_main_account(tx: Tx, account_id: str) -> Account:
    """Open the activation link; refused once it has expired (``shopee_activation_expired``)."""
    account = tx.account(account_id)
    tx.require_platform(account, ACTIVATION_UNSUPPORTED)
    if not account["activated"]:
        sent = account["activation_sent_at"]
        expires = None if sent is None else from_text(sent) + ACTIVATION_LINK
        if expires is None or tx.now > expires:
            raise tx.refuse(
                "account", account_id, ACTIVATION_EXPIRED,
                "the activation link "
                + (f"expired at {expires.isoformat()}" if expires else "was never sent"),
            )
    return update_account(tx, account_id, "activated = 1, activation_sent_at = NULL", ())


def require_activated(tx: Tx, account: sqlite3.Row, kind: str, name: str) -> None:
    if NOT_ACTIVATED.applies_to(account["platform"]) and not account["activated"]:
        raise tx.refuse(
            kind, name, NOT_ACTIVATED,
            f"the {PLATFORM_TITLES[account['platform']]} main account {account['id']!r} is not "
            "activated yet",
            "invite again if the link has expired",
        )


def set_shop_password(tx: Tx, account_id: str, password: str) -> Account:
    tx.account(account_id)
    if not password:
        raise tx.violation("account", account_id, "required_field", "password cannot be empty")
    return update_account(tx, account_id, "shop_password_hash = ?", (hash_password(password),))


def set_wallet_password(
    tx: Tx, account_id: str, password: str, acting_login: str | None
) -> Account:
    account = tx.account(account_id)
    tx.require_platform(account, WALLET_UNSUPPORTED)
    if acting_login is not None and acting_login != account["nick"]:
        raise tx.refuse(
            "account", account_id, WALLET_MAIN_ONLY, f"{acting_login!r} is a sub-account"
        )
    require_activated(tx, account, "account", account_id)
    if not password:
        raise tx.violation("account", account_id, "required_field", "password cannot be empty")
    shop_hash = account["shop_password_hash"]
    if shop_hash is not None and verify_password(password, shop_hash):
        raise tx.refuse(
            "account", account_id, WALLET_SAME_AS_SHOP, "it equals the shop password",
            "choose another",
        )
    # One hash on the merchant account: the wallet password is synced to all its shops.
    return update_account(tx, account_id, "wallet_password_hash = ?", (hash_password(password),))
