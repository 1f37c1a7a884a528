"""Queries of the procurement audit trail (inserts only: the table is append-only)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.procurement.audit.models import AuditRecord


async def trail_of_purchase_order(
    session: AsyncSession, purchase_order_id: int
) -> list[AuditRecord]:
    return list(
        await session.scalars(
            select(AuditRecord)
            .where(AuditRecord.purchase_order_id == purchase_order_id)
            .order_by(AuditRecord.id)
        )
    )


async def recent_of_organisation(
    session: AsyncSession, organisation_id: int, limit: int = 50
) -> list[AuditRecord]:
    return list(
        await session.scalars(
            select(AuditRecord)
            .where(AuditRecord.organisation_id == organisation_id)
            .order_by(AuditRecord.id.desc())
            .limit(limit)
        )
    )
