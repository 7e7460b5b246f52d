"""Monthly statements, their 160-byte leaves and the sorted-pair sha256 Merkle tree."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.domain.clearing import Prices, clear_timeframe
from models.domain.merkle import (
    EMPTY_ROOT,
    hash_pair,
    merkle_proof,
    merkle_proofs,
    merkle_root,
    verify_proof,
)
from models.domain.statements import (
    Statement,
    build_statements,
    grid_key,
    grid_position,
    leaf_bytes,
    leaf_hash,
    period_number,
    settlement_balance,
    statement_leaves,
)
from tests.domain.clearing_checks import nets_st, positions

GRID = "7d3c9a10-1234-4abc-8def-00000000beef"
WALLET = "0x" + "ab" * 20


def _statement(index: int = 3, amount: int = -1, account: str = WALLET) -> Statement:
    """A sample statement."""
    return Statement(GRID, "2026-10", index, f"p{index}", account, amount)


def test_helpers() -> None:
    """grid_key pads the uuid's 16 bytes; period_number is YYYYMM."""
    key = grid_key(GRID)
    assert key == bytes(16) + bytes.fromhex("7d3c9a1012344abc8def00000000beef")
    assert period_number("2026-10") == 202610
    with pytest.raises(ValueError):
        grid_key("not-a-uuid")
    with pytest.raises(ValueError):
        period_number("2026-13")


def test_leaf_layout() -> None:
    """Five 32-byte words: key, period, index, account, int256 amount (two's complement)."""
    raw = leaf_bytes(_statement(index=3, amount=-1))
    words = [raw[i : i + 32] for i in range(0, 160, 32)]
    assert len(raw) == 160
    assert words[0] == grid_key(GRID)
    assert int.from_bytes(words[1], "big") == 202610
    assert int.from_bytes(words[2], "big") == 3
    assert words[3] == bytes(12) + bytes.fromhex("ab" * 20)
    assert words[4] == b"\xff" * 32
    assert leaf_bytes(_statement(amount=258))[-2:] == b"\x01\x02"
    assert leaf_hash(_statement()) == hashlib.sha256(hashlib.sha256(raw).digest()).digest()


def test_build_statements_sorted_and_skips_system_parties() -> None:
    """Statements by prosumer id, index = position, amount = received - paid."""
    sums = {
        "b": {"received_minor": 10, "paid_minor": 50},
        "a": {"received_minor": 45, "paid_minor": 0},
        "grid": {"received_minor": 60, "paid_minor": 60},
        "plant": {"received_minor": 0, "paid_minor": 0},
        "rounding": {"received_minor": 1, "paid_minor": 6},
    }
    wallets = {"a": WALLET, "b": "0x" + "0" * 39 + "1"}
    sts = build_statements(GRID, "2026-10", sums, wallets)
    assert [(s.index, s.prosumer_id, s.amount_minor) for s in sts] == [(0, "a", 45), (1, "b", -40)]
    assert grid_position(sums) == {"grid": 0, "plant": 0, "rounding": -5}
    assert settlement_balance(sts, sums) == 0
    with pytest.raises(ValueError, match="wallet"):
        build_statements(GRID, "2026-10", sums, {"a": WALLET})
    with pytest.raises(ValueError, match="EVM"):
        build_statements(GRID, "2026-10", sums, {"a": WALLET, "b": "0x12"})


@given(st.lists(nets_st, max_size=4))
def test_statements_balance_over_cleared_timeframes(frames: list[dict[str, int]]) -> None:
    """Σ statements + grid + plant + rounding = 0 after clearing several timeframes."""
    prices = Prices(import_price=Decimal("0.3"), feed_in_price=Decimal("0.07"))
    sums: dict[str, dict[str, int]] = {}
    for i, nets in enumerate(frames):
        mechanism = ("mid_market", "bill_sharing", "auction")[i % 3]
        for party, pos in positions(clear_timeframe(nets, prices, 2, mechanism).trades).items():
            row = sums.setdefault(party, {"received_minor": 0, "paid_minor": 0})
            row["received_minor"] += pos["r"]
            row["paid_minor"] += pos["p"]
    wallets = {pid: WALLET for pid in sums}
    sts = build_statements(GRID, "2026-10", sums, wallets)
    assert settlement_balance(sts, sums) == 0


def test_merkle_small_trees() -> None:
    """Empty root is zero; one leaf is its own root; three leaves promote the odd one."""
    a, b, c = (hashlib.sha256(bytes([i])).digest() for i in range(3))
    assert merkle_root([]) == EMPTY_ROOT
    assert merkle_root([a]) == a and merkle_proof([a], 0) == []
    assert merkle_root([a, b, c]) == hash_pair(hash_pair(a, b), c)
    assert merkle_proof([a, b, c], 2) == [hash_pair(a, b)]
    assert hash_pair(a, b) == hash_pair(b, a)


@given(st.lists(st.integers(-(2**200), 2**200), min_size=1, max_size=40), st.data())
def test_every_proof_verifies_and_tampering_fails(amounts: list[int], data: st.DataObject) -> None:
    """All proofs verify; a tampered amount, index or account does not."""
    sts = [_statement(index=i, amount=a) for i, a in enumerate(amounts)]
    leaves = statement_leaves(sts)
    root = merkle_root(leaves)
    proofs = merkle_proofs(leaves)
    assert all(verify_proof(leaf, proof, root) for leaf, proof in zip(leaves, proofs, strict=True))
    i = data.draw(st.integers(0, len(sts) - 1))
    assert proofs[i] == merkle_proof(leaves, i)
    for forged in (
        replace(sts[i], amount_minor=sts[i].amount_minor + 1),
        replace(sts[i], index=sts[i].index + len(sts)),
        replace(sts[i], account="0x" + "cd" * 20),
    ):
        assert not verify_proof(leaf_hash(forged), proofs[i], root)


def test_merkle_rejects_bad_input() -> None:
    """Leaves must be 32 bytes; proof indices must exist."""
    with pytest.raises(ValueError):
        merkle_root([b"short"])
    with pytest.raises(IndexError):
        merkle_proof([bytes(32)], 1)
