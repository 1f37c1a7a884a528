"""All catalog queries."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    and_,
    bindparam,
    case,
    false,
    func,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, load_only, selectinload

from app.db import PreparedSelect
from app.listings import repository as listing_repository
from app.listings.models import Listing, ListingImage, PriceTier
from app.listings.sale_models import GstRate, SaleUnit
from app.reference.models import (
    Category,
    District,
    GiTag,
    GiTagState,
    GoodsClass,
    OdopProduct,
    State,
)
from app.sellers.models import ClaimStatus, Seller, SellerGiClaim, SellerMember, SellerStatus

# Reference data ----------------------------------------------------------------------------------


async def states(session: AsyncSession) -> list[State]:
    return list((await session.scalars(select(State).order_by(State.name))).all())


async def district_counts_by_state(session: AsyncSession) -> dict[int, int]:
    rows = await session.execute(
        select(District.state_id, func.count()).group_by(District.state_id)
    )
    return {state_id: int(n) for state_id, n in rows.all()}


async def public_listing_counts_by_district(session: AsyncSession) -> dict[int, tuple[int, int]]:
    """district id -> (state id, number of public listings): one pass over the public listings."""
    rows = await session.execute(
        select(Listing.district_id, Listing.state_id, func.count())
        .where(listing_repository.is_public())
        .group_by(Listing.district_id, Listing.state_id)
    )
    return {district_id: (state_id, int(n)) for district_id, state_id, n in rows.all()}


async def public_listing_counts_by_gi(session: AsyncSession) -> dict[int, int]:
    rows = await session.execute(
        select(Listing.gi_tag_id, func.count())
        .where(
            Listing.gi_tag_id.is_not(None),
            listing_repository.is_public(),
            listing_repository.has_verified_gi(),
        )
        .group_by(Listing.gi_tag_id)
    )
    return {gi_id: int(n) for gi_id, n in rows.all() if gi_id is not None}


async def public_listing_counts_by_category(session: AsyncSession) -> dict[int, int]:
    rows = await session.execute(
        select(Listing.category_id, func.count())
        .where(Listing.category_id.is_not(None), listing_repository.is_public())
        .group_by(Listing.category_id)
    )
    return {category_id: int(n) for category_id, n in rows.all() if category_id is not None}


async def districts_of_state(session: AsyncSession, state_id: int) -> list[District]:
    rows = await session.scalars(
        select(District)
        .where(District.state_id == state_id)
        .options(selectinload(District.odop_products))
        .order_by(District.name)
    )
    return list(rows.all())


async def districts_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[District]:
    if not ids:
        return []
    rows = await session.scalars(
        select(District)
        .where(District.id.in_(ids))
        .options(joinedload(District.state), selectinload(District.odop_products))
    )
    return list(rows.unique().all())


async def district_with_products(session: AsyncSession, district_id: int) -> District | None:
    return await session.scalar(
        select(District)
        .where(District.id == district_id)
        .options(joinedload(District.state), selectinload(District.odop_products))
    )


async def district_names_in_state(session: AsyncSession, state_id: int) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(District.slug, District.name).where(District.state_id == state_id)
    )
    return [(slug, name) for slug, name in rows.all()]


async def state_names(session: AsyncSession) -> list[tuple[str, str]]:
    rows = await session.execute(select(State.slug, State.name))
    return [(slug, name) for slug, name in rows.all()]


async def odop_products(
    session: AsyncSession, *, state_id: int | None = None, district_id: int | None = None
) -> list[OdopProduct]:
    query = (
        select(OdopProduct)
        .join(District, District.id == OdopProduct.district_id)
        .options(
            joinedload(OdopProduct.district).joinedload(District.state),
            joinedload(OdopProduct.gi_tag),
            joinedload(OdopProduct.category),
        )
        .order_by(District.name, OdopProduct.id)
    )
    if state_id is not None:
        query = query.where(District.state_id == state_id)
    if district_id is not None:
        query = query.where(OdopProduct.district_id == district_id)
    return list((await session.scalars(query)).unique().all())


async def odop_products_of_gi(session: AsyncSession, gi_tag_id: int) -> list[OdopProduct]:
    rows = await session.scalars(
        select(OdopProduct)
        .where(OdopProduct.gi_tag_id == gi_tag_id)
        .options(joinedload(OdopProduct.district).joinedload(District.state))
        .order_by(OdopProduct.id)
    )
    return list(rows.unique().all())


async def categories(session: AsyncSession) -> list[Category]:
    rows = await session.scalars(select(Category).order_by(Category.position, Category.name))
    return list(rows.all())


async def category_by_slug(session: AsyncSession, slug: str) -> Category | None:
    return await session.scalar(select(Category).where(Category.slug == slug))


def _gi_query(state_id: int | None, goods_class: GoodsClass | None) -> Select[GiTag]:
    query = select(GiTag)
    if state_id is not None:
        query = query.where(
            GiTag.id.in_(select(GiTagState.gi_tag_id).where(GiTagState.state_id == state_id))
        )
    if goods_class is not None:
        query = query.where(GiTag.goods_class == goods_class)
    return query


async def gi_tags(
    session: AsyncSession,
    *,
    state_id: int | None = None,
    goods_class: GoodsClass | None = None,
    limit: int,
    offset: int,
) -> tuple[list[GiTag], int]:
    """A page of GI tags (reference data: at most a few thousand rows, so offsets are cheap)."""
    query = _gi_query(state_id, goods_class)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(
        query.options(selectinload(GiTag.states))
        .order_by(GiTag.name, GiTag.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all()), int(total)


async def all_gi_tags(
    session: AsyncSession, *, state_id: int | None = None, goods_class: GoodsClass | None = None
) -> list[GiTag]:
    """Every GI tag matching the filters, with its States (a few hundred rows at most)."""
    query = _gi_query(state_id, goods_class).options(selectinload(GiTag.states))
    return list((await session.scalars(query.order_by(GiTag.name, GiTag.id))).all())


async def gi_tags_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[GiTag]:
    if not ids:
        return []
    rows = await session.scalars(
        select(GiTag).where(GiTag.id.in_(ids)).options(selectinload(GiTag.states))
    )
    return list(rows.all())


async def gi_tag_by_slug(session: AsyncSession, slug: str) -> GiTag | None:
    return await session.scalar(
        select(GiTag).where(GiTag.slug == slug).options(selectinload(GiTag.states))
    )


async def gi_names(session: AsyncSession) -> list[tuple[str, str]]:
    rows = await session.execute(select(GiTag.slug, GiTag.name))
    return [(slug, name) for slug, name in rows.all()]


async def category_names(session: AsyncSession) -> list[tuple[str, str]]:
    rows = await session.execute(select(Category.slug, Category.name))
    return [(slug, name) for slug, name in rows.all()]


# The reference snapshot: every row public pages name, read by column (see cached.ReferenceRows).


async def reference_states(session: AsyncSession) -> Sequence[Any]:
    return (
        await session.execute(
            select(
                State.id,
                State.slug,
                State.name,
                State.name_hi,
                State.is_union_territory,
                State.lgd_code,
            )
        )
    ).all()


async def reference_district_pages(session: AsyncSession) -> Sequence[Any]:
    return (
        await session.execute(
            select(
                District.id,
                District.state_id,
                District.slug,
                District.name,
                District.name_hi,
                District.lgd_code,
                District.story,
                District.story_hi,
            )
        )
    ).all()


async def reference_odop_products(session: AsyncSession) -> Sequence[Any]:
    return (
        await session.execute(
            select(
                OdopProduct.id,
                OdopProduct.slug,
                OdopProduct.name,
                OdopProduct.name_hi,
                OdopProduct.story,
                OdopProduct.story_hi,
                OdopProduct.category_id,
                OdopProduct.gi_tag_id,
                OdopProduct.district_id,
            ).order_by(OdopProduct.id)
        )
    ).all()


async def reference_gi_tags(session: AsyncSession) -> Sequence[Any]:
    return (
        await session.execute(
            select(GiTag.id, GiTag.slug, GiTag.name, GiTag.name_hi, GiTag.goods_class)
        )
    ).all()


async def reference_categories(session: AsyncSession) -> Sequence[Any]:
    return (
        await session.execute(select(Category.id, Category.slug, Category.name, Category.name_hi))
    ).all()


async def reference_sale_units(session: AsyncSession) -> Sequence[Any]:
    return (await session.execute(select(SaleUnit.code, SaleUnit.name, SaleUnit.name_hi))).all()


async def reference_gst_rates(session: AsyncSession, day: date) -> Sequence[Any]:
    return (
        await session.execute(
            select(GstRate.hsn_prefix, GstRate.category_id, GstRate.rate_bp).where(
                GstRate.effective_from <= day,
                (GstRate.effective_to.is_(None)) | (GstRate.effective_to > day),
            )
        )
    ).all()


# Public pages read listings by column: what the page shows, and of the seller only these public
# columns (never PAN, GSTIN, bank details, address or contact). tests/catalog/test_private_fields.py
# fails if any public page's statement names a private seller column.
SELLER_PUBLIC_COLUMNS = (
    Seller.slug.label("seller_slug"),
    Seller.display_name.label("seller_name"),
    Seller.seller_type.label("seller_type"),
    Seller.state_id.label("seller_state_id"),
    Seller.district_id.label("seller_district_id"),
)


def _gi_shown() -> Any:
    """True when the listing may show its GI badge (its seller's claim to it is verified)."""
    return case(
        (and_(Listing.gi_tag_id.is_not(None), listing_repository.has_verified_gi()), True),
        else_=false(),
    ).label("gi_verified")


_PRODUCT_PAGE = PreparedSelect(
    select(
        Listing.id,
        Listing.slug,
        Listing.title,
        Listing.title_hi,
        Listing.description,
        Listing.description_hi,
        Listing.state_id,
        Listing.district_id,
        Listing.category_id,
        Listing.gi_tag_id,
        Listing.price_paise,
        Listing.unit_code,
        Listing.moq,
        Listing.stock,
        Listing.made_to_order,
        Listing.lead_time_days,
        Listing.sku,
        Listing.hsn_code,
        Listing.gst_rate_bp,
        Listing.weight_grams,
        Listing.export_ready,
        Listing.hs_code,
        Listing.ships_to,
        *SELLER_PUBLIC_COLUMNS,
        _gi_shown(),
    )
    .join(Seller, Seller.id == Listing.seller_id)
    .where(Listing.slug == bindparam("slug"), listing_repository.is_public())
)


async def product_page_row(session: AsyncSession, slug: str) -> Any:
    """The columns of a public listing that its page shows, with its seller's public ones."""
    return await _PRODUCT_PAGE.first(session, slug=slug)


# Built once: a statement built per request costs more CPU (coercing every column and clause)
# than the page's whole round trip to PostgreSQL; with bound parameters only the values change.
_LISTING_IMAGES = PreparedSelect(
    select(
        ListingImage.storage_key,
        ListingImage.thumb_key,
        ListingImage.width,
        ListingImage.height,
        ListingImage.alt,
    )
    .where(ListingImage.listing_id == bindparam("listing_id"))
    .order_by(ListingImage.position, ListingImage.id)
)
_PRICE_TIERS = PreparedSelect(
    select(PriceTier.min_quantity, PriceTier.price_paise)
    .where(PriceTier.listing_id == bindparam("listing_id"))
    .order_by(PriceTier.min_quantity)
)


async def listing_images(session: AsyncSession, listing_id: int) -> Sequence[Any]:
    return await _LISTING_IMAGES.all(session, listing_id=listing_id)


async def listing_price_tiers(session: AsyncSession, listing_id: int) -> Sequence[Any]:
    return await _PRICE_TIERS.all(session, listing_id=listing_id)


# Listings ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListingQuery:
    """Filters, order and keyset position of a listing page (ids resolved from slugs)."""

    state_id: int | None = None
    district_id: int | None = None
    gi_tag_id: int | None = None
    category_id: int | None = None
    seller_id: int | None = None
    min_price_paise: int | None = None
    max_price_paise: int | None = None
    export_ready: bool | None = None
    sort: str = "newest"  # newest | price_asc | price_desc
    after: tuple[Any, int] | None = None  # (sort value, id) of the last row already shown


SORT_COLUMNS: dict[str, tuple[Any, bool]] = {
    "newest": (Listing.published_at, True),
    "price_asc": (Listing.price_paise, False),
    "price_desc": (Listing.price_paise, True),
}


PUBLIC_SELLER_ATTRIBUTES = (
    Seller.id,
    Seller.slug,
    Seller.display_name,
    Seller.seller_type,
    Seller.status,
    Seller.state_id,
    Seller.district_id,
)


def _card_options() -> list[Any]:
    return [
        selectinload(Listing.images),
        joinedload(Listing.seller).load_only(*PUBLIC_SELLER_ATTRIBUTES, raiseload=True),
        joinedload(Listing.district),
        joinedload(Listing.state),
        joinedload(Listing.gi_tag),
    ]


# A listing page's filters, as the names of its bound parameters: the statement of each shape
# (which filters are set, the order, whether it continues after a row) is built once.
_FILTERS: tuple[tuple[str, Callable[[], Any]], ...] = (
    ("state_id", lambda: Listing.state_id == bindparam("state_id")),
    ("district_id", lambda: Listing.district_id == bindparam("district_id")),
    (
        "gi_tag_id",
        lambda: and_(
            Listing.gi_tag_id == bindparam("gi_tag_id"), listing_repository.has_verified_gi()
        ),
    ),
    ("category_id", lambda: Listing.category_id == bindparam("category_id")),
    ("seller_id", lambda: Listing.seller_id == bindparam("seller_id")),
    ("min_price_paise", lambda: Listing.price_paise >= bindparam("min_price_paise")),
    ("max_price_paise", lambda: Listing.price_paise <= bindparam("max_price_paise")),
    ("export_ready", lambda: Listing.export_ready == bindparam("export_ready")),
)


@dataclass(frozen=True)
class _Shape:
    filters: tuple[str, ...]
    sort: str
    continues: bool


def _shape_and_parameters(query: ListingQuery) -> tuple[_Shape, dict[str, Any]]:
    parameters = {
        name: getattr(query, name) for name, _ in _FILTERS if getattr(query, name) is not None
    }
    if query.after is not None:
        parameters["after_value"], parameters["after_id"] = query.after
    shape = _Shape(
        tuple(name for name, _ in _FILTERS if name in parameters),
        query.sort,
        query.after is not None,
    )
    return shape, parameters


def _listing_conditions(shape: _Shape) -> tuple[list[Any], list[Any]]:
    """The WHERE conditions and ORDER BY of a listing page of this shape (keyset pagination on
    (sort key, id): every page is an index range scan, however deep)."""
    column, descending = SORT_COLUMNS[shape.sort]
    conditions: list[Any] = [listing_repository.is_public()]
    conditions += [condition() for name, condition in _FILTERS if name in shape.filters]
    if shape.continues:
        position = tuple_(column, Listing.id)
        bound = tuple_(
            bindparam("after_value", type_=column.type), bindparam("after_id", type_=Integer)
        )
        conditions.append(position < bound if descending else position > bound)
    order = [column.desc(), Listing.id.desc()] if descending else [column, Listing.id]
    return conditions, order


async def public_listings(session: AsyncSession, query: ListingQuery, limit: int) -> list[Listing]:
    """Up to ``limit`` public listings (ORM rows, for the API) after ``query.after``."""
    shape, parameters = _shape_and_parameters(query)
    conditions, order = _listing_conditions(shape)
    rows = await session.scalars(
        select(Listing)
        .where(and_(*conditions))
        .options(*_card_options())
        .order_by(*order)
        .limit(limit),
        parameters,
    )
    return list(rows.unique().all())


def _first_photo(column: Any) -> Any:
    return (
        select(column)
        .where(ListingImage.listing_id == Listing.id)
        .order_by(ListingImage.position, ListingImage.id)
        .limit(1)
        .scalar_subquery()
    )


# A card's columns, built once (the two photo subqueries and the GI check are whole SELECTs;
# building them per request cost more Python than running the statement).
_CARD_COLUMNS = (
    Listing.id,
    Listing.slug,
    Listing.title,
    Listing.title_hi,
    Listing.price_paise,
    Listing.published_at,
    Listing.unit_code,
    Listing.moq,
    Listing.state_id,
    Listing.district_id,
    Seller.slug.label("seller_slug"),
    Seller.display_name.label("seller_name"),
    _gi_shown(),
    _first_photo(ListingImage.thumb_key).label("thumb_key"),
    _first_photo(ListingImage.alt).label("photo_alt"),
)


@functools.cache
def _cards_statement(shape: _Shape) -> PreparedSelect:
    conditions, order = _listing_conditions(shape)
    return PreparedSelect(
        select(*_CARD_COLUMNS)
        .join(Seller, Seller.id == Listing.seller_id)
        .where(and_(*conditions))
        .order_by(*order)
        .limit(bindparam("limit", type_=Integer))
    )


async def public_cards(session: AsyncSession, query: ListingQuery, limit: int) -> Sequence[Any]:
    """What a listing card shows of up to ``limit`` public listings after ``query.after``: one
    statement (the first photo and the GI check are correlated subqueries), built once for each
    shape of query."""
    shape, parameters = _shape_and_parameters(query)
    return await _cards_statement(shape).all(session, limit=limit, **parameters)


async def public_listing_by_slug(session: AsyncSession, slug: str) -> Listing | None:
    return await session.scalar(
        select(Listing)
        .where(Listing.slug == slug, listing_repository.is_public())
        .options(
            *_card_options(),
            selectinload(Listing.price_tiers),
            joinedload(Listing.category),
            joinedload(Listing.odop_product),
            joinedload(Listing.seller)
            .load_only(*PUBLIC_SELLER_ATTRIBUTES, raiseload=True)
            .joinedload(Seller.district),
            joinedload(Listing.seller)
            .load_only(*PUBLIC_SELLER_ATTRIBUTES, raiseload=True)
            .joinedload(Seller.state),
        )
    )


async def public_listing_slugs_like(session: AsyncSession, prefix: str, n: int) -> list[str]:
    rows = await session.scalars(
        select(Listing.slug)
        .where(
            # The range lets the unique slug index find the rows; startswith keeps the answer
            # exact under linguistic collations, which order hyphens loosely.
            Listing.slug >= prefix,
            Listing.slug < prefix[:-1] + chr(ord(prefix[-1]) + 1),
            Listing.slug.startswith(prefix, autoescape=True),
            listing_repository.is_public(),
        )
        .order_by(Listing.slug)
        .limit(n)
    )
    return list(rows.all())


# ODOP product cards and seller pages --------------------------------------------------------------


def _of_products(product_ids: Sequence[int] | None) -> Any:
    """Listings of these ODOP products; of any ODOP product when None (every product at once)."""
    if product_ids is None:
        return Listing.odop_product_id.is_not(None)
    return Listing.odop_product_id.in_(product_ids)


async def odop_listing_stats(
    session: AsyncSession, product_ids: Sequence[int] | None
) -> dict[int, tuple[int, int, int]]:
    """ODOP product id -> (verified sellers, lowest and highest price in paise) of its public
    listings (public implies a verified seller); every product's when ``product_ids`` is None."""
    if product_ids is not None and not product_ids:
        return {}
    rows = await session.execute(
        select(
            Listing.odop_product_id,
            func.count(func.distinct(Listing.seller_id)),
            func.min(Listing.price_paise),
            func.max(Listing.price_paise),
        )
        .where(_of_products(product_ids), listing_repository.is_public())
        .group_by(Listing.odop_product_id)
    )
    return {
        pid: (int(sellers), int(low), int(high))
        for pid, sellers, low, high in rows.all()
        if pid is not None
    }


async def odop_listing_photos(
    session: AsyncSession, product_ids: Sequence[int] | None
) -> dict[int, tuple[str, str, str]]:
    """ODOP product id -> (thumbnail key, alt text, listing title) of its best public listing
    with a photo: GI-verified first, then the newest. One query for all the products."""
    if product_ids is not None and not product_ids:
        return {}
    verified = listing_repository.has_verified_gi()
    ranked = (
        select(
            Listing.odop_product_id.label("product_id"),
            ListingImage.thumb_key,
            ListingImage.alt,
            Listing.title,
            func.row_number()
            .over(
                partition_by=Listing.odop_product_id,
                order_by=[
                    case((and_(Listing.gi_tag_id.is_not(None), verified), 0), else_=1),
                    Listing.published_at.desc(),
                    Listing.id.desc(),
                    ListingImage.position,
                ],
            )
            .label("rank"),
        )
        .join(ListingImage, ListingImage.listing_id == Listing.id)
        .where(_of_products(product_ids), listing_repository.is_public())
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.product_id, ranked.c.thumb_key, ranked.c.alt, ranked.c.title).where(
            ranked.c.rank == 1
        )
    )
    return {pid: (thumb, alt, title) for pid, thumb, alt, title in rows.all() if pid is not None}


async def public_seller_by_slug(session: AsyncSession, slug: str) -> Seller | None:
    """A verified seller with its place loaded; None for any other status."""
    return await session.scalar(
        select(Seller)
        .where(Seller.slug == slug, Seller.status == SellerStatus.VERIFIED)
        .options(
            load_only(
                *PUBLIC_SELLER_ATTRIBUTES,
                Seller.bio,
                Seller.export_ready,
                Seller.verified_at,
                raiseload=True,
            ),
            joinedload(Seller.district),
            joinedload(Seller.state),
        )
    )


async def public_members(session: AsyncSession, seller_id: int) -> list[SellerMember]:
    rows = await session.scalars(
        select(SellerMember)
        .where(SellerMember.seller_id == seller_id, SellerMember.show_publicly.is_(True))
        .order_by(SellerMember.name, SellerMember.id)
    )
    return list(rows.all())


async def verified_claims(session: AsyncSession, seller_id: int) -> list[SellerGiClaim]:
    rows = await session.scalars(
        select(SellerGiClaim)
        .where(SellerGiClaim.seller_id == seller_id, SellerGiClaim.status == ClaimStatus.VERIFIED)
        .options(joinedload(SellerGiClaim.gi_tag))
        .order_by(SellerGiClaim.id)
    )
    return list(rows.unique().all())


async def verified_gi_pairs(
    session: AsyncSession, pairs: set[tuple[int, int]]
) -> set[tuple[int, int]]:
    """Of the (seller id, GI id) pairs given, those whose GI claim an admin verified."""
    if not pairs:
        return set()
    rows = await session.execute(
        select(SellerGiClaim.seller_id, SellerGiClaim.gi_tag_id).where(
            or_(
                *(
                    (SellerGiClaim.seller_id == seller_id) & (SellerGiClaim.gi_tag_id == gi_id)
                    for seller_id, gi_id in sorted(pairs)
                )
            ),
            SellerGiClaim.status == ClaimStatus.VERIFIED,
        )
    )
    return {(seller_id, gi_id) for seller_id, gi_id in rows.all()}


async def listing_id_bounds(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.max(Listing.id))) or 0)


async def public_listing_sitemap_rows(
    session: AsyncSession, first_id: int, last_id: int
) -> list[tuple[str, datetime | None]]:
    rows = await session.execute(
        select(Listing.slug, Listing.updated_at)
        .where(Listing.id >= first_id, Listing.id <= last_id, listing_repository.is_public())
        .order_by(Listing.id)
    )
    return [(slug, updated) for slug, updated in rows.all()]


async def district_paths(session: AsyncSession) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(State.slug, District.slug).join(State, State.id == District.state_id)
    )
    return [(state, district) for state, district in rows.all()]


# Demo data --------------------------------------------------------------------------------------


async def odop_products_for_demo(session: AsyncSession) -> list[OdopProduct]:
    return list((await session.scalars(select(OdopProduct).order_by(OdopProduct.id))).all())


async def count_demo_listings(session: AsyncSession) -> int:
    return (
        await session.scalar(select(func.count()).select_from(Listing).where(Listing.is_demo))
    ) or 0


async def listing_ids_by_slug(session: AsyncSession, slugs: Sequence[str]) -> dict[str, int]:
    rows = await session.execute(select(Listing.slug, Listing.id).where(Listing.slug.in_(slugs)))
    return {row.slug: row.id for row in rows}


async def refresh_planner_statistics(session: AsyncSession) -> None:
    """ANALYZE after a bulk load, so the query planner sees the new table sizes."""
    await session.execute(text("ANALYZE"))
