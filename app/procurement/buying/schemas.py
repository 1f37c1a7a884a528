"""API bodies of the buying modes, and the parsing of their HTML forms into service inputs.

Both the API and the pages end in the same ``RequirementInput`` and ``QuoteInput``; amounts are
parsed by ``app.money`` (the one parser), and every total is recomputed on the server."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

from pydantic import BaseModel, Field

from app.errors import FormErrors
from app.i18n import gettext as _
from app.inputs import Id, form_int
from app.money import InvalidAmount, rupees_to_paise
from app.procurement.buying.models import BuyingMethod
from app.procurement.buying.service import MAX_QUANTITY, QuoteInput, RequirementInput

TEXT_MAX = 5000


class RequirementIn(BaseModel):
    organisation_id: Id
    method: BuyingMethod
    title: str = Field(min_length=1, max_length=200)
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    delivery_address_id: Id
    delivery_by: date
    odop_product_id: Id | None = None
    gi_tag_id: Id | None = None
    category_id: Id | None = None
    seller_district_id: Id | None = None
    specifications: str = Field(default="", max_length=TEXT_MAX)
    closes_at: datetime | None = Field(default=None, description="Bids: when quotes close (UTC)")
    sample_required: bool = False
    sample_details: str = Field(default="", max_length=TEXT_MAX)

    def to_input(self) -> RequirementInput:
        return RequirementInput(**self.model_dump())


class OrderIn(BaseModel):
    comparison_id: Id
    listing_id: Id
    justification: str = Field(default="", max_length=TEXT_MAX)


class AllocationIn(BaseModel):
    bid_id: Id
    quantity: int = Field(ge=0, le=MAX_QUANTITY)


class AwardIn(BaseModel):
    allocations: list[AllocationIn] = Field(max_length=1000)
    justification: str = Field(default="", max_length=TEXT_MAX)


class QuoteIn(BaseModel):
    listing_id: Id
    unit_price_paise: int = Field(ge=1, le=10**12, description="GST-inclusive, per unit")
    quantity: int = Field(ge=1, le=MAX_QUANTITY, description="How many you can supply")
    lead_time_days: int = Field(ge=0, le=365)
    valid_until: date

    def to_input(self) -> QuoteInput:
        return QuoteInput(**self.model_dump())


# HTML forms ---------------------------------------------------------------------------------------


def _optional_id(values: Mapping[str, str], name: str, errors: dict[str, str]) -> int | None:
    text = (values.get(name) or "").strip()
    if not text:
        return None
    number = form_int(text, low=1)
    if number is None:
        errors[name] = _("Choose a value from the list.")
    return number


def _date(values: Mapping[str, str], name: str, errors: dict[str, str]) -> date | None:
    try:
        return date.fromisoformat((values.get(name) or "").strip())
    except ValueError:
        errors[name] = _("Enter a date as YYYY-MM-DD.")
        return None


def parse_requirement_form(values: Mapping[str, str]) -> RequirementInput:
    errors: dict[str, str] = {}
    organisation_id = form_int(values.get("organisation_id"), low=1)
    if organisation_id is None:
        errors["organisation_id"] = _("Choose your organisation.")
    try:
        method = BuyingMethod((values.get("method") or "").strip())
    except ValueError:
        method = BuyingMethod.L1
        errors["method"] = _("Choose L1 comparison or bid.")
    title = (values.get("title") or "").strip()
    if not title or len(title) > 200:
        errors["title"] = _("Name what you need, in up to 200 characters.")
    quantity = form_int(values.get("quantity"), low=1, high=MAX_QUANTITY)
    if quantity is None:
        errors["quantity"] = _("Enter a quantity from 1 to %(max)s.", max=MAX_QUANTITY)
    address_id = form_int(values.get("delivery_address_id"), low=1)
    if address_id is None:
        errors["delivery_address_id"] = _("Choose one of your organisation's delivery addresses.")
    delivery_by = _date(values, "delivery_by", errors)
    closes_at: datetime | None = None
    if method == BuyingMethod.BID:
        try:
            closes_at = datetime.fromisoformat((values.get("closes_at") or "").strip())
            closes_at = closes_at.replace(tzinfo=UTC) if closes_at.tzinfo is None else closes_at
        except ValueError:
            errors["closes_at"] = _("Enter when the bid closes (date and time, UTC).")
    specifications = values.get("specifications") or ""
    sample_details = values.get("sample_details") or ""
    for name, text in (("specifications", specifications), ("sample_details", sample_details)):
        if len(text) > TEXT_MAX:
            errors[name] = _("Keep this under %(max)s characters.", max=TEXT_MAX)
    data = RequirementInput(
        organisation_id=organisation_id or 0,
        method=method,
        title=title,
        quantity=quantity or 0,
        delivery_address_id=address_id or 0,
        delivery_by=delivery_by or date.min,
        odop_product_id=_optional_id(values, "odop_product_id", errors),
        gi_tag_id=_optional_id(values, "gi_tag_id", errors),
        category_id=_optional_id(values, "category_id", errors),
        seller_district_id=_optional_id(values, "seller_district_id", errors),
        specifications=specifications,
        closes_at=closes_at,
        sample_required=values.get("sample_required") == "yes",
        sample_details=sample_details,
    )
    if errors:
        raise FormErrors(errors)
    return data


def parse_quote_form(values: Mapping[str, str]) -> QuoteInput:
    errors: dict[str, str] = {}
    listing_id = form_int(values.get("listing_id"), low=1)
    if listing_id is None:
        errors["listing_id"] = _("Choose one of your listings that meets the requirement.")
    unit_price = 0
    try:
        unit_price = rupees_to_paise(values.get("unit_price") or "")
    except InvalidAmount:
        errors["unit_price"] = _("Enter the unit price in rupees, for example 1250.50.")
    if not errors.get("unit_price") and unit_price <= 0:
        errors["unit_price"] = _("Enter a unit price above zero.")
    quantity = form_int(values.get("quantity"), low=1, high=MAX_QUANTITY)
    if quantity is None:
        errors["quantity"] = _("Enter how many you can supply.")
    lead = form_int(values.get("lead_time_days"), low=0, high=365)
    if lead is None:
        errors["lead_time_days"] = _("Enter a lead time from 0 to 365 days.")
    valid_until = _date(values, "valid_until", errors)
    if errors:
        raise FormErrors(errors)
    assert listing_id is not None and quantity is not None and lead is not None
    assert valid_until is not None
    return QuoteInput(listing_id, unit_price, quantity, lead, valid_until)


def parse_allocations(values: Mapping[str, list[str]]) -> dict[int, int]:
    """``allocation-<bid id>`` fields -> bid id -> quantity (blank: 0)."""
    allocations: dict[int, int] = {}
    for name, texts in values.items():
        if not name.startswith("allocation-"):
            continue
        bid_id = form_int(name.removeprefix("allocation-"), low=1)
        text = (texts[-1] if texts else "").strip()
        quantity = form_int(text, low=0, high=MAX_QUANTITY) if text else 0
        if bid_id is None or quantity is None:
            raise FormErrors({"allocations": _("Enter whole quantities, 0 or more.")})
        allocations[bid_id] = quantity
    return allocations
