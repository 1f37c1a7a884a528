"""A short-lived, per-process cache for catalog aggregates (counts, featured places, rates).

Home and State pages show counts over the whole catalog; computing them per request would scan
the listings table. They are cached for ``ODOP_CATALOG_CACHE_SECONDS`` (0 turns caching off), so
every process converges within that time and none holds state another process needs.

When a value expires, requests keep getting the previous value while one background task
recomputes it with its own database session, so no request waits for the scan (stale while
revalidate). Only the very first computation happens inside a request.

Values outlive the session that computed them, so they must be plain data (frozen dataclasses,
tuples, numbers, strings): an ORM instance would be expired by that session's rollback and break
the page for every later request. ``get`` refuses such a value, and a computation that fails
leaves no entry.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstanceState

T = TypeVar("T")
Compute = Callable[[AsyncSession], Awaitable[T]]
logger = logging.getLogger(__name__)
_ATOMS = (str, bytes, int, float, bool, Decimal, date, datetime, Enum, type(None))


def mapped_instances(value: object) -> Iterator[object]:
    """Every SQLAlchemy-mapped instance reachable from ``value`` (containers, dataclasses)."""
    seen: set[int] = set()
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, _ATOMS) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(inspect(item, raiseerr=False), InstanceState):
            yield item
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            pending.extend(item)
        elif dataclasses.is_dataclass(item):
            pending.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        elif hasattr(item, "__dict__"):
            pending.extend(vars(item).values())


def require_plain(key: str, value: object) -> None:
    """Refuse to cache a value that holds an ORM instance (see the module docstring)."""
    for instance in mapped_instances(value):
        raise TypeError(
            f"catalog cache entry {key!r} would keep a {type(instance).__name__} ORM instance;"
            " cache a frozen copy (app/catalog/cached.py) instead"
        )


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
            uncached = await compute(session)
            require_plain(key, uncached)  # the same shapes with caching off, so tests see them
            return uncached
        hit = self._values.get(key)
        if hit is not None:
            if hit[0] <= self.clock():
                self._refresh_in_background(key, compute)
            value: T = hit[1]
            return value
        async with self._locks.setdefault(key, asyncio.Lock()):
            hit = self._values.get(key)
            if hit is None:
                computed = await compute(session)  # an exception here leaves no entry
                require_plain(key, computed)
                hit = (self.clock() + self.seconds, computed)
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
                require_plain(key, value)
                self._values[key] = (self.clock() + self.seconds, value)
            except Exception:  # keep serving the stale value; try again on the next request
                logger.exception("catalog cache refresh failed", extra={"key": key})
            finally:
                self._refreshing.pop(key, None)

        self._refreshing[key] = asyncio.create_task(refresh())

    def clear(self) -> None:
        self._values.clear()
