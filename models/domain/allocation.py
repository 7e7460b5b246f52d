"""Exact proportional splits of integers (largest remainder method)."""

from __future__ import annotations

from collections.abc import Sequence


def largest_remainder(weights: Sequence[tuple[str, int]], total: int) -> dict[str, int]:
    """Split `total` in proportion to non-negative integer weights; shares sum exactly to `total`.

    Each key gets floor(w * total / W); the units left over go one each to the largest
    remainders, ties broken by key ascending. Requires total <= W unless total == 0.
    """
    weight_sum = sum(w for _, w in weights)
    if total < 0 or any(w < 0 for _, w in weights):
        raise ValueError("weights and total must be non-negative")
    if weight_sum == 0:
        if total:
            raise ValueError("cannot split a positive total over zero weights")
        return {key: 0 for key, _ in weights}
    shares: dict[str, int] = {}
    remainders: list[tuple[int, str]] = []
    for key, weight in weights:
        share, rest = divmod(weight * total, weight_sum)
        shares[key] = share
        if rest:
            remainders.append((-rest, key))
    left = total - sum(shares.values())
    if left:
        remainders.sort()
        for _, key in remainders[:left]:
            shares[key] += 1
    return shares
