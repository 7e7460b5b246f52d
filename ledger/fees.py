"""EIP-1559 fees from the node's fee history, capped by a setting; the bump of a replacement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.errors import LedgerError

FEE_BLOCKS, TIP_PERCENTILE = 10, 50
BUMP_NUM, BUMP_DEN = 9, 8  # +12.5%: nodes replace a pending tx only for >= +10% on both fees


@dataclass(frozen=True)
class Fees:
    """maxFeePerGas and maxPriorityFeePerGas in wei (and the next block's base fee)."""

    max_fee: int
    tip: int
    base: int = 0

    def fields(self) -> dict[str, int]:
        """The transaction fields."""
        return {"maxFeePerGas": self.max_fee, "maxPriorityFeePerGas": self.tip}


def network_fees(history: dict[str, Any], fallback_tip: int, cap: int) -> Fees:
    """2 × the next base fee + the median recent tip (the node's suggestion if none), capped.

    LedgerError if the next base fee is above the cap: nothing could be mined at that price.
    """
    base = int(history["baseFeePerGas"][-1])  # the last entry is the next block's base fee
    rewards = sorted(int(r[0]) for r in history.get("reward") or [] if r)
    tip = rewards[len(rewards) // 2] if rewards else 0
    tip = tip or fallback_tip
    if base > cap:
        raise LedgerError(f"the network's base fee {base} wei is above FEE_CAP_WEI {cap}; waiting")
    max_fee = min(2 * base + tip, cap)
    return Fees(max_fee, min(tip, max_fee), base)


def bumped(old: Fees, fresh: Fees, cap: int) -> Fees | None:
    """Fees for a replacement: fresh ones, at least +12.5% on both; None if the cap forbids it."""
    max_fee = min(max(old.max_fee * BUMP_NUM // BUMP_DEN + 1, fresh.max_fee), cap)
    tip = min(max(old.tip * BUMP_NUM // BUMP_DEN + 1, fresh.tip), max_fee)
    if max_fee * BUMP_DEN < old.max_fee * BUMP_NUM or tip * BUMP_DEN < old.tip * BUMP_NUM:
        return None
    return Fees(max_fee, tip, fresh.base)
