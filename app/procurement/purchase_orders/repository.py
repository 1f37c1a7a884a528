"""Queries of purchase orders, their lines, deliveries and incidents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.listings.models import Listing
from app.procurement.purchase_orders.models import (
    Delivery,
    Incident,
    POState,
    PurchaseOrder,
    PurchaseOrderLine,
)
from app.sellers.models import Seller


async def by_number(
    session: AsyncSession, number: str, *, lock: bool = False
) -> PurchaseOrder | None:
    query = (
        select(PurchaseOrder)
        .where(PurchaseOrder.number == number)
        .options(selectinload(PurchaseOrder.lines))
    )
    if lock:
        query = query.with_for_update(of=PurchaseOrder)
    return await session.scalar(query)


async def by_id(session: AsyncSession, po_id: int, *, lock: bool = False) -> PurchaseOrder | None:
    query = (
        select(PurchaseOrder)
        .where(PurchaseOrder.id == po_id)
        .options(selectinload(PurchaseOrder.lines))
    )
    if lock:
        query = query.with_for_update(of=PurchaseOrder)
    return await session.scalar(query)


async def numbers(session: AsyncSession, po_ids: Sequence[int]) -> dict[int, str]:
    if not po_ids:
        return {}
    rows = await session.execute(
        select(PurchaseOrder.id, PurchaseOrder.number).where(PurchaseOrder.id.in_(po_ids))
    )
    return {row.id: row.number for row in rows}


async def number_taken(session: AsyncSession, number: str) -> bool:
    return (
        await session.scalar(select(PurchaseOrder.id).where(PurchaseOrder.number == number))
    ) is not None


async def of_organisations(
    session: AsyncSession,
    organisation_ids: Sequence[int],
    *,
    states: Sequence[POState] | None = None,
    limit: int = 100,
) -> list[PurchaseOrder]:
    if not organisation_ids:
        return []
    query = select(PurchaseOrder).where(PurchaseOrder.organisation_id.in_(organisation_ids))
    if states is not None:
        query = query.where(PurchaseOrder.state.in_(states))
    return list(await session.scalars(query.order_by(PurchaseOrder.id.desc()).limit(limit)))


async def of_seller(session: AsyncSession, seller_id: int, limit: int = 100) -> list[PurchaseOrder]:
    return list(
        await session.scalars(
            select(PurchaseOrder)
            .where(PurchaseOrder.seller_id == seller_id)
            .order_by(PurchaseOrder.id.desc())
            .limit(limit)
        )
    )


async def recent(session: AsyncSession, limit: int = 100) -> list[PurchaseOrder]:
    return list(
        await session.scalars(select(PurchaseOrder).order_by(PurchaseOrder.id.desc()).limit(limit))
    )


async def deliveries(session: AsyncSession, po_id: int) -> list[Delivery]:
    return list(
        await session.scalars(
            select(Delivery)
            .where(Delivery.purchase_order_id == po_id)
            .options(selectinload(Delivery.lines))
            .order_by(Delivery.id)
        )
    )


async def incidents_of(session: AsyncSession, po_ids: Sequence[int]) -> list[Incident]:
    if not po_ids:
        return []
    return list(
        await session.scalars(
            select(Incident).where(Incident.purchase_order_id.in_(po_ids)).order_by(Incident.id)
        )
    )


async def open_incidents(session: AsyncSession, limit: int = 200) -> list[Incident]:
    return list(
        await session.scalars(
            select(Incident)
            .where(Incident.resolved_at.is_(None))
            .order_by(Incident.id.desc())
            .limit(limit)
        )
    )


async def incident(session: AsyncSession, po_id: int, kind: str) -> Incident | None:
    return await session.scalar(
        select(Incident).where(Incident.purchase_order_id == po_id, Incident.kind == kind)
    )


async def due_for_check(session: AsyncSession, today: date, limit: int = 1000) -> list[int]:
    """Ids of POs that may have missed a deadline by ``today``."""
    rows = await session.scalars(
        select(PurchaseOrder.id)
        .where(
            (
                PurchaseOrder.state.in_(
                    (POState.ISSUED, POState.ACCEPTED, POState.PARTLY_DELIVERED)
                )
                & (PurchaseOrder.delivery_by < today)
            )
            | ((PurchaseOrder.state == POState.ISSUED) & (PurchaseOrder.accept_by < today))
            | ((PurchaseOrder.state == POState.RECEIVED) & (PurchaseOrder.acceptance_due < today))
            | ((PurchaseOrder.state == POState.INVOICED) & (PurchaseOrder.payment_due < today))
        )
        .order_by(PurchaseOrder.id)
        .limit(limit)
    )
    return list(rows)


async def seller_by_id(session: AsyncSession, seller_id: int) -> Seller | None:
    return await session.get(Seller, seller_id)


async def line_titles(session: AsyncSession, po_ids: Sequence[int]) -> dict[int, list[str]]:
    if not po_ids:
        return {}
    rows = await session.execute(
        select(PurchaseOrderLine.purchase_order_id, PurchaseOrderLine.title)
        .where(PurchaseOrderLine.purchase_order_id.in_(po_ids))
        .order_by(PurchaseOrderLine.id)
    )
    titles: dict[int, list[str]] = {}
    for po_id, title in rows.all():
        titles.setdefault(po_id, []).append(title)
    return titles


# Split purchases: the organisation's direct purchase orders ---------------------------------------


async def odop_products_of(
    session: AsyncSession, listing_ids: Sequence[int]
) -> dict[int, int | None]:
    """The ODOP product of each listing that exists."""
    if not listing_ids:
        return {}
    rows = await session.execute(
        select(Listing.id, Listing.odop_product_id).where(Listing.id.in_(listing_ids))
    )
    return {row.id: row.odop_product_id for row in rows}


async def recent_direct_orders(
    session: AsyncSession,
    *,
    organisation_id: int,
    since: datetime,
    listing_ids: Sequence[int],
    odop_product_ids: Sequence[int],
    exclude_purchase_order_id: int | None,
) -> list[tuple[int, int, int | None]]:
    """(purchase order id, its total, the matching line's listing id) of the organisation's
    direct purchase orders since ``since`` with a line of one of the listings or of a listing of
    one of the ODOP products; cancelled and declined orders left out. One row per order."""
    matches: ColumnElement[bool] = PurchaseOrderLine.listing_id.in_(listing_ids)
    if odop_product_ids:
        matches = matches | PurchaseOrderLine.listing_id.in_(
            select(Listing.id).where(Listing.odop_product_id.in_(odop_product_ids))
        )
    statement = (
        select(PurchaseOrder.id, PurchaseOrder.total_paise, PurchaseOrderLine.listing_id)
        .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
        .where(
            PurchaseOrder.organisation_id == organisation_id,
            PurchaseOrder.mode == "direct",
            PurchaseOrder.created_at >= since,
            PurchaseOrder.state.not_in([POState.CANCELLED, POState.DECLINED]),
            matches,
        )
        .order_by(PurchaseOrder.id)
    )
    if exclude_purchase_order_id is not None:
        statement = statement.where(PurchaseOrder.id != exclude_purchase_order_id)
    seen: dict[int, tuple[int, int, int | None]] = {}
    for order_id, total, listing_id in (await session.execute(statement)).all():
        if order_id not in seen or listing_id in listing_ids:
            seen[order_id] = (order_id, total, listing_id)
    return list(seen.values())
