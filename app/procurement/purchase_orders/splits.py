"""Split purchases: one demand split into several small direct purchases of the same item (the
same listing or the same ODOP product) by one organisation within
``procurement_split_window_days``, each under the direct-purchase limit but over it together.
The direct purchase warns before issuing; when the buyer confirms a separate need, the event is
kept for admins and audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import utcnow
from app.procurement.audit import service as audit
from app.procurement.purchase_orders import repository
from app.procurement.purchase_orders.models import SplitEvent


@dataclass(frozen=True)
class SplitWarning:
    """Direct purchases of the same item by the organisation within the window that, with this
    one, cross the direct-purchase limit."""

    organisation_id: int
    listing_id: int | None
    odop_product_id: int | None
    earlier_order_ids: list[int]
    earlier_total_paise: int
    this_total_paise: int
    limit_paise: int
    window_days: int

    @property
    def total_paise(self) -> int:
        return self.earlier_total_paise + self.this_total_paise


async def split_warning(
    session: AsyncSession,
    settings: Settings,
    *,
    organisation_id: int,
    listing_ids: Sequence[int],
    total_paise: int,
    exclude_purchase_order_id: int | None = None,
) -> SplitWarning | None:
    """Warn before a direct purchase is confirmed when it looks like one demand split up: the
    organisation's direct purchase orders of the same listing or the same ODOP product within
    ``procurement_split_window_days``, with this purchase, add up to more than the direct limit
    although each stays under it. Cancelled or declined orders do not count."""
    limit = settings.procurement_direct_limit_paise
    days = settings.procurement_split_window_days
    since = utcnow() - timedelta(days=days)
    listings = await repository.odop_products_of(session, sorted(set(listing_ids)))
    products = sorted({product for product in listings.values() if product})
    earlier = await repository.recent_direct_orders(
        session,
        organisation_id=organisation_id,
        since=since,
        listing_ids=sorted(listings),
        odop_product_ids=products,
        exclude_purchase_order_id=exclude_purchase_order_id,
    )
    if not earlier:
        return None
    earlier_total = sum(total for _, total, _ in earlier)
    if earlier_total + total_paise <= limit:
        return None
    matched_listing = next((lid for _, _, lid in earlier if lid in listings), None)
    return SplitWarning(
        organisation_id=organisation_id,
        listing_id=matched_listing,
        odop_product_id=products[0] if products and matched_listing is None else None,
        earlier_order_ids=sorted({order_id for order_id, _, _ in earlier}),
        earlier_total_paise=earlier_total,
        this_total_paise=total_paise,
        limit_paise=limit,
        window_days=days,
    )


async def record_split(
    session: AsyncSession,
    *,
    warning: SplitWarning,
    actor_user_id: int,
    actor_role: str,
    purchase_order_id: int | None,
) -> SplitEvent:
    """The buyer was warned and confirmed anyway: keep the event (admins see it) and audit it."""
    event = SplitEvent(
        organisation_id=warning.organisation_id,
        user_id=actor_user_id,
        listing_id=warning.listing_id,
        odop_product_id=warning.odop_product_id,
        purchase_order_id=purchase_order_id,
        earlier_order_ids=warning.earlier_order_ids,
        earlier_total_paise=warning.earlier_total_paise,
        this_total_paise=warning.this_total_paise,
        limit_paise=warning.limit_paise,
        window_days=warning.window_days,
        created_at=utcnow(),
    )
    session.add(event)
    await session.flush()
    await audit.record(
        session,
        organisation_id=warning.organisation_id,
        action="split_purchase_detected",
        actor_user_id=actor_user_id,
        actor_role=actor_role,
        subject="split_event",
        subject_id=event.id,
        values={
            "listing_id": warning.listing_id,
            "odop_product_id": warning.odop_product_id,
            "earlier_order_ids": warning.earlier_order_ids,
            "earlier_total_paise": warning.earlier_total_paise,
            "this_total_paise": warning.this_total_paise,
            "limit_paise": warning.limit_paise,
            "window_days": warning.window_days,
        },
        purchase_order_id=purchase_order_id,
    )
    return event
