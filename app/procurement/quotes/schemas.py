"""API bodies and answers of quotes. Prices are INR paise, GST-inclusive."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from app.inputs import Id
from app.orders.schemas import MAX_QUANTITY
from app.procurement.quotes.models import QuoteSide, QuoteState

MAX_FILE_BASE64 = 8 * 2**20  # the body limit caps the request long before this


class QuoteIn(BaseModel):
    listing_id: Id
    quantity: int = Field(ge=1, le=MAX_QUANTITY, description="At least the listing's MOQ")
    specifications: str = Field(default="", max_length=4000)
    country: str = Field(
        default="IN", min_length=2, max_length=2, description="ISO 3166 alpha-2; IN for India"
    )
    district_id: Id | None = Field(default=None, description="Delivery district, for India")
    wanted_by: date = Field(description="A date in the future")


class OfferIn(BaseModel):
    unit_price_paise: int = Field(ge=1, le=10**14, description="GST-inclusive, INR paise")
    lead_time_days: int = Field(ge=0, le=365, description="Days from the order to dispatch")
    valid_until: date = Field(description="The last day the buyer may accept (Indian time)")
    note: str = Field(default="", max_length=4000)


class DeclineIn(BaseModel):
    reason: str = Field(default="", max_length=4000)


class AttachmentIn(BaseModel):
    filename: str = Field(max_length=200)
    content_base64: str = Field(max_length=MAX_FILE_BASE64, description="PDF, JPEG or PNG")


class MessageIn(BaseModel):
    body: str = Field(default="", max_length=4000)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=3)


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size_bytes: int
    url: str = Field(description="GET it with the same token")


class MessageOut(BaseModel):
    id: int
    side: QuoteSide
    body: str
    created_at: datetime
    attachments: list[AttachmentOut]


class EventOut(BaseModel):
    from_state: QuoteState | None
    to_state: QuoteState
    side: QuoteSide
    unit_price_paise: int | None
    lead_time_days: int | None
    valid_until: date | None
    note: str
    at: datetime


class QuoteOut(BaseModel):
    id: int
    reference: str
    state: QuoteState
    listing_id: int
    seller_id: int
    quantity: int
    specifications: str
    country: str
    district_id: int | None
    wanted_by: date
    unit_price_paise: int | None
    total_paise: int | None
    lead_time_days: int | None
    valid_until: date | None
    created_at: datetime


class ThreadOut(QuoteOut):
    side: QuoteSide = Field(description="The caller's side of the quote")
    events: list[EventOut]
    messages: list[MessageOut]
    orders: list[str] = Field(description="The buyer's orders at the agreed price")
