"""Reusable marshmallow fields: decimals as strings, EIP-55 wallets, IANA zones, UTC instants."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import marshmallow as ma
from eth_utils import is_address, to_checksum_address

from models.domain.money import MINOR_UNITS
from models.domain.timeframes import format_instant, parse_instant


class DecimalString(ma.fields.Field):
    """An exact non-negative decimal carried as a JSON string, e.g. "0.2500"."""

    def __init__(self, places: int = 6, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {})
        kwargs["metadata"] = {
            "type": "string",
            "pattern": rf"^\d{{1,9}}(\.\d{{1,{places}}})?$",
            **kwargs["metadata"],
        }
        super().__init__(**kwargs)
        self.places = places

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else format(Decimal(value), "f")

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        if not isinstance(value, str):
            raise ma.ValidationError('Must be a decimal string such as "0.25".')
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ma.ValidationError("Not a decimal number.") from None
        if not number.is_finite() or number < 0:
            raise ma.ValidationError("Must be a finite, non-negative decimal.")
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > self.places:
            raise ma.ValidationError(f"At most {self.places} decimal places.")
        if number >= 10**9:
            raise ma.ValidationError("Must be below 1000000000.")
        return number


class Wallet(ma.fields.String):
    """An Ethereum address; returned EIP-55 checksummed."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {})
        kwargs["metadata"] = {
            "pattern": "^0x[0-9a-fA-F]{40}$",
            "example": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            **kwargs["metadata"],
        }
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not is_address(text):
            raise ma.ValidationError("Not an Ethereum address (or a bad EIP-55 checksum).")
        return to_checksum_address(text)


def validate_timezone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ma.ValidationError(f"{name!r} is not an IANA time zone name.") from None


validate_currency = ma.validate.OneOf(
    sorted(MINOR_UNITS), error="{input!r} is not an ISO 4217 currency code."
)  # stated in the schema as an enum


MONTH_PATTERN = r"^(19[7-9]\d|[2-8]\d{3})-(0[1-9]|1[0-2])$"  # YYYY-MM, 1970-01..8999-12
PERIOD_PATTERN = r"^(19[7-9]\d|[2-8]\d{3})-(0[1-9]|1[0-2])(\.[1-9]\d{0,2})?$"  # or YYYY-MM.N
# RFC 3339 date-time with seconds and Z or an offset, years 1970..8999 as written.
INSTANT_PATTERN = (
    r"^(19[7-9]\d|[2-8]\d{3})-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})$"
)
INSTANT_RULE = (
    "RFC 3339 date-time (seconds, Z or an offset) from 1970-01-01T00:00:00Z "
    "up to, not including, 9000-01-01T00:00:00Z."
)
_INSTANT_RE = re.compile(INSTANT_PATTERN)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def checked_instant(text: str) -> datetime:
    """An RFC 3339 instant from 1970 up to 9000 (aware, UTC); ValueError otherwise."""
    if not _INSTANT_RE.match(text):
        raise ValueError("must be an " + INSTANT_RULE)
    instant = parse_instant(text.upper())  # RFC 3339 allows a lowercase t and z
    if not EARLIEST <= instant < LATEST:
        raise ValueError("must lie between 1970-01-01T00:00:00Z and 9000-01-01T00:00:00Z")
    return instant


class Instant(ma.fields.Field):
    """An ISO 8601 instant, returned in UTC with a Z."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {})
        kwargs["metadata"] = {
            "type": "string",
            "format": "date-time",
            "pattern": INSTANT_PATTERN,
            "description": INSTANT_RULE,
            "example": "2026-10-01T00:15:00Z",
            **kwargs["metadata"],
        }
        super().__init__(**kwargs)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            return value
        return format_instant(value if value.tzinfo else value.replace(tzinfo=UTC))

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str):
            raise ma.ValidationError("Must be an ISO 8601 instant such as 2026-10-01T00:15:00Z.")
        try:
            return checked_instant(value)
        except ValueError as exc:
            raise ma.ValidationError(str(exc)) from None


MAX_INTEGER_DIGITS = 30  # larger magnitudes are refused before turning them into int


def exact_integer(value: Any) -> int | None:
    """The integer a JSON number equals (599417.0 and 5.99417e5 included), else None.

    The request parser reads JSON fractions as Decimal, so the test is exact; booleans and
    strings are not numbers.
    """
    if type(value) is int:
        return value
    exact = isinstance(value, Decimal) and value.is_finite()
    if exact and value.adjusted() < MAX_INTEGER_DIGITS and value == value.to_integral_value():
        return int(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return None


class WholeNumber(ma.fields.Integer):
    """A JSON integer; 599417.0 counts as 599417, as in JSON Schema. Never a bool or string."""

    def _validated(self, value: Any) -> int:
        number = exact_integer(value)
        if number is None:
            raise self.make_error("invalid")
        return number


class StrictBoolean(ma.fields.Boolean):
    """JSON true or false only; with `words` (a query string) the words true and false only."""

    def __init__(self, *, words: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.accepted = {"true": True, "false": False} if words else {}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if value is True or value is False:
            return value
        if isinstance(value, str) and value in self.accepted:
            return self.accepted[value]
        raise self.make_error("invalid", input=value)


class PatternDecimal(ma.fields.Field):
    """An exact decimal carried as a JSON string whose allowed text (and range) is `pattern`."""

    def __init__(self, pattern: str, **kwargs: Any) -> None:
        kwargs["metadata"] = {"type": "string", "pattern": pattern, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)
        self.regex = re.compile(pattern)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else format(Decimal(value), "f")

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        if not isinstance(value, str) or not self.regex.match(value):
            raise ma.ValidationError(f"Must be a decimal string matching {self.regex.pattern}.")
        return Decimal(value)


# 0..1 with up to 6 places, e.g. "0", "0.25", "1.0"
RATIO_PATTERN = r"^(0(\.\d{1,6})?|1(\.0{1,6})?)$"
LATITUDE_PATTERN = r"^-?(90(\.0{1,6})?|[1-8]?\d(\.\d{1,6})?)$"
LONGITUDE_PATTERN = r"^-?(180(\.0{1,6})?|(1[0-7]\d|[1-9]?\d)(\.\d{1,6})?)$"


def Ratio(**kwargs: Any) -> PatternDecimal:  # noqa: N802 (a field, named like one)
    """A share in 0..1 as a decimal string."""
    meta = {"description": "A share in 0..1, as a decimal string.", "example": "0.5"}
    kwargs["metadata"] = {**meta, **kwargs.get("metadata", {})}
    return PatternDecimal(RATIO_PATTERN, **kwargs)
