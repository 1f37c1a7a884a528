"""Catalog rules: what buyers may see, how places are looked up, prices in the buyer's currency."""

from __future__ import annotations

import base64
import binascii
import difflib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, NoReturn

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import money
from app.catalog import repository
from app.catalog.cache import TtlCache
from app.catalog.cached import (
    CategoryRow,
    DistrictRow,
    GiRef,
    GiTagRow,
    GstRateRow,
    OdopProductRow,
    PlaceRow,
    ReferenceRows,
    SaleUnitRow,
    StateRow,
)
from app.catalog.pages import Card, CardPage, ProductView
from app.catalog.repository import ListingQuery
from app.db import utcnow
from app.errors import FormErrors, NotFound, ValidationFailed
from app.i18n import gettext as _
from app.inputs import MAX_BIGINT, MAX_INT
from app.listings import sale_terms as listing_sale_terms
from app.listings.models import Listing
from app.listings.sale_models import SaleUnit
from app.rates import service as fx
from app.reference.models import Category, District, GiTag, GoodsClass, OdopProduct, State
from app.sellers.models import Seller, SellerGiClaim, SellerMember
from app.web import format_inr

PAGE_SIZE = 24
GI_PAGE_SIZE = 60
FEATURED = 8
SORTS = ("newest", "price_asc", "price_desc")
MAX_CURSOR_LENGTH = 300  # ours are under 100 characters

logger = logging.getLogger(__name__)


def near_matches(
    wanted: str, candidates: list[tuple[str, str]], n: int = 5
) -> list[tuple[str, str]]:
    """Candidates (slug, name) whose slug or name is close to what was asked for."""
    by_slug = dict(candidates)
    by_name = {name.lower(): slug for slug, name in candidates}
    slugs = difflib.get_close_matches(wanted, list(by_slug), n=n, cutoff=0.6)
    slugs += [
        by_name[m]
        for m in difflib.get_close_matches(wanted.lower(), list(by_name), n=n, cutoff=0.6)
    ]
    unique = list(dict.fromkeys(slugs))[:n]
    return [(slug, by_slug[slug]) for slug in unique]


# Cached aggregates -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """Public listing counts, computed in one pass per cache period (never per request)."""

    by_district: dict[int, int]
    by_state: dict[int, int]
    by_gi: dict[int, int]
    by_category: dict[int, int]
    districts_by_state: dict[int, int]


async def counts(session: AsyncSession, cache: TtlCache) -> Counts:
    return await cache.get("counts", _compute_counts, session)


async def _compute_counts(session: AsyncSession) -> Counts:
    per_district = await repository.public_listing_counts_by_district(session)
    by_state: dict[int, int] = {}
    for state_id, n in per_district.values():
        by_state[state_id] = by_state.get(state_id, 0) + n
    return Counts(
        by_district={d: n for d, (_, n) in per_district.items()},
        by_state=by_state,
        by_gi=await repository.public_listing_counts_by_gi(session),
        by_category=await repository.public_listing_counts_by_category(session),
        districts_by_state=await repository.district_counts_by_state(session),
    )


@dataclass(frozen=True)
class Place:
    """A detached, cacheable name with its Hindi form (``localized()`` reads ``name_hi``)."""

    slug: str
    name: str
    name_hi: str | None
    parent_slug: str = ""
    parent_name: str = ""
    parent_name_hi: str | None = None
    detail: str = ""
    detail_hi: str | None = None
    count: int = 0
    extra: int = 0
    photo: str | None = None  # a thumbnail key (featured districts)


@dataclass(frozen=True)
class Home:
    states: tuple[Place, ...]
    featured_districts: tuple[Place, ...]
    featured_gi: tuple[Place, ...]
    categories: tuple[Place, ...]
    goods_classes: tuple[str, ...] = field(
        default_factory=lambda: tuple(g.value for g in GoodsClass)
    )


async def home(session: AsyncSession, cache: TtlCache) -> Home:
    async def compute(session: AsyncSession) -> Home:
        totals = await counts(session, cache)
        states = tuple(
            Place(
                s.slug,
                s.name,
                s.name_hi,
                count=totals.by_state.get(s.id, 0),
                extra=totals.districts_by_state.get(s.id, 0),
            )
            for s in await repository.states(session)
        )
        top_districts = sorted(totals.by_district, key=lambda d: (-totals.by_district[d], d))
        districts = await repository.districts_by_ids(session, top_districts[:FEATURED])
        districts.sort(key=lambda d: (-totals.by_district[d.id], d.id))
        top_gi = sorted(totals.by_gi, key=lambda g: (-totals.by_gi[g], g))[:FEATURED]
        gi_tags = await repository.gi_tags_by_ids(session, top_gi)
        gi_tags.sort(key=lambda g: (-totals.by_gi[g.id], g.id))
        first_products = [d.odop_products[0].id for d in districts if d.odop_products]
        photos = await repository.odop_listing_photos(session, first_products)
        return Home(
            states=states,
            featured_districts=tuple(
                _district_place(
                    d,
                    totals.by_district[d.id],
                    photos.get(d.odop_products[0].id, (None,))[0] if d.odop_products else None,
                )
                for d in districts
            ),
            featured_gi=tuple(_gi_place(g, totals.by_gi[g.id]) for g in gi_tags),
            categories=tuple(
                Place(c.slug, c.name, c.name_hi, count=totals.by_category.get(c.id, 0))
                for c in await repository.categories(session)
            ),
        )

    return await cache.get("home", compute, session)


def _district_place(district: District, count: int, photo: str | None = None) -> Place:
    product = district.odop_products[0] if district.odop_products else None
    return Place(
        district.slug,
        district.name,
        district.name_hi,
        parent_slug=district.state.slug,
        parent_name=district.state.name,
        parent_name_hi=district.state.name_hi,
        detail=product.name if product else "",
        detail_hi=product.name_hi if product else None,
        count=count,
        photo=photo,
    )


def _gi_place(gi: GiTag, count: int) -> Place:
    first = gi.states[0] if gi.states else None
    return Place(
        gi.slug,
        gi.name,
        gi.name_hi,
        parent_slug=first.slug if first else "",
        parent_name=first.name if first else "",
        parent_name_hi=first.name_hi if first else None,
        detail=gi.goods_class.value,
        count=count,
    )


# Look-ups with helpful 404s ----------------------------------------------------------------------


# States, districts and GIs change only when reference data is reloaded, so the pages keep them
# in the catalog cache, as frozen copies (app/catalog/cached.py), instead of querying them on
# every request.


async def get_state(session: AsyncSession, cache: TtlCache, slug: str) -> StateRow:
    state = await find_state(session, cache, slug)
    if state is None:
        suggestions = near_matches(slug, await repository.state_names(session))
        raise NotFound(
            f"There is no State or Union Territory called “{slug}”.",
            suggestions=[(f"/states/{s}", name) for s, name in suggestions],
        )
    return state


async def find_state(session: AsyncSession, cache: TtlCache, slug: str) -> StateRow | None:
    return (await reference(session, cache)).states_by_slug.get(slug)


async def find_district(
    session: AsyncSession, cache: TtlCache, state: StateRow, slug: str
) -> DistrictRow | None:
    return (await reference(session, cache)).district_pages.get((state.id, slug))


async def find_gi(session: AsyncSession, cache: TtlCache, slug: str) -> GiTagRow | None:
    async def compute(session: AsyncSession) -> GiTagRow | None:
        gi = await repository.gi_tag_by_slug(session, slug)
        return GiTagRow.of(gi) if gi else None

    return await cache.get(f"gi:{slug}", compute, session, keep_none=False)


async def find_category(session: AsyncSession, slug: str) -> Category | None:
    return await repository.category_by_slug(session, slug)


async def all_states(session: AsyncSession) -> list[State]:
    return await repository.states(session)


async def all_categories(session: AsyncSession) -> list[Category]:
    return await repository.categories(session)


async def odop_products(
    session: AsyncSession, *, state_id: int | None, district_id: int | None
) -> list[OdopProduct]:
    return await repository.odop_products(session, state_id=state_id, district_id=district_id)


async def get_district(
    session: AsyncSession, cache: TtlCache, state: StateRow, slug: str
) -> DistrictRow:
    district = await find_district(session, cache, state, slug)
    if district is None:
        suggestions = near_matches(
            slug, await repository.district_names_in_state(session, state.id)
        )
        raise NotFound(
            f"{state.name} has no district called “{slug}”.",
            suggestions=[(f"/states/{state.slug}/{s}", name) for s, name in suggestions],
        )
    return district


async def get_gi(session: AsyncSession, cache: TtlCache, slug: str) -> GiTagRow:
    gi = await find_gi(session, cache, slug)
    if gi is None:
        suggestions = near_matches(slug, await repository.gi_names(session))
        raise NotFound(
            f"There is no registered GI called “{slug}”.",
            suggestions=[(f"/gi/{s}", name) for s, name in suggestions],
        )
    return gi


async def get_category(session: AsyncSession, slug: str) -> Category:
    category = await repository.category_by_slug(session, slug)
    if category is None:
        suggestions = await repository.category_names(session)
        raise NotFound(
            f"There is no category called “{slug}”.",
            suggestions=[(f"/categories/{s}", name) for s, name in near_matches(slug, suggestions)]
            or [(f"/categories/{s}", name) for s, name in suggestions],
        )
    return category


async def get_listing(session: AsyncSession, slug: str) -> Listing:
    listing = await repository.public_listing_by_slug(session, slug)
    if listing is None:
        await _no_such_listing(session, slug)
    return listing


async def _no_such_listing(session: AsyncSession, slug: str) -> NoReturn:
    prefix = slug[: max(8, len(slug) // 2)]
    similar = await repository.public_listing_slugs_like(session, prefix, 5)
    raise NotFound(
        "This product is not on sale here, or its address has changed.",
        suggestions=[(f"/products/{s}", s.replace("-", " ")) for s in similar],
    )


async def reference(session: AsyncSession, cache: TtlCache) -> ReferenceRows:
    """States, districts, GIs, categories, units of sale and today's GST rates, from memory."""
    today = utcnow().date()

    async def compute(session: AsyncSession) -> ReferenceRows:
        states = {r.id: StateRow(*tuple(r)) for r in await repository.reference_states(session)}
        gi_tags = {r.id: GiRef(*tuple(r)) for r in await repository.reference_gi_tags(session)}
        categories = {
            r.id: CategoryRow(*tuple(r)) for r in await repository.reference_categories(session)
        }
        products: dict[int, list[OdopProductRow]] = {}
        for p in await repository.reference_odop_products(session):
            products.setdefault(p.district_id, []).append(
                OdopProductRow(
                    p.id,
                    p.slug,
                    p.name,
                    p.name_hi,
                    p.story,
                    p.story_hi,
                    categories.get(p.category_id) if p.category_id else None,
                    gi_tags.get(p.gi_tag_id) if p.gi_tag_id else None,
                    None,
                )
            )
        district_rows = [
            DistrictRow(
                d.id,
                d.state_id,
                d.slug,
                d.name,
                d.name_hi,
                d.lgd_code,
                tuple(products.get(d.id, ())),
                d.story,
                d.story_hi,
            )
            for d in await repository.reference_district_pages(session)
        ]
        return ReferenceRows(
            states=states,
            districts={
                d.id: PlaceRow(d.id, d.state_id, d.slug, d.name, d.name_hi) for d in district_rows
            },
            gi_tags=gi_tags,
            categories=categories,
            sale_units={
                r.code: SaleUnitRow(*tuple(r))
                for r in await repository.reference_sale_units(session)
            },
            gst_rates=tuple(
                GstRateRow(*tuple(r)) for r in await repository.reference_gst_rates(session, today)
            ),
            district_pages={(d.state_id, d.slug): d for d in district_rows},
            states_by_slug={s.slug: s for s in states.values()},
        )

    return await cache.get(f"reference:{today.isoformat()}", compute, session)


@dataclass(frozen=True)
class ProductPage:
    listing: ProductView
    sale_unit: SaleUnitRow | None
    gst_rate_bp: int


async def product_page(session: AsyncSession, cache: TtlCache, slug: str) -> ProductPage:
    """A public product page: three column-only statements (the listing with its seller's
    public columns and GI check, its photos, its bulk prices); the rest comes from memory."""
    row = await repository.product_page_row(session, slug)
    if row is None:
        await _no_such_listing(session, slug)
    ref = await reference(session, cache)
    images = await repository.listing_images(session, row.id)
    tiers = await repository.listing_price_tiers(session, row.id)
    listing = ProductView.of(row, ref, images, tiers)
    return ProductPage(
        listing,
        ref.sale_units.get(listing.unit_code),
        listing_sale_terms.gst_rate_bp(ref.gst_rates, listing),
    )


async def districts_of_state(
    session: AsyncSession, cache: TtlCache, state: StateRow
) -> list[tuple[DistrictRow, int]]:
    async def compute(session: AsyncSession) -> tuple[DistrictRow, ...]:
        return tuple(
            DistrictRow.of(d) for d in await repository.districts_of_state(session, state.id)
        )

    totals = await counts(session, cache)
    districts = await cache.get(f"state-districts:{state.id}", compute, session)
    return [(d, totals.by_district.get(d.id, 0)) for d in districts]


async def gi_directory(
    session: AsyncSession,
    cache: TtlCache,
    *,
    state: StateRow | None,
    goods_class: GoodsClass | None,
    page: int,
    with_listings_only: bool = True,
    by_listings: bool = True,
) -> tuple[list[tuple[GiTag, int]], int]:
    """A page of GI tags with their verified listing counts, most listings first, and the
    number of pages. By default only GIs that have listings; ``with_listings_only=False`` shows
    every registered GI (those without listings follow, A-Z); ``by_listings=False`` keeps A-Z."""
    totals = await counts(session, cache)
    tags = await repository.all_gi_tags(
        session, state_id=state.id if state else None, goods_class=goods_class
    )
    if with_listings_only:
        tags = [g for g in tags if totals.by_gi.get(g.id, 0) > 0]
    if by_listings:
        tags.sort(key=lambda g: -totals.by_gi.get(g.id, 0))  # stable: A-Z within a count
    pages = max(1, -(-len(tags) // GI_PAGE_SIZE))
    chosen = tags[(page - 1) * GI_PAGE_SIZE : page * GI_PAGE_SIZE]
    return [(g, totals.by_gi.get(g.id, 0)) for g in chosen], pages


async def odop_products_of_gi(
    session: AsyncSession, cache: TtlCache, gi: GiTagRow
) -> tuple[OdopProductRow, ...]:
    async def compute(session: AsyncSession) -> tuple[OdopProductRow, ...]:
        return tuple(
            OdopProductRow.of(p) for p in await repository.odop_products_of_gi(session, gi.id)
        )

    return await cache.get(f"gi-odop:{gi.id}", compute, session)


# District product cards --------------------------------------------------------------------------


@dataclass(frozen=True)
class OdopCard:
    """What a district page says about one of its ODOP products."""

    product: OdopProductRow
    sellers: int = 0  # verified sellers with a public listing of it
    low_paise: int | None = None
    high_paise: int | None = None
    photo_key: str | None = None
    photo_alt: str = ""


@dataclass(frozen=True)
class OdopFigures:
    """Per ODOP product: verified sellers and price range, and the best photo (thumbnail, alt,
    listing title). Computed for every product at once, in two statements per cache period,
    so a district page (774 of them, each rarely the same twice in a row) asks nothing."""

    stats: dict[int, tuple[int, int, int]]
    photos: dict[int, tuple[str, str, str]]


async def odop_figures(session: AsyncSession, cache: TtlCache) -> OdopFigures:
    async def compute(session: AsyncSession) -> OdopFigures:
        return OdopFigures(
            await repository.odop_listing_stats(session, None),
            await repository.odop_listing_photos(session, None),
        )

    return await cache.get("odop-figures", compute, session)


async def odop_cards(
    session: AsyncSession, cache: TtlCache, district: DistrictRow
) -> list[OdopCard]:
    """One card per ODOP product of the district, from the cached figures of every product."""
    figures = await odop_figures(session, cache)
    cards = []
    for product in district.odop_products:
        sellers, low, high = figures.stats.get(product.id, (0, None, None))
        thumb, alt, title = figures.photos.get(product.id, (None, "", ""))
        cards.append(
            OdopCard(
                product,
                sellers=sellers or 0,
                low_paise=low,
                high_paise=high,
                photo_key=thumb,
                photo_alt=alt or title,
            )
        )
    return cards


async def warm_up(factory: async_sessionmaker[AsyncSession], cache: TtlCache) -> None:
    """Fill the catalog cache's whole-catalog values (reference rows, the home page with the
    counts it reads, every ODOP product's figures) before the first visitor: otherwise the
    first district page of a new process waited about a second for them, and every request in
    flight with it. A database not migrated or seeded yet is left alone."""
    try:
        async with factory() as session:
            await reference(session, cache)
            await home(session, cache)
            await odop_figures(session, cache)
    except Exception as exc:
        logger.info("catalog cache not filled at startup: %s", exc)


# Stories (administrators) -------------------------------------------------------------------------

STORY_MAX = 1200


async def districts_for_stories(session: AsyncSession, state_id: int) -> list[District]:
    return await repository.districts_of_state(session, state_id)


async def district_for_stories(session: AsyncSession, district_id: int) -> District:
    district = await repository.district_with_products(session, district_id)
    if district is None:
        raise NotFound("There is no such district.")
    return district


async def save_stories(session: AsyncSession, district_id: int, values: dict[str, str]) -> District:
    """Set the district's story and its ODOP products' stories, English and Hindi, from form
    fields ``story``, ``story_hi``, ``story_<product id>``, ``story_hi_<product id>``."""
    district = await district_for_stories(session, district_id)

    def text(key: str) -> str:
        return values.get(key, "").strip().replace("\r\n", "\n")

    keys = ["story", "story_hi"]
    for product in district.odop_products:
        keys += [f"story_{product.id}", f"story_hi_{product.id}"]
    errors = {
        key: _("Keep it under %(n)s characters.", n=STORY_MAX)
        for key in keys
        if len(text(key)) > STORY_MAX
    }
    if errors:
        raise FormErrors(errors)
    district.story = text("story")
    district.story_hi = text("story_hi") or None
    for product in district.odop_products:
        product.story = text(f"story_{product.id}")
        product.story_hi = text(f"story_hi_{product.id}") or None
    await session.flush()
    return district


# Seller pages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SellerPage:
    seller: Seller
    members: list[SellerMember]
    claims: list[SellerGiClaim]


async def seller_page(session: AsyncSession, slug: str) -> SellerPage:
    """A verified seller's public page; every other seller is a 404 (no hint that it exists)."""
    seller = await repository.public_seller_by_slug(session, slug)
    if seller is None:
        raise NotFound("There is no verified seller at this address.")
    members = await repository.public_members(session, seller.id) if seller.is_collective else []
    return SellerPage(seller, members, await repository.verified_claims(session, seller.id))


# Listing pages -----------------------------------------------------------------------------------


def encode_cursor(sort: str, listing: Listing | Card) -> str:
    value: Any = listing.published_at if sort == "newest" else listing.price_paise
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([sort, value, listing.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(sort: str, cursor: str) -> tuple[Any, int]:
    """The (sort value, id) in ``cursor``; ValidationFailed when it is not one of ours.

    A cursor comes back from the outside, so every part is checked before it reaches a query:
    the id and the price must fit their columns (a bigger number fails in the driver)."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("cursor too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, value, last_id = json.loads(raw)
        if cursor_sort != sort or not _is_int(last_id, 1, MAX_INT):
            raise ValueError("cursor for another sort order, or an id no row can have")
        if sort == "newest":
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError("naive datetime")
            value = value.astimezone(UTC)  # OverflowError at the ends of the calendar
        elif not _is_int(value, 0, MAX_BIGINT):
            raise ValueError("price is not an amount in paise")
    except (
        ValueError,
        TypeError,
        OverflowError,
        RecursionError,
        binascii.Error,
        UnicodeDecodeError,
    ) as exc:
        raise ValidationFailed(
            "The page cursor is not valid for this sort order; start from the first page."
        ) from exc
    return value, last_id


def _is_int(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


@dataclass(frozen=True)
class ListingPage:
    listings: list[Listing]
    next_cursor: str | None
    gi_verified: set[int]  # ids of listings whose GI badge the seller may show

    def shows_gi(self, listing: Listing) -> bool:
        return listing.id in self.gi_verified


async def listing_page(
    session: AsyncSession, query: ListingQuery, limit: int | None = None
) -> ListingPage:
    """A page of public listings: one query for the rows (+ batched children), one for GI claims."""
    limit = limit or PAGE_SIZE
    rows = await repository.public_listings(session, query, limit + 1)
    listings = rows[:limit]
    next_cursor = encode_cursor(query.sort, listings[-1]) if len(rows) > limit else None
    return ListingPage(listings, next_cursor, await verified_gi_listing_ids(session, listings))


async def card_page(
    session: AsyncSession, cache: TtlCache, query: ListingQuery, limit: int | None = None
) -> CardPage:
    """A page of listing cards for an HTML page: one statement, places from memory."""
    limit = limit or PAGE_SIZE
    rows = await repository.public_cards(session, query, limit + 1)
    ref = await reference(session, cache)
    cards = tuple(Card.of(row, ref) for row in rows[:limit])
    next_cursor = encode_cursor(query.sort, cards[-1]) if len(rows) > limit else None
    return CardPage(cards, next_cursor)


async def verified_gi_listing_ids(session: AsyncSession, listings: list[Listing]) -> set[int]:
    pairs = {(x.seller_id, x.gi_tag_id) for x in listings if x.gi_tag_id is not None}
    verified = await repository.verified_gi_pairs(session, pairs)
    return {x.id for x in listings if (x.seller_id, x.gi_tag_id) in verified}


async def sale_terms(session: AsyncSession, listing: Listing) -> tuple[SaleUnit | None, int]:
    """The listing's unit of sale and the GST rate in effect today (from the rates table)."""
    return await listing_sale_terms.terms_for(session, listing, utcnow().date())


# Prices ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prices:
    """Formats INR paise in the buyer's currency; ``rate`` is None when showing rupees."""

    currency: str
    language: str
    rate: fx.Rate | None

    def minor(self, paise: int) -> int:
        return fx.from_inr(paise, self.rate) if self.rate else paise

    def __call__(self, paise: int) -> str:
        if self.rate is None:  # rupees: Babel's en_IN and hi_IN patterns, without Babel's cost
            return format_inr(paise)
        return fx.format_minor(self.minor(paise), self.code, self.language)

    def to_paise(self, amount: str | None) -> int | None:
        """A price typed in the displayed currency (e.g. a filter bound) as INR paise."""
        if amount is None or not amount.strip():
            return None
        try:
            minor = money.to_minor(amount, fx.minor_units(self.code))
        except money.InvalidAmount:
            return None
        return fx.to_inr(minor, self.rate) if self.rate else minor

    @property
    def code(self) -> str:
        """The currency prices are shown in (rupees when the chosen one has no rate)."""
        return self.currency if self.rate else money.BASE_CURRENCY

    @property
    def rate_date(self) -> date | None:
        return self.rate.effective_date if self.rate else None


async def rates(session: AsyncSession, cache: TtlCache) -> dict[str, fx.Rate]:
    today = utcnow().date()

    async def compute(session: AsyncSession) -> dict[str, fx.Rate]:
        return await fx.current_rates(session, today)

    return await cache.get(f"rates:{today.isoformat()}", compute, session)


async def prices(
    session: AsyncSession, cache: TtlCache, chosen_currency: str, language: str
) -> Prices:
    """Prices in the chosen currency, or in rupees when no rate is known for it yet."""
    if chosen_currency == money.BASE_CURRENCY:
        return Prices(money.BASE_CURRENCY, language, None)
    rate = (await rates(session, cache)).get(chosen_currency)
    return Prices(chosen_currency if rate else money.BASE_CURRENCY, language, rate)
