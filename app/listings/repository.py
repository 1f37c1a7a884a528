"""Queries for sellers' own listings. Every lookup of a listing filters by its seller."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.listings.models import Listing, ListingStatus
from app.reference.models import Category, OdopProduct
from app.sellers.models import ClaimStatus, Seller, SellerGiClaim, SellerMember, SellerStatus

_LOAD = (selectinload(Listing.images), selectinload(Listing.price_tiers))


def is_public() -> ColumnElement[bool]:
    """The one public-visibility rule: published, by a verified (and so not suspended) seller.

    Storefront pages, the public API, the sitemap and the search index all filter with it.
    """
    # EXISTS rather than IN (subquery): SQLite then walks the listing index in the page's order
    # and stops at the page size, instead of collecting every verified seller's listings to sort.
    # correlate_except: the seller row is the subquery's own even when the caller joins sellers.
    return (Listing.status == ListingStatus.PUBLISHED) & exists().where(
        Seller.id == Listing.seller_id, Seller.status == SellerStatus.VERIFIED
    ).correlate_except(Seller)


def has_verified_gi() -> ColumnElement[bool]:
    """The listing's GI is one its seller is verified as an authorised user of."""
    return (
        exists()
        .where(
            SellerGiClaim.seller_id == Listing.seller_id,
            SellerGiClaim.gi_tag_id == Listing.gi_tag_id,
            SellerGiClaim.status == ClaimStatus.VERIFIED,
        )
        .correlate_except(SellerGiClaim)
    )


async def listing_ids_of_seller(session: AsyncSession, seller_id: int) -> list[int]:
    return list(await session.scalars(select(Listing.id).where(Listing.seller_id == seller_id)))


async def owned_listing(session: AsyncSession, seller_id: int, listing_id: int) -> Listing | None:
    return await session.scalar(
        select(Listing)
        .where(Listing.id == listing_id, Listing.seller_id == seller_id)
        .options(*_LOAD)
        .execution_options(populate_existing=True)
    )


async def listings_of(session: AsyncSession, seller_id: int) -> list[Listing]:
    rows = await session.scalars(
        select(Listing)
        .where(Listing.seller_id == seller_id)
        .options(*_LOAD)
        .order_by(Listing.updated_at.desc(), Listing.id.desc())
    )
    return list(rows.all())


async def listings_by_sku(
    session: AsyncSession, seller_id: int, skus: Iterable[str]
) -> list[Listing]:
    rows = await session.scalars(
        select(Listing)
        .where(Listing.seller_id == seller_id, Listing.sku.in_(list(skus)))
        .options(*_LOAD)
    )
    return list(rows.all())


async def sku_taken(
    session: AsyncSession, seller_id: int, sku: str, *, exclude_id: int | None
) -> bool:
    statement = select(Listing.id).where(Listing.seller_id == seller_id, Listing.sku == sku)
    if exclude_id is not None:
        statement = statement.where(Listing.id != exclude_id)
    return (await session.scalar(statement.limit(1))) is not None


async def listing_slug_taken(session: AsyncSession, slug: str) -> bool:
    return (await session.scalar(select(Listing.id).where(Listing.slug == slug))) is not None


async def category_exists(session: AsyncSession, category_id: int) -> bool:
    return await session.get(Category, category_id) is not None


async def categories(session: AsyncSession) -> list[Category]:
    rows = await session.scalars(select(Category).order_by(Category.position, Category.name))
    return list(rows.all())


async def odop_products_of_district(session: AsyncSession, district_id: int) -> list[OdopProduct]:
    rows = await session.scalars(
        select(OdopProduct).where(OdopProduct.district_id == district_id).order_by(OdopProduct.name)
    )
    return list(rows.all())


async def odop_product_in_district(
    session: AsyncSession, product_id: int, district_id: int
) -> bool:
    found = await session.scalar(
        select(OdopProduct.id).where(
            OdopProduct.id == product_id, OdopProduct.district_id == district_id
        )
    )
    return found is not None


async def has_verified_claim(session: AsyncSession, seller_id: int, gi_tag_id: int) -> bool:
    found = await session.scalar(
        select(SellerGiClaim.id).where(
            SellerGiClaim.seller_id == seller_id,
            SellerGiClaim.gi_tag_id == gi_tag_id,
            SellerGiClaim.status == ClaimStatus.VERIFIED,
        )
    )
    return found is not None


async def member_of(session: AsyncSession, member_id: int, seller_id: int) -> bool:
    found = await session.scalar(
        select(SellerMember.id).where(
            SellerMember.id == member_id, SellerMember.seller_id == seller_id
        )
    )
    return found is not None


async def low_stock(session: AsyncSession, seller_id: int, threshold: int = 5) -> list[Listing]:
    rows = await session.scalars(
        select(Listing)
        .where(
            Listing.seller_id == seller_id,
            Listing.status == ListingStatus.PUBLISHED,
            Listing.made_to_order.is_(False),
            Listing.stock < Listing.moq + threshold,
        )
        .order_by(Listing.stock)
        .limit(20)
    )
    return list(rows.all())


async def status_counts(session: AsyncSession, seller_id: int) -> dict[ListingStatus, int]:
    rows = await session.execute(
        select(Listing.status, func.count())
        .where(Listing.seller_id == seller_id)
        .group_by(Listing.status)
    )
    return {status: int(n) for status, n in rows.all()}


async def move_listings(
    session: AsyncSession, seller_id: int, state_id: int, district_id: int
) -> list[int]:
    """Follow a seller's move to another district; ODOP products belong to the old one."""
    rows = await session.scalars(
        update(Listing)
        .where(Listing.seller_id == seller_id, Listing.district_id != district_id)
        .values(state_id=state_id, district_id=district_id, odop_product_id=None)
        .returning(Listing.id)
    )
    return list(rows.all())
