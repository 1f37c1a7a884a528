"""Every query of the buying modes: eligible listings, requirements, comparisons, bids, and the
split events for admins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from app.listings.models import Listing
from app.listings.repository import has_verified_gi, is_public
from app.procurement.audit.models import AuditRecord
from app.procurement.buying.models import (
    Bid,
    BuyingMethod,
    Comparison,
    Requirement,
    RequirementStatus,
)
from app.procurement.organisations.models import DeliveryAddress, Membership, Organisation, Role
from app.procurement.purchase_orders.models import (
    SplitEvent,
)
from app.reference.models import Category, District, GiTag, OdopProduct, State
from app.sellers.models import Seller, SellerStatus


def _eligible(requirement: Requirement) -> Select[Listing]:
    """Public listings of verified sellers that match every criterion the requirement sets.

    A GI requirement takes only listings whose seller is a verified authorised user of the GI."""
    statement = select(Listing).where(is_public())
    if requirement.odop_product_id is not None:
        statement = statement.where(Listing.odop_product_id == requirement.odop_product_id)
    if requirement.gi_tag_id is not None:
        statement = statement.where(Listing.gi_tag_id == requirement.gi_tag_id, has_verified_gi())
    if requirement.category_id is not None:
        statement = statement.where(Listing.category_id == requirement.category_id)
    if requirement.seller_district_id is not None:
        statement = statement.where(Listing.district_id == requirement.seller_district_id)
    return statement


async def eligible_listings(session: AsyncSession, requirement: Requirement) -> list[Listing]:
    """Eligible listings that can supply the whole quantity now (MOQ reached, stock or made to
    order), with what pricing needs."""
    statement = (
        _eligible(requirement)
        .where(Listing.moq <= requirement.quantity)
        .where((Listing.stock >= requirement.quantity) | Listing.made_to_order)
        .options(selectinload(Listing.price_tiers), joinedload(Listing.seller))
        .order_by(Listing.id)
    )
    return list((await session.scalars(statement)).unique())


async def eligible_listing_of_seller(
    session: AsyncSession, requirement: Requirement, seller_id: int, listing_id: int
) -> Listing | None:
    statement = (
        _eligible(requirement)
        .where(Listing.seller_id == seller_id, Listing.id == listing_id)
        .options(selectinload(Listing.price_tiers), joinedload(Listing.seller))
    )
    return (await session.scalars(statement)).unique().one_or_none()


async def eligible_listings_of_seller(
    session: AsyncSession, requirement: Requirement, seller_id: int
) -> list[Listing]:
    statement = _eligible(requirement).where(Listing.seller_id == seller_id).order_by(Listing.title)
    return list(await session.scalars(statement))


async def eligible_seller_ids(session: AsyncSession, requirement: Requirement) -> list[int]:
    statement = _eligible(requirement).with_only_columns(Listing.seller_id).distinct()
    return sorted(await session.scalars(statement))


async def sellers_with_owners(session: AsyncSession, seller_ids: Sequence[int]) -> list[Seller]:
    if not seller_ids:
        return []
    return list(
        await session.scalars(
            select(Seller).where(
                Seller.id.in_(seller_ids),
                Seller.status == SellerStatus.VERIFIED,
                Seller.owner_user_id.is_not(None),
            )
        )
    )


async def listings_by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, Listing]:
    if not ids:
        return {}
    rows = await session.scalars(
        select(Listing)
        .where(Listing.id.in_(ids))
        .options(selectinload(Listing.price_tiers), joinedload(Listing.seller))
    )
    return {row.id: row for row in rows.unique()}


# Organisations (the core's tables, read here for the buying forms) ------------------------------


async def organisation(session: AsyncSession, organisation_id: int) -> Organisation | None:
    return await session.get(Organisation, organisation_id)


async def is_buyer(session: AsyncSession, user_id: int, organisation_id: int) -> bool:
    found = await session.scalar(
        select(Membership.id).where(
            Membership.user_id == user_id,
            Membership.organisation_id == organisation_id,
            Membership.role == Role.BUYER,
        )
    )
    return found is not None


async def buyer_organisations(session: AsyncSession, user_id: int) -> list[tuple[int, str]]:
    """(id, name) of the organisations where the user is a buyer."""
    rows = await session.execute(
        select(Organisation.id, Organisation.name)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user_id, Membership.role == Role.BUYER)
        .order_by(Organisation.name, Organisation.id)
    )
    return [(row.id, row.name) for row in rows]


async def addresses_for_buyer(session: AsyncSession, user_id: int) -> list[tuple[int, str]]:
    """(id, label) of the delivery addresses of the organisations where the user is a buyer."""
    rows = await session.execute(
        select(DeliveryAddress, Organisation.name)
        .join(Organisation, Organisation.id == DeliveryAddress.organisation_id)
        .join(Membership, Membership.organisation_id == DeliveryAddress.organisation_id)
        .where(Membership.user_id == user_id, Membership.role == Role.BUYER)
        .order_by(Organisation.name, DeliveryAddress.id)
    )
    return [
        (address.id, f"{name}: {address.label or address.line1}, {address.city} {address.pin}")
        for address, name in rows
    ]


async def delivery_address(
    session: AsyncSession, organisation_id: int, address_id: int
) -> DeliveryAddress | None:
    return await session.scalar(
        select(DeliveryAddress).where(
            DeliveryAddress.id == address_id, DeliveryAddress.organisation_id == organisation_id
        )
    )


async def address(session: AsyncSession, address_id: int) -> DeliveryAddress | None:
    return await session.get(DeliveryAddress, address_id)


# Requirements -------------------------------------------------------------------------------------


async def requirement(
    session: AsyncSession, requirement_id: int, *, for_update: bool = False
) -> Requirement | None:
    statement = select(Requirement).where(Requirement.id == requirement_id)
    if for_update:
        statement = statement.with_for_update()
    return await session.scalar(statement.execution_options(populate_existing=True))


async def requirements_of(
    session: AsyncSession, organisation_ids: Sequence[int], limit: int = 200
) -> list[Requirement]:
    if not organisation_ids:
        return []
    return list(
        await session.scalars(
            select(Requirement)
            .where(Requirement.organisation_id.in_(organisation_ids))
            .order_by(Requirement.id.desc())
            .limit(limit)
        )
    )


async def open_bids(session: AsyncSession, now: datetime, limit: int = 500) -> list[Requirement]:
    return list(
        await session.scalars(
            select(Requirement)
            .where(
                Requirement.method == BuyingMethod.BID,
                Requirement.status == RequirementStatus.OPEN,
                Requirement.closes_at > now,
            )
            .order_by(Requirement.closes_at, Requirement.id)
            .limit(limit)
        )
    )


async def odop_products(session: AsyncSession) -> list[tuple[int, str]]:
    rows = await session.execute(
        select(OdopProduct.id, OdopProduct.name, District.name)
        .join(District, District.id == OdopProduct.district_id)
        .order_by(OdopProduct.name, District.name)
    )
    return [(pid, f"{name} ({district})") for pid, name, district in rows]


async def gi_tags(session: AsyncSession) -> list[tuple[int, str]]:
    rows = await session.execute(select(GiTag.id, GiTag.name).order_by(GiTag.name))
    return [(gid, name) for gid, name in rows]


async def district(session: AsyncSession, district_id: int) -> District | None:
    return await session.get(District, district_id)


async def districts(session: AsyncSession) -> list[tuple[int, str]]:
    rows = await session.execute(
        select(District.id, District.name, State.name)
        .join(State, State.id == District.state_id)
        .order_by(District.name, State.name)
    )
    return [(did, f"{name} ({state})") for did, name, state in rows]


async def odop_product(session: AsyncSession, product_id: int) -> OdopProduct | None:
    return await session.get(OdopProduct, product_id)


async def gi_tag(session: AsyncSession, gi_tag_id: int) -> GiTag | None:
    return await session.get(GiTag, gi_tag_id)


async def categories(session: AsyncSession) -> list[tuple[int, str]]:
    rows = await session.execute(
        select(Category.id, Category.name).order_by(Category.position, Category.name)
    )
    return [(cid, name) for cid, name in rows]


async def category(session: AsyncSession, category_id: int) -> Category | None:
    return await session.get(Category, category_id)


# Comparisons --------------------------------------------------------------------------------------


async def comparison(
    session: AsyncSession, requirement_id: int, comparison_id: int
) -> Comparison | None:
    return await session.scalar(
        select(Comparison).where(
            Comparison.id == comparison_id, Comparison.requirement_id == requirement_id
        )
    )


async def ordered_comparison(session: AsyncSession, requirement_id: int) -> Comparison | None:
    return await session.scalar(
        select(Comparison).where(
            Comparison.requirement_id == requirement_id,
            Comparison.purchase_order_id.is_not(None),
        )
    )


# Bids ---------------------------------------------------------------------------------------------


async def bids_of(session: AsyncSession, requirement_id: int) -> list[Bid]:
    return list(
        await session.scalars(
            select(Bid).where(Bid.requirement_id == requirement_id).order_by(Bid.id)
        )
    )


async def bid_count(session: AsyncSession, requirement_id: int) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Bid).where(Bid.requirement_id == requirement_id)
    )
    return count or 0


async def bid_of_seller(session: AsyncSession, requirement_id: int, seller_id: int) -> Bid | None:
    return await session.scalar(
        select(Bid)
        .where(Bid.requirement_id == requirement_id, Bid.seller_id == seller_id)
        .execution_options(populate_existing=True)
    )


async def bids_of_seller(session: AsyncSession, seller_id: int) -> dict[int, Bid]:
    rows = await session.scalars(select(Bid).where(Bid.seller_id == seller_id))
    return {row.requirement_id: row for row in rows}


async def requirements_by_id(session: AsyncSession, ids: Sequence[int]) -> list[Requirement]:
    if not ids:
        return []
    return list(
        await session.scalars(
            select(Requirement).where(Requirement.id.in_(ids)).order_by(Requirement.id.desc())
        )
    )


async def requirement_history(
    session: AsyncSession, organisation_id: int, requirement_id: int
) -> list[AuditRecord]:
    """The audit records of a requirement and its bids, oldest first."""
    bid_ids = select(Bid.id).where(Bid.requirement_id == requirement_id)
    return list(
        await session.scalars(
            select(AuditRecord)
            .where(
                AuditRecord.organisation_id == organisation_id,
                (
                    (AuditRecord.subject == "requirement")
                    & (AuditRecord.subject_id == requirement_id)
                )
                | ((AuditRecord.subject == "bid") & AuditRecord.subject_id.in_(bid_ids)),
            )
            .order_by(AuditRecord.id)
        )
    )


# Split events -------------------------------------------------------------------------------------


async def split_events(session: AsyncSession, limit: int = 200) -> list[SplitEvent]:
    return list(
        await session.scalars(select(SplitEvent).order_by(SplitEvent.id.desc()).limit(limit))
    )
