"""Order arithmetic: currency conversion at a locked rate and GST contained in a price, rounded
by the project's one rule (``app.money.round_minor``)."""

from __future__ import annotations

from decimal import Decimal

from app.money import round_minor

MICROS = 1_000_000  # exchange rates are INR per unit of a currency, in millionths


def inr_to_currency_minor(inr_paise: int, inr_per_unit_micros: int) -> int:
    """Convert paise to the minor units of a currency at a locked rate (both have 100 minor units
    per unit for every currency the shop sells in)."""
    return round_minor(Decimal(inr_paise) * MICROS / Decimal(inr_per_unit_micros))


def tax_included(gross_paise: int, rate_bp: int) -> int:
    """The GST contained in a GST-inclusive amount: gross * r / (1 + r)."""
    if rate_bp == 0:
        return 0
    return round_minor(Decimal(gross_paise) * rate_bp / (10_000 + rate_bp))


def split_half(amount: int) -> tuple[int, int]:
    """CGST and SGST halves of an intra-State tax: the odd paisa goes to CGST so both add up."""
    sgst = amount // 2
    return amount - sgst, sgst
