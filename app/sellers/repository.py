"""All seller queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.sellers.models import Seller, SellerGiClaim


async def demo_sellers(session: AsyncSession) -> list[Seller]:
    return list((await session.scalars(select(Seller).where(Seller.is_demo))).all())


async def gi_claim_keys(session: AsyncSession) -> set[tuple[int, int]]:
    rows = await session.execute(select(SellerGiClaim.seller_id, SellerGiClaim.gi_tag_id))
    return {(seller_id, gi_tag_id) for seller_id, gi_tag_id in rows.all()}
