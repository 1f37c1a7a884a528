"""Job handlers of the orders domain: release an expired reservation, refund a cancelled part,
email each step of an order part."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.config import Settings
from app.i18n import gettext as _
from app.i18n import reset_language, set_language
from app.jobs import job_handler
from app.mail import Mail, send_mail
from app.orders import emails, repository, service
from app.orders.ledger import service as ledger_service
from app.orders.models import Order, OrderPart, OrderPartEvent, PartState
from app.orders.payments import service as payments_service
from app.orders.scheduling import EXPIRE_JOB, REFUND_JOB
from app.sellers.models import Seller


@job_handler(EXPIRE_JOB)
async def expire_reservation(
    session: AsyncSession, payload: dict[str, Any], settings: Settings
) -> None:
    await service.expire_order(session, int(payload["order_id"]))


@job_handler(REFUND_JOB)
async def refund_cancelled_part(
    session: AsyncSession, payload: dict[str, Any], settings: Settings
) -> None:
    order = await repository.order_by_number(session, str(payload["order_number"]))
    part_id = int(payload["part_id"])
    if order is None:
        return
    part = next((p for p in order.parts if p.id == part_id), None)
    if part is None or part.state != PartState.CANCELLED:
        return  # already refunded (a retry) or not cancelled
    shares = await ledger_service.part_shares(
        session, order_number=order.number, total_minor=order.total_minor
    )
    await payments_service.refund(
        session,
        settings,
        order_number=order.number,
        order_part_id=part_id,
        amount_minor=shares[part_id],
        reason=part.cancel_reason,
    )


@job_handler(emails.JOB_KIND)
async def send_step_email(
    session: AsyncSession, payload: dict[str, Any], settings: Settings
) -> None:
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
    link = f"{settings.base_url.rstrip('/')}/orders/{order.number}"
    buyer = await session.get(User, order.buyer_user_id) if order.buyer_user_id else None
    language = buyer.language if buyer else order.buyer_language
    token = set_language(language)
    try:
        paragraph = emails.buyer_message(event, order, part, seller.display_name)
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
        paragraph = emails.seller_message(event, order)
        subject = _("Order %(number)s", number=order.number)
        seller_link = f"{settings.base_url.rstrip('/')}/seller/orders"
        more = _("Your orders: %(link)s", link=seller_link)
        body = f"{paragraph}\n\n{more}\n\n{_('ODOP Bazaar')}\n"
    finally:
        reset_language(token)
    if paragraph is not None and owner.email:  # a seller signed up by mobile may have none
        await send_mail(settings, Mail(owner.email, subject, body, language=owner.language))
