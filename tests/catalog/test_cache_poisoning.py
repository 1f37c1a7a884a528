"""One bad request must not break a page for everyone (issue 16, section 1).

The catalog cache outlives the request session that filled it. These tests make a request fail
after (or while) it fills the cache, then ask for the page again: it must render. And they walk
every value the cache holds after every page type that uses it has been rendered, so a new
cached value that keeps an ORM instance fails here.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import typing
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import cached, deps, repository, service, views
from app.catalog.cache import TtlCache, mapped_instances
from app.db import Base
from app.preferences import CURRENCY_COOKIE
from app.rates import service as fx
from app.reference.models import State
from tests.catalog.conftest import Catalog

pytestmark = pytest.mark.usefixtures("catalog")
TOO_BIG = 2**70  # beyond any database integer: the query fails in the driver
GI_PAGE = "/gi/firozabad-glass"
DISTRICT_PAGE = "/states/uttar-pradesh/firozabad"


@pytest.fixture
async def lenient_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sees a 500 as a response (the default transport re-raises the error)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def _cache(app: FastAPI) -> TtlCache:
    cache: TtlCache = app.state.catalog_cache
    assert cache.seconds > 0, "these tests need the catalog cache on"
    return cache


@pytest.mark.parametrize("path", [GI_PAGE, DISTRICT_PAGE])
async def test_a_request_that_fails_after_filling_the_cache_does_not_break_the_page(
    app: FastAPI,
    lenient_client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
) -> None:
    # The probe's case: a cursor id of 2**70 reached the query after the GI (or district) had
    # been put in the cache, the database refused it and the session rolled back. Cursors are
    # validated now, so put the bad id straight into the query to fail the same way.
    def bad_cursor(filters: deps.PageFilters) -> tuple[object, int]:
        return (0, TOO_BIG)

    _cache(app).clear()
    with monkeypatch.context() as patch:
        patch.setattr(views, "page_cursor", bad_cursor)
        failed = await lenient_client.get(path, params={"sort": "price_asc"})
    assert failed.status_code == 500
    assert _cache(app)._values, "the failed request filled the cache first"

    page = await lenient_client.get(path)
    assert page.status_code == 200, page.text[:500]
    assert "Firozabad" in page.text


def _cursor(sort: str, value: object, listing_id: object) -> str:
    raw = json.dumps([sort, value, listing_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("price_asc", _cursor("price_asc", 0, TOO_BIG)),
        ("price_asc", _cursor("price_asc", 10**30, 1)),
        ("price_asc", _cursor("price_asc", 0, True)),
        ("newest", _cursor("newest", "0001-01-01T00:00:00+14:00", 1)),
        ("price_asc", _cursor("price_asc", 0, 0)),
        ("price_asc", "x" * 5000),
        ("newest", base64.urlsafe_b64encode(b"[" * 200).decode()),
    ],
    ids=["id-2^70", "price-10^30", "bool-id", "year-1", "id-0", "long", "nested"],
)
async def test_the_probes_cursor_is_refused_and_the_page_stays_up(
    lenient_client: httpx.AsyncClient, sort: str, cursor: str
) -> None:
    page = await lenient_client.get(GI_PAGE, params={"sort": sort, "after": cursor})
    assert page.status_code == 200  # a page ignores a cursor it cannot use: the first page
    api = await lenient_client.get(
        "/api/v1/listings", params={"gi": "firozabad-glass", "sort": sort, "cursor": cursor}
    )
    assert api.status_code == 422, api.text
    assert (await lenient_client.get(GI_PAGE)).status_code == 200


async def test_a_failed_fill_leaves_no_entry(
    app: FastAPI, lenient_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = repository.odop_products_of_gi
    calls = 0

    async def fails_once(session: AsyncSession, gi_tag_id: int) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            await real(session, gi_tag_id)
            raise RuntimeError("the database went away mid-fill")
        return await real(session, gi_tag_id)

    monkeypatch.setattr(repository, "odop_products_of_gi", fails_once)
    cache = _cache(app)
    cache.clear()
    assert (await lenient_client.get(GI_PAGE)).status_code == 500
    assert not [key for key in cache._values if key.startswith("gi-odop:")]

    page = await lenient_client.get(GI_PAGE)
    assert page.status_code == 200 and calls == 2
    assert [key for key in cache._values if key.startswith("gi-odop:")]


async def test_the_cache_refuses_an_orm_instance(db: AsyncSession) -> None:
    state = await db.get(State, 1) or State(id=1, lgd_code=1, name="x", slug="x")

    async def leaky(session: AsyncSession) -> object:
        return {"nested": [service.Counts({}, {}, {}, {}, {}), (state,)]}

    for seconds in (60, 0):
        cache = TtlCache(seconds)
        with pytest.raises(TypeError, match="ORM instance"):
            await cache.get("leaky", leaky, db)
        assert cache._values == {}


# Every page type and API operation that reads through the catalog cache, and the key prefixes
# they must fill between them: a new kind of cached value adds its prefix here.
CACHE_USERS = [
    "/",
    "/gi",
    "/gi?state=uttar-pradesh",
    GI_PAGE,
    "/states/uttar-pradesh",
    DISTRICT_PAGE,
    "/categories/handicrafts",
    "/api/v1/states",
    "/api/v1/states/uttar-pradesh/districts",
    "/api/v1/odop-products?state=uttar-pradesh&district=firozabad",
    "/api/v1/listings?gi=firozabad-glass",
    "/products/blue-glass-bangles",
]
KEY_PREFIXES = {
    "counts",
    "home",
    "rates",
    "gi",
    "gi-odop",
    "state-districts",
    "reference",
    "odop-figures",
}


async def test_no_cached_value_holds_an_orm_instance(
    app: FastAPI, client: httpx.AsyncClient, catalog: Catalog
) -> None:
    cache = _cache(app)
    cache.clear()
    client.cookies.set(CURRENCY_COOKIE, "USD")  # prices in dollars read the cached rates
    for path in CACHE_USERS:
        response = await client.get(path)
        assert response.status_code in {200, 404}, (path, response.status_code)
    assert {key.split(":")[0] for key in cache._values} == KEY_PREFIXES
    for key, (_, value) in cache._values.items():
        assert list(mapped_instances(value)) == [], key


def _types_in(hint: Any) -> typing.Iterator[type]:
    origin = typing.get_origin(hint)
    if origin is None:
        if isinstance(hint, type):
            yield hint
        return
    for arg in typing.get_args(hint):
        yield from _types_in(arg)


def test_no_cached_type_can_hold_an_orm_instance() -> None:
    """The declared shapes: every field of every cached type, recursively, is plain."""
    roots: list[type] = [
        *cached.CACHED_ROW_TYPES,
        service.Counts,
        service.Home,
        service.Place,
        service.OdopFigures,
        fx.Rate,
    ]
    seen: set[type] = set()
    while roots:
        kind = roots.pop()
        if kind in seen:
            continue
        seen.add(kind)
        assert not issubclass(kind, Base), kind
        if dataclasses.is_dataclass(kind):
            assert kind.__dataclass_params__.frozen, f"{kind.__name__} must be frozen"  # type: ignore[attr-defined]
            hints = typing.get_type_hints(kind)
            for f in dataclasses.fields(kind):
                roots.extend(_types_in(hints[f.name]))
    assert cached.DistrictRow in seen and cached.OdopProductRow in seen
