"""The manual-step ledger (:mod:`.store`) and the connector that reads it (:mod:`.backend`)."""

from providers.backends.ledger.backend import LedgerBackend
from providers.backends.ledger.store import STATES, Ledger, LedgerError, Step

__all__ = ["STATES", "Ledger", "LedgerBackend", "LedgerError", "Step"]
