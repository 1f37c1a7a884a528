"""Frozen, detached copies of reference rows: the only shapes the catalog cache keeps.

An ORM instance belongs to the session that loaded it: when that session rolls back (a later
query of the same request failed) the instance is expired, and the next request that reads it
from a per-process cache fails until the entry is refreshed. So the cache keeps plain frozen
values built here from fully loaded rows, never the rows themselves (``TtlCache`` refuses them).

Relationships are copied only where the query loaded them (``lazy="raise"`` everywhere), so a
copy is exactly as deep as its query; a missing relation reads as None or an empty tuple.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect

from app.reference.models import Category, District, GiTag, GoodsClass, OdopProduct, State


def _loaded(row: Any, relation: str) -> Any:
    """The related object(s) when the query loaded them, else None."""
    if relation in inspect(row).unloaded:
        return None
    return getattr(row, relation)


@dataclass(frozen=True, slots=True)
class StateRow:
    id: int
    slug: str
    name: str
    name_hi: str | None
    is_union_territory: bool
    lgd_code: int

    @classmethod
    def of(cls, state: State) -> StateRow:
        return cls(
            state.id,
            state.slug,
            state.name,
            state.name_hi,
            state.is_union_territory,
            state.lgd_code,
        )


@dataclass(frozen=True, slots=True)
class CategoryRow:
    id: int
    slug: str
    name: str
    name_hi: str | None

    @classmethod
    def of(cls, category: Category) -> CategoryRow:
        return cls(category.id, category.slug, category.name, category.name_hi)


@dataclass(frozen=True, slots=True)
class GiRef:
    """A GI tag named from elsewhere (an ODOP product's badge)."""

    id: int
    slug: str
    name: str
    name_hi: str | None
    goods_class: GoodsClass

    @classmethod
    def of(cls, gi: GiTag) -> GiRef:
        return cls(gi.id, gi.slug, gi.name, gi.name_hi, gi.goods_class)


@dataclass(frozen=True, slots=True)
class DistrictRef:
    """A district named from elsewhere (where an ODOP product comes from), with its State."""

    id: int
    slug: str
    name: str
    name_hi: str | None
    state: StateRow | None

    @classmethod
    def of(cls, district: District) -> DistrictRef:
        state = _loaded(district, "state")
        return cls(
            district.id,
            district.slug,
            district.name,
            district.name_hi,
            StateRow.of(state) if state else None,
        )


@dataclass(frozen=True, slots=True)
class OdopProductRow:
    id: int
    slug: str
    name: str
    name_hi: str | None
    story: str
    story_hi: str | None
    category: CategoryRow | None
    gi_tag: GiRef | None
    district: DistrictRef | None

    @classmethod
    def of(cls, product: OdopProduct) -> OdopProductRow:
        category = _loaded(product, "category")
        gi_tag = _loaded(product, "gi_tag")
        district = _loaded(product, "district")
        return cls(
            product.id,
            product.slug,
            product.name,
            product.name_hi,
            product.story,
            product.story_hi,
            CategoryRow.of(category) if category else None,
            GiRef.of(gi_tag) if gi_tag else None,
            DistrictRef.of(district) if district else None,
        )


@dataclass(frozen=True, slots=True)
class DistrictRow:
    id: int
    state_id: int
    slug: str
    name: str
    name_hi: str | None
    lgd_code: int | None
    odop_products: tuple[OdopProductRow, ...]
    story: str | None
    story_hi: str | None

    @classmethod
    def of(cls, district: District) -> DistrictRow:
        products = _loaded(district, "odop_products") or ()
        return cls(
            district.id,
            district.state_id,
            district.slug,
            district.name,
            district.name_hi,
            district.lgd_code,
            tuple(OdopProductRow.of(p) for p in products),
            district.story,
            district.story_hi,
        )


@dataclass(frozen=True, slots=True)
class GiTagRow:
    id: int
    slug: str
    name: str
    name_hi: str | None
    goods_class: GoodsClass
    goods_class_as_listed: str
    country: str
    source_serial_no: int | None
    states: tuple[StateRow, ...]

    @classmethod
    def of(cls, gi: GiTag) -> GiTagRow:
        states = _loaded(gi, "states") or ()
        return cls(
            gi.id,
            gi.slug,
            gi.name,
            gi.name_hi,
            gi.goods_class,
            gi.goods_class_as_listed,
            gi.country,
            gi.source_serial_no,
            tuple(StateRow.of(s) for s in states),
        )


@dataclass(frozen=True, slots=True)
class PlaceRow:
    """A district as pages name it (breadcrumbs, cards), with its State's id."""

    id: int
    state_id: int
    slug: str
    name: str
    name_hi: str | None


@dataclass(frozen=True, slots=True)
class SaleUnitRow:
    code: str
    name: str
    name_hi: str


@dataclass(frozen=True, slots=True)
class GstRateRow:
    """A GST rate in effect (``app.listings.sale_terms.gst_rate_bp`` reads these fields)."""

    hsn_prefix: str | None
    category_id: int | None
    rate_bp: int


@dataclass(frozen=True, slots=True)
class ReferenceRows:
    """Every State, district, GI tag, category, unit of sale and GST rate in effect, by key: a
    few thousand small rows that public pages look up instead of joining them (one entry of the
    catalog cache, refreshed in the background like the others)."""

    states: dict[int, StateRow]
    districts: dict[int, PlaceRow]
    gi_tags: dict[int, GiRef]
    categories: dict[int, CategoryRow]
    sale_units: dict[str, SaleUnitRow]
    gst_rates: tuple[GstRateRow, ...]
    # (State id, slug) -> the district with its ODOP products, their categories and GIs
    district_pages: dict[tuple[int, str], DistrictRow]
    states_by_slug: dict[str, StateRow]


CACHED_ROW_TYPES = (
    StateRow,
    CategoryRow,
    GiRef,
    DistrictRef,
    OdopProductRow,
    DistrictRow,
    GiTagRow,
    PlaceRow,
    SaleUnitRow,
    GstRateRow,
    ReferenceRows,
)
