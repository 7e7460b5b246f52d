"""The reference tree used by the ledger tests behaves as the contract expects."""

from __future__ import annotations

from merkle_ref import leaf, levels, proof, root, sha256, verify


def _leaves(n: int) -> list[bytes]:
    return [leaf(b"\x01" * 32, 202610, i, "0x" + f"{i + 1:040x}", -i) for i in range(n)]


def test_empty_single_and_pair_roots() -> None:
    assert root([]) == b"\0" * 32
    (only,) = _leaves(1)
    assert root([only]) == only and proof([only], 0) == []
    a, b = _leaves(2)
    assert root([a, b]) == root([b, a]) == sha256(min(a, b) + max(a, b))


def test_an_odd_node_is_promoted_unchanged() -> None:
    a, b, c = _leaves(3)
    assert levels([a, b, c])[1][1] == c
    assert proof([a, b, c], 2) == [sha256(min(a, b) + max(a, b))]


def test_every_proof_verifies_and_a_changed_amount_does_not() -> None:
    for n in range(1, 18):
        leaves = _leaves(n)
        top = root(leaves)
        assert all(verify(leaves[i], proof(leaves, i), top) for i in range(n))
    forged = leaf(b"\x01" * 32, 202610, 3, "0x" + f"{4:040x}", -2)
    assert not verify(forged, proof(_leaves(17), 3), root(_leaves(17)))


def test_the_leaf_encodes_a_negative_amount_as_twos_complement() -> None:
    account = "0x" + "ff" * 20
    data = bytes(32) + (202610).to_bytes(32, "big") + (5).to_bytes(32, "big")
    data += bytes(12) + b"\xff" * 20 + b"\xff" * 31 + b"\xfe"
    assert leaf(bytes(32), 202610, 5, account, -2) == sha256(sha256(data))
