"""Errors raised by the ledger adapter."""

from __future__ import annotations


class LedgerError(Exception):
    """A chain operation failed: reverted, rejected, mismatched or timed out."""


class LedgerUnavailable(LedgerError):
    """The node could not be reached."""


class LedgerTimeout(LedgerError):
    """A transaction was not mined in time; its outcome is still unknown."""


class LedgerReverted(LedgerError):
    """A call or mined transaction reverted; `reason` is the revert message if the node gave one."""

    def __init__(self, message: str, reason: str | None = None, tx_hash: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.tx_hash = tx_hash
