"""The catalog as JSON under /api/v1: places, ODOP products, GI tags, categories, listings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.catalog import schemas, service
from app.catalog.cache import TtlCache
from app.catalog.cached import DistrictRow, StateRow
from app.catalog.deps import CacheDep
from app.catalog.repository import ListingQuery
from app.db import ReadSessionDep
from app.errors import ValidationFailed, error_responses
from app.listings.models import Listing
from app.reference.models import Category, District, GiTag, State

router = APIRouter(prefix="/api/v1", tags=["catalog"], responses=error_responses(422))


def _place(obj: State | District | StateRow | DistrictRow) -> schemas.PlaceRef:
    return schemas.PlaceRef(slug=obj.slug, name=obj.name, name_hi=obj.name_hi)


def _category(obj: Category | None) -> schemas.CategoryRef | None:
    if obj is None:
        return None
    return schemas.CategoryRef(slug=obj.slug, name=obj.name, name_hi=obj.name_hi)


def _gi(obj: GiTag | None) -> schemas.GiRef | None:
    if obj is None:
        return None
    return schemas.GiRef(
        slug=obj.slug, name=obj.name, name_hi=obj.name_hi, goods_class=obj.goods_class
    )


def _listing_fields(listing: Listing, gi_verified: bool) -> dict[str, object]:
    return {
        "slug": listing.slug,
        "url": f"/products/{listing.slug}",
        "title": listing.title,
        "title_hi": listing.title_hi,
        "price": schemas.Money(amount_paise=listing.price_paise),
        "moq": listing.moq,
        "in_stock": listing.in_stock,
        "made_to_order": listing.made_to_order,
        "lead_time_days": listing.lead_time_days,
        "export_ready": listing.export_ready,
        "hs_code": listing.hs_code,
        "state": _place(listing.state),
        "district": _place(listing.district),
        "gi": _gi(listing.gi_tag) if gi_verified else None,
        "thumbnail_url": f"/media/{listing.images[0].thumb_key}" if listing.images else None,
        "published_at": listing.published_at,
    }


async def _state_param(
    session: ReadSessionDep, cache: TtlCache, slug: str | None
) -> StateRow | None:
    if slug is None:
        return None
    state = await service.find_state(session, cache, slug)
    if state is None:
        raise ValidationFailed(f"Unknown state “{slug}”; see /api/v1/states.")
    return state


async def _district_param(
    session: ReadSessionDep, cache: TtlCache, state: StateRow | None, slug: str | None
) -> DistrictRow | None:
    if slug is None:
        return None
    if state is None:
        raise ValidationFailed("`district` needs `state`: district names repeat across states.")
    district = await service.find_district(session, cache, state, slug)
    if district is None:
        raise ValidationFailed(
            f"Unknown district “{slug}” in {state.name}; see /api/v1/states/{state.slug}/districts."
        )
    return district


@router.get("/states", response_model=list[schemas.StateOut], summary="States and UTs")
async def list_states(
    session: ReadSessionDep, cache: CacheDep, _: Annotated[schemas.NoQuery, Query()]
) -> list[schemas.StateOut]:
    totals = await service.counts(session, cache)
    return [
        schemas.StateOut(
            slug=s.slug,
            name=s.name,
            name_hi=s.name_hi,
            is_union_territory=s.is_union_territory,
            district_count=totals.districts_by_state.get(s.id, 0),
            listing_count=totals.by_state.get(s.id, 0),
        )
        for s in await service.all_states(session)
    ]


@router.get(
    "/states/{state}/districts",
    response_model=list[schemas.DistrictOut],
    summary="Districts of a State/UT",
    responses=error_responses(404),
)
async def list_districts(
    session: ReadSessionDep, cache: CacheDep, state: str, _: Annotated[schemas.NoQuery, Query()]
) -> list[schemas.DistrictOut]:
    found = await service.get_state(session, cache, state)
    return [
        schemas.DistrictOut(
            slug=d.slug,
            name=d.name,
            name_hi=d.name_hi,
            lgd_code=d.lgd_code,
            state=_place(found),
            odop_products=[p.name for p in d.odop_products],
            listing_count=n,
        )
        for d, n in await service.districts_of_state(session, cache, found)
    ]


@router.get("/odop-products", response_model=list[schemas.OdopProductOut], summary="ODOP products")
async def list_odop_products(
    session: ReadSessionDep, cache: CacheDep, query: Annotated[schemas.OdopProductQuery, Query()]
) -> list[schemas.OdopProductOut]:
    state = await _state_param(session, cache, query.state)
    district = await _district_param(session, cache, state, query.district)
    products = await service.odop_products(
        session,
        state_id=state.id if state else None,
        district_id=district.id if district else None,
    )
    return [
        schemas.OdopProductOut(
            name=p.name,
            name_hi=p.name_hi,
            source=p.source.value,
            story=p.story,
            state=_place(p.district.state),
            district=_place(p.district),
            gi=_gi(p.gi_tag),
            category=_category(p.category),
        )
        for p in products
    ]


@router.get("/gi-tags", response_model=schemas.GiPage, summary="Registered GI tags")
async def list_gi_tags(
    session: ReadSessionDep, cache: CacheDep, query: Annotated[schemas.GiQuery, Query()]
) -> schemas.GiPage:
    state = await _state_param(session, cache, query.state)
    tags, pages = await service.gi_directory(
        session,
        cache,
        state=state,
        goods_class=query.goods_class,
        page=query.page,
        with_listings_only=False,
        by_listings=False,
    )
    categories = {c.id: c.slug for c in await service.all_categories(session)}
    return schemas.GiPage(
        items=[
            schemas.GiTagOut(
                slug=g.slug,
                name=g.name,
                name_hi=g.name_hi,
                goods_class=g.goods_class,
                goods_class_as_listed=g.goods_class_as_listed,
                states=[_place(s) for s in g.states],
                category=categories.get(g.category_id) if g.category_id else None,
                listing_count=n,
            )
            for g, n in tags
        ],
        page=query.page,
        pages=pages,
    )


@router.get("/categories", response_model=list[schemas.CategoryOut], summary="Categories")
async def list_categories(
    session: ReadSessionDep, cache: CacheDep, _: Annotated[schemas.NoQuery, Query()]
) -> list[schemas.CategoryOut]:
    totals = await service.counts(session, cache)
    return [
        schemas.CategoryOut(
            slug=c.slug,
            name=c.name,
            name_hi=c.name_hi,
            description=c.description,
            listing_count=totals.by_category.get(c.id, 0),
        )
        for c in await service.all_categories(session)
    ]


@router.get("/listings", response_model=schemas.ListingPageOut, summary="Public listings")
async def list_listings(
    session: ReadSessionDep, cache: CacheDep, query: Annotated[schemas.ListingsQuery, Query()]
) -> schemas.ListingPageOut:
    state = await _state_param(session, cache, query.state)
    district = await _district_param(session, cache, state, query.district)
    gi = await service.find_gi(session, cache, query.gi) if query.gi else None
    if query.gi and gi is None:
        raise ValidationFailed(f"Unknown GI “{query.gi}”; see /api/v1/gi-tags.")
    category = await service.find_category(session, query.category) if query.category else None
    if query.category and category is None:
        raise ValidationFailed(f"Unknown category “{query.category}”; see /api/v1/categories.")
    if (
        query.min_price is not None
        and query.max_price is not None
        and query.min_price > query.max_price
    ):
        raise ValidationFailed("`min_price` is greater than `max_price`.")
    page = await service.listing_page(
        session,
        ListingQuery(
            state_id=state.id if state else None,
            district_id=district.id if district else None,
            gi_tag_id=gi.id if gi else None,
            category_id=category.id if category else None,
            min_price_paise=query.min_price,
            max_price_paise=query.max_price,
            export_ready=query.export_ready,
            sort=query.sort,
            after=service.decode_cursor(query.sort, query.cursor) if query.cursor else None,
        ),
        limit=query.limit,
    )
    return schemas.ListingPageOut(
        items=[
            schemas.ListingOut.model_validate(_listing_fields(x, page.shows_gi(x)))
            for x in page.listings
        ],
        next_cursor=page.next_cursor,
    )


@router.get(
    "/listings/{slug}",
    response_model=schemas.ListingDetailOut,
    summary="One public listing",
    responses=error_responses(404),
)
async def get_listing(
    session: ReadSessionDep, slug: str, _: Annotated[schemas.NoQuery, Query()]
) -> schemas.ListingDetailOut:
    listing = await service.get_listing(session, slug)
    gi_verified = bool(await service.verified_gi_listing_ids(session, [listing]))
    seller = listing.seller
    return schemas.ListingDetailOut.model_validate(
        {
            **_listing_fields(listing, gi_verified),
            "description": listing.description,
            "description_hi": listing.description_hi,
            "category": _category(listing.category),
            "odop_product": listing.odop_product.name if listing.odop_product else None,
            "price_tiers": [
                schemas.PriceTierOut(
                    min_quantity=t.min_quantity, price=schemas.Money(amount_paise=t.price_paise)
                )
                for t in listing.price_tiers
            ],
            "images": [
                schemas.ImageOut(
                    url=f"/media/{i.storage_key}",
                    thumbnail_url=f"/media/{i.thumb_key}",
                    width=i.width,
                    height=i.height,
                    alt=i.alt or listing.title,
                )
                for i in listing.images
            ],
            "seller": schemas.SellerOut(
                slug=seller.slug,
                name=seller.display_name,
                seller_type=seller.seller_type.value,
                verified=seller.is_verified,
                state=_place(seller.state),
                district=_place(seller.district),
            ),
            "ships_to": listing.ships_to,
            "weight_grams": listing.weight_grams,
            "hsn_code": listing.hsn_code,
        }
    )
