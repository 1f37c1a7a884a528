"""Schemathesis against /openapi.json: no input to any JSON operation gives a 5xx, and every
response is one the schema documents (status, content type, body, headers).

Cases are generated from the app's own schema, valid ones and deliberately invalid ones, and sent
through the in-process ASGI client of the other tests (so they run in the test's transaction, on
SQLite and PostgreSQL). Seller operations get a real seller's bearer token and, half of the time,
the id of the seller's own listing, so they get past the 404 and exercise the validators.
``ODOP_FUZZ_EXAMPLES`` sets the examples per operation (default 10; derandomized, so every run
sends the same cases and a failure reproduces).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.catalog.search import service as search
from app.config import Settings
from app.main import create_app
from tests import factories

EXAMPLES = int(os.environ.get("ODOP_FUZZ_EXAMPLES", "10"))
OPENAPI = create_app(Settings(env="test", database_url="sqlite+aiosqlite://")).openapi()
SCHEMA = schemathesis.openapi.from_dict(OPENAPI)
OPERATIONS = sorted(
    (method.upper(), path) for path, operations in OPENAPI["paths"].items() for method in operations
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@dataclass
class Seller:
    token: str
    listing_id: int


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Caches that do not expire during the run: the test's sessions share one connection, and
    a background refresh (catalog aggregates, search results) would interleave with a request's
    savepoints on it (in production each session has its own connection)."""
    return settings.model_copy(
        update={"catalog_cache_seconds": 3600.0, "search_cache_seconds": 3600.0}
    )


@pytest.fixture
async def seller(db: AsyncSession, settings: Settings) -> Seller:
    await search.setup(db, settings)  # the search operations need their index
    owner, found = await factories.verified_seller(db, settings)
    listing = await factories.listing(db, found, title="Fuzzed glass vase")
    _, secret = await accounts.create_api_token(
        db, owner, name="fuzz", scopes=["catalog:read", "seller:read", "seller:write"]
    )
    await db.commit()
    return Seller(secret, listing.id)


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Sees a 500 as a response, so the check reports it with the case that caused it."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def test_every_api_operation_is_fuzzed() -> None:
    assert len(OPERATIONS) >= 17  # the seller, account, catalog and search operations
    assert {path for _, path in OPERATIONS} >= {
        "/api/v1/seller/listings/{listing_id}",
        "/api/v1/me",
        "/api/v1/listings",
        "/api/v1/search",
    }


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases on every run: a failure here is reproducible
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
async def test_no_input_breaks_an_api_operation(
    method: str,
    path: str,
    data: st.DataObject,
    api: httpx.AsyncClient,
    seller: Seller,
) -> None:
    mode = data.draw(st.sampled_from(list(GenerationMode)), label="mode")
    case = data.draw(SCHEMA[path][method].as_strategy(generation_mode=mode), label="case")
    if "listing_id" in (case.path_parameters or {}) and data.draw(st.booleans(), label="own"):
        case.path_parameters["listing_id"] = seller.listing_id
    headers = {"authorization": f"Bearer {seller.token}"}
    request = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
    if not request.get("cookies"):
        request.pop("cookies", None)
    response = await api.request(**request)
    case.validate_response(response, checks=CHECKS)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
async def test_a_method_the_path_does_not_take_is_a_405_with_allow(
    method: str, path: str, api: httpx.AsyncClient, seller: Seller
) -> None:
    allowed = {m.upper() for m in OPENAPI["paths"][path]}
    other = next(m for m in ("PATCH", "PUT", "DELETE", "POST") if m not in allowed)
    known = {"state": "uttar-pradesh", "slug": "none", "listing_id": seller.listing_id}
    url = path.format_map(defaultdict(lambda: "1", known, name="places"))
    response = await api.request(other, url, headers={"authorization": f"Bearer {seller.token}"})
    assert response.status_code == 405, (other, url, response.text[:300])
    assert {m.strip() for m in response.headers["allow"].split(",")} >= allowed
    assert response.json()["error"]["code"] == "http_405"
