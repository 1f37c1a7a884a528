"""Job handlers of search: index writes that must outlast backend outages (Meilisearch)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.search import service
from app.config import Settings
from app.jobs import job_handler


@job_handler(service.SYNC_JOB)
async def sync_listings(session: AsyncSession, payload: dict[str, Any], settings: Settings) -> None:
    await service.sync_listings(session, [int(i) for i in payload["listing_ids"]], settings)


@job_handler(service.SETTINGS_JOB)
async def apply_settings(
    session: AsyncSession, payload: dict[str, Any], settings: Settings
) -> None:
    await service.apply_settings(session, settings)
