"""Data shapes of the orders domain shared with payments and the ledger, and API bodies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PartSaleFacts:
    """What the ledger needs to know about one seller part of a paid order (amounts in paise)."""

    order_part_id: int
    seller_id: int
    gross_inr_minor: int  # GST-inclusive goods + shipping
    taxable_inr_minor: int
    tax_inr_minor: int
    shipped_at: datetime | None
