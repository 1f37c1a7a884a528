from __future__ import annotations

import gc

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.catalog.search import service as search_service
from app.catalog.search.database import DatabaseBackend
from app.config import Settings
from app.db import make_engine
from app.main import GC_THRESHOLDS, create_app


async def test_healthz_reports_process_alive(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_checks_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


async def test_readyz_is_503_when_the_database_is_unreachable(settings: Settings) -> None:
    engine = make_engine("postgresql+asyncpg://nobody@127.0.0.1:1/nowhere")
    app = create_app(settings, session_factory=async_sessionmaker(engine))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/readyz")
    await engine.dispose()
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    first = await client.get("/healthz")
    second = await client.get("/healthz", headers={"X-Request-ID": "proxy-given-id-123"})
    assert len(first.headers["x-request-id"]) == 16
    assert second.headers["x-request-id"] == "proxy-given-id-123"
    hostile = await client.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
    assert hostile.headers["x-request-id"] != "bad id\nwith newline"


def test_log_lines_are_json_with_the_request_id() -> None:
    import json
    import logging

    from app.observability import JsonFormatter, request_id_var

    token = request_id_var.set("abc123def456")
    try:
        record = logging.makeLogRecord(
            {
                "name": "odop.access",
                "levelno": 20,
                "levelname": "INFO",
                "msg": "request",
                "status": 200,
            }
        )
        entry = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert entry["request_id"] == "abc123def456"
    assert entry["message"] == "request"
    assert entry["status"] == 200


async def test_startup_warms_what_the_first_visitors_need_and_tunes_the_collector(
    app: FastAPI,
) -> None:
    async with app.state.session_factory() as session:
        await search_service.setup(session, app.state.settings)  # an (empty) search index
        await session.commit()
    search_service._backends.clear()  # a new process: nothing loaded yet
    gc.unfreeze()
    thresholds = gc.get_threshold()
    try:
        async with app.router.lifespan_context(app):
            # gc.freeze() in the running worker crashed it under load (docs/soak.md).
            assert gc.get_freeze_count() == 0
            assert gc.get_threshold() == GC_THRESHOLDS
            # The search vocabulary is loaded at startup, not by the first buyer.
            async with app.state.session_factory() as session:
                backend = search_service.backend_for(session, app.state.settings)
            assert isinstance(backend, DatabaseBackend) and backend._lexicon is not None
            # So are the catalog's whole-catalog values, the public pages' templates and the
            # route index (the first district page of a process waited about a second for them).
            cached = set(app.state.catalog_cache._values)
            assert {"counts", "home", "odop-figures"} <= cached
            assert any(key.startswith("reference:") for key in cached)
            templates = app.state.templates
            compiled = {name for _, name in templates.env.cache} if templates.env.cache else set()
            assert {"base.html", "catalog/district.html", "catalog/product.html"} <= compiled
            assert templates.repeated_links is not None
    finally:
        gc.set_threshold(*thresholds)


async def test_an_unhandled_errors_log_line_carries_the_request_id(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    """The 500 handler runs after the request-id middleware has finished; its log line must
    still name the request, as the response header does, so a reported id finds the error."""
    import json
    import logging

    from app.observability import JsonFormatter

    @app.get("/boom-for-test")
    async def boom() -> None:
        raise RuntimeError("boom")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        with caplog.at_level(logging.ERROR, logger="app.main"):
            response = await client.get(
                "/boom-for-test", headers={"x-request-id": "reported-by-user-42"}
            )
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "reported-by-user-42"
    [record] = [r for r in caplog.records if r.name == "app.main" and r.exc_info]
    assert "reported-by-user-42" in record.getMessage()  # the plain-text log format too
    entry = json.loads(JsonFormatter().format(record))
    assert entry["request_id"] == "reported-by-user-42"
    assert "RuntimeError: boom" in entry["exception"]
