"""Douyin shop bindings (抖店): external Douyin-family accounts bound to a shop::

    bindings:
      - {shop: dy-shop, kind: official, external_account: dy-official-123}
      - {shop: dy-shop, kind: channel, external_account: tt-555, source: toutiao}
      - {shop: dy-shop, kind: self_operated, external_account: creator-9}

Rules (SPEC "Platform rules", Douyin): only Douyin shops have them
(``bindings_unsupported``);

* official: exactly one per shop (``official_exists``), never unbound (``official_unbind``);
* channel: source douyin/toutiao/xigua/huoshan (``channel_source``), at most 5 per shop
  (``channel_limit``), unbound only 180 days after binding (``channel_unbind_too_early``,
  whose message names the first allowed date);
* self-operated: not already self-operated for another shop of any company in the file
  (``self_operated_taken``), the creator consented (``self_operated_consent``), and at least
  50% of the creator's GMV in the last 30 days came from this shop (``self_operated_gmv``);
  unbinding returns it to a plain promoter account, allowed at any time.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from providers.backends.protocol import BINDING_KINDS, Binding, BindingKind, BindingSpec
from providers.backends.sandbox.clock import from_text
from providers.backends.sandbox.creators import gmv_share, has_consent, shop_key
from providers.backends.sandbox.tx import Tx
from providers.errors import ConflictError
from providers.kinds import SHOP_BINDING
from providers.platforms import (
    DOUYIN_CHANNEL_SOURCES,
    DOUYIN_CHANNEL_UNBIND_AFTER_DAYS,
    DOUYIN_MAX_CHANNEL_ACCOUNTS,
    DOUYIN_SELF_OPERATED_GMV_WINDOW_DAYS,
    DOUYIN_SELF_OPERATED_MIN_GMV_SHARE,
    RULE_SELF_OPERATED_CONSENT,
)

KIND = SHOP_BINDING.word


def _name(shop_id: str, kind: str, external_id: str) -> str:
    return SHOP_BINDING.ref(shop_id, kind, external_id).name


def _binding(row: sqlite3.Row) -> Binding:
    kind: BindingKind = row["kind"]
    return Binding(
        account_id=row["account_id"],
        shop_id=row["shop_id"],
        kind=kind,
        external_id=row["external_id"],
        source=row["source"],
        bound_at=from_text(row["bound_at"]),
    )


def _view(row: sqlite3.Row | None) -> dict[str, object] | None:
    if row is None:
        return None
    return {"kind": row["kind"], "source": row["source"], "bound_at": row["bound_at"]}


def _row(tx: Tx, account_id: str, shop_id: str, external_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = tx.conn.execute(
        "SELECT * FROM bindings WHERE company = ? AND account_id = ? AND shop_id = ?"
        " AND external_id = ?",
        (tx.company, account_id, shop_id, external_id),
    ).fetchone()
    return row


def list_bindings(tx: Tx, account_id: str) -> list[Binding]:
    tx.account(account_id)
    rows = tx.conn.execute(
        "SELECT * FROM bindings WHERE company = ? AND account_id = ? ORDER BY shop_id, external_id",
        (tx.company, account_id),
    ).fetchall()
    return [_binding(r) for r in rows]


def get_binding(tx: Tx, account_id: str, shop_id: str, external_id: str) -> Binding | None:
    tx.account(account_id)
    row = _row(tx, account_id, shop_id, external_id)
    return None if row is None else _binding(row)


def _count(tx: Tx, account_id: str, shop_id: str, kind: str) -> int:
    n: int = tx.conn.execute(
        "SELECT count(*) FROM bindings WHERE company = ? AND account_id = ? AND shop_id = ?"
        " AND kind = ?",
        (tx.company, account_id, shop_id, kind),
    ).fetchone()[0]
    return n


def bind(tx: Tx, account_id: str, spec: BindingSpec) -> Binding:
    account = tx.account(account_id)
    tx.require_platform(account, {"douyin"}, "bindings")
    tx.shop(account_id, spec.shop_id)
    name = _name(spec.shop_id, spec.kind, spec.external_id)
    if spec.kind not in BINDING_KINDS:
        raise tx.violation(
            KIND, name, "binding_kind", f"unknown binding kind {spec.kind!r}",
            f"one of {', '.join(BINDING_KINDS)}",
        )
    existing = _row(tx, account_id, spec.shop_id, spec.external_id)
    if existing is not None:
        raise ConflictError(KIND, name, tx.operation, f"already bound as {existing['kind']}")
    source = spec.source
    if spec.kind == "official":
        if _count(tx, account_id, spec.shop_id, "official"):
            raise tx.violation(
                KIND, name, "official_exists",
                f"shop {spec.shop_id!r} already has its official account",
                "an official account can never be unbound or replaced",
            )
    elif spec.kind == "channel":
        if source not in DOUYIN_CHANNEL_SOURCES:
            raise tx.violation(
                KIND, name, "channel_source", f"unknown channel source {source!r}",
                f"one of {', '.join(sorted(DOUYIN_CHANNEL_SOURCES))}",
            )
        if _count(tx, account_id, spec.shop_id, "channel") >= DOUYIN_MAX_CHANNEL_ACCOUNTS:
            raise tx.violation(
                KIND, name, "channel_limit",
                f"shop {spec.shop_id!r} already has {DOUYIN_MAX_CHANNEL_ACCOUNTS} channel accounts",
            )
    else:
        _check_self_operated(tx, account_id, spec, name)
    tx.conn.execute(
        "INSERT INTO bindings (company, account_id, shop_id, external_id, kind, source, bound_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (tx.company, account_id, spec.shop_id, spec.external_id, spec.kind, source, tx.now_text),
    )
    after = _row(tx, account_id, spec.shop_id, spec.external_id)
    assert after is not None
    tx.audit(KIND, name, None, _view(after))
    return _binding(after)


def _check_self_operated(tx: Tx, account_id: str, spec: BindingSpec, name: str) -> None:
    holder = tx.conn.execute(
        "SELECT company, shop_id FROM bindings WHERE external_id = ? AND kind = 'self_operated'",
        (spec.external_id,),
    ).fetchone()
    if holder is not None:
        # Another company's shop is named only as "another merchant": tenants stay private.
        where = (
            f"shop {holder['shop_id']!r}" if holder["company"] == tx.company else "another merchant"
        )
        raise tx.violation(
            KIND, name, "self_operated_taken",
            f"creator {spec.external_id!r} is already self-operated for {where}",
        )
    if not has_consent(tx, spec.external_id, spec.shop_id):
        raise tx.violation(
            KIND, name, RULE_SELF_OPERATED_CONSENT,
            f"creator {spec.external_id!r} has not consented to shop {spec.shop_id!r}",
            "the creator must accept the invitation first",
        )
    mine, total = gmv_share(tx, spec.external_id, shop_key(tx.company, spec.shop_id))
    share = mine / total if total else 0.0
    if share < DOUYIN_SELF_OPERATED_MIN_GMV_SHARE:
        raise tx.violation(
            KIND, name, "self_operated_gmv",
            f"this shop has {share:.0%} of the creator's GMV over the last "
            f"{DOUYIN_SELF_OPERATED_GMV_WINDOW_DAYS} days ({mine:g} of {total:g}); "
            f"at least {DOUYIN_SELF_OPERATED_MIN_GMV_SHARE:.0%} is required",
        )


def unbind(tx: Tx, account_id: str, shop_id: str, external_id: str) -> None:
    tx.account(account_id)
    before = _row(tx, account_id, shop_id, external_id)
    name = _name(shop_id, before["kind"] if before is not None else "*", external_id)
    if before is None:
        raise tx.not_found(KIND, name)
    if before["kind"] == "official":
        raise tx.violation(
            KIND, name, "official_unbind",
            "a shop's official Douyin account can never be unbound",
            "keep it in org.yaml; it is protected",
        )
    if before["kind"] == "channel":
        allowed_from = from_text(before["bound_at"]) + timedelta(
            days=DOUYIN_CHANNEL_UNBIND_AFTER_DAYS
        )
        if tx.now < allowed_from:
            raise tx.violation(
                KIND, name, "channel_unbind_too_early",
                f"bound on {before['bound_at'][:10]}; a channel account can be unbound only "
                f"{DOUYIN_CHANNEL_UNBIND_AFTER_DAYS} days after binding, from "
                f"{allowed_from.date().isoformat()}",
            )
    tx.conn.execute(
        "DELETE FROM bindings WHERE company = ? AND account_id = ? AND shop_id = ?"
        " AND external_id = ?",
        (tx.company, account_id, shop_id, external_id),
    )
    tx.audit(KIND, name, _view(before), None)
