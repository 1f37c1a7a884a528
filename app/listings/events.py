"""Listing change notifications, delivered through the durable job outbox.

Whatever changes a listing (create, edit, reprice, restock, publish, unpublish, delete) calls
``listing_changed`` in the same transaction as the change (a seller's standing has its own
event, ``app.sellers.events.seller_changed``). After commit a job delivers the id to every
subscriber (for example the search index). Subscribers read the current state from the database, so
delivering the same id twice, or out of order, is harmless.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.jobs import enqueue

Subscriber = Callable[[AsyncSession, int, Settings], Awaitable[None]]
LISTING_CHANGED = "catalog.listing_changed"
_listing_subscribers: list[Subscriber] = []


def on_listing_changed(subscriber: Subscriber) -> Subscriber:
    if subscriber not in _listing_subscribers:
        _listing_subscribers.append(subscriber)
    return subscriber


def listing_changed(session: AsyncSession, listing_id: int) -> None:
    enqueue(session, LISTING_CHANGED, {"listing_id": listing_id})


async def deliver_listing_change(
    session: AsyncSession, listing_id: int, settings: Settings
) -> None:
    for subscriber in _listing_subscribers:
        await subscriber(session, listing_id, settings)
