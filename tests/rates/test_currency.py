from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import ValidationFailed
from app.rates.service import Rate, format_minor, from_inr, parse_rate, set_rate, to_inr

USD = Rate("USD", Decimal("83.250000"), date(2026, 11, 1))
JPY = Rate("JPY", Decimal("0.540000"), date(2026, 11, 1))
SUPPORTED = ["USD", "EUR", "GBP", "AED", "JPY"]


def test_conversion_rounds_half_up_to_the_minor_unit() -> None:
    assert from_inr(83_25, USD) == 100  # ₹83.25 = $1.00
    assert from_inr(100_000, USD) == 1201  # ₹1000 = $12.0120… -> $12.01
    assert from_inr(41_625, USD) == 500  # exactly $5.00
    assert from_inr(100, JPY) == 2  # ₹1 = ¥1.85 -> ¥2 (no minor unit)


def test_conversion_back_to_inr_for_price_filters() -> None:
    assert to_inr(100, USD) == 8325
    assert to_inr(1, JPY) == 54


@given(st.integers(min_value=0, max_value=10**12))
def test_round_trip_error_is_below_one_minor_unit(paise: int) -> None:
    back = to_inr(from_inr(paise, USD), USD)
    assert abs(back - paise) <= 42  # half a cent is ₹0.41625


def test_money_is_formatted_for_the_language() -> None:
    assert format_minor(123_456_50, "INR") == "₹1,23,456.50"
    assert format_minor(1201, "USD") == "$12.01"
    assert format_minor(250, "JPY") == "JP¥250"


@pytest.mark.parametrize("value", ["0", "-3", "abc", "NaN", "1.1234567"])
def test_bad_rates_are_refused(value: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_rate(value)


async def test_latest_rate_on_or_before_today_wins(db: AsyncSession) -> None:
    from app.rates.service import current_rates

    await set_rate(db, "usd", Decimal("83.1"), date(2026, 11, 1), supported=SUPPORTED)
    await set_rate(db, "USD", Decimal("83.5"), date(2026, 11, 20), supported=SUPPORTED)
    await set_rate(db, "USD", Decimal("90"), date(2026, 12, 1), supported=SUPPORTED)
    rates = await current_rates(db, date(2026, 11, 22))
    assert rates["USD"].inr_per_unit == Decimal("83.5")
    assert rates["USD"].effective_date == date(2026, 11, 20)
    corrected = await set_rate(db, "USD", Decimal("83.6"), date(2026, 11, 20), supported=SUPPORTED)
    assert corrected.inr_per_unit == Decimal("83.6")


async def test_unknown_or_unconfigured_currencies_are_refused(db: AsyncSession) -> None:
    with pytest.raises(ValidationFailed, match="ISO 4217"):
        await set_rate(db, "XYZ", Decimal(1), date(2026, 1, 1), supported=SUPPORTED)
    with pytest.raises(ValidationFailed, match="ODOP_DISPLAY_CURRENCIES"):
        await set_rate(db, "CHF", Decimal(1), date(2026, 1, 1), supported=SUPPORTED)
