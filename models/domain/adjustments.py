"""Adjustment trades: what a correction changes in a closed timeframe's money and energy.

The books of a timeframe are its original trades plus the adjustments of every correction so
far. A correction clears the corrected readings afresh (at the terms recorded at the first
close) and books, per ordered pair (seller, buyer), the difference between that fresh clearing
and the books so far:

    energy_wh = fresh Wh from seller to buyer - booked Wh from seller to buyer
    amount_minor = fresh money from buyer to seller - booked money from buyer to seller

Either may be negative (a negative line takes back part of an earlier trade). So after any
number of corrections, original trades + adjustments = the fresh clearing of the latest
readings, per pair, to the Wh and the minor unit; each correction's lines sum to zero money
across all parties, as both clearings do.

Settlement: the adjustments of a month not yet settled become part of that month's run; those
of a settled month are taken by the next run of the grid (`takes`), or by an adjustments-only
period `YYYY-MM.N` (`adjustments_period`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from models.domain.timeframes import parse_month

KIND = "adjustment"
Pairs = dict[tuple[str, str], tuple[int, int]]  # (seller, buyer) -> (energy_wh, amount_minor)
MAX_SEQUENCE = 999


def pair_sums(trades: Iterable[Mapping[str, Any]]) -> Pairs:
    """Energy and money per ordered (seller, buyer) pair over trades (adjustments included);
    pairs whose sums are both zero are left out (they moved nothing)."""
    sums: Pairs = {}
    for t in trades:
        key = (t["seller"], t["buyer"])
        energy, money = sums.get(key, (0, 0))
        sums[key] = (energy + t["energy_wh"], money + t["amount_minor"])
    return {pair: sum_ for pair, sum_ in sums.items() if sum_ != (0, 0)}


def adjustment_lines(booked: Pairs, fresh: Pairs) -> list[tuple[str, str, int, int]]:
    """(seller, buyer, energy_wh, amount_minor) differences, sorted by pair, zeros left out."""
    lines = []
    for pair in sorted(booked.keys() | fresh.keys()):
        old_e, old_m = booked.get(pair, (0, 0))
        new_e, new_m = fresh.get(pair, (0, 0))
        if (new_e - old_e, new_m - old_m) != (0, 0):
            lines.append((pair[0], pair[1], new_e - old_e, new_m - old_m))
    return lines


def adjustment_docs(
    grid_id: str,
    start_iso: str,
    currency: str,
    correction_id: str,
    from_version: int,
    to_version: int,
    lines: Iterable[tuple[str, str, int, int]],
) -> list[dict[str, Any]]:
    """The store documents of a correction's adjustment trades (ids deterministic)."""
    return [
        {
            "_id": f"{grid_id}:{start_iso}:v{to_version:04d}:{n:06d}",
            "grid_id": grid_id,
            "timeframe_start": start_iso,
            "currency": currency,
            "line": n,
            "seller": seller,
            "buyer": buyer,
            "energy_wh": energy,
            "amount_minor": amount,
            "kind": KIND,
            "correction_id": correction_id,
            "from_version": from_version,
            "to_version": to_version,
        }
        for n, (seller, buyer, energy, amount) in enumerate(lines)
    ]


def positions(trades: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Money per party, received minus paid (zeros kept: the party took part)."""
    out: dict[str, int] = {}
    for t in trades:
        out[t["seller"]] = out.get(t["seller"], 0) + t["amount_minor"]
        out[t["buyer"]] = out.get(t["buyer"], 0) - t["amount_minor"]
    return out


def with_adjustments(
    amounts: Mapping[str, int], taken: Iterable[Mapping[str, Any]], reserved: frozenset[str]
) -> tuple[dict[str, int], dict[str, list[dict[str, Any]]]]:
    """Statement amounts per prosumer with the taken corrections' positions added, and each
    prosumer's `adjustments` entries; `reserved` parties (grid, plant, rounding) are not
    prosumers. ValueError if a correction's positions do not sum to zero."""
    total = dict(amounts)
    entries: dict[str, list[dict[str, Any]]] = {}
    for doc in taken:
        if sum(doc["positions"].values()) != 0:
            raise ValueError(f"the adjustments of correction {doc['_id']} do not balance")
        for party, amount in sorted(doc["positions"].items()):
            if party in reserved:
                continue
            total[party] = total.get(party, 0) + amount
            entries.setdefault(party, []).append(
                {
                    "correction_id": doc["_id"],
                    "timeframe_start": doc["timeframe_start"],
                    "month": doc["month"],
                    "version": doc["version"],
                    "amount_minor": amount,
                }
            )
    return total, entries


def takes(period: str, adjustment_month: str, month_has_run: bool) -> bool:
    """Whether a settlement of `period` takes a correction of `adjustment_month`.

    A month's run takes its own month's corrections (they are part of it) and those of months
    that have a run of their own (settled: the month's root never changes). An adjustments-only
    period takes only the latter. A correction of a month without a run waits for that month.
    """
    return month_has_run or (period == adjustment_month and not is_adjustments_period(period))


def is_adjustments_period(period: str) -> bool:
    """Whether `period` names an adjustments-only run (`YYYY-MM.N`)."""
    return "." in period


def adjustments_period(month: str, sequence: int) -> str:
    """The name of the `sequence`-th adjustments-only run in `month`: `YYYY-MM.N`."""
    parse_month(month)
    if not 1 <= sequence <= MAX_SEQUENCE:
        raise ValueError(f"adjustments-only runs are numbered 1..{MAX_SEQUENCE} per month")
    return f"{month}.{sequence}"


def split_period(period: str) -> tuple[str, int]:
    """(month, sequence) of a period; sequence 0 for a month (ValueError if malformed)."""
    month, dot, sequence = period.partition(".")
    parse_month(month)
    if not dot:
        return month, 0
    if not sequence.isdigit() or not 1 <= int(sequence) <= MAX_SEQUENCE or sequence[0] == "0":
        raise ValueError(f"period must look like YYYY-MM or YYYY-MM.N (N 1..999), got {period!r}")
    return month, int(sequence)
