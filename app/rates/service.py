"""Prices in the buyer's currency. Prices are stored in INR paise; rates live in the database.

Conversions use Decimal and round half-up to the currency's minor unit (Babel knows how many
decimals each currency has: JPY none, USD two).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision, list_currencies
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import ValidationFailed
from app.money import BASE_CURRENCY
from app.rates import repository
from app.rates.models import ExchangeRate

MICROS = Decimal(1_000_000)
BABEL_LOCALES = {"en": "en_IN", "hi": "hi_IN"}


@dataclass(frozen=True)
class Rate:
    currency: str
    inr_per_unit: Decimal
    effective_date: date

    @classmethod
    def of(cls, row: ExchangeRate) -> Rate:
        return cls(row.currency, Decimal(row.inr_per_unit_micros) / MICROS, row.effective_date)

    @property
    def inr_text(self) -> str:
        """Rupees per unit without trailing zeros ("84.5", never "1E+2")."""
        return format(self.inr_per_unit.normalize(), "f")


def minor_units(currency: str) -> int:
    return int(get_currency_precision(currency))


def from_inr(paise: int, rate: Rate) -> int:
    """INR paise -> minor units of ``rate.currency`` (cents, fils, yen…), rounded half-up."""
    if rate.currency == BASE_CURRENCY:
        return paise
    amount = Decimal(paise) / 100 / rate.inr_per_unit
    return int((amount * 10 ** minor_units(rate.currency)).quantize(Decimal(1), ROUND_HALF_UP))


def to_inr(minor: int, rate: Rate) -> int:
    """Minor units of ``rate.currency`` -> INR paise, rounded half-up (for price filters)."""
    if rate.currency == BASE_CURRENCY:
        return minor
    amount = Decimal(minor) / 10 ** minor_units(rate.currency) * rate.inr_per_unit
    return int((amount * 100).quantize(Decimal(1), ROUND_HALF_UP))


@lru_cache(maxsize=20_000)
def format_minor(minor: int, currency: str, language: str = "en") -> str:
    """Babel re-parses the locale's pattern on every call; popular prices repeat, so cache."""
    amount = Decimal(minor) / 10 ** minor_units(currency)
    return str(format_currency(amount, currency, locale=BABEL_LOCALES.get(language, "en_IN")))


def parse_rate(value: str) -> Decimal:
    try:
        rate = Decimal(value.strip())
    except InvalidOperation as exc:
        raise ValidationFailed(f"“{value}” is not a number.") from exc
    if not rate.is_finite() or rate <= 0:
        raise ValidationFailed("A rate must be a positive number of rupees.")
    if rate != rate.quantize(Decimal("0.000001")):
        raise ValidationFailed("Give the rate with at most 6 decimal places.")
    return rate


def validate_currency(code: str, supported: list[str]) -> str:
    code = code.strip().upper()
    if code == BASE_CURRENCY or code not in list_currencies():
        raise ValidationFailed(f"“{code}” is not a foreign ISO 4217 currency code.")
    if code not in supported:
        raise ValidationFailed(
            f"{code} is not a display currency; add it to ODOP_DISPLAY_CURRENCIES first."
        )
    return code


async def set_rate(
    session: AsyncSession,
    currency: str,
    inr_per_unit: Decimal,
    effective: date,
    *,
    supported: list[str],
    source: str = "admin",
) -> Rate:
    """Record (or correct) the rate for a currency from a date on."""
    currency = validate_currency(currency, supported)
    micros = int((inr_per_unit * MICROS).to_integral_value(ROUND_HALF_UP))
    row = await repository.rate_on(session, currency, effective)
    if row is None:
        row = ExchangeRate(currency=currency, effective_date=effective)
        session.add(row)
    row.inr_per_unit_micros = micros
    row.source = source
    await session.flush()
    return Rate.of(row)


async def current_rates(session: AsyncSession, today: date) -> dict[str, Rate]:
    """The latest rate on or before ``today`` for each currency that has one."""
    return {row.currency: Rate.of(row) for row in await repository.latest_rates(session, today)}


async def rate_history(session: AsyncSession, limit: int = 40) -> list[Rate]:
    return [Rate.of(row) for row in await repository.recent_rates(session, limit)]
