"""Communities: power from energy, per-community totals, autarky, peaks and demand response.

Power is the average over a timeframe: W = Wh * 60 / timeframe_minutes (exact as a fraction;
shown rounded half-even to the watt, which is exact whenever the timeframe divides an hour).
Every comparison (peak threshold, hysteresis, autarky) is made on the exact fraction.

A community is autarkic in a timeframe when its production covers its consumption
(production - consumption >= 0); its self-sufficiency is the share of its consumption met by its
own production, min(P, C) / C (none when it consumed nothing).

Peaks (hysteresis): a peak starts when consumption exceeds `threshold_w`; it ends once the
consumption the community would draw with its paused loads running again falls below
`threshold_w * (1 - hysteresis)` (so resuming them cannot re-create the peak at once).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from models.domain.hashing import content_hash

SHARE_PLACES = Decimal("0.0001")


def power(wh: int, minutes: int) -> Fraction:
    """Average power in W of `wh` over `minutes`, exact."""
    return Fraction(wh * 60, minutes)


def watts(wh: int, minutes: int) -> int:
    """Average power in W, rounded half-even to the watt (exact when `minutes` divides 60)."""
    if 60 % minutes == 0:
        return wh * (60 // minutes)
    value = power(wh, minutes)
    floor = value.numerator // value.denominator
    rest = value - floor
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2 == 1):
        return floor + 1
    return floor


def self_sufficiency(production_wh: int, consumption_wh: int) -> str | None:
    """min(P, C) / C as a decimal string with 4 places (half-even); None when C is 0."""
    if consumption_wh <= 0:
        return None
    share = Decimal(min(production_wh, consumption_wh)) / Decimal(consumption_wh)
    return str(share.quantize(SHARE_PLACES, rounding=ROUND_HALF_EVEN))


def energy_view(production_wh: int, consumption_wh: int, minutes: int) -> dict[str, Any]:
    """Energy and power of a timeframe's production and consumption, and their difference."""
    net = production_wh - consumption_wh
    return {
        "production_wh": production_wh,
        "consumption_wh": consumption_wh,
        "net_wh": net,
        "production_w": watts(production_wh, minutes),
        "consumption_w": watts(consumption_wh, minutes),
        "net_w": watts(net, minutes),
        "autarkic": net >= 0,
        "self_sufficiency": self_sufficiency(production_wh, consumption_wh),
    }


def above(consumption_wh: int, minutes: int, threshold_w: int) -> bool:
    """Whether the timeframe's consumption exceeds `threshold_w` (exact)."""
    return power(consumption_wh, minutes) > threshold_w


# --- per-community totals of a closed timeframe (part of the hashed snapshot) -------------------


@dataclass(frozen=True)
class Settings:
    """What the rules need of a community."""

    threshold_w: int
    hysteresis: Decimal


def community_totals(
    lines: Iterable[Mapping[str, Any]],
    membership: Mapping[str, str],
    settings: Mapping[str, Settings],
    minutes: int,
) -> list[dict[str, Any]]:
    """Totals per community (sorted by id) of snapshot lines; `membership` maps prosumer ids to
    community ids. Every community in `settings` is listed, with zeros when it has no line."""
    sums: dict[str, list[int]] = {cid: [0, 0, 0, 0] for cid in settings}
    for line in lines:
        cid = membership.get(line["prosumer_id"])
        if cid is None or cid not in sums:
            continue
        row = sums[cid]
        row[0] += 1
        row[1] += 1 if line["missing"] else 0
        row[2] += line["produced_wh"]
        row[3] += line["consumed_wh"]
    out = []
    for cid in sorted(sums):
        count, missing, produced, consumed = sums[cid]
        threshold = settings[cid].threshold_w
        out.append(
            {
                "community_id": cid,
                "prosumers": count,
                "missing": missing,
                **energy_view(produced, consumed, minutes),
                "peak": above(consumed, minutes, threshold),
                "peak_threshold_w": threshold,
            }
        )
    return out


def with_communities(
    snapshot: Mapping[str, Any], membership: Mapping[str, str], settings: Mapping[str, Settings]
) -> dict[str, Any]:
    """The snapshot with each member's line naming its community and per-community totals,
    hashed again; unchanged when the grid has no community."""
    if not settings:
        return dict(snapshot)
    lines = []
    for line in snapshot["lines"]:
        cid = membership.get(line["prosumer_id"])
        lines.append({**line, "community_id": cid} if cid in settings else dict(line))
    doc = {key: value for key, value in snapshot.items() if key != "content_hash"}
    doc["lines"] = lines
    doc["communities"] = community_totals(
        lines, membership, settings, snapshot["timeframe_minutes"]
    )
    doc["content_hash"] = content_hash(doc)
    return doc


def regrouped(previous: Mapping[str, Any], snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """A re-netted snapshot (a correction's next version) with the community totals of its
    lines, members and thresholds as `previous` recorded them at the close; unchanged when
    `previous` had none."""
    if "communities" not in previous:
        return dict(snapshot)
    membership = {
        line["prosumer_id"]: line["community_id"]
        for line in previous["lines"]
        if isinstance(line.get("community_id"), str)
    }
    settings = {
        entry["community_id"]: Settings(entry["peak_threshold_w"], Decimal(0))
        for entry in previous["communities"]
    }
    return with_communities(snapshot, membership, settings)


# --- assessing a timeframe: peaks and autarky ---------------------------------------------------


@dataclass(frozen=True)
class State:
    """A community's demand-response state."""

    autarkic: bool
    peak_started: datetime | None  # the open peak's start, None when not in a peak
    peak_w: int  # the open peak's highest power so far
    evaluated: datetime | None  # the newest timeframe assessed with final values


@dataclass(frozen=True)
class Observed:
    """A community's production and consumption in one timeframe."""

    start: datetime
    minutes: int
    production_wh: int
    consumption_wh: int
    final: bool  # every member has reported, or the timeframe is closed


@dataclass(frozen=True)
class Verdict:
    """What changes: a peak starts, rises or ends; autarky flips; the state moves on."""

    relevant: bool  # False: an older timeframe than the state has seen; nothing changes
    start_peak: bool = False
    raise_peak: bool = False
    end_peak: bool = False
    autarkic: bool | None = None  # the new autarky when it changed
    evaluated: datetime | None = None  # the new `evaluated` when it moves
    over: bool = False  # consumption is above the threshold (demand response is due)

    @property
    def changes(self) -> bool:
        return (
            self.start_peak
            or self.raise_peak
            or self.end_peak
            or self.autarkic is not None
            or self.evaluated is not None
        )


def assess(state: State, seen: Observed, settings: Settings, paused_w: int) -> Verdict:
    """The verdict on one observation; `paused_w` is the power of the community's loads paused by
    its open peak that would run in this timeframe (they count towards ending the peak)."""
    if state.evaluated is not None and seen.start < state.evaluated:
        return Verdict(relevant=False)
    if state.peak_started is not None and seen.start < state.peak_started:
        return Verdict(relevant=False)
    used = power(seen.consumption_wh, seen.minutes)
    over = used > settings.threshold_w
    in_peak = state.peak_started is not None
    start_peak = over and not in_peak
    raise_peak = in_peak and over and watts(seen.consumption_wh, seen.minutes) > state.peak_w
    end_peak = False
    autarkic = None
    evaluated = None
    if seen.final:
        floor = settings.threshold_w * (1 - Fraction(settings.hysteresis))
        end_peak = in_peak and not over and used + paused_w < floor
        gained = seen.production_wh >= seen.consumption_wh
        autarkic = gained if gained != state.autarkic else None
        evaluated = seen.start if seen.start != state.evaluated else None
    return Verdict(True, start_peak, raise_peak, end_peak, autarkic, evaluated, over)


# --- demand response ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """A scheduled load that may be paused: its id, owner, power and daily window."""

    asset_id: str
    prosumer_id: str
    power_w: int
    window_start: str  # local HH:MM
    window_end: str  # local HH:MM; equal to the start: the whole day


def _clock(text: str) -> time:
    hours, _, minutes = text.partition(":")
    return time(int(hours), int(minutes))


def in_window(load: Load, at: datetime, timezone: str) -> bool:
    """Whether the timeframe starting at `at` (aware UTC) starts inside the load's local window."""
    local = at.astimezone(ZoneInfo(timezone))
    now = timedelta(hours=local.hour, minutes=local.minute, seconds=local.second)
    start = _clock(load.window_start)
    begin = timedelta(hours=start.hour, minutes=start.minute)
    end = _clock(load.window_end)
    length = (timedelta(hours=end.hour, minutes=end.minute) - begin) % timedelta(days=1)
    return (now - begin) % timedelta(days=1) < (length or timedelta(days=1))


def to_pause(
    consumption: Fraction, threshold_w: int, already_w: int, running: Sequence[Load]
) -> list[Load]:
    """Running loads to pause, largest first (ties by asset id), until the expected consumption
    (`consumption` less `already_w`, paused during this timeframe, less the chosen loads) falls
    under the threshold; all of them if that is not enough."""
    expected = consumption - already_w
    chosen = []
    for load in sorted(running, key=lambda ld: (-ld.power_w, ld.asset_id)):
        if expected < threshold_w:
            break
        chosen.append(load)
        expected -= load.power_w
    return chosen
