"""Douyin shop bindings (抖店): external Douyin-family accounts bound to a shop::

    bindings:
      - {shop: dy-shop, kind: official, external_account: dy-official-123}
      - {shop: dy-shop, kind: channel, external_account: tt-555, source: toutiao}
      - {shop: dy-shop, kind: self_operated, external_account: creator-9}

Rules (stated once, with their facts, in :mod:`shoporg.platforms.rules`; those that are
predicates over the shop's bindings or the creator's shops are evaluated from there by
``Tx.enforce``, on the facts this write would leave):
``bindings_unsupported``;

* official: ``official_exists``, ``official_unbind``;
* channel: ``channel_source``, ``channel_limit``, ``channel_unbind_too_early`` (the refusal
  names the first allowed date);
* self-operated: ``self_operated_taken`` (by any company in the file),
  ``self_operated_consent``, ``self_operated_gmv``; unbinding returns it to a plain promoter
  account, allowed at any time.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from shoporg.backends.protocol import BINDING_KINDS, Binding, BindingKind, BindingSpec
from shoporg.backends.sandbox.clock import from_text
from shoporg.backends.sandbox.creators import gmv_share, has_consent, shop_key
from shoporg.backends.sandbox.tx import Tx
from shoporg.errors import ConflictError
from shoporg.kinds import SHOP_BINDING
from shoporg.platforms import (
    DOUYIN_CHANNEL_UNBIND_AFTER_DAYS,
    DOUYIN_MAX_CHANNEL_ACCOUNTS,
    DOUYIN_SELF_OPERATED_MIN_GMV_SHARE,
)
from shoporg.platforms.facts import CreatorFacts, ShopBindingFacts
from shoporg.platforms.rules import (
    BINDINGS_UNSUPPORTED,
    CHANNEL_LIMIT,
    CHANNEL_SOURCE,
    CHANNEL_UNBIND_TOO_EARLY,
    OFFICIAL_EXISTS,
    OFFICIAL_UNBIND,
    SELF_OPERATED_CONSENT,
    SELF_OPERATED_GMV,
    SELF_OPERATED_TAKEN,
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


def _shop_facts(tx: Tx, account: sqlite3.Row, shop_id: str) -> ShopBindingFacts:
    """The shop's bindings as they stand (the rules' facts)."""
    facts = ShopBindingFacts(account["platform"], shop_id)
    for row in tx.conn.execute(
        "SELECT kind, source FROM bindings WHERE company = ? AND account_id = ? AND shop_id = ?"
        " ORDER BY external_id",
        (tx.company, account["id"], shop_id),
    ):
        facts = facts.plus(row["kind"], row["source"])
    return facts


def bind(tx: Tx, account_id: str, spec: BindingSpec) -> Binding:
    account = tx.account(account_id)
    tx.require_platform(account, BINDINGS_UNSUPPORTED)
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
    # The table's rules over the shop's bindings as this one would leave them.
    leaves = _shop_facts(tx, account, spec.shop_id).plus(spec.kind, source)
    tx.enforce(account, KIND, name, leaves, {
        OFFICIAL_EXISTS.code: (f"shop {spec.shop_id!r} already has its official account", ""),
        CHANNEL_SOURCE.code: (f"unknown channel source {source!r}", ""),
        CHANNEL_LIMIT.code: (
            f"shop {spec.shop_id!r} already has {DOUYIN_MAX_CHANNEL_ACCOUNTS} channel accounts",
            "unbind one first"),
    })
    if spec.kind == "self_operated":
        _check_self_operated(tx, account, spec, name)
    tx.conn.execute(
        "INSERT INTO bindings (company, account_id, shop_id, external_id, kind, source, bound_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (tx.company, account_id, spec.shop_id, spec.external_id, spec.kind, source, tx.now_text),
    )
    after = _row(tx, account_id, spec.shop_id, spec.external_id)
    assert after is not None
    tx.audit(KIND, name, None, _view(after))
    return _binding(after)


def _check_self_operated(tx: Tx, account: sqlite3.Row, spec: BindingSpec, name: str) -> None:
    # Held by any company in the file: the creator's self-operated shops, this one added.
    holders = tx.conn.execute(
        "SELECT company, shop_id FROM bindings WHERE external_id = ? AND kind = 'self_operated'"
        " ORDER BY company, shop_id",
        (spec.external_id,),
    ).fetchall()
    holder = holders[0] if holders else None
    # Another company's shop is named only as "another merchant": tenants stay private.
    where = (
        "" if holder is None  # then the rule holds and nothing is said
        else f"shop {holder['shop_id']!r}" if holder["company"] == tx.company
        else "another merchant"
    )
    tx.enforce(
        account, KIND, name,
        CreatorFacts(account["platform"], spec.external_id, frozenset(
            {shop_key(h["company"], h["shop_id"]) for h in holders}
            | {shop_key(tx.company, spec.shop_id)})),
        {SELF_OPERATED_TAKEN.code: (
            f"creator {spec.external_id!r} is already self-operated for {where}",
            "bind it as a channel account instead")},
    )
    if not has_consent(tx, spec.external_id, spec.shop_id):
        raise tx.refuse(
            KIND, name, SELF_OPERATED_CONSENT,
            f"creator {spec.external_id!r} has not consented to shop {spec.shop_id!r}",
            "invite them; they accept in the app",
        )
    mine, total = gmv_share(tx, spec.external_id, shop_key(tx.company, spec.shop_id))
    share = mine / total if total else 0.0
    if share < DOUYIN_SELF_OPERATED_MIN_GMV_SHARE:
        raise tx.refuse(
            KIND, name, SELF_OPERATED_GMV,
            f"this shop has {share:.0%} of the creator's GMV ({mine:g} of {total:g})",
        )


def unbind(tx: Tx, account_id: str, shop_id: str, external_id: str) -> None:
    tx.account(account_id)
    before = _row(tx, account_id, shop_id, external_id)
    name = _name(shop_id, before["kind"] if before is not None else "*", external_id)
    if before is None:
        raise tx.not_found(KIND, name)
    if before["kind"] == "official":
        raise tx.refuse(
            KIND, name, OFFICIAL_UNBIND, f"{external_id!r} is the shop's official account",
            "keep it in org.yaml; it is protected",
        )
    if before["kind"] == "channel":
        allowed_from = from_text(before["bound_at"]) + timedelta(
            days=DOUYIN_CHANNEL_UNBIND_AFTER_DAYS
        )
        if tx.now < allowed_from:
            raise tx.refuse(
                KIND, name, CHANNEL_UNBIND_TOO_EARLY, f"bound on {before['bound_at'][:10]}",
                f"unbind it from {allowed_from.date().isoformat()}",
            )
    tx.conn.execute(
        "DELETE FROM bindings WHERE company = ? AND account_id = ? AND shop_id = ?"
        " AND external_id = ?",
        (tx.company, account_id, shop_id, external_id),
    )
    tx.audit(KIND, name, _view(before), None)
