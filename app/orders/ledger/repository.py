"""All queries of the seller ledger and payout batches."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.db import utcnow
from app.orders.ledger.models import EntryKind, LedgerEntry, PayoutBatch, PayoutItem
from app.sellers.models import Seller


async def add_entries_once(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Insert entries whose effect is not recorded yet; returns how many were new."""
    if not rows:
        return 0
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    now = utcnow()
    written = 0
    for row in rows:
        result = await session.execute(
            insert(LedgerEntry)
            .values(created_at=now, note="", **row)
            .on_conflict_do_nothing(index_elements=["effect_key"])
        )
        written += result.rowcount  # type: ignore[attr-defined]
    return written


async def entries_of_refund(session: AsyncSession, refund_id: int) -> list[LedgerEntry]:
    rows = await session.scalars(
        select(LedgerEntry).where(LedgerEntry.refund_id == refund_id).order_by(LedgerEntry.id)
    )
    return list(rows)


async def part_sums(session: AsyncSession, order_part_id: int) -> dict[EntryKind, int]:
    rows = await session.execute(
        select(LedgerEntry.kind, func.sum(LedgerEntry.amount_inr_paise))
        .where(LedgerEntry.order_part_id == order_part_id)
        .group_by(LedgerEntry.kind)
    )
    return {kind: int(total) for kind, total in rows.all()}


async def entries_of_seller(
    session: AsyncSession, seller_id: int, limit: int = 500
) -> list[LedgerEntry]:
    rows = await session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.seller_id == seller_id)
        .order_by(LedgerEntry.id.desc())
        .limit(limit)
    )
    return list(rows)


async def balance_of(session: AsyncSession, seller_id: int) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_inr_paise), 0)).where(
            LedgerEntry.seller_id == seller_id
        )
    )
    return int(total or 0)


async def balances(session: AsyncSession) -> list[tuple[Seller, int, int]]:
    """(seller, balance, id of the seller's newest entry) for every seller with entries."""
    totals = (
        select(
            LedgerEntry.seller_id,
            func.sum(LedgerEntry.amount_inr_paise).label("balance"),
            func.max(LedgerEntry.id).label("last_id"),
        )
        .group_by(LedgerEntry.seller_id)
        .subquery()
    )
    rows = await session.execute(
        select(Seller, totals.c.balance, totals.c.last_id)
        .join(totals, totals.c.seller_id == Seller.id)
        .order_by(Seller.display_name, Seller.id)
    )
    return [(seller, int(balance), int(last_id)) for seller, balance, last_id in rows.all()]


async def batches(session: AsyncSession, limit: int = 100) -> list[PayoutBatch]:
    rows = await session.scalars(select(PayoutBatch).order_by(PayoutBatch.id.desc()).limit(limit))
    return list(rows)


async def batch(session: AsyncSession, batch_id: int, *, lock: bool = False) -> PayoutBatch | None:
    statement = (
        select(PayoutBatch)
        .where(PayoutBatch.id == batch_id)
        .options(selectinload(PayoutBatch.items))
        .execution_options(populate_existing=True)
    )
    if lock:
        statement = statement.with_for_update()
    found: PayoutBatch | None = await session.scalar(statement)
    return found


def add(session: AsyncSession, obj: object) -> None:
    session.add(obj)


async def flush(session: AsyncSession) -> None:
    await session.flush()


async def payout_items(session: AsyncSession, batch_id: int) -> list[PayoutItem]:
    rows = await session.scalars(
        select(PayoutItem).where(PayoutItem.batch_id == batch_id).order_by(PayoutItem.id)
    )
    return list(rows)


async def seller_by_id(session: AsyncSession, seller_id: int) -> Seller | None:
    return await session.get(Seller, seller_id)
