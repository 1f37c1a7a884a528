"""Payment test helpers: an order with one part per seller, made directly from the models (the
orders domain's own checkout is tested in tests/orders), and Stripe-signed webhook deliveries."""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.accounts.models import User
from app.config import Settings
from app.db import make_engine, make_session_factory
from app.main import create_app
from app.orders.models import Order, OrderPart
from app.orders.payments import stripe_events
from app.reference.loading import load_reference
from app.sellers import crypto
from app.sellers.models import Seller
from tests import factories
from tests.conftest import run_migrations

PAN = "ABCPE1234F"


@dataclass(frozen=True)
class PartSpec:
    total_inr_paise: int
    taxable_inr_paise: int
    gstin: str | None = "09ABCPE1234F1Z5"
    pan: str | None = PAN


async def seller_with_bank(
    db: AsyncSession, settings: Settings, *, gstin: str | None, pan: str | None, **kw: Any
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


@pytest.fixture
async def own_database(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A database of this test's own: its requests really commit, on separate connections, and
    what they write (the ledger cannot be deleted from) must not leak into other tests."""
    if database_url.startswith("sqlite"):
        with tempfile.TemporaryDirectory(prefix="odop-webhook-") as folder:
            engine = await _migrated(f"sqlite+aiosqlite:///{Path(folder) / 'db.sqlite3'}")
            yield engine
            await engine.dispose()
        return
    server, _, _ = database_url.rpartition("/")
    name = f"payments_webhook_{secrets.token_hex(4)}"
    admin_url = database_url.replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    engine = await _migrated(f"{server}/{name}")
    try:
        yield engine
    finally:
        await engine.dispose()
        admin = await asyncpg.connect(admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def _migrated(url: str) -> AsyncEngine:
    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(run_migrations)
    async with make_session_factory(engine)() as session, session.begin():
        await load_reference(session)
    return engine


@pytest.fixture
async def committing(
    own_database: AsyncEngine, settings: Settings
) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], httpx.AsyncClient]]:
    factory = make_session_factory(own_database)
    app = create_app(settings, session_factory=factory)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield factory, client
