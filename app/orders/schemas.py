"""Data shapes of the orders domain shared with payments and the ledger, and API bodies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field

from app.inputs import Id

MAX_QUANTITY = 100_000


@dataclass(frozen=True)
class PartSaleFacts:
    """What the ledger needs to know about one seller part of a paid order (amounts in paise)."""

    order_part_id: int
    seller_id: int
    gross_inr_minor: int  # GST-inclusive goods + shipping
    taxable_inr_minor: int
    tax_inr_minor: int
    shipped_at: datetime | None


class CartLineIn(BaseModel):
    listing_id: Id
    quantity: int | None = Field(default=None, ge=1, le=MAX_QUANTITY)


class QuantityIn(BaseModel):
    quantity: int = Field(ge=0, le=MAX_QUANTITY)


class CheckoutIn(BaseModel):
    name: str = Field(max_length=140)
    phone: str = Field(default="", max_length=20)
    line1: str = Field(max_length=200)
    line2: str = Field(default="", max_length=200)
    city: str = Field(max_length=120)
    country: str = Field(default="IN", max_length=2)
    state: str = Field(default="", max_length=120, description="State slug, for India")
    pin_code: str = Field(default="", max_length=6)
    region: str = Field(default="", max_length=120)
    postal_code: str = Field(default="", max_length=12)
    gstin: str = Field(default="", max_length=15)
    currency: str = Field(default="INR", max_length=3)
