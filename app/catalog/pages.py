"""What the public product page and listing cards show, as frozen plain values.

Built from column-only selects (``repository.product_page_row``, ``repository.public_cards``)
and the cached reference snapshot (``cached.ReferenceRows``) instead of ORM rows with their
relationships: no identity map, no joined reference tables, and nothing of a seller but the
public columns the page names. Templates read these as they read the ORM rows before
(``listing.state.slug``, ``listing.seller.display_name``, ``listing.images[0].thumb_key``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.catalog.cached import CategoryRow, GiRef, PlaceRow, ReferenceRows, StateRow
from app.sellers.models import SellerType


@dataclass(frozen=True, slots=True)
class Photo:
    storage_key: str
    thumb_key: str
    width: int
    height: int
    alt: str


@dataclass(frozen=True, slots=True)
class CardPhoto:
    thumb_key: str
    alt: str


@dataclass(frozen=True, slots=True)
class Tier:
    min_quantity: int
    price_paise: int


@dataclass(frozen=True, slots=True)
class PublicSeller:
    """A seller as public pages show it: public listings are by verified sellers only."""

    slug: str
    display_name: str
    seller_type: SellerType
    state: StateRow | None
    district: PlaceRow | None
    is_verified: bool = True


@dataclass(frozen=True, slots=True)
class SellerLink:
    slug: str
    display_name: str


@dataclass(frozen=True, slots=True)
class ProductView:
    id: int
    slug: str
    title: str
    title_hi: str | None
    description: str
    description_hi: str | None
    category_id: int | None
    price_paise: int
    unit_code: str
    moq: int
    stock: int
    made_to_order: bool
    lead_time_days: int
    sku: str | None
    hsn_code: str | None
    gst_rate_bp: int
    weight_grams: int | None
    export_ready: bool
    hs_code: str | None
    ships_to: tuple[str, ...]
    state: StateRow | None
    district: PlaceRow | None
    category: CategoryRow | None
    gi_tag: GiRef | None
    gi_verified: bool
    seller: PublicSeller
    images: tuple[Photo, ...]
    price_tiers: tuple[Tier, ...]

    @property
    def in_stock(self) -> bool:
        return self.made_to_order or self.stock >= self.moq

    @property
    def unit(self) -> str:
        return self.unit_code

    @classmethod
    def of(
        cls,
        row: Any,
        ref: ReferenceRows,
        images: Sequence[Any],
        tiers: Sequence[Any],
    ) -> ProductView:
        return cls(
            id=row.id,
            slug=row.slug,
            title=row.title,
            title_hi=row.title_hi,
            description=row.description,
            description_hi=row.description_hi,
            category_id=row.category_id,
            price_paise=row.price_paise,
            unit_code=row.unit_code,
            moq=row.moq,
            stock=row.stock,
            made_to_order=row.made_to_order,
            lead_time_days=row.lead_time_days,
            sku=row.sku,
            hsn_code=row.hsn_code,
            gst_rate_bp=row.gst_rate_bp,
            weight_grams=row.weight_grams,
            export_ready=row.export_ready,
            hs_code=row.hs_code,
            ships_to=tuple(row.ships_to or ()),
            state=ref.states.get(row.state_id),
            district=ref.districts.get(row.district_id),
            category=ref.categories.get(row.category_id) if row.category_id else None,
            gi_tag=ref.gi_tags.get(row.gi_tag_id) if row.gi_tag_id else None,
            gi_verified=bool(row.gi_verified),
            seller=PublicSeller(
                slug=row.seller_slug,
                display_name=row.seller_name,
                seller_type=SellerType(row.seller_type),
                state=ref.states.get(row.seller_state_id),
                district=ref.districts.get(row.seller_district_id),
            ),
            images=tuple(
                Photo(i.storage_key, i.thumb_key, i.width, i.height, i.alt) for i in images
            ),
            price_tiers=tuple(Tier(t.min_quantity, t.price_paise) for t in tiers),
        )


@dataclass(frozen=True, slots=True)
class Card:
    """One listing card (district, GI, category and seller pages)."""

    id: int
    slug: str
    title: str
    title_hi: str | None
    price_paise: int
    published_at: datetime | None
    unit: str
    moq: int
    state: StateRow | None
    district: PlaceRow | None
    seller: SellerLink
    images: tuple[CardPhoto, ...]
    gi_verified: bool

    @classmethod
    def of(cls, row: Any, ref: ReferenceRows) -> Card:
        return cls(
            id=row.id,
            slug=row.slug,
            title=row.title,
            title_hi=row.title_hi,
            price_paise=row.price_paise,
            published_at=row.published_at,
            unit=row.unit_code,
            moq=row.moq,
            state=ref.states.get(row.state_id),
            district=ref.districts.get(row.district_id),
            seller=SellerLink(row.seller_slug, row.seller_name),
            images=(CardPhoto(row.thumb_key, row.photo_alt or ""),) if row.thumb_key else (),
            gi_verified=bool(row.gi_verified),
        )


@dataclass(frozen=True, slots=True)
class CardPage:
    listings: tuple[Card, ...]
    next_cursor: str | None

    def shows_gi(self, card: Card) -> bool:
        return card.gi_verified
