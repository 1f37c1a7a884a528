"""The benchmark harness: wrk output parsing, URL resolution, and a real tiny wrk run."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.listings.models import ListingStatus
from app.reference.models import GiTag
from bench import harness, reference_app
from bench import run as bench_run
from bench.urls import LONG_TAIL_PAGES, NothingToBenchmark, build_urls, resolve
from tests import factories

WRK_STDOUT = """Running 1s test @ http://127.0.0.1:8000/
  1 threads and 2 connections
  16050 requests in 1.10s, 2.51MB read
  Non-2xx or 3xx responses: 50
Requests/sec:  14590.91
WRK_JSON {"requests": 16050, "duration_us": 1100000, "bytes": 2632200, "p50_us": 120, \
"p90_us": 237, "p99_us": 1633, "max_us": 6578, "mean_us": 161.1, "errors": {"connect": 0, \
"read": 1, "write": 0, "timeout": 0}, "statuses": {"200": 16000, "404": 30, "302": 20}}
"""


def test_wrk_output_is_parsed_into_rate_percentiles_and_status_counts() -> None:
    result = harness.parse_wrk_output(WRK_STDOUT)
    assert result.requests == 16050
    assert result.requests_per_second == pytest.approx(14590.9, abs=0.1)
    assert (result.p50_ms, result.p99_ms, result.max_ms) == (0.12, 1.633, 6.578)
    assert result.statuses == {200: 16000, 404: 30, 302: 20}
    assert result.non_2xx == 50  # redirects count too: a benchmarked page must answer 2xx
    assert result.socket_errors["read"] == 1


def test_wrk_output_without_the_report_line_is_an_error() -> None:
    with pytest.raises(ValueError, match="WRK_JSON"):
        harness.parse_wrk_output("Requests/sec:  14590.91\n")


@pytest.mark.parametrize(
    ("warm_up_stdout", "pause"),
    [(WRK_STDOUT, 6.578 / 1000), (WRK_STDOUT.replace('"requests": 16050', '"requests": 0'), 10)],
)
def test_after_the_warm_up_the_server_gets_time_to_answer_what_wrk_abandoned(
    monkeypatch: pytest.MonkeyPatch, warm_up_stdout: str, pause: float
) -> None:
    events: list[str] = []

    def fake_wrk(*args: object, duration: float, **kwargs: object) -> str:
        events.append(f"wrk {duration}")
        return warm_up_stdout if len(events) == 1 else WRK_STDOUT

    monkeypatch.setattr(harness, "_wrk", fake_wrk)
    monkeypatch.setattr(time, "sleep", lambda seconds: events.append(f"sleep {seconds}"))
    result = harness.run_wrk("http://x/", duration=5, connections=2, threads=1, warmup=2)
    # The slowest warm-up response, or wrk's whole timeout when none finished.
    assert events == ["wrk 2", f"sleep {pause}", "wrk 5"]
    assert result.requests == 16050


async def test_urls_are_resolved_from_the_first_public_listing(db: AsyncSession) -> None:
    gi = await db.scalar(select(GiTag).order_by(GiTag.id.desc()).limit(1))
    assert gi is not None
    seller = await factories.seller(db)
    await factories.listing(db, seller, status=ListingStatus.DRAFT, slug="draft-first")
    listing = await factories.listing(db, seller, gi_tag_id=gi.id)

    urls = {u.name: u.target for u in await resolve(db)}

    assert urls["home"] == "/"
    assert urls["district"] == "/states/uttar-pradesh/firozabad"
    assert urls["gi"] == f"/gi/{gi.slug}"
    assert urls["product"] == f"/products/{listing.slug}"
    assert urls["search"] == "/search?q=banarasi+saree"
    assert urls["api-search"] == "/api/v1/search?q=firozbad+glas"
    assert list(urls)[:3] == ["home", "state", "district"]


async def test_an_empty_catalog_cannot_be_benchmarked(db: AsyncSession) -> None:
    with pytest.raises(NothingToBenchmark):
        await resolve(db)


def test_a_subset_of_urls_keeps_the_table_order_and_unknown_names_fail() -> None:
    values = {"state": "uttar-pradesh", "district": "firozabad", "gi": "g", "slug": "a b"}
    subset = build_urls(values, ["product", "home"])
    assert [(u.name, u.target) for u in subset] == [("home", "/"), ("product", "/products/a%20b")]
    with pytest.raises(ValueError, match="unknown URL name"):
        build_urls(values, ["nope"])


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_a_real_wrk_run_against_the_hello_world_counts_statuses() -> None:
    with bench_run.serve_hello() as base:
        ok = harness.run_wrk(f"{base}/", duration=1, connections=2, threads=1)
        missing = harness.run_wrk(f"{base}/missing", duration=1, connections=2, threads=1)
    assert ok.requests > 0 and ok.statuses == {200: ok.requests} and ok.non_2xx == 0
    assert 0 < ok.p50_ms <= ok.p99_ms
    assert missing.requests > 0 and missing.non_2xx == missing.requests


def test_rotation_paths_must_be_percent_encoded_and_keep_the_report_hooks() -> None:
    script = harness.rotation_script(["/a?q=x%20y", '/b"'])
    assert script.startswith('local paths = {"/a?q=x%20y", "/b\\""}\n')
    assert script.endswith(harness.REPORT_SCRIPT.read_text())
    for bad in ([], ["relative"], ["/साड़ी"], ["/a\nb"]):
        with pytest.raises(ValueError, match="path"):
            harness.rotation_script(bad)


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_wrk_rotates_over_every_path_after_an_unmeasured_warm_up(tmp_path: Path) -> None:
    paths = ["/a", "/b?q=x%20y", "/c"]
    command = harness.uvicorn_command("tests.bench_counting_app:app")
    with harness.serve(command, dict(os.environ), tmp_path / "counting.log") as base:
        result = harness.run_wrk(base, paths=paths, duration=1, connections=2, threads=1, warmup=1)
        counts = httpx.get(f"{base}/counts").json()
    assert set(counts) == set(paths)
    # One wrk thread cycles through the list, so the paths are hit equally often, give or
    # take the last round of each of the two runs.
    assert max(counts.values()) - min(counts.values()) <= 2
    assert result.requests > 0 and result.statuses == {200: result.requests}
    # The warm-up run's requests reached the server but are not in the measured result.
    assert sum(counts.values()) > result.requests + 100


async def _reference_page(db: AsyncSession, path: str) -> str | None:
    """The reference app's page for ``path``, read through this test's own connection (and so
    its uncommitted rows), with the reference's row cache emptied first."""
    connection = await (await db.connection()).get_raw_connection()
    raw = connection.driver_connection
    reference_app._cache.clear()
    parts = path.strip("/").split("/")
    if path == "/":
        return await reference_app.home(raw)
    return await reference_app.state(raw, parts[1])


def _links(html: str, prefix: str) -> list[str]:
    return re.findall(rf'href="({re.escape(prefix)}[^"?]*)"', html)


async def test_reference_home_and_state_pages_show_the_storefronts_rows(
    db: AsyncSession, client: httpx.AsyncClient, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("the reference app reads PostgreSQL through asyncpg")
    seller = await factories.seller(db)
    for _ in range(3):
        await factories.listing(db, seller)
    await factories.listing(db, seller, status=ListingStatus.DRAFT)
    await db.flush()

    storefront = (await client.get("/")).text
    reference = await _reference_page(db, "/")
    assert reference is not None
    # Same States in the same order, same featured districts, same categories.
    assert _links(reference, "/states/") == _links(storefront, "/states/")
    assert _links(reference, "/categories/") == _links(storefront, "/categories/")
    assert "Products: 3" in reference  # the draft is not counted
    assert "Products: 4" not in reference

    storefront = (await client.get("/states/uttar-pradesh")).text
    reference = await _reference_page(db, "/states/uttar-pradesh")
    assert reference is not None
    assert _links(reference, "/states/uttar-pradesh/") == _links(
        storefront, "/states/uttar-pradesh/"
    )
    assert "Products: 3" in reference
    assert "Firozabad" in reference
    assert await _reference_page(db, "/states/atlantis") is None


async def test_the_reference_app_caches_home_rows_like_the_catalog_cache(
    db: AsyncSession, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("the reference app reads PostgreSQL through asyncpg")
    seller = await factories.seller(db)
    await factories.listing(db, seller)
    await db.flush()
    first = await _reference_page(db, "/")
    assert first is not None and "Products: 1" in first
    await factories.listing(db, seller)
    await db.flush()
    raw = (await (await db.connection()).get_raw_connection()).driver_connection
    # Within the cache time the rows are not counted again; a new process would count 2.
    assert await reference_app.home(raw) == first
    assert "Products: 2" in (await _reference_page(db, "/") or "")


def test_every_long_tail_page_type_is_loaded_on_the_reference_app_too() -> None:
    paths = {"home": ["/"], "state": ["/states/a", "/states/b"], "product": ["/products/p"]}
    for page in LONG_TAIL_PAGES:
        targets = paths.get(page, ["/states/a/b"])
        assert bench_run.tail_runs("reference", targets) == [
            ("reference (asyncpg + Jinja2)", targets)
        ]
    assert bench_run.tail_runs("cached", ["/"]) == [("cached single URL", ["/"])]
    assert [v for v, _ in bench_run.tail_runs("cached", paths["state"])] == [
        "cached single URL",
        "long tail, page cache on",
    ]
