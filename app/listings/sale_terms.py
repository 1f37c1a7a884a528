"""Sale terms of a listing: its unit of sale and the GST rate in effect (rates are rows of
gst_rates with effective dates, matched by HSN prefix, then category)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.listings.models import Listing
from app.listings.sale_models import GstRate, SaleUnit, SellerShipping


class RateRow(Protocol):
    """What the rule reads of a rate: a GstRate row, or the catalog's cached copy of one."""

    @property
    def hsn_prefix(self) -> str | None: ...
    @property
    def category_id(self) -> int | None: ...
    @property
    def rate_bp(self) -> int: ...


class Taxed(Protocol):
    @property
    def hsn_code(self) -> str | None: ...
    @property
    def category_id(self) -> int | None: ...
    @property
    def gst_rate_bp(self) -> int: ...


def gst_rate_bp(rates: Sequence[RateRow], listing: Taxed) -> int:
    """The rate in effect: longest matching HSN prefix, else the category's, else the seller's."""
    hsn = listing.hsn_code or ""
    best: RateRow | None = None
    for rate in rates:
        if (
            rate.hsn_prefix
            and hsn.startswith(rate.hsn_prefix)
            and (best is None or len(rate.hsn_prefix) > len(best.hsn_prefix or ""))
        ):
            best = rate
    if best is None and listing.category_id is not None:
        best = next(
            (r for r in rates if r.hsn_prefix is None and r.category_id == listing.category_id),
            None,
        )
    return best.rate_bp if best is not None else listing.gst_rate_bp


async def sale_unit(session: AsyncSession, code: str) -> SaleUnit | None:
    return await session.get(SaleUnit, code)


async def units(session: AsyncSession) -> list[SaleUnit]:
    return list(await session.scalars(select(SaleUnit).order_by(SaleUnit.position)))


async def gst_rates_on(session: AsyncSession, day: date) -> list[GstRate]:
    """Rows in effect on ``day`` (a small table: loaded whole, matched in Python)."""
    return list(
        await session.scalars(
            select(GstRate).where(
                GstRate.effective_from <= day,
                (GstRate.effective_to.is_(None)) | (GstRate.effective_to > day),
            )
        )
    )


async def terms_for(
    session: AsyncSession, listing: Listing, day: date
) -> tuple[SaleUnit | None, int]:
    """The listing's unit of sale and the GST rate in effect on ``day``."""
    return await sale_unit(session, listing.unit_code), gst_rate_bp(
        await gst_rates_on(session, day), listing
    )


async def sellers_with_shipping(session: AsyncSession, seller_ids: list[int]) -> set[int]:
    rows = await session.scalars(
        select(SellerShipping.seller_id).where(SellerShipping.seller_id.in_(seller_ids))
    )
    return set(rows)
