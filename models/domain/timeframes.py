"""UTC instants and fixed-length timeframes aligned to midnight UTC."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MINUTES_PER_DAY = 1440
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_OFFSET_RE = re.compile(r"([Zz]|[+-]\d{2}:?\d{2})$")


def parse_instant(text: str) -> datetime:
    """Parse ISO 8601 text with `Z` or a UTC offset into an aware UTC datetime."""
    if not isinstance(text, str) or "T" not in text or not _OFFSET_RE.search(text.strip()):
        raise ValueError(f"not an ISO 8601 instant with Z or offset: {text!r}")
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 instant with Z or offset: {text!r}") from exc
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"instant needs a Z or an offset: {text!r}")
    return parsed.astimezone(UTC)


def _utc(dt: datetime) -> datetime:
    """Return `dt` in UTC; refuse naive datetimes."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime, need an aware one: {dt!r}")
    return dt.astimezone(UTC)


def format_instant(dt: datetime) -> str:
    """Format an aware datetime as `YYYY-MM-DDTHH:MM:SSZ` (microseconds kept if present)."""
    utc = _utc(dt)
    if utc.microsecond:
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_minutes(minutes: int) -> None:
    """Require a positive timeframe length that divides a day."""
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise ValueError(f"timeframe minutes must be an int, got {minutes!r}")
    if minutes <= 0 or _MINUTES_PER_DAY % minutes:
        raise ValueError(f"timeframe minutes must divide 1440, got {minutes}")


def _seconds_into_day(utc: datetime) -> int:
    """Whole seconds since midnight UTC."""
    return utc.hour * 3600 + utc.minute * 60 + utc.second


def is_aligned(start: datetime, minutes: int) -> bool:
    """True if `start` is a multiple of `minutes` after midnight UTC."""
    _check_minutes(minutes)
    utc = _utc(start)
    return utc.microsecond == 0 and _seconds_into_day(utc) % (minutes * 60) == 0


def floor_timeframe(dt: datetime, minutes: int) -> datetime:
    """The start of the timeframe containing `dt`."""
    _check_minutes(minutes)
    utc = _utc(dt)
    excess = _seconds_into_day(utc) % (minutes * 60)
    return utc.replace(microsecond=0) - timedelta(seconds=excess)


def ceil_timeframe(dt: datetime, minutes: int) -> datetime:
    """The first timeframe start at or after `dt`."""
    start = floor_timeframe(dt, minutes)
    return start if start >= _utc(dt) else start + timedelta(minutes=minutes)


def timeframe_end(start: datetime, minutes: int) -> datetime:
    """The end (exclusive) of the timeframe starting at `start`."""
    _check_minutes(minutes)
    return _utc(start) + timedelta(minutes=minutes)


def timeframe_starts(start_from: datetime, start_to: datetime, minutes: int) -> Iterator[datetime]:
    """Aligned timeframe starts `s` with `start_from <= s < start_to`, oldest first."""
    _check_minutes(minutes)
    lo, hi = _utc(start_from), _utc(start_to)
    current = floor_timeframe(lo, minutes)
    if current < lo:
        current += timedelta(minutes=minutes)
    step = timedelta(minutes=minutes)
    while current < hi:
        yield current
        current += step


def parse_month(month: str) -> tuple[int, int]:
    """Parse `YYYY-MM` into (year, month); ValueError otherwise."""
    match = _MONTH_RE.match(month) if isinstance(month, str) else None
    if match is None:
        raise ValueError(f"month must look like YYYY-MM, got {month!r}")
    year, mon = int(match.group(1)), int(match.group(2))
    if not 1 <= mon <= 12 or year < 1:
        raise ValueError(f"month out of range: {month!r}")
    return year, mon


def month_bounds(month: str, tz: str) -> tuple[datetime, datetime]:
    """The UTC instants where `month` starts and ends (exclusive) in time zone `tz`."""
    year, mon = parse_month(month)
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone: {tz!r}") from exc
    nyear, nmon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    start = datetime(year, mon, 1, tzinfo=zone)
    end = datetime(nyear, nmon, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)
