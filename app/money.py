"""Money as people type it: one parser and one rounding rule for every typed price.

Amounts are kept as integer minor units (paise for rupees). A typed amount is rounded half-up
to the currency's minor unit (``12.345`` rupees is 1235 paise), the one rule used everywhere a
price is typed: listing forms, CSV rows, the seller API and price filters.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from app.errors import ValidationFailed

BASE_CURRENCY = "INR"
# Far above any real price (10^12 rupees); larger numbers are typos or attempts to overflow.
MAX_AMOUNT = Decimal(10) ** 12


class InvalidAmount(ValidationFailed):
    """Not an amount of money: not a number, NaN, Infinity, negative or absurdly large."""


def to_minor(amount: str | Decimal, decimals: int = 2) -> int:
    """``"1,250.50"`` or ``"₹1250.5"`` -> 125050 (with ``decimals=2``); raises ``InvalidAmount``.

    ``decimals`` is the currency's minor unit (2 for rupees and dollars, 0 for yen).
    """
    text = amount if isinstance(amount, str) else str(amount)
    try:
        value = Decimal(text.replace(",", "").replace("₹", "").strip())
    except InvalidOperation:
        raise InvalidAmount(f"“{text}” is not an amount of money.") from None
    return decimal_to_minor(value, decimals)


def decimal_to_minor(value: Decimal, decimals: int = 2) -> int:
    """The one rounding rule: half-up to the minor unit."""
    if value.is_nan() or value.is_infinite():
        raise InvalidAmount("An amount must be a finite number.")
    if value < 0:
        raise InvalidAmount("An amount cannot be negative.")
    if value > MAX_AMOUNT:
        raise InvalidAmount("This amount is too large.")
    return round_minor(value * 10**decimals)


def round_minor(value: Decimal) -> int:
    """An amount already in minor units (paise, cents) to a whole one: half-up, the one rule
    for typed prices, taxes and currency conversion alike."""
    return int(value.to_integral_value(ROUND_HALF_UP))


def rupees_to_paise(text: str) -> int:
    return to_minor(text, 2)


def paise_to_rupees(paise: int) -> str:
    return f"{paise // 100}.{paise % 100:02d}"
