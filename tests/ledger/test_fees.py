"""EIP-1559 fees from a fee history: base and tip, the cap, the replacement bump."""

from __future__ import annotations

import pytest

from ledger.errors import LedgerError
from ledger.fees import Fees, bumped, network_fees

GWEI = 10**9


def history(bases: list[int], tips: list[int]) -> dict:
    return {"baseFeePerGas": bases, "reward": [[t] for t in tips]}


def test_fees_are_twice_the_next_base_fee_plus_the_median_tip() -> None:
    fees = network_fees(history([GWEI, 3 * GWEI], [1, 5, 3]), 7, cap=100 * GWEI)
    assert fees == Fees(6 * GWEI + 3, 3, 3 * GWEI)
    assert network_fees(history([GWEI], []), 7, cap=100 * GWEI).tip == 7  # node's suggestion


def test_the_cap_bounds_the_fee_and_refuses_a_base_fee_above_it() -> None:
    assert network_fees(history([10 * GWEI], [GWEI]), 0, cap=15 * GWEI).max_fee == 15 * GWEI
    with pytest.raises(LedgerError, match="above FEE_CAP_WEI"):
        network_fees(history([20 * GWEI], [GWEI]), 0, cap=15 * GWEI)


def test_a_replacement_raises_both_fees_by_at_least_an_eighth_within_the_cap() -> None:
    old, fresh = Fees(3 * GWEI, GWEI), Fees(2 * GWEI, 0, GWEI)
    new = bumped(old, fresh, cap=100 * GWEI)
    assert new is not None and new.max_fee * 8 >= old.max_fee * 9 and new.tip * 8 >= old.tip * 9
    spike = Fees(200 * GWEI + GWEI, GWEI, 100 * GWEI)
    assert bumped(old, spike, cap=500 * GWEI) == Fees(201 * GWEI, GWEI * 9 // 8 + 1, 100 * GWEI)
    assert bumped(old, spike, cap=3 * GWEI) is None  # the cap leaves no room to bump
