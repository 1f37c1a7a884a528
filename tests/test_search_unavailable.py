"""A search backend that fails (Meilisearch down, or answering an error such as a missing index
on a fresh deployment) gives a 503 page and a 503 JSON error, never a 500."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.catalog.search import service as search_service
from app.config import Settings
from app.main import create_app
from tests.catalog.search.meili_stub import Request, Stub, running_stub


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port  # closed again when this returns: connections are refused


def index_missing(stub: Stub) -> None:
    def answer(request: Request) -> tuple[int, Any]:
        return 404, {
            "message": "Index `listings` not found.",
            "code": "index_not_found",
            "type": "invalid_request",
            "link": "https://docs.meilisearch.com/errors#index_not_found",
        }

    stub.answer = answer  # type: ignore[method-assign]


@pytest.fixture(params=["connection refused", "index not found"])
def meili_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "connection refused":
        yield f"http://127.0.0.1:{closed_port()}"
        return
    with running_stub(index_missing) as stub:
        yield stub.url


@pytest.fixture
async def meili_client(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession], meili_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    meili = settings.model_copy(
        update={"search_backend": "meilisearch", "meili_url": meili_url, "meili_api_key": "k" * 16}
    )
    app = create_app(meili, session_factory=session_factory)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        search_service.use_settings(settings)
        search_service.results_cache.clear()


async def test_search_page_and_api_answer_503(meili_client: httpx.AsyncClient) -> None:
    page = await meili_client.get("/search", params={"q": "glass"})
    assert page.status_code == 503
    assert "text/html" in page.headers["content-type"]
    assert "Search is unavailable" in page.text
    api = await meili_client.get("/api/v1/search", params={"q": "glass"})
    assert api.status_code == 503
    assert api.json()["error"]["code"] == "search_unavailable"
    suggest = await meili_client.get("/api/v1/search/suggest", params={"q": "gla"})
    assert suggest.status_code == 503
