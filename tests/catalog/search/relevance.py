"""The relevance suite: buyer queries with graded expectations (relevance_queries.yaml).

``python -m tests.catalog.search.relevance DATABASE_URL [--backend database|meilisearch]`` runs
it against a database seeded with ``odop seed demo`` and indexed, and prints each failure and the
pass rate; test_relevance.py beside it runs it on a demo catalog seeded in the test database.
"""

from __future__ import annotations

import argparse
import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from app.catalog.search.base import Hit, SearchQuery, SearchResult

CASES_FILE = Path(__file__).with_name("relevance_queries.yaml")
GRADES = ("first", "top3", "any5")
FIELDS = {"title", "district", "state", "gi"}


@dataclass(frozen=True)
class Case:
    q: str
    grade: str
    expect: dict[str, str]
    ignored: tuple[str, ...] = ()

    def meets(self, hit: Hit) -> bool:
        values = {
            "title": hit.title,
            "district": hit.district,
            "state": hit.state,
            "gi": hit.gi_name or "",
        }
        return all(re.search(p, values[f], re.IGNORECASE) for f, p in self.expect.items())

    def judge(self, result: SearchResult) -> str | None:
        """None when the result passes, else why not."""
        hits = result.hits
        if self.grade == "first":
            ok = bool(hits) and self.meets(hits[0])
        elif self.grade == "top3":
            ok = bool(hits) and all(self.meets(h) for h in hits[:3])
        else:
            ok = any(self.meets(h) for h in hits[:5])
        if not ok:
            shown = "; ".join(f"{h.title} [{h.district}, {h.state}]" for h in hits[:5])
            return f"{self.grade} {self.expect}: got {shown or 'nothing'}"
        missing = [w for w in self.ignored if w not in result.ignored]
        if missing:
            return f"should report {missing} as ignored, reported {result.ignored}"
        return None


def load_cases(path: Path = CASES_FILE) -> list[Case]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = []
    for item in raw:
        grade = item["grade"]
        expect = {str(k): str(v) for k, v in item["expect"].items()}
        if grade not in GRADES or not expect or set(expect) - FIELDS:
            raise ValueError(f"bad relevance case: {item}")
        cases.append(Case(str(item["q"]), grade, expect, tuple(item.get("ignored", ()))))
    return cases


@dataclass
class Report:
    passed: int
    failures: list[tuple[Case, str]]

    @property
    def total(self) -> int:
        return self.passed + len(self.failures)

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def describe(self) -> str:
        lines = [f"  {case.q!r}: {why}" for case, why in self.failures]
        lines.append(f"{self.passed}/{self.total} passed ({self.rate:.1%})")
        return "\n".join(lines)


async def run(search: Callable[[SearchQuery], Awaitable[SearchResult]]) -> Report:
    passed, failures = 0, []
    for case in load_cases():
        result = await search(SearchQuery(text=case.q, per_page=5, with_facets=False))
        why = case.judge(result)
        if why is None:
            passed += 1
        else:
            failures.append((case, why))
    return Report(passed, failures)


async def _main(database_url: str, backend: str, meili_url: str) -> Report:
    from app.catalog.search import service
    from app.config import Settings
    from app.db import make_engine, make_session_factory

    settings = Settings(
        database_url=database_url,
        search_backend=backend,
        meili_url=meili_url,
        search_cache_seconds=0,
        log_level="WARNING",
    )
    engine = make_engine(database_url)
    try:
        async with make_session_factory(engine)() as session:

            async def search(query: SearchQuery) -> Any:
                return await service.search(session, query, settings)

            return await run(search)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("database_url")
    parser.add_argument("--backend", default="database")
    parser.add_argument("--meili-url", default="")
    args = parser.parse_args()
    print(asyncio.run(_main(args.database_url, args.backend, args.meili_url)).describe())
