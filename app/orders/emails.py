"""One email per recorded step of an order part, to the buyer (and to the seller for a new paid
order or a buyer's cancellation), in the recipient's language, sent by a durable job."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import gettext as _
from app.jobs import enqueue
from app.orders.models import ActorKind, Order, OrderPart, OrderPartEvent, PartState

JOB_KIND = "orders.step_email"


def queue(session: AsyncSession, event_id: int) -> None:
    enqueue(session, JOB_KIND, {"event_id": event_id})


def buyer_message(event: OrderPartEvent, order: Order, part: OrderPart, seller: str) -> str | None:
    """The paragraph for the buyer in the current language, or None when the step needs none."""
    number = order.number
    if event.to_state == PartState.PLACED:
        return None  # the buyer is on the payment page; the "paid" email confirms the order
    if event.to_state == PartState.PAID:
        return _(
            "We received your payment for order %(number)s. %(seller)s will prepare it.",
            number=number,
            seller=seller,
        )
    if event.to_state == PartState.ACCEPTED:
        return _("%(seller)s accepted your order %(number)s.", seller=seller, number=number)
    if event.to_state == PartState.PACKED:
        return _("%(seller)s packed your order %(number)s.", seller=seller, number=number)
    if event.to_state == PartState.SHIPPED:
        return _(
            "%(seller)s shipped your order %(number)s with %(carrier)s, tracking number "
            "%(tracking)s.",
            seller=seller,
            number=number,
            carrier=part.carrier,
            tracking=part.tracking_number,
        )
    if event.to_state == PartState.DELIVERED:
        return _(
            "Your order %(number)s from %(seller)s was delivered.", number=number, seller=seller
        )
    if event.to_state == PartState.COMPLETED:
        return None
    if event.to_state == PartState.CANCELLED:
        return _(
            "The part of order %(number)s from %(seller)s is cancelled. Reason: %(reason)s",
            number=number,
            seller=seller,
            reason=part.cancel_reason,
        )
    return _(
        "We refunded the part of order %(number)s from %(seller)s.", number=number, seller=seller
    )


def seller_message(event: OrderPartEvent, order: Order) -> str | None:
    if event.to_state == PartState.PAID:
        return _("New paid order %(number)s: please accept it.", number=order.number)
    if event.to_state == PartState.CANCELLED and event.actor_kind == ActorKind.BUYER:
        return _("The buyer cancelled order %(number)s.", number=order.number)
    return None
