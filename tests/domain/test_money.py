"""Minor units, exact amounts and half-even rounding."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.domain.money import (
    MINOR_UNITS,
    exact_amount,
    minor_unit_scale,
    round_half_even,
    round_ratio,
)

prices = st.decimals(min_value=0, max_value=Decimal("1000"), places=8)


def test_minor_units_table() -> None:
    """Common currencies carry their ISO 4217 exponents."""
    expected = {"EUR": 2, "SEK": 2, "USD": 2, "JPY": 0, "KWD": 3, "BHD": 3, "CHF": 2, "GBP": 2}
    expected |= {"NOK": 2, "DKK": 2, "ISK": 0, "KRW": 0, "TND": 3, "CLF": 4, "PLN": 2}
    assert {code: MINOR_UNITS[code] for code in expected} == expected
    assert len(MINOR_UNITS) > 150
    assert minor_unit_scale("eur") == 2


@pytest.mark.parametrize("code", ["XXX", "EURO", ""])
def test_unknown_currency(code: str) -> None:
    """Unknown codes raise KeyError."""
    with pytest.raises(KeyError):
        minor_unit_scale(code)


def test_exact_amount_examples() -> None:
    """Hand-worked: 1500 Wh at 0.20/kWh is 30 cents; 1 Wh at 0.333 is 0.0333 cents."""
    assert exact_amount(1500, Decimal("0.20"), 2) == Decimal(30)
    assert exact_amount(1, Decimal("0.333"), 2) == Decimal("0.0333")
    assert exact_amount(7, Decimal("25.5"), 0) == Decimal("0.1785")
    assert exact_amount(10**15, Decimal("0.123456789"), 3) == Decimal("123456789000000")


def test_exact_amount_refuses_floats() -> None:
    """A float price is a TypeError."""
    with pytest.raises(TypeError):
        exact_amount(1, 0.1, 2)  # type: ignore[arg-type]


@given(st.integers(-(10**18), 10**18), prices, st.sampled_from([0, 2, 3, 4]))
def test_exact_amount_matches_rational_oracle(wh: int, price: Decimal, scale: int) -> None:
    """The Decimal result equals the exact rational value."""
    expected = Fraction(wh) * Fraction(price) * 10**scale / 1000
    assert Fraction(exact_amount(wh, price, scale)) == expected


def test_round_half_even_examples() -> None:
    """Ties go to the even neighbour."""
    cases = {"0.5": 0, "1.5": 2, "2.5": 2, "-0.5": 0, "-1.5": -2, "2.5000001": 3, "2.4999": 2}
    assert {k: round_half_even(Decimal(k)) for k in cases} == cases


@given(st.integers(-(10**30), 10**30), st.integers(1, 10**12))
def test_round_ratio_matches_fraction_round(num: int, den: int) -> None:
    """Integer half-even rounding agrees with Python's round of an exact Fraction."""
    assert round_ratio(num, den) == round(Fraction(num, den))


@given(st.integers(-(10**40), 10**40), st.integers(0, 30))
def test_round_half_even_matches_fraction_round(digits: int, places: int) -> None:
    """round_half_even of any exact Decimal agrees with round() of the same Fraction."""
    value = Decimal(digits).scaleb(-places)
    assert round_half_even(value) == round(Fraction(value))
