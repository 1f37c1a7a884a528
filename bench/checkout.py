"""Checkout-to-paid throughput over HTTP on PostgreSQL, and the oversell check repeated.

    make bench-checkout ARGS="--orders 200 --concurrency 16 --rounds 20"

Prepares a PostgreSQL database (`odop_bench_checkout`, recreated each run) with the reference
data and the demo catalog, serves it with `odop serve` (one worker, payment sandbox, no jobs in
the web process) beside ``--job-workers`` `odop worker` processes that run the jobs (payment
events, emails), as in production, and bench/hello.py, on free 127.0.0.1 ports, and loads the
hello-world with wrk for the yardstick of the run. Then ``--concurrency`` buyers at a time, each
with its own personal API token, take the whole path a buyer takes, over HTTP:

1. ``POST /api/v1/cart/lines`` (one unit of a listing);
2. ``POST /api/v1/checkout`` (prices computed, stock reserved under row locks);
3. ``POST /api/v1/orders/{number}/payment`` (the provider's page to go to);
4. ``GET`` that sandbox page and ``POST`` its "card succeeds" form (with its CSRF token): the
   sandbox sends the Stripe-format signed events to ``POST /webhooks/stripe``, which stores
   them and enqueues the processing job;
5. ``GET /api/v1/orders/{number}`` until the job has marked it paid.

Two scenarios: spread (each buyer buys one of 100 listings, chosen at random) and hot (every buyer
buys the same listing). Each reports paid orders per second, from the first request to the last
order seen paid, and its ratio to the hello-world's requests per second. Then ``--rounds`` times:
200 buyers at once for a listing with 10 units must give exactly 10 paid orders and stock 0.
Every wait is bounded (``--time-limit`` per scenario and round). Results are also written to
bench/results/checkout-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import func, insert, select, update

from app.accounts.models import ApiToken, User
from app.accounts.tokens import API_TOKEN_PREFIX, new_secret
from app.config import PROJECT_ROOT
from app.db import make_engine, make_session_factory, utcnow
from app.listings.models import Listing, ListingStatus
from app.orders.models import Order, PaymentStatus
from bench.harness import (
    DEFAULT_POSTGRES_URL,
    ensure_pg_database,
    odop,
    odop_serve_command,
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
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
POLL_SECONDS = 0.1


class BuyerError(RuntimeError):
    """A step answered something a buyer with stock available should never get."""


@contextlib.contextmanager
def job_workers(env: dict[str, str], n: int) -> Iterator[None]:
    """``n`` `odop worker` processes, stopped (SIGTERM, then killed) on exit."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        processes = []
        for i in range(n):
            log = stack.enter_context((VAR_DIR / f"worker-checkout-{i}.log").open("w"))
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "app.cli", "worker"],
                    cwd=PROJECT_ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        try:
            yield
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@dataclass
class Scenario:
    name: str
    listings: int
    buyers: int
    paid: int
    refused: int
    errors: int
    seconds: float
    ratio_to_hello: float | None = None

    @property
    def paid_per_second(self) -> float:
        return self.paid / self.seconds if self.seconds else 0.0


async def buy(client: httpx.AsyncClient, listing_id: int) -> str | None:
    """Steps 1–4 for one unit of ``listing_id``; the order number, or None when the cart (422
    on the quantity) or checkout (409) refused it for want of stock. ``client`` carries the
    buyer's bearer token."""
    added = await client.post("/api/v1/cart/lines", json={"listing_id": listing_id, "quantity": 1})
    if added.status_code == 422 and "quantity" in added.json()["error"].get("details", {}):
        return None  # the last units are reserved by other buyers
    _expect(added, 201, "add to cart")
    placed = await client.post("/api/v1/checkout", json=ADDRESS)
    if placed.status_code == 409:
        return None
    _expect(placed, 201, "checkout")
    number: str = placed.json()["number"]
    started = await client.post(f"/api/v1/orders/{number}/payment")
    _expect(started, 200, "start payment")
    page_path = started.json()["redirect_url"]
    page = await client.get(page_path)
    _expect(page, 200, "sandbox page")
    token = CSRF_INPUT.search(page.text)
    if token is None:
        raise BuyerError("the sandbox page has no CSRF token")
    paid = await client.post(page_path, data={"csrf_token": token[1], "outcome": "succeed"})
    _expect(paid, 303, "pay on the sandbox page")
    return number


async def wait_paid(client: httpx.AsyncClient, number: str, deadline: float) -> bool:
    """Step 5: whether the order is seen paid before ``deadline`` (time.monotonic)."""
    while True:
        seen = await client.get(f"/api/v1/orders/{number}")
        _expect(seen, 200, "order")
        if seen.json()["payment_status"] == PaymentStatus.PAID.value:
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(POLL_SECONDS)


def _expect(response: httpx.Response, status: int, step: str) -> None:
    if response.status_code != status:
        raise BuyerError(f"{step}: {response.status_code} {response.text[:300]}")


async def run_buyers(
    base: str, secrets: list[str], listing_ids: list[int], concurrency: int, time_limit: float
) -> tuple[int, int, int, float]:
    """Every buyer through steps 1–5, ``concurrency`` at a time; returns (paid, refused for want
    of stock, errors or not paid in time, seconds from the first request to the last paid)."""
    rng = random.Random(len(secrets))
    choices = [rng.choice(listing_ids) for _ in secrets]
    gate = asyncio.Semaphore(concurrency)
    started = time.monotonic()
    deadline = started + time_limit
    last_paid = started

    async def one(secret: str, listing_id: int) -> str:
        nonlocal last_paid
        async with gate:
            if time.monotonic() >= deadline:
                return "error"
            headers = {"authorization": f"Bearer {secret}"}
            async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
                try:
                    number = await buy(client, listing_id)
                    if number is None:
                        return "refused"
                    if not await wait_paid(client, number, deadline):
                        return "error"
                except (BuyerError, httpx.HTTPError) as error:
                    print(f"buyer failed: {error!r}", file=sys.stderr)
                    return "error"
                last_paid = max(last_paid, time.monotonic())
                return "paid"

    outcomes = await asyncio.gather(*(one(s, i) for s, i in zip(secrets, choices, strict=True)))
    return (
        outcomes.count("paid"),
        outcomes.count("refused"),
        outcomes.count("error"),
        last_paid - started,
    )


async def make_buyers(url: str, n: int, tag: str) -> tuple[list[int], list[str]]:
    """``n`` buyer accounts, each with an orders API token; returns their ids and secrets."""
    engine = make_engine(url)
    try:
        async with make_session_factory(engine)() as session, session.begin():
            now = utcnow()
            users = [
                {
                    "email": f"bench-{tag}-{i}@example.invalid",
                    "display_name": f"Bench buyer {i}",
                    "password_hash": "!",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(n)
            ]
            ids = list(await session.scalars(insert(User).returning(User.id), users))
            secrets = [new_secret(API_TOKEN_PREFIX) for _ in ids]
            await session.execute(
                insert(ApiToken),
                [
                    {
                        "token_hash": digest,
                        "user_id": user_id,
                        "name": "bench",
                        "prefix": secret[:12],
                        "scopes": "orders:read orders:write",
                        "created_at": now,
                    }
                    for user_id, (secret, digest) in zip(ids, secrets, strict=True)
                ],
            )
            return ids, [secret for secret, _digest in secrets]
    finally:
        await engine.dispose()


async def prepare_listings(url: str, n: int, stock: int, skip: int = 0) -> list[int]:
    """``n`` published listings (after the first ``skip``) set to ``stock`` units, MOQ 1."""
    engine = make_engine(url)
    try:
        async with make_session_factory(engine)() as session, session.begin():
            ids = list(
                await session.scalars(
                    select(Listing.id)
                    .where(Listing.status == ListingStatus.PUBLISHED)
                    .order_by(Listing.id)
                    .offset(skip)
                    .limit(n)
                )
            )
            await session.execute(
                update(Listing)
                .where(Listing.id.in_(ids))
                .values(stock=stock, moq=1, made_to_order=False)
            )
            return ids
    finally:
        await engine.dispose()


async def paid_and_stock(url: str, buyers: list[int], listing_id: int) -> tuple[int, int]:
    engine = make_engine(url)
    try:
        async with make_session_factory(engine)() as session:
            paid = await session.scalar(
                select(func.count())
                .select_from(Order)
                .where(Order.payment_status == PaymentStatus.PAID, Order.buyer_user_id.in_(buyers))
            )
            stock = await session.scalar(select(Listing.stock).where(Listing.id == listing_id))
        return int(paid or 0), int(stock or 0)
    finally:
        await engine.dispose()


def scenario(
    base: str, url: str, name: str, listings: int, args: argparse.Namespace, skip: int
) -> Scenario:
    ids = asyncio.run(prepare_listings(url, listings, stock=args.orders * 2, skip=skip))
    _buyer_ids, secrets = asyncio.run(make_buyers(url, args.orders, name.split()[0]))
    paid, refused, errors, seconds = asyncio.run(
        run_buyers(base, secrets, ids, args.concurrency, args.time_limit)
    )
    return Scenario(name, listings, args.orders, paid, refused, errors, seconds)


def oversell_round(base: str, url: str, n: int, args: argparse.Namespace) -> tuple[int, int]:
    """200 buyers at once, 10 units: returns (paid orders, stock left)."""
    [listing_id] = asyncio.run(prepare_listings(url, 1, stock=10, skip=200 + n))
    buyer_ids, secrets = asyncio.run(make_buyers(url, 200, f"round{n}"))
    asyncio.run(run_buyers(base, secrets, [listing_id], 200, args.time_limit))
    return asyncio.run(paid_and_stock(url, buyer_ids, listing_id))


def app_env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "ODOP_ENV": "development",
        "ODOP_DATABASE_URL": url,
        "ODOP_MEDIA_DIR": str(VAR_DIR / "media-checkout"),
        "ODOP_PAYMENT_PROVIDER": "sandbox",
        "ODOP_RUN_JOBS_IN_PROCESS": "false",
        "ODOP_JOB_POLL_SECONDS": "0.2",
        "ODOP_LOG_LEVEL": "WARNING",
        "ODOP_SEARCH_BACKEND": "database",
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=200, help="buyers per scenario")
    parser.add_argument("--concurrency", type=int, default=16, help="buyers at the same time")
    parser.add_argument("--rounds", type=int, default=20, help="200-for-10 oversell rounds")
    parser.add_argument(
        "--job-workers", type=int, default=1, help="`odop worker` processes for the events"
    )
    parser.add_argument("--hello-duration", type=float, default=5, help="seconds of wrk load")
    parser.add_argument(
        "--time-limit", type=float, default=180, help="seconds at most per scenario or round"
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    url = ensure_pg_database(args.postgres_url, PG_DATABASE, recreate=True)
    env = app_env(url)
    odop(env, "db", "upgrade", quiet=True)
    odop(env, "seed", "reference", quiet=True)
    odop(env, "seed", "demo", quiet=True)
    load_before = os.getloadavg()
    with (
        serve(odop_serve_command(), env, VAR_DIR / "app-checkout.log") as base,
        serve(uvicorn_command("bench.hello:app"), dict(os.environ), VAR_DIR / "hello.log") as hello,
        job_workers(env, args.job_workers),
    ):
        hello_rps = run_wrk(
            f"{hello}/", duration=args.hello_duration, connections=32, threads=2, warmup=1, wrk=wrk
        ).requests_per_second
        scenarios = [
            scenario(base, url, "spread over 100 listings", 100, args, skip=0),
            scenario(base, url, "one hot listing", 1, args, skip=100),
        ]
        rounds = [oversell_round(base, url, n, args) for n in range(args.rounds)]
    load_after = os.getloadavg()
    print(f"load average (1, 5, 15 min): before {load_before}, after {load_after}")
    print(f"hello-world: {hello_rps:,.0f} req/s")
    print(f"{'scenario':26} {'buyers':>6} {'paid':>5} {'errors':>6} {'paid/s':>7} {'vs hello':>9}")
    for s in scenarios:
        s.ratio_to_hello = s.paid_per_second / hello_rps if hello_rps else None
        print(
            f"{s.name:26} {s.buyers:>6} {s.paid:>5} {s.errors:>6} {s.paid_per_second:>7.1f} "
            f"{(s.ratio_to_hello or 0):>9.5f}"
        )
    exact = sum(1 for paid, stock in rounds if paid == 10 and stock == 0)
    print(
        f"oversell check: {exact}/{len(rounds)} rounds of 200 buyers for 10 units sold exactly 10"
    )
    # A buyer whose request timed out may leave a reservation unpaid: fewer than 10, never more.
    oversold = sum(1 for paid, stock in rounds if paid > 10 or stock < 0)
    print(f"rounds that sold more than 10 units: {oversold}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"checkout-{stamp}.json"
    path.write_text(
        json.dumps(
            {
                "started": stamp,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "load_average": {"before": load_before, "after": load_after},
                "args": {k: v for k, v in vars(args).items() if k != "postgres_url"},
                "hello_rps": hello_rps,
                "scenarios": [
                    {**asdict(s), "paid_per_second": s.paid_per_second} for s in scenarios
                ],
                "oversell_rounds": [{"paid": p, "stock": st} for p, st in rounds],
            },
            indent=2,
        )
    )
    print(f"written to {path.relative_to(PROJECT_ROOT)}")
    clean = all(s.refused == 0 and s.errors == 0 for s in scenarios)
    return 0 if exact == len(rounds) and clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
