"""Soak the storefront: minutes of mixed long-tail load on PostgreSQL, watching the worker.

    make soak ARGS="--minutes 5"        # or: python -m bench.soak --minutes 5

Prepares the PostgreSQL database `odop_soak` with --listings demo listings (reused when it already
has exactly that many), starts `odop serve` (one uvicorn worker, under `-X faulthandler`, its
collector pauses recorded by bench/gc_probe.py) on a free 127.0.0.1 port, and loads it with wrk
(--connections connections, for --minutes) over a shuffled rotation of paths: product pages drawn
at random from --products public listings, district pages and searches mixed in. Every
--sample-seconds it records the worker's RSS and whether it is still alive. It prints the samples,
the status counts, the collector's pauses and a verdict, and exits 1 when the worker died
(exit code or signal, with the tail of its log: the faulthandler traceback), answered any 5xx,
or grew its RSS by more than --max-growth-mb after the first minute.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from app.db import make_engine, make_session_factory
from app.listings.models import Listing
from app.listings.repository import is_public
from app.reference.models import District, State
from bench.harness import (
    DEFAULT_POSTGRES_URL,
    WrkResult,
    odop_serve_command,
    parse_wrk_output,
    rotation_script,
    start_server,
    wrk_command,
)
from bench.run import VAR_DIR, app_env, prepare_database
from bench.search_queries import LOAD as SEARCHES

PG_DATABASE = "odop_soak"
ROTATION = 50_000  # paths wrk cycles through (sampled with repetition, shuffled)
console = Console(width=None if sys.stdout.isatty() else 150)


@dataclass(frozen=True)
class Mix:
    """Shares of the load; the rest are product pages."""

    districts: float = 0.1
    searches: float = 0.1


@dataclass
class Sample:
    seconds: float
    rss_mb: float | None  # None once the worker is gone
    gc: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass
class SoakReport:
    seconds: float
    samples: list[Sample]
    exit_code: int | None  # None: still running at the end (stopped by us)
    log_tail: str
    result: WrkResult | None
    gc: dict[str, dict[str, float]]

    @property
    def crashed(self) -> bool:
        return self.exit_code is not None

    @property
    def server_errors(self) -> int:
        if self.result is None:
            return 0
        return sum(n for status, n in self.result.statuses.items() if status >= 500)

    def rss_growth_mb(self, after_seconds: float = 60) -> float:
        """RSS growth from the first sample taken after ``after_seconds`` (the caches and pools
        fill during the first minute) to the last one; 0 with fewer than two such samples."""
        rss = [s.rss_mb for s in self.samples if s.seconds >= after_seconds and s.rss_mb]
        return rss[-1] - rss[0] if len(rss) >= 2 else 0.0

    def failures(self, max_growth_mb: float) -> list[str]:
        found = []
        if self.crashed:
            found.append(f"the worker died: {describe_exit(self.exit_code)}")
        if self.server_errors:
            found.append(f"{self.server_errors} responses were 5xx")
        if self.result is None and not self.crashed:
            found.append("wrk reported no result")
        growth = self.rss_growth_mb()
        if growth > max_growth_mb:
            found.append(f"RSS grew by {growth:.0f} MB after the first minute")
        return found


def describe_exit(code: int | None) -> str:
    if code is None:
        return "running"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    return f"exited with status {code}"


def rss_mb(status_text: str) -> float | None:
    """The VmRSS line of a /proc/<pid>/status text, in MB (None when absent)."""
    for line in status_text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def read_rss_mb(pid: int) -> float | None:
    try:
        return rss_mb(Path(f"/proc/{pid}/status").read_text())
    except OSError:
        return None


def read_gc(path: Path) -> dict[str, dict[str, float]]:
    try:
        data: dict[str, dict[str, float]] = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data


def build_paths(
    slugs: list[str],
    districts: list[tuple[str, str]],
    searches: list[dict[str, str]],
    *,
    mix: Mix,
    count: int,
    seed: int,
) -> list[str]:
    """``count`` percent-encoded paths in a random order: product pages picked uniformly from
    ``slugs`` (the long tail: most are asked once or twice per rotation), with the shares of
    ``mix`` given to district pages and searches."""
    if not slugs:
        raise ValueError("no product to load")
    rng = random.Random(seed)
    n_districts = round(count * mix.districts) if districts else 0
    n_searches = round(count * mix.searches) if searches else 0
    paths = [f"/products/{quote(rng.choice(slugs), safe='')}" for _ in range(count)]
    paths[:n_districts] = [
        f"/states/{quote(s, safe='')}/{quote(d, safe='')}"
        for s, d in (rng.choice(districts) for _ in range(n_districts))
    ]
    paths[n_districts : n_districts + n_searches] = [
        f"/search?{urlencode(rng.choice(searches))}" for _ in range(n_searches)
    ]
    rng.shuffle(paths)
    return paths


async def _catalogue(database_url: str, products: int) -> tuple[list[str], list[tuple[str, str]]]:
    engine = make_engine(database_url)
    try:
        async with make_session_factory(engine)() as session:
            slugs = list(
                await session.scalars(
                    select(Listing.slug).where(is_public()).order_by(Listing.id).limit(products)
                )
            )
            districts = (
                await session.execute(
                    select(State.slug, District.slug)
                    .join(District, District.state_id == State.id)
                    .where(District.id.in_(select(Listing.district_id).where(is_public())))
                    .order_by(District.id)
                )
            ).all()
    finally:
        await engine.dispose()
    return slugs, [(state, district) for state, district in districts]


def soak(url: str, paths: list[str], args: argparse.Namespace, wrk: str) -> SoakReport:
    duration = args.minutes * 60
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    gc_file = VAR_DIR / "soak-gc.json"
    gc_file.unlink(missing_ok=True)
    env = {
        **app_env("postgresql", url),
        "PYTHONFAULTHANDLER": "1",
        "ODOP_GC_PROBE_FILE": str(gc_file),
    }
    command = odop_serve_command()
    command[1:3] = ["-m", "bench.gc_probe"]  # python -m app.cli -> python -m bench.gc_probe
    samples: list[Sample] = []
    exit_code = None
    with (
        tempfile.TemporaryDirectory() as scratch,
        start_server(command, env, VAR_DIR / "soak-app.log") as server,
    ):
        script = Path(scratch) / "soak.lua"
        script.write_text(rotation_script(paths))
        load = wrk_command(
            wrk,
            f"{server.base}/",
            script,
            duration=duration,
            connections=args.connections,
            threads=args.threads,
        )
        console.print(
            f"Soaking {server.base} for {args.minutes:g} min: {len(paths)} paths, "
            f"{args.connections} connections; log in {server.log_path}"
        )
        started = time.monotonic()
        with subprocess.Popen(load, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as w:
            next_sample = started
            while w.poll() is None:
                now = time.monotonic()
                if server.process.poll() is not None:
                    exit_code = server.process.returncode
                    samples.append(Sample(now - started, None, read_gc(gc_file)))
                    w.send_signal(signal.SIGINT)  # wrk then prints what it measured
                    break
                if now >= next_sample:
                    rss = read_rss_mb(server.process.pid)
                    samples.append(Sample(now - started, rss, read_gc(gc_file)))
                    line = f"  {now - started:6.0f} s  RSS {rss or 0:7.1f} MB"
                    console.print(line, highlight=False)
                    next_sample += args.sample_seconds
                time.sleep(0.2)
            stdout, stderr = w.communicate(timeout=WRK_GRACE_S)
        elapsed = time.monotonic() - started
        if exit_code is None and server.process.poll() is not None:
            exit_code = server.process.returncode
        if exit_code is None:
            samples.append(Sample(elapsed, read_rss_mb(server.process.pid), read_gc(gc_file)))
    result = None
    with contextlib.suppress(ValueError):
        result = parse_wrk_output(stdout)
    if result is None and exit_code is None:
        console.print(f"[red]wrk failed:[/red] {stderr or stdout}")
    log = (VAR_DIR / "soak-app.log").read_text(errors="replace")
    return SoakReport(elapsed, samples, exit_code, tail(log), result, read_gc(gc_file))


WRK_GRACE_S = 60


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def render(report: SoakReport, max_growth_mb: float) -> tuple[Table, Table, str]:
    """The RSS samples, the summary, and the verdict line."""
    samples = Table(title="Worker over time")
    for column in ("s", "RSS MB", "gen2 collections", "gen2 max ms", "gen0-1 max ms"):
        samples.add_column(column, justify="right")
    for s in report.samples:
        pauses = s.gc or {}
        young_max = max((pauses.get(g, {}).get("max_ms", 0.0) for g in ("0", "1")), default=0.0)
        samples.add_row(
            f"{s.seconds:.0f}",
            f"{s.rss_mb:.1f}" if s.rss_mb is not None else "gone",
            f"{pauses.get('2', {}).get('count', 0):.0f}",
            f"{pauses.get('2', {}).get('max_ms', 0.0):.1f}",
            f"{young_max:.1f}",
        )
    summary = Table(title="Soak summary")
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    r = report.result
    summary.add_row("duration s", f"{report.seconds:.0f}")
    summary.add_row("worker", describe_exit(report.exit_code) if report.crashed else "alive")
    if r is not None:
        summary.add_row("requests", f"{r.requests:,}")
        summary.add_row("req/s", f"{r.requests_per_second:,.0f}")
        summary.add_row("p50 / p99 / max ms", f"{r.p50_ms:.1f} / {r.p99_ms:.1f} / {r.max_ms:.0f}")
        summary.add_row(
            "statuses", ", ".join(f"{n:,} × {s}" for s, n in sorted(r.statuses.items()))
        )
        errors = {k: v for k, v in r.socket_errors.items() if v}
        summary.add_row("socket errors", json.dumps(errors) if errors else "0")
    summary.add_row("5xx", str(report.server_errors))
    summary.add_row("RSS growth after 60 s", f"{report.rss_growth_mb():.1f} MB")
    for gen, stats in sorted(report.gc.items()):
        summary.add_row(
            f"gc gen{gen} pauses",
            f"{stats['count']:.0f} × p50 {stats['p50_ms']:.1f} / p99 {stats['p99_ms']:.1f} / "
            f"max {stats['max_ms']:.1f} ms",
        )
    failures = report.failures(max_growth_mb)
    verdict = (
        "[red]FAIL[/red]: " + "; ".join(failures)
        if failures
        else "[green]PASS[/green]: no crash, no 5xx, flat memory"
    )
    return samples, summary, verdict


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--minutes", type=float, default=5, help="length of the load")
    parser.add_argument("--listings", type=int, default=100_000, help="demo listings to prepare")
    parser.add_argument("--products", type=int, default=20_000, help="distinct product pages")
    parser.add_argument("--districts", type=float, default=Mix.districts, help="share of load")
    parser.add_argument("--searches", type=float, default=Mix.searches, help="share of load")
    parser.add_argument("--connections", type=int, default=32, help="open connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--sample-seconds", type=float, default=10, help="RSS sampling period")
    parser.add_argument(
        "--max-growth-mb", type=float, default=50, help="RSS growth after 60 s that fails"
    )
    parser.add_argument("--seed", type=int, default=16, help="random seed of the path rotation")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="PostgreSQL server")
    parser.add_argument("--pg-database", default=PG_DATABASE, help="database to (re)use")
    args = parser.parse_args(argv)
    if not 0 < args.minutes <= 120:
        parser.error("--minutes must be in (0, 120]")
    if args.districts + args.searches > 1:
        parser.error("--districts and --searches add up to more than 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        console.print("[red]wrk is not installed (Debian: apt-get install wrk).[/red]")
        return 2
    url, _ = prepare_database(
        "postgresql", args.listings, args.postgres_url, pg_name=args.pg_database
    )
    slugs, districts = asyncio.run(_catalogue(url, args.products))
    paths = build_paths(
        slugs,
        districts,
        SEARCHES,
        mix=Mix(args.districts, args.searches),
        count=ROTATION,
        seed=args.seed,
    )
    report = soak(url, paths, args, wrk)
    samples, summary, verdict = render(report, args.max_growth_mb)
    console.print(samples, summary)
    if report.crashed:
        console.print(f"Last lines of the worker's log:\n{report.log_tail}", markup=False)
    console.print(verdict)
    return 1 if report.failures(args.max_growth_mb) else 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
