"""A reference of the settlement Merkle tree (hashlib only), independent of models.domain."""

from __future__ import annotations

import hashlib


def sha256(data: bytes) -> bytes:
    """One sha256 digest."""
    return hashlib.sha256(data).digest()


def leaf(grid_key: bytes, period_number: int, index: int, account: str, amount_minor: int) -> bytes:
    """sha256(sha256(grid_key || period || index || account || amount_minor as int256))."""
    data = (
        grid_key
        + period_number.to_bytes(32, "big")
        + index.to_bytes(32, "big")
        + int(account, 16).to_bytes(32, "big")
        + amount_minor.to_bytes(32, "big", signed=True)
    )
    return sha256(sha256(data))


def _parent(a: bytes, b: bytes) -> bytes:
    """Hash a pair in sorted order."""
    return sha256(min(a, b) + max(a, b))


def levels(leaves: list[bytes]) -> list[list[bytes]]:
    """Every level of the tree, leaves first; an odd last node is promoted unchanged."""
    out = [list(leaves)]
    while len(out[-1]) > 1:
        level = out[-1]
        nxt = [_parent(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        out.append(nxt)
    return out


def root(leaves: list[bytes]) -> bytes:
    """The root; 32 zero bytes for no leaves."""
    return levels(leaves)[-1][0] if leaves else b"\0" * 32


def proof(leaves: list[bytes], index: int) -> list[bytes]:
    """Siblings from leaf to root (a promoted node contributes none)."""
    out = []
    for level in levels(leaves)[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            out.append(level[sibling])
        index //= 2
    return out


def verify(leaf_hash: bytes, siblings: list[bytes], expected_root: bytes) -> bool:
    """Fold the proof onto the leaf and compare."""
    node = leaf_hash
    for sibling in siblings:
        node = _parent(node, sibling)
    return node == expected_root
