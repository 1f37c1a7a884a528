"""The soak benchmark's load mix, measurements and verdict (not the soak itself: minutes long)."""

from __future__ import annotations

import gc
import json
import signal
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

from bench import gc_probe, soak
from bench.harness import WrkResult

SLUGS = [f"item-{i}" for i in range(500)] + ["साड़ी one"]
DISTRICTS = [("uttar-pradesh", "firozabad"), ("bihar", "madhubani")]
SEARCHES = [{"q": "banarasi saree"}, {"q": "silk", "sort": "price_asc"}]


def _kind(path: str) -> str:
    return path.split("/")[1].split("?")[0]


def test_the_load_mixes_long_tail_products_with_districts_and_searches() -> None:
    paths = soak.build_paths(
        SLUGS, DISTRICTS, SEARCHES, mix=soak.Mix(districts=0.1, searches=0.2), count=5000, seed=1
    )
    kinds = Counter(_kind(p) for p in paths)
    assert kinds == {"products": 3500, "states": 500, "search": 1000}
    products = Counter(p for p in paths if p.startswith("/products/"))
    assert len(products) > 450  # most of the 501 products are asked, none dominates
    assert max(products.values()) < 25
    assert "/search?q=silk&sort=price_asc" in paths
    assert "/states/bihar/madhubani" in paths
    # Shuffled: the districts and searches are spread over the rotation, not one block.
    assert {_kind(p) for p in paths[:100]} == {"products", "states", "search"}
    # Percent-encoded, as the wrk rotation requires; the same seed gives the same load.
    assert all(p.isascii() and " " not in p for p in paths)
    assert paths == soak.build_paths(
        SLUGS, DISTRICTS, SEARCHES, mix=soak.Mix(0.1, 0.2), count=5000, seed=1
    )


def test_without_districts_or_searches_every_path_is_a_product_and_products_are_required() -> None:
    paths = soak.build_paths(SLUGS, [], [], mix=soak.Mix(), count=100, seed=2)
    assert all(p.startswith("/products/") for p in paths)
    with pytest.raises(ValueError, match="no product"):
        soak.build_paths([], DISTRICTS, SEARCHES, mix=soak.Mix(), count=10, seed=2)


def test_rss_is_read_from_proc_status() -> None:
    assert soak.rss_mb("Name:\tpython\nVmRSS:\t  204800 kB\nVmSwap:\t0 kB\n") == 200.0
    assert soak.rss_mb("Name:\tzombie\n") is None
    rss = soak.read_rss_mb(__import__("os").getpid())
    assert rss is not None and rss > 10


def test_a_dead_worker_is_described_by_its_signal_or_status() -> None:
    assert soak.describe_exit(-signal.SIGSEGV) == "killed by SIGSEGV"
    assert soak.describe_exit(3) == "exited with status 3"
    assert soak.describe_exit(None) == "running"


def _result(statuses: dict[int, int]) -> WrkResult:
    return WrkResult(
        requests=sum(statuses.values()),
        duration_s=60,
        p50_ms=5,
        p99_ms=50,
        max_ms=200,
        statuses=statuses,
        socket_errors={"connect": 0, "read": 0, "write": 0, "timeout": 0},
    )


def _report(
    rss: Sequence[float | None],
    exit_code: int | None = None,
    statuses: dict[int, int] | None = None,
) -> soak.SoakReport:
    samples = [soak.Sample(10.0 * i, value) for i, value in enumerate(rss)]
    result = _result(statuses if statuses is not None else {200: 1000})
    return soak.SoakReport(600, samples, exit_code, "Fatal Python error", result, {})


def test_the_verdict_fails_on_a_crash_a_5xx_or_memory_growth_and_passes_otherwise() -> None:
    flat = [150.0] * 6 + [180.0, 181.0, 180.5, 182.0]  # grows while warming up, then flat
    assert _report(flat).failures(max_growth_mb=50) == []
    assert _report(flat).rss_growth_mb() == pytest.approx(2.0)

    crashed = _report([*flat, None], exit_code=-signal.SIGSEGV)
    assert crashed.crashed
    assert crashed.failures(50) == ["the worker died: killed by SIGSEGV"]

    errors = _report(flat, statuses={200: 990, 500: 7, 503: 3, 404: 5})
    assert errors.server_errors == 10
    assert errors.failures(50) == ["10 responses were 5xx"]

    leaking = _report([150.0 + 10 * i for i in range(20)])
    assert leaking.failures(50) == ["RSS grew by 130 MB after the first minute"]


def test_the_printed_report_shows_samples_statuses_and_verdict() -> None:
    report = _report([150.0] * 8, statuses={200: 990, 502: 10})
    report.gc = {"2": gc_probe.summarise([1.0, 2.0, 30.0])}
    _, summary, verdict = soak.render(report, 50)
    assert verdict.startswith("[red]FAIL[/red]: 10 responses were 5xx")
    assert soak.render(_report([150.0] * 8), 50)[2].startswith("[green]PASS")
    measures = dict(zip(summary.columns[0].cells, summary.columns[1].cells, strict=True))
    assert measures["5xx"] == "10"
    assert measures["gc gen2 pauses"] == "3 × p50 2.0 / p99 30.0 / max 30.0 ms"


def test_the_gc_probe_times_collections_and_writes_a_summary(tmp_path: Path) -> None:
    target = tmp_path / "gc.json"
    probe = gc_probe.GcProbe(target)
    gc.callbacks.append(probe.callback)
    try:
        gc.collect()
        gc.collect(0)
    finally:
        gc.callbacks.remove(probe.callback)
    probe.dump()
    summary = json.loads(target.read_text())
    assert summary["2"]["count"] == 1 and summary["0"]["count"] >= 1
    assert 0 < summary["2"]["max_ms"] == summary["2"]["total_ms"]
    assert soak.read_gc(target) == summary
    assert soak.read_gc(tmp_path / "missing.json") == {}
    assert gc_probe.summarise([])["count"] == 0
