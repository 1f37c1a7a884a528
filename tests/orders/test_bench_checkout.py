"""bench/checkout.py's buyer, against the app in process: the same HTTP steps the benchmark
takes against a served app (cart, checkout, payment, the sandbox page, the webhook's job)."""

from __future__ import annotations

import time

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts_service
from app.config import Settings
from app.jobs import JobRunner
from app.orders.models import Order, PaymentStatus
from bench import checkout as bench
from tests.orders.conftest import make_shop


async def test_the_bench_buyer_pays_an_order_over_http_and_is_refused_when_stock_runs_out(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, jobs: JobRunner
) -> None:
    shop = await make_shop(db)
    shop.quilt.stock = 1
    _token, secret = await accounts_service.create_api_token(
        db, shop.buyer, name="bench", scopes=["orders:read", "orders:write"]
    )
    await db.commit()
    client.headers["authorization"] = f"Bearer {secret}"

    number = await bench.buy(client, shop.quilt.id)
    assert number is not None
    assert not await bench.wait_paid(client, number, deadline=time.monotonic())  # job not run
    await jobs.run_until_idle()
    assert await bench.wait_paid(client, number, deadline=time.monotonic() + 5)
    status = await db.scalar(select(Order.payment_status).where(Order.number == number))
    assert status == PaymentStatus.PAID
    # The only unit is sold: the next buyer is refused, not an error.
    assert await bench.buy(client, shop.quilt.id) is None
