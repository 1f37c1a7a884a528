"""Values passed into the purchase-order service and the JSON API's bodies and answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from app.inputs import Id


@dataclass(frozen=True)
class POLine:
    """One line of a new PO at the unit price offered or awarded (GST-inclusive paise), which
    the caller computed on the server."""

    listing_id: int
    quantity: int
    unit_price_paise: int


class DirectPurchaseIn(BaseModel):
    listing_id: Id
    quantity: int = Field(ge=1, le=1_000_000)
    organisation_id: Id
    consignee_user_id: Id
    delivery_address_id: Id
    delivery_by: date
    separate_need: bool = Field(
        default=False,
        description="Required (true) when the quote carries a split_warning: the buyer confirms "
        "this is a separate need, not one demand split to stay under the direct limit",
    )


class ReasonIn(BaseModel):
    reason: str = Field(min_length=3, max_length=2000)


class DeliveryLineIn(BaseModel):
    line_id: Id
    quantity: int = Field(ge=0, le=1_000_000)


class DeliveryIn(BaseModel):
    delivered_on: date
    challan: str = Field(default="", max_length=80)
    lines: list[DeliveryLineIn] = Field(min_length=1, max_length=200)


class PaymentIn(BaseModel):
    reference: str = Field(min_length=3, max_length=80)
    paid_on: date


class POLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    listing_id: int | None
    title: str
    unit_code: str
    hsn_code: str
    gst_rate_bp: int
    quantity: int
    delivered_quantity: int
    unit_price_paise: int
    total_paise: int
    taxable_paise: int
    tax_paise: int


class PurchaseOrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    state: str
    mode: str
    source: str
    organisation_id: int
    seller_id: int
    buyer_user_id: int
    consignee_user_id: int
    ship_to: str
    ship_pin: str
    delivery_by: date
    accept_by: date
    acceptance_due: date | None
    payment_due: date | None
    goods_paise: int
    shipping_paise: int
    taxable_paise: int
    cgst_paise: int
    sgst_paise: int
    igst_paise: int
    total_paise: int
    decline_reason: str
    rejection_reason: str
    invoice_number: str | None
    payment_reference: str
    paid_on: date | None
    created_at: datetime
    lines: list[POLineOut]


class AuditRecordOut(BaseModel):
    id: int
    created_at: datetime
    action: str
    actor_user_id: int | None
    actor_role: str
    subject: str
    subject_id: int
    values: dict[str, object]


class IncidentOut(BaseModel):
    purchase_order_number: str
    kind: str
    due_on: date
    raised_at: datetime
    resolved_at: datetime | None


class SplitWarningOut(BaseModel):
    earlier_order_numbers: list[str]
    earlier_total_paise: int
    this_total_paise: int
    total_paise: int
    limit_paise: int
    window_days: int
    message: str


class DirectQuoteOut(BaseModel):
    unit_price_paise: int
    goods_paise: int
    shipping_paise: int
    cgst_paise: int
    sgst_paise: int
    igst_paise: int
    total_paise: int
    mode_required: str = Field(description="direct, l1 or bid: what the rules require")
    direct_allowed: bool
    split_warning: SplitWarningOut | None = Field(
        default=None,
        description="Set when this and the organisation's recent direct purchases of the same "
        "item add up to more than the direct limit; placing then needs separate_need",
    )
