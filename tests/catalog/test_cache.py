from __future__ import annotations

import asyncio
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.catalog.cache import TtlCache

REQUEST_SESSION = cast(AsyncSession, "request session")


class FakeSessions:
    """Stands in for an async_sessionmaker: ``async with factory() as session``."""

    def __init__(self) -> None:
        self.opened = 0

    def __call__(self) -> FakeSessions:
        return self

    async def __aenter__(self) -> str:
        self.opened += 1
        return "background session"

    async def __aexit__(self, *exc: object) -> None:
        return None


async def test_values_are_reused_until_they_expire_then_refreshed_in_the_background() -> None:
    now = [0.0]
    sessions = FakeSessions()
    cache = TtlCache(
        10, sessions=lambda: cast(async_sessionmaker[AsyncSession], sessions), clock=lambda: now[0]
    )
    used: list[Any] = []

    async def compute(session: AsyncSession) -> int:
        used.append(session)
        return len(used)

    assert await cache.get("k", compute, REQUEST_SESSION) == 1
    now[0] = 9.9
    assert await cache.get("k", compute, REQUEST_SESSION) == 1
    now[0] = 10.1
    # Expired: the request gets the stale value at once; a task recomputes it.
    assert await cache.get("k", compute, REQUEST_SESSION) == 1
    assert await cache.get("k", compute, REQUEST_SESSION) == 1  # one refresh at a time
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert await cache.get("k", compute, REQUEST_SESSION) == 2
    assert used == [REQUEST_SESSION, "background session"] and sessions.opened == 1
    cache.clear()
    assert await cache.get("k", compute, REQUEST_SESSION) == 3


async def test_a_failed_refresh_keeps_the_stale_value() -> None:
    now = [0.0]
    sessions = FakeSessions()
    cache = TtlCache(
        1, sessions=lambda: cast(async_sessionmaker[AsyncSession], sessions), clock=lambda: now[0]
    )
    calls = [0]

    async def compute(session: AsyncSession) -> str:
        calls[0] += 1
        if calls[0] > 1:
            raise RuntimeError("database unavailable")
        return "first"

    assert await cache.get("k", compute, REQUEST_SESSION) == "first"
    now[0] = 5
    assert await cache.get("k", compute, REQUEST_SESSION) == "first"
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert await cache.get("k", compute, REQUEST_SESSION) == "first"
    assert calls[0] >= 2  # the refresh did run, and failed


async def test_zero_seconds_turns_caching_off() -> None:
    cache = TtlCache(0)
    values = iter(range(5))

    async def compute(session: AsyncSession) -> int:
        return next(values)

    assert [await cache.get("k", compute, REQUEST_SESSION) for _ in range(3)] == [0, 1, 2]


async def test_misses_are_not_remembered() -> None:
    cache = TtlCache(60)

    async def nothing(session: AsyncSession) -> str | None:
        return None

    for n in range(3):
        assert await cache.get(f"made-up-{n}", nothing, REQUEST_SESSION, keep_none=False) is None
    assert cache._values == {} and cache._locks == {}
