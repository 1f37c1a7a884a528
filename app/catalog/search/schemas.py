"""Search request parameters and API responses."""

from __future__ import annotations

import html
from decimal import Decimal
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from app.catalog.search.base import (
    HIGHLIGHT_POST,
    HIGHLIGHT_PRE,
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    Hit,
    Sort,
)

FilterValue = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Price = Annotated[Decimal, Field(ge=0, le=Decimal("100000000"), max_digits=14, decimal_places=2)]


class SearchParams(BaseModel):
    """What a buyer may ask for. A long ``q`` is truncated, not refused."""

    model_config = ConfigDict(extra="forbid")

    q: str = Field("", description="Free text; words after the first 200 characters are ignored.")
    state: list[FilterValue] = Field([], description="State slugs, e.g. uttar-pradesh.")
    district: list[FilterValue] = Field([], description="state-slug/district-slug.")
    gi: list[FilterValue] = Field([], description="GI tag slugs.")
    category: list[FilterValue] = Field([], description="Category slugs.")
    goods_class: list[FilterValue] = Field([], description="handicraft, agricultural, …")
    seller_type: list[FilterValue] = Field([], description="artisan, shg, fpo, cooperative, msme.")
    min_price: Price | None = Field(None, description="In `currency`.")
    max_price: Price | None = Field(None, description="In `currency`.")
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")] = "INR"
    export_ready: bool | None = None
    in_stock: bool | None = None
    sort: Sort = Sort.RELEVANCE
    page: int = Field(1, ge=1, le=1000)
    per_page: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)

    @field_validator("max_price")
    @classmethod
    def _not_below_min_price(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        low = info.data.get("min_price")
        if value is not None and low is not None and value < low:
            raise ValueError("max_price must not be less than min_price")
        return value


def marked_html(text: str) -> str:
    """HTML-escape a highlighted string, then turn its markers into <mark> elements."""
    return html.escape(text).replace(HIGHLIGHT_PRE, "<mark>").replace(HIGHLIGHT_POST, "</mark>")


class HitOut(BaseModel):
    id: int
    slug: str
    url: str
    title: str
    title_html: str = Field(description="The title, HTML-escaped, matched words in <mark>.")
    price_paise: int
    district: str
    state: str
    gi_name: str | None
    seller_name: str
    seller_type: str
    export_ready: bool
    in_stock: bool
    thumb_url: str | None

    @classmethod
    def of(cls, hit: Hit) -> HitOut:
        return cls(
            id=hit.listing_id,
            slug=hit.slug,
            url=f"/products/{hit.slug}",
            title=hit.title,
            title_html=marked_html(hit.title_highlighted),
            price_paise=hit.price_paise,
            district=hit.district,
            state=hit.state,
            gi_name=hit.gi_name,
            seller_name=hit.seller_name,
            seller_type=hit.seller_type,
            export_ready=hit.export_ready,
            in_stock=hit.in_stock,
            thumb_url=f"/media/{hit.thumb_key}" if hit.thumb_key else None,
        )


class FacetValueOut(BaseModel):
    value: str
    label: str
    count: int


class PlaceOut(BaseModel):
    label: str
    state: str = Field(description="State slug, usable as the `state` filter.")
    district: str | None = Field(description="District key, usable as the `district` filter.")


class SearchResponse(BaseModel):
    query: str
    total: int
    total_is_exact: bool
    page: int
    per_page: int
    hits: list[HitOut]
    facets: dict[str, list[FacetValueOut]]
    facets_approximate: bool = Field(
        False,
        description="The facet counts were made over only part of the matches: each count is a "
        "lower bound (the page shows it as 'N+').",
    )
    applied: dict[str, object] = Field(description="The filters and sort that were applied.")
    ignored: list[str] = Field([], description="Query words left out: no product matched them.")
    preferring: list[PlaceOut] = Field(
        [], description="Places named in the query: listings from there rank first."
    )


class SuggestResponse(BaseModel):
    query: str
    suggestions: list[str]
