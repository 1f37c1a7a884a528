"""Job handlers of the listings domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.jobs import job_handler
from app.listings import events


@job_handler(events.LISTING_CHANGED)
async def deliver_listing_change(
    session: AsyncSession, payload: dict[str, Any], settings: Settings
) -> None:
    await events.deliver_listing_change(session, int(payload["listing_id"]), settings)
