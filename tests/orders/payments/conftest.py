"""Payment test helpers: an order with one part per seller, made directly from the models (the
orders domain's own checkout is tested in tests/orders), and Stripe-signed webhook deliveries."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.config import Settings
from app.orders.models import Order, OrderPart
from app.orders.payments import stripe_events
from app.sellers import crypto
from app.sellers.models import Seller
from tests import factories

PAN = "ABCPE1234F"


@dataclass(frozen=True)
class PartSpec:
    total_inr_paise: int
    taxable_inr_paise: int
    gstin: str | None = "09ABCPE1234F1Z5"
    pan: str | None = PAN


async def seller_with_bank(
    db: AsyncSession, settings: Settings, *, gstin: str | None, pan: str | None, **kw: object
) -> Seller:
    return await factories.seller(
        db,
        gstin=gstin,
        pan=pan,
        bank_account_holder="Sunita Devi",
        bank_ifsc="SBIN0001234",
        bank_account_encrypted=crypto.encrypt(settings.secret_key, "001234567890"),
        bank_account_last4="7890",
        **kw,
    )


async def make_order(
    db: AsyncSession,
    settings: Settings,
    parts: list[PartSpec],
    *,
    buyer: User | None = None,
    currency: str = "INR",
    total_minor: int | None = None,
) -> Order:
    total = sum(p.total_inr_paise for p in parts)
    buyer = buyer or await factories.user(db)
    order = Order(
        number="OD-" + secrets.token_hex(5).upper()[:10],
        buyer_user_id=buyer.id,
        buyer_email=buyer.email,
        buyer_language=buyer.language,
        currency=currency,
        goods_inr_paise=total,
        shipping_inr_paise=0,
        tax_inr_paise=sum(p.total_inr_paise - p.taxable_inr_paise for p in parts),
        total_inr_paise=total,
        total_minor=total if total_minor is None else total_minor,
        ship_name="Asha Verma",
        ship_line1="4 MG Road",
        ship_city="Lucknow",
        ship_postal_code="226001",
    )
    db.add(order)
    await db.flush()
    for spec in parts:
        seller = await seller_with_bank(db, settings, gstin=spec.gstin, pan=spec.pan)
        db.add(
            OrderPart(
                order_id=order.id,
                seller_id=seller.id,
                seller_state_id=seller.state_id,
                seller_gstin=spec.gstin,
                goods_inr_paise=spec.total_inr_paise,
                shipping_inr_paise=0,
                taxable_inr_paise=spec.taxable_inr_paise,
                igst_inr_paise=spec.total_inr_paise - spec.taxable_inr_paise,
                total_inr_paise=spec.total_inr_paise,
            )
        )
    await db.flush()
    return order


async def deliver(
    client: httpx.AsyncClient,
    event: dict[str, object],
    secret: str,
    *,
    timestamp: int | None = None,
) -> httpx.Response:
    body = stripe_events.encode(event)
    return await client.post(
        "/webhooks/stripe",
        content=body,
        headers={
            "content-type": "application/json",
            "stripe-signature": stripe_events.sign(body, secret, timestamp),
        },
    )
