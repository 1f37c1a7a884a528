"""One email per recorded step of an order part, to the buyer (and to the seller for a new paid
order or a buyer's cancellation), in the recipient's language, sent by a durable job."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.emails import current_settings
from app.accounts.models import User
from app.i18n import gettext as _
from app.i18n import reset_language, set_language
from app.jobs import enqueue, job_handler
from app.mail import Mail, send_mail
from app.orders.models import ActorKind, Order, OrderPart, OrderPartEvent, PartState
from app.sellers.models import Seller

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


@job_handler(JOB_KIND)
async def send_step_email(session: AsyncSession, payload: dict[str, Any]) -> None:
    event = await session.get(OrderPartEvent, int(payload["event_id"]))
    if event is None:
        return
    part = await session.get(OrderPart, event.part_id)
    if part is None:
        return
    order = await session.get(Order, part.order_id)
    seller = await session.get(Seller, part.seller_id)
    if order is None or seller is None:
        return
    settings = current_settings()
    link = f"{settings.base_url.rstrip('/')}/orders/{order.number}"
    buyer = await session.get(User, order.buyer_user_id) if order.buyer_user_id else None
    language = buyer.language if buyer else order.buyer_language
    token = set_language(language)
    try:
        paragraph = buyer_message(event, order, part, seller.display_name)
        subject = _("Your order %(number)s", number=order.number)
        more = _("See your order: %(link)s", link=link)
        body = f"{paragraph}\n\n{more}\n\n{_('ODOP Bazaar')}\n"
    finally:
        reset_language(token)
    if paragraph is not None:
        await send_mail(settings, Mail(order.buyer_email, subject, body, language=language))
    owner = await session.get(User, seller.owner_user_id) if seller.owner_user_id else None
    if owner is None or not owner.is_active:
        return
    token = set_language(owner.language)
    try:
        paragraph = seller_message(event, order)
        subject = _("Order %(number)s", number=order.number)
        seller_link = f"{settings.base_url.rstrip('/')}/seller/orders"
        more = _("Your orders: %(link)s", link=seller_link)
        body = f"{paragraph}\n\n{more}\n\n{_('ODOP Bazaar')}\n"
    finally:
        reset_language(token)
    if paragraph is not None:
        await send_mail(settings, Mail(owner.email, subject, body, language=owner.language))
