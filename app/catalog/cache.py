"""A short-lived, per-process cache for catalog aggregates (counts, featured places, rates).

Home and state pages show counts over the whole catalog; computing them per request would scan
the listings table. They are cached for ``ODOP_CATALOG_CACHE_SECONDS`` (0 turns caching off), so
every process converges within that time and none holds state another process needs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


class TtlCache:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._values: dict[str, tuple[float, Any]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, key: str, compute: Callable[[], Awaitable[T]]) -> T:
        """The cached value of ``key``, computed once per expiry even under concurrent requests."""
        if self.seconds <= 0:
            return await compute()
        hit = self._values.get(key)
        if hit is not None and hit[0] > self.clock():
            value: T = hit[1]
            return value
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            hit = self._values.get(key)
            if hit is not None and hit[0] > self.clock():
                cached: T = hit[1]
                return cached
            fresh = await compute()
            self._values[key] = (self.clock() + self.seconds, fresh)
            return fresh

    def clear(self) -> None:
        self._values.clear()
