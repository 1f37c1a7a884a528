"""The buyer's notice of a failed payment, in the buyer's language, by a durable job. (The
receipt of a successful one is the orders domain's "paid" step email, app/orders/emails.py.)"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.i18n import gettext as _
from app.i18n import reset_language, set_language
from app.jobs import enqueue, job_handler
from app.mail import Mail, send_mail
from app.orders.payments import repository

JOB_KIND = "payments.email"
PAYMENT_FAILED = "failed"


def queue(session: AsyncSession, payment_id: int, kind: str) -> None:
    enqueue(session, JOB_KIND, {"payment": payment_id, "kind": kind})


def compose(kind: str, order_number: str, amount: str, link: str) -> tuple[str, str]:
    if kind != PAYMENT_FAILED:
        raise ValueError(f"no payment email {kind!r}")
    return _("Your payment for order %(number)s did not go through", number=order_number), _(
        "The payment of %(amount)s for order %(number)s failed and nothing was charged. "
        "You can try again from your order: %(link)s",
        amount=amount,
        number=order_number,
        link=link,
    )


@job_handler(JOB_KIND)
async def send_payment_email(
    session: AsyncSession, payload: dict[str, Any], settings: Settings
) -> None:
    payment = await repository.payment_by_id(session, int(payload["payment"]))
    if payment is None:
        return
    order = await repository.order_by_id(session, payment.order_id)
    if order is None or not order.buyer_email:
        return
    language = order.buyer_language or "en"
    link = f"{settings.base_url.rstrip('/')}/orders/{order.number}"
    amount = f"{payment.amount_minor / 100:,.2f} {payment.currency}"
    token = set_language(language)
    try:
        subject, paragraph = compose(str(payload["kind"]), order.number, amount, link)
        body = f"{paragraph}\n\n{_('ODOP Bazaar')}\n"
    finally:
        reset_language(token)
    await send_mail(settings, Mail(order.buyer_email, subject, body, language=language))
