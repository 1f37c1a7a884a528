from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.jobs import JobRunner
from app.listings import events
from app.sellers import events as seller_events

SEEN: list[tuple[str, int]] = []


async def _listing_subscriber(session: AsyncSession, listing_id: int, settings: Settings) -> None:
    SEEN.append(("listing", listing_id))


async def _seller_subscriber(session: AsyncSession, seller_id: int, settings: Settings) -> None:
    SEEN.append(("seller", seller_id))


@pytest.fixture(autouse=True)
def _subscribed() -> Iterator[None]:
    SEEN.clear()
    events.on_listing_changed(_listing_subscriber)
    seller_events.on_seller_changed(_seller_subscriber)
    yield
    events._listing_subscribers.remove(_listing_subscriber)
    seller_events._subscribers.remove(_seller_subscriber)


async def test_changes_reach_subscribers_only_after_commit(
    db: AsyncSession, jobs: JobRunner
) -> None:
    events.listing_changed(db, 41)
    seller_events.seller_changed(db, 7)
    assert await jobs.run_until_idle() == 0  # nothing committed yet
    await db.commit()
    assert await jobs.run_until_idle() == 2
    assert sorted(SEEN) == [("listing", 41), ("seller", 7)]


async def test_a_rolled_back_change_notifies_nobody(db: AsyncSession, jobs: JobRunner) -> None:
    events.listing_changed(db, 42)
    await db.rollback()
    assert await jobs.run_until_idle() == 0
    assert SEEN == []
