"""The listing's fields, listed once.

``FIELDS`` is the one list of a listing's editable fields. Each entry names the text field that
the seller's form posts, the CSV has as a column and ``service.parse`` reads, and says how a
stored listing and an API body are written as that text. From it come the form's field names,
the CSV columns (in this order), ``as_text`` and ``ListingIn.as_text``; every way in goes
through the one validator, ``service.parse``.

``ListingIn`` is the typed JSON shape of the seller API (so ``/openapi.json`` documents it);
tests check that its fields are exactly the API names listed here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from annotated_types import Ge, Le
from pydantic import BaseModel, Field, create_model

from app.inputs import Id
from app.listings.models import UNITS, Listing
from app.money import paise_to_rupees


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _yes(value: bool) -> str:
    return "yes" if value else ""


@dataclass(frozen=True)
class ListingField:
    name: str  # form input, CSV column and ``parse`` key
    api: str  # the ``ListingIn`` attribute
    of_listing: Callable[[Listing], str]
    of_api: Callable[[ListingIn], str]
    # Category, ODOP product, GI tag and member are chosen from the seller's own lists on the
    # form; a spreadsheet does not carry them.
    csv: bool = True


def _plain(name: str, *, csv: bool = True) -> ListingField:
    """A field stored, posted and sent under one name, written as itself ("" for none)."""
    return ListingField(
        name,
        name,
        lambda listing: _text(getattr(listing, name)),
        lambda body: _text(getattr(body, name)),
        csv=csv,
    )


def _flag(name: str) -> ListingField:
    return ListingField(
        name,
        name,
        lambda listing: _yes(getattr(listing, name)),
        lambda body: _yes(getattr(body, name)),
    )


def _id(name: str) -> ListingField:
    return ListingField(
        name,
        name,
        lambda listing: str(getattr(listing, name) or ""),
        lambda body: _text(getattr(body, name)),
        csv=False,
    )


FIELDS: tuple[ListingField, ...] = (
    _plain("sku"),
    _plain("title"),
    _plain("title_hi"),
    _plain("description"),
    _plain("description_hi"),
    ListingField(
        "price_inr",
        "price_paise",
        lambda listing: paise_to_rupees(listing.price_paise),
        lambda body: paise_to_rupees(body.price_paise),
    ),
    _plain("moq"),
    _plain("unit"),
    _plain("stock"),
    _flag("made_to_order"),
    _plain("lead_time_days"),
    _plain("hsn_code"),
    ListingField(
        "gst_rate",
        "gst_rate",
        lambda listing: str(listing.gst_rate_bp // 100),
        lambda body: str(body.gst_rate),
    ),
    ListingField(
        "weight_grams",
        "weight_grams",
        lambda listing: str(listing.weight_grams or ""),
        lambda body: _text(body.weight_grams),
    ),
    _plain("dimensions_mm"),
    _flag("export_ready"),
    _plain("hs_code"),
    ListingField(
        "ships_to",
        "ships_to",
        lambda listing: ", ".join(listing.ships_to),
        lambda body: ",".join(body.ships_to),
    ),
    ListingField(
        "price_tiers",
        "price_tiers",
        lambda listing: ", ".join(
            f"{t.min_quantity}:{paise_to_rupees(t.price_paise)}" for t in listing.price_tiers
        ),
        lambda body: ",".join(
            f"{quantity}:{paise_to_rupees(paise)}"
            for quantity, paise in sorted(body.price_tiers.items())
        ),
    ),
    _id("category_id"),
    _id("odop_product_id"),
    _id("gi_tag_id"),
    _id("member_id"),
)
FORM_FIELDS = tuple(field.name for field in FIELDS)
CSV_COLUMNS = tuple(field.name for field in FIELDS if field.csv)


def as_text(listing: Listing) -> dict[str, str]:
    """A listing as the text fields ``parse`` reads (form values, CSV row)."""
    return {field.name: field.of_listing(listing) for field in FIELDS}


class ListingIn(BaseModel):
    """A listing as the API accepts it; prices in paise."""

    title: str = Field(max_length=200)
    price_paise: int = Field(ge=100, le=10**10)
    description: str = Field(default="", max_length=5000)
    title_hi: str | None = Field(default=None, max_length=200)
    description_hi: str | None = Field(default=None, max_length=5000)
    category_id: Id | None = None
    odop_product_id: Id | None = None
    gi_tag_id: Id | None = None
    member_id: Id | None = None
    moq: int = Field(default=1, ge=1, le=100_000)
    unit: str = Field(
        default="piece", description="what the price and MOQ count: " + ", ".join(UNITS)
    )
    stock: int = Field(default=0, ge=0, le=10_000_000)
    made_to_order: bool = False
    lead_time_days: int = Field(default=3, ge=0, le=365)
    sku: str | None = Field(default=None, max_length=64)
    hsn_code: str | None = Field(default=None, max_length=8)
    gst_rate: int = Field(default=0, ge=0, le=100)
    weight_grams: int | None = Field(default=None, ge=1, le=1_000_000)
    dimensions_mm: str | None = Field(default=None, max_length=20)
    export_ready: bool = False
    hs_code: str | None = Field(default=None, max_length=10)
    ships_to: list[str] = Field(default_factory=list, max_length=250)
    price_tiers: dict[
        Annotated[int, Ge(1), Le(10_000_000)], Annotated[int, Ge(100), Le(10**10)]
    ] = Field(
        max_length=6, default_factory=dict, description="minimum quantity -> unit price in paise"
    )

    def as_text(self) -> dict[str, str]:
        return {field.name: field.of_api(self) for field in FIELDS}


class ImageOut(BaseModel):
    url: str
    thumb_url: str


# What the seller API returns: ids and status, every text field of ``FIELDS`` (as the form and
# the CSV write them), the price in paise and the photos. Built from FIELDS, so it cannot drift.
SellerListingOut = create_model(
    "SellerListingOut",
    id=(int, ...),
    slug=(str, ...),
    status=(str, ...),
    **{field.name: (str, ...) for field in FIELDS},  # type: ignore[call-overload]
    price_paise=(int, ...),
    images=(list[ImageOut], ...),
)
