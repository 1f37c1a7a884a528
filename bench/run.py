"""Load the storefront and a bare ASGI hello-world with wrk, side by side, and compare.

    make bench ARGS="--listings 100000 --duration 5 --db both"

For each database (SQLite file under var/bench/, PostgreSQL database `odop_bench`) this prepares
N demo listings (reusing a database that already has exactly N), starts `odop serve` (one
worker, quiet logs, in-process jobs off) and bench/hello.py on free 127.0.0.1 ports, loads the
hello-world and then each URL of bench/urls.py for a bounded time (after an unmeasured warm-up
of --warmup seconds), and prints req/s, p50, p99, non-2xx responses and the ratio of req/s to the
hello-world of the same run. A URL that answers 404 (a page not built yet on this branch) is
reported as such and not loaded. Results are also written to bench/results/<timestamp>.json.
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
    ensure_pg_database,
    odop,
    odop_serve_command,
    run_wrk,
    serve,
    uvicorn_command,
)
from bench.urls import URL_NAMES, BenchUrl, resolve

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
    database: str, listings: int, postgres_url: str, *, pg_name: str = PG_DATABASE
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
        odop(env, "search", "reindex", quiet=True)  # the index may predate this code
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
    url, seed_seconds = prepare_database(database, args.listings, args.postgres_url)
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


def write_results(runs: list[Run], args: argparse.Namespace, started: datetime) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{started:%Y%m%dT%H%M%SZ}.json"
    document = {
        "started_at": started.isoformat(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "options": {k: v for k, v in vars(args).items() if k != "postgres_url"},
        "runs": [_as_json(run) for run in runs],
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
    runs = [bench_database(database, args, wrk) for database in databases]
    console.print(render(runs, args.warmup))
    missing = sorted({row.target for run in runs for row in run.rows if row.result is None})
    if missing:
        console.print(f"Not loaded, 404 on this branch: {', '.join(missing)}")
    console.print(f"Results written to {write_results(runs, args, started)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
