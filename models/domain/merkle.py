"""A sha256 Merkle tree with sorted pairs (OpenZeppelin style), verifiable in Vyper.

node = sha256(min(a, b) || max(a, b)); an odd node at the end of a level is promoted unchanged;
the root of no leaves is 32 zero bytes, of one leaf the leaf itself. Leaves should already be
hashes (see statements.leaf_hash, a double sha256, so a leaf never equals an inner node).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = bytes(32)


def hash_pair(a: bytes, b: bytes) -> bytes:
    """sha256 of the two 32-byte nodes in ascending byte order."""
    return hashlib.sha256(a + b if a <= b else b + a).digest()


def _check_leaves(leaves: Sequence[bytes]) -> None:
    """Require 32-byte leaves."""
    for leaf in leaves:
        if len(leaf) != 32:
            raise ValueError("leaves must be 32-byte hashes")


def merkle_levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the tree, leaves first, root level last."""
    _check_leaves(leaves)
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        above = [hash_pair(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        if len(below) % 2:
            above.append(below[-1])
        levels.append(above)
    return levels


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """The root over `leaves` (32 zero bytes when empty)."""
    if not leaves:
        return EMPTY_ROOT
    return merkle_levels(leaves)[-1][0]


def _proof_from(levels: list[list[bytes]], index: int) -> list[bytes]:
    """Sibling hashes from leaf `index` up to the root."""
    proof: list[bytes] = []
    for level in levels[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            proof.append(level[sibling])
        index //= 2
    return proof


def merkle_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The proof that leaves[index] is in the tree."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf index {index} out of range for {len(leaves)} leaves")
    return _proof_from(merkle_levels(leaves), index)


def merkle_proofs(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Proofs for every leaf, building the tree once."""
    levels = merkle_levels(leaves)
    return [_proof_from(levels, i) for i in range(len(leaves))]


def verify_proof(leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """True if folding `proof` into `leaf` gives `root`."""
    node = leaf
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node == root
