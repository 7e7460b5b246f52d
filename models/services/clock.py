"""The one place that reads the wall clock (UTC, naive, as the registry stores it)."""

from __future__ import annotations

from datetime import UTC, datetime

from models.ports import Clock


def utcnow() -> datetime:
    """Now in UTC without tzinfo, to the microsecond."""
    return datetime.now(UTC).replace(tzinfo=None)


def naive_utc(dt: datetime) -> datetime:
    """An aware instant as the naive UTC value the registry stores."""
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt


def aware_utc(dt: datetime) -> datetime:
    """A stored naive UTC value as an aware instant."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _implements() -> Clock:
    return utcnow  # mypy checks the system clock against its port
