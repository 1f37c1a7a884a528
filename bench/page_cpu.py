"""CPU per page in process: long-tail catalog pages rendered one after another through ASGI.

    .venv/bin/python -m bench.page_cpu --pg-database odop_bench --pages product district -n 400
    .venv/bin/python -m bench.page_cpu --pg-database odop_bench --pages product --profile x.prof

No wrk, no sockets, no concurrency: each request goes through the whole app (middleware,
dependencies, queries, template) via httpx's ASGITransport, with the page cache and the search
result cache off, so the figure is this process's CPU time per page (``time.process_time``),
which on a shared machine moves far less than req/s; the wall time per page includes
PostgreSQL's work and the waits for a core. Page types: the long-tail pages of ``make bench``
(home, state, district, product), ``api`` (``/api/v1/listings`` of every district) and
``search`` (the search page over the generated long tail of ``bench/search.py``), so the same
command run against catalogs of different sizes shows how the cost grows. ``--profile``
writes a cProfile file of the measured loop (read it with ``python -m pstats``). ``--reference``
also times the same paths through bench/reference_app.py (raw asyncpg + plain Jinja2, in this
process too) and prints the storefront's ratio to it: reference CPU / storefront CPU per page.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import statistics
import time
from itertools import cycle, islice
from urllib.parse import unquote, urlencode

import asyncpg
import httpx
from sqlalchemy import select

from app.config import Settings
from app.db import make_engine, make_session_factory
from app.listings.models import Listing
from app.main import create_app
from app.reference.models import District
from bench import reference_app
from bench.harness import DEFAULT_POSTGRES_URL
from bench.search_queries import long_tail as search_long_tail
from bench.urls import LONG_TAIL_PAGES, long_tail

PAGES = (*LONG_TAIL_PAGES, "api", "search")


async def paths_of(url: str, products: int) -> dict[str, list[str]]:
    engine = make_engine(url)
    try:
        async with make_session_factory(engine)() as session:
            paths = await long_tail(session, products)
            titles = (
                await session.execute(
                    select(Listing.title, District.name)
                    .join(District, District.id == Listing.district_id)
                    .where(Listing.id % 97 == 0)
                    .limit(5000)
                )
            ).all()
    finally:
        await engine.dispose()
    places = [[unquote(part) for part in p.split("/")[2:]] for p in paths["district"]]
    paths["api"] = [f"/api/v1/listings?{urlencode({'state': s, 'district': d})}" for s, d in places]
    queries = search_long_tail([(t, d) for t, d in titles], 1000)
    paths["search"] = ["/search?" + urlencode({"q": q}) for q in queries]
    return paths


async def measure(args: argparse.Namespace) -> None:
    base = os.environ.get("ODOP_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL).rstrip("/")
    url = f"{base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{args.pg_database}"
    paths = await paths_of(url, args.tail_products)
    settings = Settings(
        database_url=url,
        page_cache_seconds=0,
        search_cache_seconds=0,
        run_jobs_in_process=False,
        log_level="WARNING",
        db_pool_size=4,
    )
    app = create_app(settings)
    reference: dict[str, float] = {}
    if args.reference:
        os.environ.setdefault("ODOP_REFERENCE_DSN", url.replace("+asyncpg", "", 1))
        reference_app._pool = await asyncpg.create_pool(
            os.environ["ODOP_REFERENCE_DSN"], min_size=1, max_size=4
        )
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=reference_app.app), base_url="http://bench.local"
            ) as client:
                for page in args.pages:
                    if page in LONG_TAIL_PAGES:
                        reference[page] = await _loop(client, f"{page} (ref)", paths[page], args)
        finally:
            await reference_app._pool.close()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench.local"
        ) as client,
    ):
        for page in args.pages:
            best = await _loop(client, page, paths[page], args)
            if page in reference:
                print(f"{page:9} vs reference (best batch): {reference[page] / best:.3f}")


async def _loop(
    client: httpx.AsyncClient, page: str, page_paths: list[str], args: argparse.Namespace
) -> float:
    """Time ``args.n`` requests over ``page_paths`` after a warm-up; print the figures and
    return the best batch's mean CPU seconds per page."""
    rotation = cycle(page_paths)
    for path in islice(rotation, args.warmup):
        (await client.get(path)).raise_for_status()
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    costs: list[float] = []
    wall = time.perf_counter()
    if profiler:
        profiler.enable()
    for path in islice(rotation, args.n):
        started = time.process_time()
        response = await client.get(path)
        costs.append(time.process_time() - started)
        response.raise_for_status()
    if profiler:
        profiler.disable()
        profiler.dump_stats(f"{args.profile}.{page}")
    wall = time.perf_counter() - wall
    # Best batch: on a shared machine the other processes only ever add to the CPU a
    # page costs (cache misses, stolen turbo), so the quietest batch of 25 is steadiest.
    batches = [costs[i : i + 25] for i in range(0, len(costs) - 24, 25)]
    best = min((statistics.fmean(b) for b in batches), default=float("nan"))
    costs.sort()
    print(
        f"{page:9} n={args.n} CPU ms/page mean {1000 * statistics.fmean(costs):.2f} "
        f"best batch {1000 * best:.2f} median {1000 * costs[len(costs) // 2]:.2f} "
        f"p90 {1000 * costs[int(len(costs) * 0.9)]:.2f}; "
        f"wall ms/page {1000 * wall / args.n:.2f}; load {os.getloadavg()[0]:.1f}"
    )
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-database", default="odop_bench")
    parser.add_argument("--pages", nargs="+", default=["product", "district"])
    parser.add_argument("--tail-products", type=int, default=10_000)
    parser.add_argument("-n", type=int, default=400, help="measured requests per page type")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--reference", action="store_true", help="also time the reference app")
    parser.add_argument("--profile", default="", help="write cProfile stats to PROFILE.<page>")
    args = parser.parse_args()
    unknown = set(args.pages) - set(PAGES)
    if unknown:
        parser.error(f"unknown pages: {sorted(unknown)}")
    asyncio.run(measure(args))


if __name__ == "__main__":
    main()
