"""A short-lived, per-process cache for catalog aggregates (counts, featured places, rates).

Home and State pages show counts over the whole catalog; computing them per request would scan
the listings table. They are cached for ``ODOP_CATALOG_CACHE_SECONDS`` (0 turns caching off), so
every process converges within that time and none holds state another process needs.

When a value expires, requests keep getting the previous value while one background task
recomputes it with its own database session, so no request waits for the scan (stale while
revalidate). Only the very first computation happens inside a request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

T = TypeVar("T")
Compute = Callable[[AsyncSession], Awaitable[T]]
logger = logging.getLogger(__name__)


class TtlCache:
    def __init__(
        self,
        seconds: float,
        sessions: Callable[[], async_sessionmaker[AsyncSession] | None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self.sessions = sessions
        self.clock = clock
        self._values: dict[str, tuple[float, Any]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._refreshing: dict[str, asyncio.Task[None]] = {}

    async def get(
        self, key: str, compute: Compute[T], session: AsyncSession, *, keep_none: bool = True
    ) -> T:
        """The value of ``key``, computed with ``session`` only when there is none yet.

        ``keep_none=False`` does not remember a None (a miss by a made-up slug must not grow
        the cache)."""
        if self.seconds <= 0:
            return await compute(session)
        hit = self._values.get(key)
        if hit is not None:
            if hit[0] <= self.clock():
                self._refresh_in_background(key, compute)
            value: T = hit[1]
            return value
        async with self._locks.setdefault(key, asyncio.Lock()):
            hit = self._values.get(key)
            if hit is None:
                hit = (self.clock() + self.seconds, await compute(session))
                if hit[1] is not None or keep_none:
                    self._values[key] = hit
                else:
                    self._locks.pop(key, None)
            fresh: T = hit[1]
            return fresh

    def _refresh_in_background(self, key: str, compute: Compute[Any]) -> None:
        factory = self.sessions()
        if factory is None:  # no database of our own: drop the value, the next request computes
            self._values.pop(key, None)
            return
        if key in self._refreshing:
            return

        async def refresh() -> None:
            try:
                async with factory() as session:
                    value = await compute(session)
                self._values[key] = (self.clock() + self.seconds, value)
            except Exception:  # keep serving the stale value; try again on the next request
                logger.exception("catalog cache refresh failed", extra={"key": key})
            finally:
                self._refreshing.pop(key, None)

        self._refreshing[key] = asyncio.create_task(refresh())

    def clear(self) -> None:
        self._values.clear()
