"""Load the storefront and a bare ASGI hello-world with wrk, side by side, and compare.

    make bench ARGS="--listings 100000 --duration 5 --db both"

For each database (SQLite file under var/bench/, PostgreSQL database `odop_bench`) this prepares
N demo listings (reusing a database that already has exactly N), starts `odop serve` (one
worker, quiet logs, in-process jobs off) and bench/hello.py on free 127.0.0.1 ports, loads the
hello-world and then each URL of bench/urls.py for a bounded time (after an unmeasured warm-up
of --warmup seconds), and prints req/s, p50, p99, non-2xx responses and the ratio of req/s to the
hello-world of the same run. A URL that answers 404 (a page not built yet on this branch) is
reported as such and not loaded. Results are also written to bench/results/<timestamp>.json.

On PostgreSQL it then measures the long tail (``--long-tail on|off|only``): for the home, State,
district and product pages, the single cached URL, the same page type over paths drawn at random
(``--tail-products`` product pages, every district and State) with the page cache on (defaults)
and off (``ODOP_PAGE_CACHE_SECONDS=0``), and the same paths from the
fortunes-style reference app (bench/reference_app.py: raw asyncpg + plain Jinja2) served in the
same run. It prints req/s, p50/p99, the worker's CPU per page, the ratio to the reference and to
the hello-world, the worker's RSS after the load and the load average during each run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from app.config import PROJECT_ROOT
from app.db import make_engine, make_session_factory
from app.listings.models import Listing
from app.reference.repository import count_rows
from bench.harness import (
    DEFAULT_POSTGRES_URL,
    WrkResult,
    cpu_seconds,
    ensure_pg_database,
    odop,
    odop_serve_command,
    rss_mb,
    run_wrk,
    serve,
    start_server,
    uvicorn_command,
)
from bench.urls import LONG_TAIL_PAGES, URL_NAMES, BenchUrl, long_tail, resolve

BENCH_DIR = Path(__file__).resolve().parent
VAR_DIR = PROJECT_ROOT / "var" / "bench"
RESULTS_DIR = BENCH_DIR / "results"
PG_DATABASE = "odop_bench"
console = Console(width=None if sys.stdout.isatty() else 150)


@dataclass
class Row:
    database: str
    name: str
    target: str
    probe_status: int
    result: WrkResult | None = None
    ratio: float | None = None


@dataclass
class Run:
    database: str
    listings: int
    seed_seconds: float | None
    hello: WrkResult
    rows: list[Row] = field(default_factory=list)


@dataclass
class TailRow:
    page: str
    variant: str  # cached single URL | long tail, page cache on | long tail, uncached | reference
    paths: int
    result: WrkResult
    cpu_ms_per_page: float | None
    load_average: float
    rss_mb: float | None = None
    ratio_to_reference: float | None = None
    ratio_to_hello: float | None = None


@contextlib.contextmanager
def serve_hello() -> Iterator[str]:
    with serve(uvicorn_command("bench.hello:app"), dict(os.environ), VAR_DIR / "hello.log") as base:
        yield base


@contextlib.contextmanager
def serve_app(env: dict[str, str], database: str) -> Iterator[str]:
    with serve(odop_serve_command(), env, VAR_DIR / f"app-{database}.log") as base:
        yield base


def app_env(database: str, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "ODOP_ENV": "development",
        "ODOP_DATABASE_URL": database_url,
        "ODOP_MEDIA_DIR": str(VAR_DIR / f"media-{database}"),
        "ODOP_RUN_JOBS_IN_PROCESS": "false",
        "ODOP_LOG_LEVEL": "WARNING",
        "ODOP_SEARCH_BACKEND": "database",
    }


async def _count_listings(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        async with make_session_factory(engine)() as session:
            return await count_rows(session, Listing)
    finally:
        await engine.dispose()


def prepare_database(
    database: str,
    listings: int,
    postgres_url: str,
    *,
    pg_name: str = PG_DATABASE,
    reindex: bool = True,
) -> tuple[str, float | None]:
    """A migrated database with exactly ``listings`` listings (on PostgreSQL, the database
    ``pg_name``); returns its URL and the seconds seeding took (None when an already prepared
    database was reused)."""
    if database == "sqlite":
        path = VAR_DIR / "odop-bench.sqlite3"
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        url = ensure_pg_database(postgres_url, pg_name)
    env = app_env(database, url)
    odop(env, "db", "upgrade", quiet=True)
    count = asyncio.run(_count_listings(url))
    if count == listings:
        console.print(f"{database}: reusing the prepared database ({count} listings).")
        if reindex:  # the index may predate this code
            odop(env, "search", "reindex", quiet=True)
        return url, None
    if count > listings:  # seeding only adds; start again from an empty database
        console.print(f"{database}: {count} listings, {listings} wanted; recreating the database.")
        if database == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            ensure_pg_database(postgres_url, pg_name, recreate=True)
        odop(env, "db", "upgrade", quiet=True)
    started = time.monotonic()
    odop(env, "seed", "reference")
    odop(env, "seed", "demo", "--listings", str(listings))
    seconds = time.monotonic() - started
    odop(env, "search", "reindex", quiet=True)
    console.print(f"{database}: seeded {listings} listings in {seconds:.1f} s.")
    return url, seconds


async def _resolve_urls(database_url: str, names: list[str] | None) -> list[BenchUrl]:
    engine = make_engine(database_url)
    try:
        async with make_session_factory(engine)() as session:
            return await resolve(session, names)
    finally:
        await engine.dispose()


def bench_database(database: str, args: argparse.Namespace, wrk: str) -> Run:
    url, seed_seconds = prepare_database(
        database, args.listings, args.postgres_url, pg_name=args.pg_database
    )
    urls = asyncio.run(_resolve_urls(url, args.urls))
    load = {
        "duration": args.duration,
        "connections": args.connections,
        "threads": args.threads,
        "warmup": args.warmup,
    }
    with serve_app(app_env(database, url), database) as app_base, serve_hello() as hello_base:
        console.print(f"{database}: loading the hello-world for {args.duration} s …")
        hello = run_wrk(f"{hello_base}/", wrk=wrk, **load)
        run = Run(database, args.listings, seed_seconds, hello)
        for bench_url in urls:
            target = f"{app_base}{bench_url.target}"
            status = httpx.get(target, timeout=30).status_code
            row = Row(database, bench_url.name, bench_url.target, status)
            if status != 404:
                console.print(f"{database}: loading {bench_url.target} for {args.duration} s …")
                row.result = run_wrk(target, wrk=wrk, **load)
                if hello.requests_per_second:
                    row.ratio = row.result.requests_per_second / hello.requests_per_second
            run.rows.append(row)
    return run


async def _long_tail_paths(database_url: str, products: int) -> dict[str, list[str]]:
    engine = make_engine(database_url)
    try:
        async with make_session_factory(engine)() as session:
            return await long_tail(session, products)
    finally:
        await engine.dispose()


def _load(
    base: str, paths: list[str], pid: int | None, args: argparse.Namespace, wrk: str
) -> tuple[WrkResult, float | None, float]:
    """wrk over ``paths`` of ``base``; with the server's ``pid``, its CPU ms per response."""
    cpu_before: list[float] = []

    def sample() -> None:
        if pid is not None:
            cpu_before.append(cpu_seconds(pid))

    load_before = os.getloadavg()[0]
    result = run_wrk(
        f"{base}{paths[0]}",
        paths=paths if len(paths) > 1 else None,
        duration=args.duration,
        connections=args.connections,
        threads=args.threads,
        warmup=args.warmup,
        wrk=wrk,
        before_measured=sample,
    )
    load = (load_before + os.getloadavg()[0]) / 2
    cpu = None
    if pid is not None and cpu_before and result.requests:
        cpu = (cpu_seconds(pid) - cpu_before[0]) * 1000 / result.requests
    return result, cpu, load


def tail_runs(server: str, paths: list[str]) -> list[tuple[str, list[str]]]:
    """(variant, paths) loaded on ``server`` (reference | uncached | cached) for one page type:
    every page type runs on the reference app, so each prints a ratio to it."""
    if server == "reference":
        return [("reference (asyncpg + Jinja2)", paths)]
    if server == "uncached":
        return [("long tail, uncached", paths)]
    runs = [("cached single URL", paths[:1])]
    if len(paths) > 1:
        runs.append(("long tail, page cache on", paths))
    return runs


def bench_long_tail(args: argparse.Namespace, wrk: str) -> tuple[WrkResult, list[TailRow]]:
    """The long-tail runs on PostgreSQL: cached URL, long tail with and without the page
    cache, and the reference app over the same paths. One server runs at a time (the
    PostgreSQL server's connections are shared), the reference first."""
    url, _ = prepare_database(  # no search index needed: no search page is loaded
        "postgresql", args.listings, args.postgres_url, pg_name=args.pg_database, reindex=False
    )
    paths = asyncio.run(_long_tail_paths(url, args.tail_products))
    pages = [p for p in LONG_TAIL_PAGES if not args.pages or p in args.pages]
    env = app_env("postgresql", url)
    servers: list[tuple[str, list[str], dict[str, str], str]] = [
        (
            "reference",
            uvicorn_command("bench.reference_app:app"),
            {
                **os.environ,
                "ODOP_REFERENCE_DSN": url.replace("postgresql+asyncpg", "postgresql"),
                "ODOP_REFERENCE_POOL": str(args.connections),
            },
            "reference.log",
        ),
        (
            "uncached",
            odop_serve_command(),
            {**env, "ODOP_PAGE_CACHE_SECONDS": "0"},
            "app-uncached.log",
        ),
        ("cached", odop_serve_command(), env, "app-cached.log"),
    ]
    with serve_hello() as hello_base:
        console.print(f"long tail: loading the hello-world for {args.duration} s …")
        hello, _, _ = _load(hello_base, ["/"], None, args, wrk)
    measured: dict[tuple[str, str], TailRow] = {}
    for name, command, server_env, log in servers:
        with start_server(command, server_env, VAR_DIR / log) as server:
            for page in pages:
                for variant, targets in tail_runs(name, paths[page]):
                    console.print(f"long tail: {page}, {variant} ({len(targets)} paths) …")
                    result, cpu, load = _load(server.base, targets, server.process.pid, args, wrk)
                    row = TailRow(page, variant, len(targets), result, cpu, load)
                    row.rss_mb = rss_mb(server.process.pid)
                    if hello.requests_per_second:
                        row.ratio_to_hello = result.requests_per_second / hello.requests_per_second
                    measured[(page, variant)] = row
    rows: list[TailRow] = []
    for page in pages:
        reference = measured.get((page, "reference (asyncpg + Jinja2)"))
        for variant in VARIANTS:
            if (page, variant) not in measured:
                continue
            row = measured[(page, variant)]
            if (
                reference is not None
                and reference.result.requests_per_second
                and row is not reference
            ):
                row.ratio_to_reference = (
                    row.result.requests_per_second / reference.result.requests_per_second
                )
            rows.append(row)
    return hello, rows


VARIANTS = (
    "cached single URL",
    "long tail, page cache on",
    "long tail, uncached",
    "reference (asyncpg + Jinja2)",
)


def render_long_tail(hello: WrkResult, rows: list[TailRow], args: argparse.Namespace) -> Table:
    table = Table(
        title=(
            f"Long tail on PostgreSQL, {args.listings:,} listings, {args.connections} connections,"
            f" one worker, {args.warmup:g} s warm-up; hello-world {hello.requests_per_second:,.0f}"
            " req/s"
        )
    )
    columns = (
        "page",
        "variant",
        "paths",
        "req/s",
        "p50 ms",
        "p99 ms",
        "CPU ms/page",
        "vs reference",
        "vs hello",
        "RSS MB",
        "load avg",
        "non-2xx",
    )
    for column in columns:
        table.add_column(column, justify="left" if column in ("page", "variant") else "right")
    for row in rows:
        r = row.result
        table.add_row(
            row.page,
            row.variant,
            str(row.paths),
            f"{r.requests_per_second:,.0f}",
            f"{r.p50_ms:.1f}",
            f"{r.p99_ms:.1f}",
            f"{row.cpu_ms_per_page:.2f}" if row.cpu_ms_per_page is not None else "",
            f"{row.ratio_to_reference:.3f}" if row.ratio_to_reference is not None else "",
            f"{row.ratio_to_hello:.3f}" if row.ratio_to_hello is not None else "",
            f"{row.rss_mb:.0f}" if row.rss_mb is not None else "",
            f"{row.load_average:.1f}",
            str(r.non_2xx + sum(r.socket_errors.values())),
        )
    return table


def render(runs: list[Run], warmup: float) -> Table:
    table = Table(
        title=f"ODOP Bazaar benchmark (wrk, 127.0.0.1, {warmup:g} s warm-up before each run)"
    )
    for column in ("db", "URL", "req/s", "p50 ms", "p99 ms", "vs hello", "non-2xx"):
        table.add_column(column, justify="left" if column in ("db", "URL") else "right")
    for run in runs:
        h = run.hello
        table.add_row(
            run.database,
            "hello-world",
            f"{h.requests_per_second:,.0f}",
            f"{h.p50_ms:.2f}",
            f"{h.p99_ms:.2f}",
            "1.000",
            str(h.non_2xx),
        )
        for row in run.rows:
            if row.result is None:
                table.add_row(run.database, row.target, "-", "-", "-", "-", "404: not loaded")
                continue
            r = row.result
            errors = sum(r.socket_errors.values())
            failures = ", ".join(
                f"{n} × {status}" for status, n in sorted(r.statuses.items()) if status // 100 != 2
            )
            table.add_row(
                run.database,
                row.target,
                f"{r.requests_per_second:,.0f}",
                f"{r.p50_ms:.2f}",
                f"{r.p99_ms:.2f}",
                f"{row.ratio:.3f}" if row.ratio is not None else "",
                (failures or "0") + (f"; {errors} socket errors" if errors else ""),
            )
    return table


def _as_json(run: Run) -> dict[str, Any]:
    def result(r: WrkResult | None) -> dict[str, Any] | None:
        if r is None:
            return None
        return {**asdict(r), "requests_per_second": r.requests_per_second, "non_2xx": r.non_2xx}

    return {
        "database": run.database,
        "listings": run.listings,
        "seed_seconds": run.seed_seconds,
        "hello": result(run.hello),
        "urls": [
            {
                "name": row.name,
                "target": row.target,
                "probe_status": row.probe_status,
                "result": result(row.result),
                "ratio_to_hello": row.ratio,
            }
            for row in run.rows
        ],
    }


def write_results(
    runs: list[Run],
    args: argparse.Namespace,
    started: datetime,
    tail: tuple[WrkResult, list[TailRow]] | None = None,
) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{started:%Y%m%dT%H%M%SZ}.json"
    document = {
        "started_at": started.isoformat(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "options": {k: v for k, v in vars(args).items() if k != "postgres_url"},
        "runs": [_as_json(run) for run in runs],
        "long_tail": None
        if tail is None
        else {
            "hello": asdict(tail[0]),
            "rows": [
                {**asdict(row), "requests_per_second": row.result.requests_per_second}
                for row in tail[1]
            ],
        },
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--listings", type=int, default=100_000, help="demo listings to prepare")
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per URL")
    parser.add_argument("--connections", type=int, default=32, help="open connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--warmup", type=float, default=2, help="seconds of unmeasured load before each run"
    )
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--urls", nargs="+", choices=URL_NAMES, metavar="NAME", help=f"subset of {URL_NAMES}"
    )
    parser.add_argument(
        "--long-tail",
        choices=("on", "off", "only"),
        default="on",
        help="the long-tail page runs on PostgreSQL (with the reference app); only: just those",
    )
    parser.add_argument(
        "--tail-products", type=int, default=10_000, help="product pages in the long tail"
    )
    parser.add_argument(
        "--pages", nargs="+", choices=LONG_TAIL_PAGES, metavar="PAGE", help="long-tail pages"
    )
    parser.add_argument(
        "--pg-database", default=PG_DATABASE, help="PostgreSQL database to prepare and load"
    )
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help=f"PostgreSQL server (the database {PG_DATABASE} is created there if missing)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        console.print("[red]wrk is not installed (Debian: apt-get install wrk).[/red]")
        return 2
    started = datetime.now(UTC)
    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    runs = []
    if args.long_tail != "only":
        runs = [bench_database(database, args, wrk) for database in databases]
        console.print(render(runs, args.warmup))
        missing = sorted({row.target for run in runs for row in run.rows if row.result is None})
        if missing:
            console.print(f"Not loaded, 404 on this branch: {', '.join(missing)}")
    tail = None
    if args.long_tail != "off" and "postgresql" in databases:
        tail = bench_long_tail(args, wrk)
        console.print(render_long_tail(*tail, args))
    console.print(f"Results written to {write_results(runs, args, started, tail)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
