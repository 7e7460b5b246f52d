"""Exact proportional splits of integers (largest remainder method)."""

from __future__ import annotations

from collections.abc import Sequence


def largest_remainder(weights: Sequence[int], total: int) -> list[int]:
    """Split `total` in proportion to non-negative integer weights; shares sum exactly to `total`.

    Share i is floor(w_i * total / W); the units left over go one each to the largest
    remainders, ties to the earlier weight (callers list weights by key ascending).
    Requires total <= W unless total == 0.
    """
    weight_sum = sum(weights)
    if total < 0 or min(weights, default=0) < 0:
        raise ValueError("weights and total must be non-negative")
    if weight_sum == 0 and total:
        raise ValueError("cannot split a positive total over zero weights")
    if total == 0:
        return [0] * len(weights)
    if total == weight_sum:
        return list(weights)
    shares: list[int] = []
    rests: list[int] = []
    for weight in weights:
        share, rest = divmod(weight * total, weight_sum)
        shares.append(share)
        rests.append(rest)
    left = total - sum(shares)
    if left:
        ranked = sorted(range(len(rests)), key=rests.__getitem__, reverse=True)
        for index in ranked[:left]:
            shares[index] += 1
    return shares
