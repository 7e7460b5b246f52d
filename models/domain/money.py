"""Exact money: ISO 4217 minor units, exact amounts and banker's rounding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact, localcontext


def _codes(text: str) -> list[str]:
    """Currency codes from space-separated text."""
    return text.split()


_ZERO_DECIMALS = _codes("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF")
_THREE_DECIMALS = _codes("BHD IQD JOD KWD LYD OMR TND")
_FOUR_DECIMALS = _codes("CLF UYW")
_TWO_DECIMALS = _codes(
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN "
    "BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN "
    "ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES "
    "KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK "
    "MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR "
    "SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD "
    "TZS UAH USD USN UYU UZS VES VED WST XCD YER ZAR ZMW ZWG"
)

MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(_TWO_DECIMALS, 2),
    **dict.fromkeys(_ZERO_DECIMALS, 0),
    **dict.fromkeys(_THREE_DECIMALS, 3),
    **dict.fromkeys(_FOUR_DECIMALS, 4),
}

WH_PER_KWH = 1000
_PRECISION = 200


def exact_context() -> Context:
    """A decimal context precise enough that energy x price products never round."""
    return Context(prec=_PRECISION, rounding=ROUND_HALF_EVEN, Emax=999_999, Emin=-999_999)


def minor_unit_scale(currency: str) -> int:
    """The ISO 4217 exponent of `currency` (e.g. EUR -> 2, JPY -> 0, KWD -> 3)."""
    if not isinstance(currency, str):
        raise ValueError(f"currency must be a code string, got {currency!r}")
    try:
        return MINOR_UNITS[currency.upper()]
    except KeyError:
        raise KeyError(f"unknown currency: {currency!r}") from None


def _check_price(price_per_kwh: Decimal) -> None:
    """Refuse a price that is not a finite Decimal."""
    if not isinstance(price_per_kwh, Decimal):
        raise TypeError(f"price must be a Decimal, got {type(price_per_kwh).__name__}")
    if not price_per_kwh.is_finite():
        raise ValueError(f"price must be finite, got {price_per_kwh}")


def exact_amount(energy_wh: int, price_per_kwh: Decimal, scale: int) -> Decimal:
    """energy_wh * price / 1000 * 10**scale in minor units, computed without rounding."""
    _check_price(price_per_kwh)
    with localcontext(exact_context()) as ctx:
        product = Decimal(energy_wh) * price_per_kwh * (Decimal(10) ** scale)
        result = product / Decimal(WH_PER_KWH)
        if ctx.flags[Inexact]:
            raise ArithmeticError("amount could not be computed exactly")
        return result


def round_half_even(x: Decimal) -> int:
    """Round a Decimal to the nearest integer, ties to even."""
    with localcontext(exact_context()):
        return int(x.to_integral_value(rounding=ROUND_HALF_EVEN))


def amount_minor(energy_wh: int, price_per_kwh: Decimal, scale: int) -> int:
    """The exact amount rounded once, half-even, to the minor unit."""
    return amounts_minor([energy_wh], price_per_kwh, scale)[0]


def amount_ratio(price_per_kwh: Decimal, scale: int) -> tuple[int, int]:
    """(num, den) with energy_wh * num / den = the exact amount in minor units of `scale`."""
    _check_price(price_per_kwh)
    num, den = price_per_kwh.as_integer_ratio()
    return num * 10**scale, den * WH_PER_KWH


def amounts_minor(energies: Sequence[int], price_per_kwh: Decimal, scale: int) -> list[int]:
    """energy_wh * price / 1000 * 10**scale for each energy, each rounded once half-even.

    Integer arithmetic on the price's exact ratio: equal to rounding `exact_amount`.
    """
    return rounded_multiples(energies, *amount_ratio(price_per_kwh, scale))


def rounded_multiples(energies: Sequence[int], numerator: int, denominator: int) -> list[int]:
    """energy * numerator / denominator rounded half-even for each energy (once per distinct)."""
    table = {e: round_ratio(e * numerator, denominator) for e in set(energies)}
    return list(map(table.__getitem__, energies))


def round_ratio(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half-even to an integer, in exact integer arithmetic."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, rest = divmod(numerator, denominator)
    twice = 2 * rest
    if twice > denominator or (twice == denominator and quotient % 2):
        quotient += 1
    return quotient


def scaled_ratio(numerator: int, denominator: int, places: int) -> Decimal:
    """numerator / denominator as a Decimal rounded half-even to `places` decimal places."""
    return Decimal(round_ratio(numerator * 10**places, denominator)).scaleb(-places)


@dataclass(frozen=True, slots=True)
class RatioPrice:
    """A price per kWh as the exact ratio num / den (den > 0) and the Decimal shown for it."""

    num: int
    den: int
    shown: Decimal

    @classmethod
    def of(cls, price: Decimal) -> RatioPrice:
        """A Decimal price, shown as itself."""
        _check_price(price)
        num, den = price.as_integer_ratio()
        return cls(num, den, price)

    def amounts(self, energies: Sequence[int], scale: int) -> list[int]:
        """energy_wh * num / den / 1000 * 10**scale per energy, each rounded once half-even."""
        return rounded_multiples(energies, self.num * 10**scale, self.den * WH_PER_KWH)

    def at_most(self, limit: Decimal) -> bool:
        """Whether this price <= `limit` (exactly)."""
        num, den = limit.as_integer_ratio()
        return self.num * den <= num * self.den

    def at_least(self, limit: Decimal) -> bool:
        """Whether this price >= `limit` (exactly)."""
        num, den = limit.as_integer_ratio()
        return self.num * den >= num * self.den
