"""Checkout-to-paid throughput on PostgreSQL, and the oversell check repeated.

    make bench-checkout ARGS="--orders 400 --concurrency 20 --rounds 20"

Prepares a PostgreSQL database (`odop_bench_checkout`, recreated each run) with the reference
data and the demo catalog, then drives the orders services in this process with ``--concurrency``
concurrent buyers, each through the same steps the pages and the API take: place the order
(prices computed, stock reserved with row locks, one transaction) and apply its successful
payment (what the payment webhook's job does, another transaction). Two scenarios:

- spread: every buyer buys one unit of one of 100 listings, chosen at random;
- hot: every buyer buys one unit of the same listing (all contend for one row lock).

Each scenario reports paid orders per second and its ratio to the requests per second of the
bare ASGI hello-world (bench/hello.py under wrk) measured in the same run. Then ``--rounds``
times: 200 concurrent buyers for a listing with 10 units must give exactly 10 paid orders and
stock 0. Results are also written to bench/results/checkout-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.models import User
from app.config import PROJECT_ROOT, get_settings
from app.db import make_engine, make_session_factory, utcnow
from app.job_handlers import register_all
from app.listings.models import Listing, ListingStatus
from app.orders import cart as cart_service
from app.orders import checkout, repository, service
from app.orders.errors import CartNeedsReview, OutOfStock
from app.orders.models import Cart, CartLine, Order, PaymentStatus
from bench.harness import (
    DEFAULT_POSTGRES_URL,
    ensure_pg_database,
    odop,
    run_wrk,
    serve,
    uvicorn_command,
)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
VAR_DIR = PROJECT_ROOT / "var" / "bench"
PG_DATABASE = "odop_bench_checkout"
ADDRESS = {
    "name": "Bench Buyer",
    "line1": "1 Civil Lines",
    "city": "Agra",
    "state": "uttar-pradesh",
    "pin_code": "282002",
    "country": "IN",
}


@dataclass
class Scenario:
    name: str
    listings: int
    orders: int
    paid: int
    refused: int
    seconds: float
    ratio_to_hello: float | None = None

    @property
    def paid_per_second(self) -> float:
        return self.paid / self.seconds if self.seconds else 0.0


async def _buyers(factory: async_sessionmaker[AsyncSession], n: int, tag: str) -> list[int]:
    """``n`` buyer accounts (no password: they never sign in), created in one statement."""
    async with factory() as session, session.begin():
        now = utcnow()
        rows = [
            {
                "email": f"bench-{tag}-{i}@example.invalid",
                "display_name": f"Bench buyer {i}",
                "password_hash": "!",
                "created_at": now,
                "updated_at": now,
            }
            for i in range(n)
        ]
        ids = await session.scalars(insert(User).returning(User.id), rows)
        return list(ids)


async def _fill_carts(
    factory: async_sessionmaker[AsyncSession], buyers: list[int], listing_ids: list[int]
) -> None:
    rng = random.Random(len(buyers))
    async with factory() as session, session.begin():
        now = utcnow()
        carts = await session.scalars(
            insert(Cart).returning(Cart.id),
            [{"user_id": b, "created_at": now, "updated_at": now} for b in buyers],
        )
        prices = dict((await session.execute(select(Listing.id, Listing.price_paise))).all())
        lines = []
        for cart_id in carts:
            listing_id = rng.choice(listing_ids)
            lines.append(
                {
                    "cart_id": cart_id,
                    "listing_id": listing_id,
                    "quantity": 1,
                    "seen_unit_price_paise": prices[listing_id],
                    "added_at": now,
                }
            )
        await session.execute(insert(CartLine), lines)


async def _checkout_and_pay(
    factory: async_sessionmaker[AsyncSession], buyer_id: int, address: checkout.Address
) -> bool:
    settings = get_settings()
    async with factory() as session:
        try:
            buyer = await session.get(User, buyer_id)
            cart = await cart_service.find(session, user_id=buyer_id, token=None)
            assert buyer is not None and cart is not None
            order = await checkout.place_order(
                session, settings, buyer=buyer, cart=cart, address=address, currency="INR"
            )
            number, amount = order.number, order.total_minor
            await session.commit()
        except (OutOfStock, CartNeedsReview):
            await session.rollback()
            return False
    async with factory() as session:
        paid = await service.on_payment_succeeded(
            session,
            order_number=number,
            provider="bench",
            provider_payment_id=f"pi_{number}",
            amount_minor=amount,
            currency="INR",
        )
        await session.commit()
        return paid


async def _run_buyers(
    factory: async_sessionmaker[AsyncSession], buyers: list[int], concurrency: int
) -> tuple[int, int, float]:
    async with factory() as session:
        address = checkout.parse_address(ADDRESS, await repository.states(session), set())
    gate = asyncio.Semaphore(concurrency)

    async def one(buyer_id: int) -> bool:
        async with gate:
            return await _checkout_and_pay(factory, buyer_id, address)

    started = time.perf_counter()
    results = await asyncio.gather(*(one(b) for b in buyers))
    seconds = time.perf_counter() - started
    return sum(results), len(results) - sum(results), seconds


async def _prepare_listings(
    factory: async_sessionmaker[AsyncSession], n: int, stock: int
) -> list[int]:
    async with factory() as session, session.begin():
        ids = list(
            await session.scalars(
                select(Listing.id)
                .where(Listing.status == ListingStatus.PUBLISHED)
                .order_by(Listing.id)
                .limit(n)
            )
        )
        await session.execute(
            update(Listing)
            .where(Listing.id.in_(ids))
            .values(stock=stock, moq=1, made_to_order=False)
        )
        return ids


async def scenario(
    factory: async_sessionmaker[AsyncSession], name: str, listings: int, args: argparse.Namespace
) -> Scenario:
    ids = await _prepare_listings(factory, listings, stock=args.orders * 2)
    buyers = await _buyers(factory, args.orders, name)
    await _fill_carts(factory, buyers, ids)
    paid, refused, seconds = await _run_buyers(factory, buyers, args.concurrency)
    return Scenario(name, listings, args.orders, paid, refused, seconds)


async def oversell_round(factory: async_sessionmaker[AsyncSession], n: int) -> tuple[int, int]:
    """200 buyers, 10 units: returns (paid orders, stock left)."""
    [listing_id] = await _prepare_listings(factory, 1, stock=10)
    buyers = await _buyers(factory, 200, f"round{n}")
    await _fill_carts(factory, buyers, [listing_id])
    await _run_buyers(factory, buyers, 200)
    async with factory() as session:
        paid = await session.scalar(
            select(func.count())
            .select_from(Order)
            .where(Order.payment_status == PaymentStatus.PAID, Order.buyer_user_id.in_(buyers))
        )
        stock = await session.scalar(select(Listing.stock).where(Listing.id == listing_id))
    return int(paid or 0), int(stock or 0)


def hello_rate(args: argparse.Namespace, wrk: str) -> float:
    log = VAR_DIR / "hello-checkout.log"
    with serve(uvicorn_command("bench.hello:app"), dict(os.environ), log) as base:
        result = run_wrk(
            f"{base}/",
            duration=args.hello_duration,
            connections=32,
            threads=2,
            warmup=1,
            wrk=wrk,
        )
    return result.requests_per_second


async def bench(url: str, args: argparse.Namespace) -> tuple[list[Scenario], list[tuple[int, int]]]:
    register_all()  # the services enqueue jobs (reservation expiry, emails)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    try:
        scenarios = [
            await scenario(factory, "spread over 100 listings", 100, args),
            await scenario(factory, "one hot listing", 1, args),
        ]
        rounds = [await oversell_round(factory, n) for n in range(args.rounds)]
    finally:
        await engine.dispose()
    return scenarios, rounds


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=400, help="buyers per scenario")
    parser.add_argument("--concurrency", type=int, default=20, help="buyers at the same time")
    parser.add_argument("--rounds", type=int, default=20, help="200-for-10 oversell rounds")
    parser.add_argument("--hello-duration", type=float, default=5, help="seconds of wrk load")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    url = ensure_pg_database(args.postgres_url, PG_DATABASE, recreate=True)
    env = {**os.environ, "ODOP_DATABASE_URL": url, "ODOP_LOG_LEVEL": "WARNING"}
    odop(env, "db", "upgrade", quiet=True)
    odop(env, "seed", "reference", quiet=True)
    odop(env, "seed", "demo", quiet=True)
    os.environ["ODOP_DATABASE_URL"] = url
    hello = hello_rate(args, wrk)
    scenarios, rounds = asyncio.run(bench(url, args))
    print(f"hello-world: {hello:,.0f} req/s")
    print(f"{'scenario':28} {'orders':>7} {'paid':>6} {'paid/s':>8} {'vs hello':>9}")
    for s in scenarios:
        s.ratio_to_hello = s.paid_per_second / hello if hello else None
        print(
            f"{s.name:28} {s.orders:>7} {s.paid:>6} {s.paid_per_second:>8.1f} "
            f"{(s.ratio_to_hello or 0):>9.4f}"
        )
    exact = sum(1 for paid, stock in rounds if paid == 10 and stock == 0)
    print(
        f"oversell check: {exact}/{len(rounds)} rounds of 200 buyers for 10 units sold exactly 10"
    )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"checkout-{stamp}.json"
    path.write_text(
        json.dumps(
            {
                "started": stamp,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "args": {k: v for k, v in vars(args).items() if k != "postgres_url"},
                "hello_rps": hello,
                "scenarios": [
                    {**asdict(s), "paid_per_second": s.paid_per_second} for s in scenarios
                ],
                "oversell_rounds": [{"paid": p, "stock": st} for p, st in rounds],
            },
            indent=2,
        )
    )
    print(f"written to {path.relative_to(PROJECT_ROOT)}")
    return 0 if exact == len(rounds) and all(s.refused == 0 for s in scenarios) else 1


if __name__ == "__main__":
    raise SystemExit(main())
