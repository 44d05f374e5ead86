"""The manual-step ledger (:mod:`.store`) and the connector that reads it (:mod:`.backend`,
imported from there: it needs the kinds and runbooks, which ``shoporg tasks`` does not)."""

from shoporg.backends.ledger.store import STATES, Ledger, LedgerError, Step

__all__ = ["STATES", "Ledger", "LedgerError", "Step"]
