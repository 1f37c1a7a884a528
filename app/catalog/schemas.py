"""JSON shapes of the catalog API (documented in /openapi.json)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.reference.models import GoodsClass


class Strict(BaseModel):
    """Query parameters: an unknown or misspelt parameter is a 422, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


class NoQuery(Strict):
    pass


class OdopProductQuery(Strict):
    state: str | None = Field(default=None, max_length=120, description="State/UT slug")
    district: str | None = Field(
        default=None, max_length=120, description="District slug (needs `state`)"
    )


class GiQuery(Strict):
    state: str | None = Field(default=None, max_length=120, description="State/UT slug")
    goods_class: GoodsClass | None = None
    page: int = Field(default=1, ge=1, le=1000)


class ListingsQuery(Strict):
    state: str | None = Field(default=None, max_length=120, description="State/UT slug")
    district: str | None = Field(
        default=None, max_length=120, description="District slug (needs `state`)"
    )
    gi: str | None = Field(default=None, max_length=200, description="GI tag slug")
    category: str | None = Field(default=None, max_length=80, description="Category slug")
    min_price: int | None = Field(default=None, ge=0, description="Lowest price, INR paise")
    max_price: int | None = Field(default=None, ge=0, description="Highest price, INR paise")
    export_ready: bool | None = None
    sort: Literal["newest", "price_asc", "price_desc"] = "newest"
    cursor: str | None = Field(
        default=None, max_length=300, description="`next_cursor` of the previous page"
    )
    limit: int = Field(default=24, ge=1, le=100)


class StateOut(BaseModel):
    slug: str
    name: str
    name_hi: str | None
    is_union_territory: bool
    district_count: int
    listing_count: int = Field(description="Public listings (refreshed every few minutes)")


class PlaceRef(BaseModel):
    slug: str
    name: str
    name_hi: str | None


class CategoryRef(BaseModel):
    slug: str
    name: str
    name_hi: str | None


class GiRef(BaseModel):
    slug: str
    name: str
    name_hi: str | None
    goods_class: GoodsClass


class OdopProductOut(BaseModel):
    name: str
    name_hi: str | None
    source: str
    story: str
    state: PlaceRef
    district: PlaceRef
    gi: GiRef | None
    category: CategoryRef | None


class DistrictOut(BaseModel):
    slug: str
    name: str
    name_hi: str | None
    lgd_code: int | None
    state: PlaceRef
    odop_products: list[str]
    listing_count: int


class GiTagOut(BaseModel):
    slug: str
    name: str
    name_hi: str | None
    goods_class: GoodsClass
    goods_class_as_listed: str
    states: list[PlaceRef]
    category: str | None = Field(description="Category slug")
    listing_count: int = Field(description="Listings by sellers verified for this GI")


class GiPage(BaseModel):
    items: list[GiTagOut]
    page: int
    pages: int


class CategoryOut(BaseModel):
    slug: str
    name: str
    name_hi: str | None
    description: str
    listing_count: int


class Money(BaseModel):
    amount_paise: int
    currency: Literal["INR"] = "INR"


class PriceTierOut(BaseModel):
    min_quantity: int
    price: Money


class ImageOut(BaseModel):
    url: str
    thumbnail_url: str
    width: int
    height: int
    alt: str


class SellerOut(BaseModel):
    slug: str
    name: str
    seller_type: str
    verified: bool
    state: PlaceRef
    district: PlaceRef


class ListingOut(BaseModel):
    slug: str
    url: str
    title: str
    title_hi: str | None
    price: Money
    moq: int
    in_stock: bool
    made_to_order: bool
    lead_time_days: int
    export_ready: bool
    hs_code: str | None
    state: PlaceRef
    district: PlaceRef
    gi: GiRef | None = Field(description="Present only when the seller's GI claim is verified")
    thumbnail_url: str | None
    published_at: datetime | None


class ListingDetailOut(ListingOut):
    description: str
    description_hi: str | None
    category: CategoryRef | None
    odop_product: str | None
    price_tiers: list[PriceTierOut]
    images: list[ImageOut]
    seller: SellerOut
    ships_to: list[str]
    weight_grams: int | None
    hsn_code: str | None


class ListingPageOut(BaseModel):
    items: list[ListingOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end")
