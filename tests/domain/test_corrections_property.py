"""Property: corrections before and after settlement never lose or invent money.

Random grids (prosumers, prices, currency, mechanism, orders), readings over two months,
then a random interleaving of corrections (several per timeframe), month settlements and
adjustments-only runs, done with the functions the services use (`next_version`, the clearing
at recorded terms, `adjustment_lines`, `takes`, `with_adjustments`, `build_statements`) over
in-memory books. Afterwards, every month settled and the rest swept by an adjustments-only run:

- Σ over all runs of each prosumer's statement = a settlement from scratch of the final
  readings (every timeframe cleared once, at its recorded terms);
- every run balances (statements + grid + plant + rounding = 0) and its root, once recorded,
  is what it was;
- every timeframe's versions verify as a hash chain, and no earlier version changed.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from models.domain.adjustments import (
    adjustment_docs,
    adjustment_lines,
    pair_sums,
    positions,
    takes,
    with_adjustments,
)
from models.domain.clearing import MECHANISMS
from models.domain.corrections import month_of, next_version, verify_chain
from models.domain.merkle import merkle_root
from models.domain.netting import Reading, net_timeframe
from models.domain.statements import build_statements, statement_leaves
from models.domain.trades import RESERVED_PARTIES
from models.services.clearing_terms import cleared_docs, nets_of

GRID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
MONTHS = ("2026-10", "2026-11")
FIRST = {"2026-10": datetime(2026, 10, 5, tzinfo=UTC), "2026-11": datetime(2026, 11, 3, tzinfo=UTC)}
PIDS = [f"p{n}" for n in range(5)]
WALLETS = {pid: "0x" + f"{n + 1:040x}" for n, pid in enumerate(PIDS)}

energy = st.integers(0, 4000)
reading = st.tuples(energy, energy)


@st.composite
def grids(draw: st.DrawFn) -> dict[str, Any]:
    fit = draw(st.integers(0, 20))
    imp = draw(st.integers(fit, 40))
    count = draw(st.integers(2, 5))
    return {
        "mechanism": draw(st.sampled_from(MECHANISMS)),
        "import_price": str(Decimal(imp) / 100),
        "feed_in_price": str(Decimal(fit) / 100),
        "currency": draw(st.sampled_from(["EUR", "JPY", "BHD"])),
        "prosumers": PIDS[:count],
    }


def orders(pids: list[str]) -> st.SearchStrategy[list[dict[str, Any]]]:
    one = st.builds(
        lambda pid, side, wh, cents: {
            "prosumer_id": pid,
            "side": side,
            "energy_wh": wh,
            "limit_price": str(Decimal(cents) / 100),
        },
        st.sampled_from(pids),
        st.sampled_from(["buy", "sell"]),
        st.integers(1, 3000),
        st.integers(0, 45),
    )
    return st.lists(one, max_size=3)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    grid = draw(grids())
    pids = grid["prosumers"]
    frames = []
    for month in MONTHS:
        for slot in range(draw(st.integers(1, 3))):
            frames.append(
                {
                    "start": FIRST[month] + timedelta(hours=slot),
                    "readings": draw(st.dictionaries(st.sampled_from(pids), reading)),
                    "orders": draw(orders(pids)),
                }
            )
    correction = st.tuples(
        st.just("correct"),
        st.integers(0, len(frames) - 1),
        st.dictionaries(st.sampled_from(pids), reading, min_size=1, max_size=3),
    )
    settle = st.tuples(st.just("settle"), st.sampled_from(MONTHS), st.just({}))
    sweep = st.tuples(st.just("adjustments-only"), st.just(0), st.just({}))
    ops = draw(st.lists(st.one_of(correction, correction, settle, sweep), max_size=10))
    return {"grid": grid, "frames": frames, "ops": ops}


@dataclass
class Books:
    """A grid's closed timeframes, corrections and settlement runs, in memory."""

    grid: dict[str, Any]
    terms: dict[str, dict[str, Any]] = field(default_factory=dict)
    originals: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    versions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    frozen: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # copies at creation
    adjustments: list[dict[str, Any]] = field(default_factory=list)
    runs: dict[str, dict[str, int]] = field(default_factory=dict)
    roots: dict[str, bytes] = field(default_factory=dict)
    sweeps: int = 0

    def close(self, frame: dict[str, Any]) -> None:
        start, pids = frame["start"], self.grid["prosumers"]
        readings = {pid: Reading(pid, p, c) for pid, (p, c) in frame["readings"].items()}
        snapshot = net_timeframe(GRID, start, 60, pids, readings)
        key = snapshot["start"]
        self.terms[key] = {
            **{k: self.grid[k] for k in ("mechanism", "import_price", "feed_in_price")},
            "grid_id": GRID,
            "start": key,
            "currency": self.grid["currency"],
            "orders": [{**o, "order_id": f"o{n}"} for n, o in enumerate(frame["orders"])],
        }
        self.originals[key] = cleared_docs(self.terms[key], nets_of(snapshot))
        self.versions[key] = [snapshot]
        self.frozen[key] = [copy.deepcopy(snapshot)]

    def correct(self, key: str, lines: dict[str, tuple[int, int]]) -> None:
        corrected = [Reading(pid, p, c) for pid, (p, c) in sorted(lines.items())]
        previous = self.versions[key][-1]
        number = len(self.versions[key]) + 1
        cid = f"c{len(self.adjustments)}"
        try:
            version = next_version(previous, number, cid, corrected)
        except ValueError:
            return  # nothing changes: the service answers 422
        booked = self.originals[key] + [
            t for a in self.adjustments if a["timeframe_start"] == key for t in a["trades"]
        ]
        fresh = cleared_docs(self.terms[key], nets_of(version))
        lines_ = adjustment_lines(pair_sums(booked), pair_sums(fresh))
        currency = self.grid["currency"]
        trades = adjustment_docs(GRID, key, currency, cid, number - 1, number, lines_)
        self.versions[key].append(version)
        self.frozen[key].append(copy.deepcopy(version))
        self.adjustments.append(
            {
                "_id": cid,
                "timeframe_start": key,
                "month": self.month_of_key(key),
                "version": number,
                "trades": trades,
                "positions": positions(trades),
                "settled_in": None,
            }
        )

    def settle(self, period: str) -> None:
        if period in self.runs:
            return  # a re-run plans the recorded run: nothing new
        month = period.partition(".")[0]
        base: dict[str, int] = Counter()
        sums: dict[str, int] = Counter()
        if "." not in period:
            for key, trades in self.originals.items():
                if self.month_of_key(key) == month:
                    for party, amount in positions(trades).items():
                        sums[party] += amount
            base = {p: a for p, a in sums.items() if p not in RESERVED_PARTIES}
        taken = [
            a
            for a in self.adjustments
            if a["settled_in"] is None and takes(period, a["month"], a["month"] in self.runs)
        ]
        if "." in period and not taken:
            return
        total, _ = with_adjustments(base, taken, RESERVED_PARTIES)
        reserved = sum(a for p, a in sums.items() if p in RESERVED_PARTIES)
        reserved += sum(a["positions"].get(p, 0) for a in taken for p in RESERVED_PARTIES)
        assert sum(total.values()) + reserved == 0, "the run does not balance"
        for a in taken:
            a["settled_in"] = period
        statements = build_statements(
            GRID,
            period,
            {p: {"received_minor": v, "paid_minor": 0} for p, v in total.items()},
            WALLETS,
        )
        self.runs[period] = total
        self.roots[period] = merkle_root(statement_leaves(statements))

    def sweep(self) -> None:
        self.sweeps += 1
        self.settle(f"2026-12.{self.sweeps}")

    @staticmethod
    def month_of_key(key: str) -> str:
        return month_of(datetime.fromisoformat(key.replace("Z", "+00:00")), "Europe/Stockholm")


def from_scratch(books: Books) -> Counter[str]:
    totals: Counter[str] = Counter()
    for key, versions in books.versions.items():
        for party, amount in positions(
            cleared_docs(books.terms[key], nets_of(versions[-1]))
        ).items():
            if party not in RESERVED_PARTIES:
                totals[party] += amount
    return totals


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(scenario=scenarios())
def test_every_run_together_settles_the_final_readings(scenario: dict[str, Any]) -> None:
    books = Books(scenario["grid"])
    for frame in scenario["frames"]:
        books.close(frame)
    keys = sorted(books.versions)
    roots_seen: dict[str, bytes] = {}
    for op, index, payload in scenario["ops"]:
        if op == "correct":
            books.correct(keys[index], payload)
        elif op == "settle":
            books.settle(str(index))
        else:
            books.sweep()
        assert all(books.roots[p] == r for p, r in roots_seen.items()), "a recorded root changed"
        roots_seen.update(books.roots)
    for month in MONTHS:
        books.settle(month)
    books.sweep()
    assert all(a["settled_in"] for a in books.adjustments), "an adjustment was never settled"
    settled: Counter[str] = Counter()
    for amounts in books.runs.values():
        settled.update(amounts)
    expected = from_scratch(books)
    assert {p: v for p, v in settled.items() if v} == {p: v for p, v in expected.items() if v}
    for key, versions in books.versions.items():
        assert verify_chain(versions) == []
        assert versions == books.frozen[key], "an earlier version changed"
        booked = books.originals[key] + [
            t for a in books.adjustments if a["timeframe_start"] == key for t in a["trades"]
        ]
        fresh = cleared_docs(books.terms[key], nets_of(versions[-1]))
        assert pair_sums(booked) == pair_sums(fresh)  # to the Wh and the minor unit, per pair
