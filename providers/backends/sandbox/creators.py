"""Douyin creator facts the self-operated rule reads: consent and daily GMV per shop.

These are not org.yaml objects; they happen on the creator's side and are set by hand in
the seller centre (``shoporg sandbox consent`` / ``shoporg sandbox gmv``). They are global to
the file (a creator sells for shops of many companies), keyed by the creator's account id.
GMV is recorded per shop key -- ``<company>/<shop id>`` for shops in the sandbox, any label
(``elsewhere``) for shops outside it -- so the share is this shop's GMV over all of it.
"""

from __future__ import annotations

from datetime import date, timedelta

from shoporg.backends.sandbox.tx import Tx
from shoporg.platforms import DOUYIN_SELF_OPERATED_GMV_WINDOW_DAYS

KIND = "creator"


def shop_key(company: str, shop_id: str) -> str:
    return f"{company}/{shop_id}"


def set_consent(tx: Tx, creator_id: str, shop_id: str, consent: bool) -> None:
    """The creator agrees (or withdraws) to be this company's shop's self-operated account."""
    before = tx.conn.execute(
        "SELECT consented_at FROM creator_consent WHERE creator_id = ? AND company = ?"
        " AND shop_id = ?",
        (creator_id, tx.company, shop_id),
    ).fetchone()
    name = f"{creator_id}->{shop_key(tx.company, shop_id)}"
    if consent:
        tx.conn.execute(
            "INSERT OR IGNORE INTO creator_consent (creator_id, company, shop_id, consented_at)"
            " VALUES (?, ?, ?, ?)",
            (creator_id, tx.company, shop_id, tx.now_text),
        )
    else:
        tx.conn.execute(
            "DELETE FROM creator_consent WHERE creator_id = ? AND company = ? AND shop_id = ?",
            (creator_id, tx.company, shop_id),
        )
    tx.audit(
        KIND, name,
        None if before is None else {"consent": True},
        {"consent": True} if consent else None,
    )


def has_consent(tx: Tx, creator_id: str, shop_id: str) -> bool:
    row = tx.conn.execute(
        "SELECT 1 FROM creator_consent WHERE creator_id = ? AND company = ? AND shop_id = ?",
        (creator_id, tx.company, shop_id),
    ).fetchone()
    return row is not None


def record_gmv(tx: Tx, creator_id: str, key: str, day: date, amount: float) -> None:
    if amount < 0:
        raise tx.violation(KIND, creator_id, "gmv_negative", "GMV cannot be negative")
    before = tx.conn.execute(
        "SELECT amount FROM creator_gmv WHERE creator_id = ? AND shop_key = ? AND day = ?",
        (creator_id, key, day.isoformat()),
    ).fetchone()
    tx.conn.execute(
        "INSERT INTO creator_gmv (creator_id, shop_key, day, amount) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (creator_id, shop_key, day) DO UPDATE SET amount = excluded.amount",
        (creator_id, key, day.isoformat(), amount),
    )
    tx.audit(
        KIND, f"{creator_id}@{key}#{day.isoformat()}",
        None if before is None else {"gmv": before[0]}, {"gmv": amount},
    )


def gmv_share(tx: Tx, creator_id: str, key: str) -> tuple[float, float]:
    """(this shop's GMV, the creator's total GMV) over the GMV window ending today."""
    today = tx.now.date()
    first = today - timedelta(days=DOUYIN_SELF_OPERATED_GMV_WINDOW_DAYS - 1)
    row = tx.conn.execute(
        "SELECT coalesce(sum(CASE WHEN shop_key = ? THEN amount END), 0),"
        " coalesce(sum(amount), 0) FROM creator_gmv"
        " WHERE creator_id = ? AND day >= ? AND day <= ?",
        (key, creator_id, first.isoformat(), today.isoformat()),
    ).fetchone()
    return float(row[0]), float(row[1])
