"""The anonymous page cache: what it serves from memory, and everything it must refuse to keep."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Receive, Scope, Send

from app.config import Settings
from app.i18n import LANGUAGE_COOKIE
from app.main import create_app
from app.page_cache import JITTER, REFRESH_AFTER, PageCacheMiddleware
from app.preferences import CURRENCY_COOKIE
from app.web import CSRF_COOKIE, CSRF_RENDERED, FLASH_COOKIE, SESSION_COOKIE


class Backend:
    """A stand-in application that counts its calls and answers as told."""

    def __init__(self) -> None:
        self.calls = 0
        self.status = 200
        self.headers: list[tuple[bytes, bytes]] = [(b"content-type", b"text/html")]
        self.renders_csrf = False
        self.gate: asyncio.Event | None = None
        self.failures = 0  # renders that raise, before the others succeed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.failures:
            self.failures -= 1
            raise RuntimeError("the render failed")
        if self.renders_csrf:
            scope["state"][CSRF_RENDERED] = True
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": b"page ", "more_body": True})
        await send({"type": "http.response.body", "body": str(self.calls).encode()})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def backend() -> Backend:
    return Backend()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def cached(backend: Backend, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    app = PageCacheMiddleware(backend, ttl_seconds=10, max_entries=3, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_a_repeated_anonymous_page_is_served_from_memory_until_it_expires(
    cached: httpx.AsyncClient, backend: Backend, clock: Clock
) -> None:
    first = await cached.get("/states/uttar-pradesh")
    second = await cached.get("/states/uttar-pradesh")
    assert (first.text, first.headers["x-page-cache"]) == ("page 1", "miss")
    assert (second.text, second.headers["x-page-cache"]) == ("page 1", "hit")
    assert second.headers["content-type"] == "text/html"
    assert backend.calls == 1
    clock.now += 10.5
    assert (await cached.get("/states/uttar-pradesh")).text == "page 2"


async def test_language_currency_and_query_each_get_their_own_entry(
    cached: httpx.AsyncClient, backend: Backend
) -> None:
    await cached.get("/gi")
    await cached.get("/gi", headers={"accept-encoding": "identity"})  # the same entry
    await cached.get("/gi", headers={"cookie": f"{LANGUAGE_COOKIE}=hi"})
    await cached.get("/gi", headers={"accept-language": "hi-IN,hi;q=0.9"})  # negotiated to hi
    await cached.get("/gi", headers={"cookie": f"{CURRENCY_COOKIE}=USD"})
    await cached.get("/gi?goods_class=handicraft")
    assert backend.calls == 4  # the accept-language request shares the Hindi entry


PAGE = ("<p>" + "a district's products " * 100 + "</p>").encode()


async def page(scope: Scope, receive: Receive, send: Send) -> None:
    headers = [(b"content-type", b"text/html; charset=utf-8")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": PAGE})


@pytest.mark.parametrize("first", ["gzip", "identity"])
async def test_one_gzipped_entry_serves_visitors_with_and_without_gzip(
    clock: Clock, first: str
) -> None:
    app = PageCacheMiddleware(
        GZipMiddleware(page, minimum_size=800), ttl_seconds=10, max_entries=10, clock=clock
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        # httpx decodes gzip itself; look at the raw bytes and headers.
        async def fetch(encoding: str) -> tuple[httpx.Headers, bytes]:
            async with client.stream("GET", "/gi", headers={"accept-encoding": encoding}) as r:
                return r.headers, b"".join([chunk async for chunk in r.aiter_raw()])

        await fetch(first)
        (entry,) = app.entries.values()
        assert entry.zipped and app.size == len(entry.body) < len(PAGE) / 5
        zipped_headers, zipped = await fetch("gzip")
        plain_headers, plain = await fetch("identity")
    assert zipped_headers["x-page-cache"] == plain_headers["x-page-cache"] == "hit"
    assert zipped_headers["content-encoding"] == "gzip" and gzip.decompress(zipped) == PAGE
    assert "content-encoding" not in plain_headers and plain == PAGE
    assert int(zipped_headers["content-length"]) == len(zipped)
    assert int(plain_headers["content-length"]) == len(PAGE)
    assert plain_headers["vary"] == zipped_headers["vary"] == "Accept-Encoding"


@pytest.mark.parametrize(
    ("cookies", "headers"),
    [
        ({SESSION_COOKIE: "a-session"}, {}),
        ({FLASH_COOKIE: "a-flash"}, {}),
        ({}, {"authorization": "Bearer odop_token"}),
    ],
    ids=["signed-in", "flash-message", "api-token"],
)
async def test_personal_requests_always_reach_the_application(
    cached: httpx.AsyncClient,
    backend: Backend,
    cookies: dict[str, str],
    headers: dict[str, str],
) -> None:
    await cached.get("/products/a-listing")
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    response = await cached.get(
        "/products/a-listing", headers={**headers, **({"cookie": cookie} if cookie else {})}
    )
    assert response.text == "page 2"
    assert "x-page-cache" not in response.headers
    assert backend.calls == 2


@pytest.mark.parametrize(
    "path", ["/search", "/api/v1/search", "/account/sign-in", "/seller", "/admin", "/sell"]
)
async def test_pages_outside_the_public_catalog_are_never_cached(
    cached: httpx.AsyncClient, backend: Backend, path: str
) -> None:
    await cached.get(path)
    await cached.get(path)
    assert backend.calls == 2


async def test_only_get_is_cached(cached: httpx.AsyncClient, backend: Backend) -> None:
    await cached.post("/api/v1/listings")
    await cached.post("/api/v1/listings")
    await cached.head("/api/v1/listings")
    assert backend.calls == 3


@pytest.mark.parametrize(
    "refusal",
    ["status-404", "set-cookie", "csrf-rendered", "no-store", "private"],
)
async def test_responses_that_belong_to_one_visitor_or_are_errors_are_not_kept(
    cached: httpx.AsyncClient, backend: Backend, refusal: str
) -> None:
    if refusal == "status-404":
        backend.status = 404
    elif refusal == "set-cookie":
        backend.headers = [*backend.headers, (b"set-cookie", b"odop_csrf=abc; Path=/")]
    elif refusal == "csrf-rendered":
        backend.renders_csrf = True
    else:
        backend.headers = [*backend.headers, (b"cache-control", refusal.encode())]
    await cached.get("/categories/textiles")
    response = await cached.get("/categories/textiles")
    assert response.headers["x-page-cache"] == "miss"
    assert backend.calls == 2


async def test_the_least_recently_used_entry_goes_first_when_full(
    cached: httpx.AsyncClient, backend: Backend
) -> None:
    for path in ("/gi/a", "/gi/b", "/gi/c"):
        await cached.get(path)
    await cached.get("/gi/a")  # now the most recently used
    await cached.get("/gi/d")  # evicts /gi/b
    assert (await cached.get("/gi/a")).headers["x-page-cache"] == "hit"
    assert (await cached.get("/gi/b")).headers["x-page-cache"] == "miss"
    assert backend.calls == 5


async def test_the_bodies_kept_stay_within_the_byte_budget(backend: Backend, clock: Clock) -> None:
    app = PageCacheMiddleware(backend, ttl_seconds=10, max_entries=100, max_bytes=14, clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        for path in ("/gi/a", "/gi/b", "/gi/c"):  # bodies of 6 bytes: "page 1" …
            await client.get(path)
        assert list(app.entries) == [(p, b"", "en", "") for p in ("/gi/b", "/gi/c")]
        assert app.size == 12
        assert (await client.get("/gi/c")).headers["x-page-cache"] == "hit"
        assert (await client.get("/gi/a")).headers["x-page-cache"] == "miss"


async def test_a_page_too_old_to_serve_even_stale_does_not_keep_memory(
    backend: Backend, clock: Clock
) -> None:
    app = PageCacheMiddleware(backend, ttl_seconds=10, max_entries=100, clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        await client.get("/gi/a")
        await client.get("/gi/b")
        clock.now += 15  # expired, still served stale while re-rendered: kept
        await client.get("/gi/c")
        assert len(app.entries) == 3
        clock.now += 6  # /gi/a and /gi/b are past their stale window
        await client.get("/gi/d")
        assert [key[0] for key in app.entries] == ["/gi/c", "/gi/d"]
        assert app.size == 12


async def test_a_session_cookie_after_a_malformed_one_still_bypasses_the_cache(
    cached: httpx.AsyncClient, backend: Backend
) -> None:
    header = f'{LANGUAGE_COOKIE}="unterminated; {SESSION_COOKIE}=a-session'
    for _ in range(2):
        await cached.get("/gi", headers={"cookie": header})
    assert backend.calls == 2


async def _until_rendering(backend: Backend, calls: int) -> None:
    for _ in range(100):
        if backend.calls >= calls:
            return
        await asyncio.sleep(0)
    raise AssertionError("the application was never called")


async def test_concurrent_misses_render_once_and_share_the_result(
    cached: httpx.AsyncClient, backend: Backend
) -> None:
    backend.gate = asyncio.Event()
    first = asyncio.create_task(cached.get("/gi/firozabad-glass"))
    await _until_rendering(backend, 1)
    second = asyncio.create_task(cached.get("/gi/firozabad-glass"))
    await asyncio.sleep(0.01)
    backend.gate.set()
    responses = await asyncio.gather(first, second)
    assert [r.text for r in responses] == ["page 1", "page 1"]
    assert [r.headers["x-page-cache"] for r in responses] == ["miss", "hit"]
    assert backend.calls == 1


async def test_while_an_expired_page_is_rendered_again_others_get_the_old_one(
    cached: httpx.AsyncClient, backend: Backend, clock: Clock
) -> None:
    await cached.get("/gi/firozabad-glass")
    clock.now += 11  # expired, but younger than twice the TTL
    backend.gate = asyncio.Event()
    refresh = asyncio.create_task(cached.get("/gi/firozabad-glass"))
    await _until_rendering(backend, 2)
    meanwhile = await cached.get("/gi/firozabad-glass")
    assert (meanwhile.text, meanwhile.headers["x-page-cache"]) == ("page 1", "stale")
    backend.gate.set()
    assert (await refresh).text == "page 2"
    assert (await cached.get("/gi/firozabad-glass")).headers["x-page-cache"] == "hit"


async def test_a_page_too_old_to_serve_waits_for_the_new_render(
    cached: httpx.AsyncClient, backend: Backend, clock: Clock
) -> None:
    await cached.get("/gi/firozabad-glass")
    clock.now += 25  # more than twice the TTL
    backend.gate = asyncio.Event()
    refresh = asyncio.create_task(cached.get("/gi/firozabad-glass"))
    await _until_rendering(backend, 2)
    waiting = asyncio.create_task(cached.get("/gi/firozabad-glass"))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    backend.gate.set()
    assert [(await refresh).text, (await waiting).text] == ["page 2", "page 2"]
    assert backend.calls == 2


@pytest.fixture
async def live_app(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(
        settings.model_copy(update={"page_cache_seconds": 30}), session_factory=session_factory
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_catalog_pages_set_no_cookie_so_they_are_cached(
    live_app: httpx.AsyncClient, db: AsyncSession
) -> None:
    first = await live_app.get("/gi")
    second = await live_app.get("/gi")
    assert first.status_code == 200
    assert CSRF_COOKIE not in first.cookies
    assert (first.headers["x-page-cache"], second.headers["x-page-cache"]) == ("miss", "hit")
    assert second.text == first.text
    assert "x-request-id" in first.headers and "x-request-id" not in second.headers


async def test_a_page_with_a_form_sets_the_csrf_cookie_and_is_not_cached(
    live_app: httpx.AsyncClient, db: AsyncSession
) -> None:
    page = await live_app.get("/account/sign-in")
    token = live_app.cookies.get(CSRF_COOKIE)
    # The form carries a token derived from the cookie's secret, never the secret itself.
    assert token and 'name="csrf_token" value="' in page.text and token not in page.text
    assert "x-page-cache" not in page.headers


async def test_a_failed_render_stores_nothing_and_the_waiting_requests_render_for_themselves(
    backend: Backend, clock: Clock
) -> None:
    app = PageCacheMiddleware(backend, ttl_seconds=10, max_entries=3, clock=clock)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        backend.failures = 1
        backend.gate = asyncio.Event()
        first = asyncio.create_task(client.get("/gi/firozabad-glass"))
        await asyncio.sleep(0.01)
        waiting = asyncio.create_task(client.get("/gi/firozabad-glass"))  # joins the render
        await asyncio.sleep(0.01)
        backend.gate.set()
        assert (await first).status_code == 500
        second = await waiting
        assert (second.status_code, second.text) == (200, "page 2")
        assert app.entries == {}  # a waiter renders for itself, and keeps nothing either
        third = await client.get("/gi/firozabad-glass")
        fourth = await client.get("/gi/firozabad-glass")
    assert (third.text, third.headers["x-page-cache"]) == ("page 3", "miss")
    assert (fourth.text, fourth.headers["x-page-cache"]) == ("page 3", "hit")


async def test_entries_expire_with_jitter_so_pages_rendered_together_do_not_expire_together(
    backend: Backend, clock: Clock
) -> None:
    draws = iter([0.0, 1.0, 0.0])
    app = PageCacheMiddleware(
        backend, ttl_seconds=10, max_entries=3, clock=clock, chance=lambda: next(draws)
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        await client.get("/gi/a")  # lives the whole TTL
        await client.get("/gi/b")  # lives (1 - JITTER) of it
        clock.now += 10 * (1 - JITTER) + 0.1
        assert (await client.get("/gi/a")).headers["x-page-cache"] == "hit"
        assert (await client.get("/gi/b")).headers["x-page-cache"] == "miss"


async def test_a_page_asked_for_late_in_its_life_is_rendered_again_in_the_background(
    backend: Backend, clock: Clock
) -> None:
    app = PageCacheMiddleware(backend, ttl_seconds=10, max_entries=3, clock=clock, chance=lambda: 0)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        await client.get("/gi/a")
        clock.now += 10 * REFRESH_AFTER - 0.1
        assert (await client.get("/gi/a")).text == "page 1"
        assert backend.calls == 1  # not yet late in its life
        clock.now += 0.2
        backend.gate = asyncio.Event()
        late = await client.get("/gi/a")
        assert (late.text, late.headers["x-page-cache"]) == ("page 1", "hit")  # not kept waiting
        await _until_rendering(backend, 2)
        assert (await client.get("/gi/a")).text == "page 1"  # one background render at a time
        backend.gate.set()
        await asyncio.gather(*app.refreshing)
        assert backend.calls == 2
        fresh = await client.get("/gi/a")
        assert (fresh.text, fresh.headers["x-page-cache"]) == ("page 2", "hit")
