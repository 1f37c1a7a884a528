"""Seller change notifications.

``seller_changed`` goes through the durable job outbox like the listing events: after commit a
job hands the seller id to every subscriber (the search index). The job kind keeps its
historical name, so jobs already queued are still delivered.

Sellers sit below listings in the layers, so the seller service cannot write listings. What
must happen to a seller's listings in the same transaction as a seller change (they follow a
move to another district, they are re-announced when the seller is suspended or reinstated)
is done by hooks that the listings domain registers here (``app/listings/service.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.jobs import enqueue
from app.sellers.models import Seller

T = TypeVar("T")
Subscriber = Callable[[AsyncSession, int, Settings], Awaitable[None]]
Hook = Callable[[AsyncSession, Seller], Awaitable[None]]
SELLER_CHANGED = "catalog.seller_changed"
_subscribers: list[Subscriber] = []
_moved_hooks: list[Hook] = []
_standing_hooks: list[Hook] = []


def on_seller_changed(subscriber: Subscriber) -> Subscriber:
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)
    return subscriber


def seller_changed(session: AsyncSession, seller_id: int) -> None:
    enqueue(session, SELLER_CHANGED, {"seller_id": seller_id})


async def deliver_seller_change(session: AsyncSession, seller_id: int, settings: Settings) -> None:
    for subscriber in _subscribers:
        await subscriber(session, seller_id, settings)


def on_seller_moved(hook: Hook) -> Hook:
    """``hook`` runs in the transaction that moves a seller to another state or district."""
    if hook not in _moved_hooks:
        _moved_hooks.append(hook)
    return hook


def on_standing_changed(hook: Hook) -> Hook:
    """``hook`` runs in the transaction that suspends or reinstates a seller."""
    if hook not in _standing_hooks:
        _standing_hooks.append(hook)
    return hook


async def seller_moved(session: AsyncSession, seller: Seller) -> None:
    for hook in _run(_moved_hooks):
        await hook(session, seller)


async def standing_changed(session: AsyncSession, seller: Seller) -> None:
    seller_changed(session, seller.id)
    for hook in _run(_standing_hooks):
        await hook(session, seller)


Counter = Callable[[AsyncSession, int], Awaitable[tuple[int, int]]]
_counters: list[Counter] = []


def listing_counter(counter: Counter) -> Counter:
    """``counter(session, seller_id)`` gives (published, drafts): the listings domain registers
    it so that a decision email can say what approval actually changes for the seller."""
    if counter not in _counters:
        _counters.append(counter)
    return counter


async def listing_counts(session: AsyncSession, seller_id: int) -> tuple[int, int]:
    published, drafts = 0, 0
    for counter in _run(list(_counters)):
        p, d = await counter(session, seller_id)
        published, drafts = published + p, drafts + d
    return published, drafts


def _run(hooks: list[T]) -> list[T]:
    # A process that changes sellers without the listings domain loaded would silently leave
    # listings behind; refuse instead (app/job_handlers.register_all loads it).
    if not hooks:
        raise RuntimeError("no seller hooks registered: call app.job_handlers.register_all()")
    return list(hooks)
