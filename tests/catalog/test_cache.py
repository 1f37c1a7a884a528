from __future__ import annotations

from app.catalog.cache import TtlCache


async def test_values_are_reused_until_they_expire() -> None:
    now = [0.0]
    cache = TtlCache(10, clock=lambda: now[0])
    calls: list[int] = []

    async def compute() -> int:
        calls.append(1)
        return len(calls)

    assert await cache.get("k", compute) == 1
    now[0] = 9.9
    assert await cache.get("k", compute) == 1
    now[0] = 10.1
    assert await cache.get("k", compute) == 2
    cache.clear()
    assert await cache.get("k", compute) == 3


async def test_zero_seconds_turns_caching_off() -> None:
    cache = TtlCache(0)
    values = iter(range(5))

    async def compute() -> int:
        return next(values)

    assert [await cache.get("k", compute) for _ in range(3)] == [0, 1, 2]
