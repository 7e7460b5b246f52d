"""Errors raised by the ledger adapter: the Ledger port's error types (models/ports.py)."""

from __future__ import annotations

from models.ports import LedgerError, LedgerReverted, LedgerTimeout, LedgerUnavailable

__all__ = ["LedgerError", "LedgerReverted", "LedgerTimeout", "LedgerUnavailable"]
