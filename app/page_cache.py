"""A short-lived, per-process cache of public catalog responses for anonymous visitors.

Most catalog traffic is anonymous and reads the same pages; rendering one costs a few database
queries and a template, serving it from memory costs a dictionary lookup. This is the in-app
equivalent of a reverse proxy's micro-cache, with the same rules a careful proxy would apply:

- only GET requests to the public catalog pages and API, never search, accounts, seller or admin;
- only visitors without a session or flash cookie or an API token (signed-in users see fresh pages);
- only 200 responses that set no cookie, embed no CSRF token and are not ``no-store``/``private``;
- keyed by path, query, language and display currency, bounded in entries and in bytes of
  bodies (least recently used first); a body is kept gzipped (a fifth of its size) whatever the
  visitor who caused the render took, and unzipped on the way out for a visitor that takes no
  gzip; an entry too old even to be served stale is dropped as soon as it is the least recently
  used, so a long tail of pages read once does not keep memory.

Concurrent misses for one key render it once; while an expired entry is rendered again, other
requests get the expired one (for at most one more TTL) instead of piling onto the database.
Each entry lives a random 85–100 % of the TTL, so pages rendered together do not expire together,
and a page still asked for in the last fifth of its life is rendered again in the background
(the request that noticed is answered from memory), so a popular page never waits for a render.
A change to a listing reaches anonymous visitors within ``ODOP_PAGE_CACHE_SECONDS``; ``0`` turns
the cache off. Nothing here is needed by another process, so several workers stay independent.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.i18n import LANGUAGE_COOKIE, negotiate
from app.preferences import CURRENCY_COOKIE
from app.web import CSRF_RENDERED, FLASH_COOKIE, SESSION_COOKIE

CACHEABLE_PREFIXES = (
    "/states/",
    "/gi",
    "/categories/",
    "/products/",
    "/api/v1/states",
    "/api/v1/gi-tags",
    "/api/v1/categories",
    "/api/v1/odop-products",
    "/api/v1/listings",
)
MAX_BODY_BYTES = 256_000  # a district page is about 5 KB gzipped
CACHE_STATUS_HEADER = b"x-page-cache"
# A visitor with any of these (plain, or ``__Host-`` prefixed in production) sees a private page.
PRIVATE_COOKIES = (
    SESSION_COOKIE,
    FLASH_COOKIE,
    f"__Host-{SESSION_COOKIE}",
    f"__Host-{FLASH_COOKIE}",
)
# Headers that describe one request, not the page: never replayed to another visitor. The body's
# encoding and length are set on the way out, for the visitor's accept-encoding.
PER_REQUEST_HEADERS = frozenset({b"x-request-id", b"content-encoding", b"content-length"})
GZIP_MINIMUM_BYTES = 800  # as the app's GZipMiddleware: smaller bodies are kept and sent plain

CacheKey = tuple[str, bytes, str, str]
JITTER = 0.15  # an entry lives between (1 - JITTER) × TTL and the TTL
REFRESH_AFTER = 0.8  # of its life, after which a request for it renders it again in the background
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CachedResponse:
    expires_at: float
    headers: list[tuple[bytes, bytes]]  # without content-encoding and content-length
    body: bytes
    refresh_at: float = float("inf")
    zipped: bool = False  # the body is gzipped


def is_cacheable_path(path: str) -> bool:
    return path == "/" or path.startswith(CACHEABLE_PREFIXES)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def request_key(scope: Scope) -> CacheKey | None:
    """The cache key of an anonymous catalog GET, or None when the request must not be cached."""
    if scope["type"] != "http" or scope["method"] != "GET" or not is_cacheable_path(scope["path"]):
        return None
    # The parser the application itself uses, so both agree on whether a session cookie is there.
    cookies = cookie_parser(_header(scope, b"cookie"))
    if any(name in cookies for name in PRIVATE_COOKIES) or _header(scope, b"authorization"):
        return None
    language = negotiate(cookies.get(LANGUAGE_COOKIE), _header(scope, b"accept-language"))
    currency = cookies.get(CURRENCY_COOKIE, "")[:8]
    return (scope["path"], scope["query_string"], language, currency)


def takes_gzip(scope: Scope) -> bool:
    return "gzip" in _header(scope, b"accept-encoding")


def _is_storable(start: Message, state: dict[str, object]) -> bool:
    if start["status"] != 200 or state.get(CSRF_RENDERED):
        return False
    for name, value in start["headers"]:
        if name == b"set-cookie":
            return False
        if name == b"cache-control" and (b"no-store" in value or b"private" in value):
            return False
    return True


class PageCacheMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        ttl_seconds: float,
        max_entries: int,
        max_bytes: int = 8 * 1024 * 1024,
        clock: Callable[[], float] = time.monotonic,
        chance: Callable[[], float] = random.random,
    ) -> None:
        self.app = app
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.size = 0  # bytes of the bodies held
        self.clock = clock
        self.chance = chance
        self.refreshing: set[asyncio.Task[None]] = set()
        self.entries: OrderedDict[CacheKey, CachedResponse] = OrderedDict()
        # One render per key at a time: the others wait for it, or get the expiring entry.
        self.rendering: dict[CacheKey, asyncio.Future[CachedResponse | None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = request_key(scope) if self.ttl_seconds > 0 else None
        if key is None:
            await self.app(scope, receive, send)
            return
        now = self.clock()
        cached = self.entries.get(key)
        if cached is not None and cached.expires_at > now:
            self.entries.move_to_end(key)
            if cached.refresh_at <= now and key not in self.rendering:
                self._refresh_in_background(key, scope)
            await _send_cached(send, cached, b"hit", scope)
            return
        render = self.rendering.get(key)
        if render is not None:
            if cached is not None and cached.expires_at + self.ttl_seconds > now:
                await _send_cached(send, cached, b"stale", scope)
                return
            rendered = await asyncio.shield(render)
            if rendered is not None:
                await _send_cached(send, rendered, b"hit", scope)
            else:
                await self.app(scope, receive, send)
            return
        render = asyncio.get_running_loop().create_future()
        self.rendering[key] = render
        stored: CachedResponse | None = None
        try:
            stored = await self._respond_and_store(key, scope, receive, send)
        finally:
            del self.rendering[key]
            render.set_result(stored)

    def _refresh_in_background(self, key: CacheKey, scope: Scope) -> None:
        """Render ``key`` again for the cache alone; requests meanwhile get the current entry."""
        render = asyncio.get_running_loop().create_future()
        self.rendering[key] = render
        request = {**scope, "state": dict(scope.get("state") or {})}

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def discard(message: Message) -> None:
            return None

        async def refresh() -> None:
            stored: CachedResponse | None = None
            try:
                stored = await self._respond_and_store(key, request, receive, discard)
            except Exception:  # the current entry stays until it expires
                logger.exception("page cache refresh failed", extra={"path": key[0]})
            finally:
                del self.rendering[key]
                render.set_result(stored)

        task = asyncio.create_task(refresh())
        self.refreshing.add(task)
        task.add_done_callback(self.refreshing.discard)

    async def _respond_and_store(
        self, key: CacheKey, scope: Scope, receive: Receive, send: Send
    ) -> CachedResponse | None:
        state: dict[str, object] = scope.setdefault("state", {})
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        storable = False
        stored: CachedResponse | None = None

        async def capture(message: Message) -> None:
            nonlocal start, size, storable, stored
            if message["type"] == "http.response.start":
                start = message
                storable = _is_storable(message, state)
                message = {
                    **message,
                    "headers": [*message["headers"], (CACHE_STATUS_HEADER, b"miss")],
                }
            elif message["type"] == "http.response.body" and storable:
                body: bytes = message.get("body", b"")
                size += len(body)
                chunks.append(body)
                if size > MAX_BODY_BYTES:
                    storable = False
                    chunks.clear()
                elif not message.get("more_body", False) and start is not None:
                    stored = self._store(key, start["headers"], b"".join(chunks))
            await send(message)

        await self.app(scope, receive, capture)
        return stored

    def _store(
        self, key: CacheKey, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> CachedResponse:
        zipped = (b"content-encoding", b"gzip") in headers
        if not zipped and len(body) >= GZIP_MINIMUM_BYTES:
            body, zipped = gzip.compress(body, compresslevel=6), True
        kept = [(name, value) for name, value in headers if name not in PER_REQUEST_HEADERS]
        now = self.clock()
        life = self.ttl_seconds * (1 - JITTER * self.chance())
        entry = CachedResponse(now + life, kept, body, now + life * REFRESH_AFTER, zipped)
        replaced = self.entries.pop(key, None)
        if replaced is not None:
            self.size -= len(replaced.body)
        self.entries[key] = entry
        self.size += len(body)
        self._evict(now)
        return entry

    def _evict(self, now: float) -> None:
        """Drop least recently used entries while over a bound or too old to serve even stale."""
        while self.entries:
            key, oldest = next(iter(self.entries.items()))
            dead = oldest.expires_at + self.ttl_seconds <= now
            full = len(self.entries) > self.max_entries or self.size > self.max_bytes
            if not (dead or full) or key == next(reversed(self.entries)):
                return
            del self.entries[key]
            self.size -= len(oldest.body)


async def _send_cached(send: Send, cached: CachedResponse, status: bytes, scope: Scope) -> None:
    body, headers = cached.body, [*cached.headers, (CACHE_STATUS_HEADER, status)]
    if cached.zipped and takes_gzip(scope):
        headers.append((b"content-encoding", b"gzip"))
    elif cached.zipped:
        body = gzip.decompress(body)
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
