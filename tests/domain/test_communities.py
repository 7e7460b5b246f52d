"""The community rules as pure functions: power, totals, autarky, peaks with hysteresis, pauses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from models.domain.communities import (
    Load,
    Observed,
    Settings,
    State,
    assess,
    community_totals,
    in_window,
    power,
    self_sufficiency,
    to_pause,
    watts,
    with_communities,
)
from models.domain.hashing import content_hash
from models.domain.netting import Reading, net_timeframe, totals_of

T0 = datetime(2030, 11, 7, 15, 45)
STEP = timedelta(minutes=15)
RULE = Settings(2000, Decimal("0.1"))


def test_power_is_wh_times_60_over_minutes() -> None:
    assert power(3275, 15) == 13100
    assert watts(3275, 15) == 13100
    assert power(100, 90) == Fraction(200, 3)
    assert watts(100, 90) == 67  # 66.67 rounded half-even
    assert watts(3, 120) == 2  # 1.5 -> 2 (half-even: even)
    assert watts(1, 120) == 0  # 0.5 -> 0
    assert watts(-3275, 15) == -13100


def test_self_sufficiency_is_the_share_met_by_own_production() -> None:
    assert self_sufficiency(1700, 1500) == "1.0000"
    assert self_sufficiency(0, 1500) == "0.0000"
    assert self_sufficiency(500, 1500) == "0.3333"
    assert self_sufficiency(100, 0) is None


def test_windows_are_local_and_may_cross_midnight() -> None:
    car = Load("a", "p", 1300, "16:00", "22:00")
    night = Load("b", "p", 1300, "22:00", "06:00")
    whole = Load("c", "p", 1300, "00:00", "00:00")
    at = datetime(2030, 11, 7, 15, 45, tzinfo=UTC)  # 16:45 in Stockholm (UTC+1)
    assert in_window(car, at, "Europe/Stockholm")
    assert not in_window(car, at, "UTC")  # 15:45 UTC
    assert not in_window(night, at, "Europe/Stockholm")
    assert in_window(night, datetime(2030, 11, 7, 23, 0, tzinfo=UTC), "Europe/Stockholm")
    assert in_window(whole, at, "UTC")


def test_pauses_go_largest_first_until_under_the_threshold() -> None:
    loads = [Load(n, "p", w, "00:00", "00:00") for n, w in (("x", 1300), ("y", 9000), ("w", 1300))]
    chosen = to_pause(Fraction(13100), 2000, 0, loads)
    assert [c.asset_id for c in chosen] == ["y", "w", "x"]  # 4,100, 2,800, then 1,500 < 2,000
    assert [c.asset_id for c in to_pause(Fraction(13100), 5000, 0, loads)] == ["y"]
    assert to_pause(Fraction(13100), 5000, 9000, loads) == []  # already paused this timeframe
    assert to_pause(Fraction(1999), 2000, 0, loads) == []


def seen(k: int, produced: int, consumed: int, final: bool = True) -> Observed:
    return Observed(T0 + k * STEP, 15, produced, consumed, final)


def test_a_peak_starts_above_and_ends_below_the_hysteresis_floor() -> None:
    calm = State(False, None, 0, None)
    verdict = assess(calm, seen(0, 0, 3275), RULE, 0)
    assert verdict.start_peak and verdict.over and verdict.evaluated == T0
    peak = State(False, T0, 13100, T0)
    assert not assess(peak, seen(1, 0, 490), RULE, 0).end_peak  # 1,960 W: above the 1,800 floor
    assert assess(peak, seen(1, 0, 440), RULE, 0).end_peak  # 1,760 W
    assert not assess(peak, seen(1, 0, 375), RULE, 11600).end_peak  # paused loads would return
    assert not assess(peak, seen(1, 0, 100, final=False), RULE, 0).end_peak  # partial sums
    assert not assess(peak, seen(-1, 0, 0), RULE, 0).relevant  # before the state's newest


def test_partial_sums_start_peaks_but_never_judge_autarky() -> None:
    verdict = assess(State(False, None, 0, None), seen(0, 900, 600, final=False), RULE, 0)
    assert verdict.start_peak and verdict.autarkic is None and verdict.evaluated is None


def test_snapshot_totals_per_community_are_hashed_with_the_rest() -> None:
    ids = ["a", "b", "c", "d"]
    readings = {"a": Reading("a", 0, 325), "b": Reading("b", 425, 2375), "d": Reading("d", 5, 0)}
    snap = net_timeframe("g", T0.replace(tzinfo=UTC), 15, ids, readings)
    done = with_communities(snap, {"a": "k", "b": "k", "c": "k"}, {"k": RULE, "z": RULE})
    assert done["content_hash"] == content_hash(done) != snap["content_hash"]
    k, z = done["communities"]
    assert (k["community_id"], k["prosumers"], k["missing"]) == ("k", 3, 1)
    assert (k["consumption_w"], k["production_w"], k["peak"], k["autarkic"]) == (
        10800,
        1700,
        True,
        False,
    )
    assert (z["prosumers"], z["consumption_wh"], z["peak"]) == (0, 0, False)
    assert [line.get("community_id") for line in done["lines"]] == ["k", "k", "k", None]
    assert with_communities(snap, {}, {}) == snap


memberships = st.dictionaries(
    st.sampled_from([f"p{n}" for n in range(12)]), st.sampled_from(["c1", "c2", "c3"])
)
energy = st.integers(0, 10**9)


@settings(max_examples=200, deadline=None)
@given(
    memberships,
    st.dictionaries(st.sampled_from([f"p{n}" for n in range(12)]), st.tuples(energy, energy)),
    st.sampled_from([1, 5, 15, 60, 90, 1440]),
)
def test_property_community_totals_and_the_rest_sum_to_the_grid(
    membership: dict[str, str], given_readings: dict[str, tuple[int, int]], minutes: int
) -> None:
    ids = sorted(set(membership) | set(given_readings) | {"p0"})
    readings = {pid: Reading(pid, p, c) for pid, (p, c) in given_readings.items()}
    snap = net_timeframe("g", datetime(2030, 11, 7, tzinfo=UTC), minutes, ids, readings)
    rules = {cid: RULE for cid in ("c1", "c2", "c3")}
    groups = community_totals(snap["lines"], membership, rules, minutes)
    outside = totals_of(line for line in snap["lines"] if line["prosumer_id"] not in membership)
    grid = snap["totals"]
    for field in ("production_wh", "consumption_wh", "net_wh"):
        assert sum(g[field] for g in groups) + outside[field] == grid[field]
    assert sum(g["prosumers"] for g in groups) + outside["prosumers"] == grid["prosumers"]


def run_states(values: list[tuple[int, int, bool]]) -> tuple[list[bool], list[tuple[int, int]]]:
    """Drive the state machine over timeframes (produced, consumed, final): the autarky changes
    it announces and the peaks it records as (start index, end index or -1)."""
    state = State(False, None, 0, None)
    changes: list[bool] = []
    peaks: list[tuple[int, int]] = []
    for k, (produced, consumed, final) in enumerate(values):
        verdict = assess(state, seen(k, produced, consumed, final), RULE, 0)
        started, peak_w = state.peak_started, state.peak_w
        if verdict.start_peak:
            started, peak_w = T0 + k * STEP, watts(consumed, 15)
            peaks.append((k, -1))
        if verdict.end_peak:
            peaks[-1] = (peaks[-1][0], k)
            started = None
        autarkic = state.autarkic
        if verdict.autarkic is not None:
            changes.append(verdict.autarkic)
            autarkic = verdict.autarkic
        evaluated = verdict.evaluated or state.evaluated
        state = State(autarkic, started, peak_w, evaluated)
    return changes, peaks


steps = st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 1000), st.booleans()), max_size=40)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_property_autarky_changes_alternate_and_peaks_never_overlap(
    values: list[tuple[int, int, bool]],
) -> None:
    changes, peaks = run_states(values)
    assert all(a != b for a, b in zip(changes, changes[1:], strict=False))  # alternate
    assert not changes or changes[0] is True  # the first change from "not autarkic"
    finals = [p >= c for p, c, final in values if final]
    flips = sum(1 for a, b in zip([False, *finals], finals, strict=False) if a != b)
    assert len(changes) == flips  # one per change, none without
    for (_, e1), (s2, _) in zip(peaks, peaks[1:], strict=False):
        assert 0 <= e1 <= s2  # ended before the next started
    assert all(e == -1 or s <= e for s, e in peaks)
