"""The application factory: settings, database, job runner, middleware, routers, error pages."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import hashlib
import logging
import re
from collections.abc import AsyncIterator
from functools import cache
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Scope

from app import preferences
from app.accounts import api as accounts_api
from app.accounts import phone_views as accounts_phone_views
from app.accounts import views as accounts_views
from app.accounts.deps import require_admin, require_user
from app.accounts.errors import SignInRequired
from app.catalog import admin_views as catalog_admin_views
from app.catalog import api as catalog_api
from app.catalog import service as catalog_service
from app.catalog import views as catalog_views
from app.catalog.cache import TtlCache
from app.catalog.search import admin_views as search_admin_views
from app.catalog.search import api as search_api
from app.catalog.search import service as search_service
from app.catalog.search import views as search_views
from app.config import PROJECT_ROOT, Settings, get_settings
from app.db import make_engine, make_read_session_factory, make_session_factory
from app.errors import AppError, NotFound
from app.job_handlers import register_all
from app.jobs import JobRunner
from app.listings import api as listings_api
from app.listings import views as listing_views
from app.mail import dev_router as dev_mail_router
from app.observability import RequestIdMiddleware, configure_logging
from app.orders import api as orders_api
from app.orders import views as orders_views
from app.orders.ledger import api as ledger_api
from app.orders.ledger import views as ledger_views
from app.orders.payments import api as payments_api
from app.orders.payments import sandbox_views as payment_sandbox_views
from app.orders.payments import views as payment_views
from app.orders.payments import webhook as payments_webhook
from app.page_cache import PageCacheMiddleware
from app.procurement.buying import api as buying_api
from app.procurement.buying import views as buying_views
from app.procurement.organisations import views as organisation_views
from app.procurement.purchase_orders import api as purchase_orders_api
from app.procurement.purchase_orders import views as purchase_order_views
from app.procurement.quotes import api as quotes_api
from app.procurement.quotes import views as quotes_views
from app.sellers import admin_views as seller_admin_views
from app.sellers import start_views as sellers_start_views
from app.sellers import views as sellers_views
from app.sellers.uploads import BodyLimitMiddleware
from app.sms import dev_router as dev_sms_router
from app.storage import LocalStorage
from app.web import (
    CONTENT_SECURITY_POLICY,
    SecurityHeadersMiddleware,
    Templates,
    WebStateMiddleware,
    security_headers,
    templates_of,
    verify_csrf,
)

logger = logging.getLogger(__name__)
STATIC_DIR = PROJECT_ROOT / "static"
# The collector's thresholds (CPython's default is 700, 10, 10). A request's objects live as long
# as the request, so by default they survive two collections, are promoted to the oldest
# generation and make a full collection of the whole heap run every few seconds under load.
# Collecting the young generations less often lets them die first: 2 full collections instead of
# 45 in a 5-minute soak (docs/soak.md). A full collection still pauses every request in flight
# for 60-170 ms at 100,000 listings, which made the long tail's p99; one every 40 middle
# collections instead of 10 (about one a minute under load instead of every 6-15 s) took the
# product pages' p99 from 103-170 ms to 82-87 ms, for 5 MB more RSS (docs/soak.md). Not
# gc.freeze(): freezing the running worker after its first database queries crashed it under
# load (docs/soak.md).
GC_THRESHOLDS = (5_000, 20, 40)


class CachedStaticFiles(StaticFiles):
    """Static files with ETags (from Starlette) and a long cache for fingerprinted URLs."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            immutable = b"v=" in scope.get("query_string", b"")
            response.headers["cache-control"] = (
                "public, max-age=31536000, immutable" if immutable else "public, max-age=3600"
            )
        return response


@cache
def _static_fingerprint(path: str) -> str:
    file = STATIC_DIR / path
    return hashlib.sha256(file.read_bytes()).hexdigest()[:10] if file.is_file() else "0"


def static_url(path: str) -> str:
    return f"/static/{path}?v={_static_fingerprint(path)}"


def attach_database(
    app: FastAPI,
    session_factory: async_sessionmaker[AsyncSession],
    read_session_factory: async_sessionmaker[AsyncSession] | None = None,
) -> None:
    settings: Settings = app.state.settings
    app.state.session_factory = session_factory
    app.state.read_session_factory = read_session_factory or session_factory
    app.state.job_runner = JobRunner(session_factory, settings)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = None
    if getattr(app.state, "session_factory", None) is None:
        engine = make_engine(
            settings.database_url, echo=settings.database_echo, pool_size=settings.db_pool_size
        )
        attach_database(app, make_session_factory(engine), make_read_session_factory(engine))
    stop = asyncio.Event()
    loop_task = None
    if settings.run_jobs_in_process:
        loop_task = asyncio.create_task(app.state.job_runner.run_forever(stop))
    gc.set_threshold(*GC_THRESHOLDS)
    # What the first visitors would otherwise wait for (about a second for a district page).
    app.state.templates.warm_up(app.router)
    await catalog_service.warm_up(app.state.session_factory, app.state.catalog_cache)
    await search_service.warm_up(app.state.session_factory, settings)
    try:
        yield
    finally:
        stop.set()
        if loop_task is not None:
            await loop_task
        if engine is not None:
            await engine.dispose()


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_response(
    request: Request, status: int, code: str, message: str, **extra: Any
) -> Response:
    if _wants_json(request):
        body: dict[str, Any] = {"error": {"code": code, "message": message}}
        if extra.get("details") is not None:
            body["error"]["details"] = extra["details"]
        return JSONResponse(body, status_code=status)
    return templates_of(request).render(
        request,
        "errors/error.html",
        {
            "status": status,
            "message": message,
            "suggestions": extra.get("suggestions") or [],
            "request_id": getattr(request.state, "request_id", ""),
        },
        status_code=status,
    )


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at this path. Starlette's own 405 names only the methods
    of the first route that matched the path, and a path often has one route per method."""
    allowed = [
        method
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
        )
    ]
    return allowed


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> Response:
        suggestions = exc.suggestions if isinstance(exc, NotFound) else []
        return _error_response(
            request,
            exc.status_code,
            exc.code,
            exc.message,
            details=exc.details,
            suggestions=suggestions,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400:
            # FastAPI's answer to a body it cannot decode (bytes that are not UTF-8): the same
            # 422 as any other invalid body. The app itself raises AppErrors, never a bare 400.
            return _error_response(
                request, 422, "validation_failed", "The request body could not be read."
            )
        code = "not_found" if exc.status_code == 404 else f"http_{exc.status_code}"
        message = "We could not find that page" if exc.status_code == 404 else str(exc.detail)
        response = _error_response(request, exc.status_code, code, message)
        if exc.status_code == 405:
            response.headers["allow"] = ", ".join(_allowed_methods(request))
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        details = [
            {"location": list(err["loc"]), "message": err["msg"], "type": err["type"]}
            for err in exc.errors()
        ]
        fields = ", ".join(".".join(str(p) for p in d["location"]) for d in details)
        return _error_response(
            request,
            422,
            "validation_failed",
            f"Invalid request parameters: {fields}",
            details=details,
        )

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        # Starlette runs this outside the request-id middleware, whose context has ended: name
        # the request on the record itself, so the error can be found from the id users report.
        request_id = getattr(request.state, "request_id", "")
        logger.exception(
            "unhandled error in request %s",
            request_id,
            exc_info=exc,
            extra={"request_id": request_id},
        )
        response = _error_response(
            request, 500, "internal_error", "Something went wrong on our side. Please try again."
        )
        # This handler runs outside every middleware, so echo the request id and add the
        # security headers here too.
        response.headers["x-request-id"] = request_id
        for name, value in security_headers(request.app.state.settings):
            response.headers.setdefault(name, value)
        return response


def api_docs_page() -> Response:
    """Swagger UI at /docs. It loads from its CDN and starts with one inline script, so this
    page alone allows that CDN and that one script, by its hash."""
    page = get_swagger_ui_html(openapi_url="/openapi.json", title="ODOP Bazaar API")
    body = bytes(page.body)
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in re.findall(rb"<script>(.*?)</script>", body, re.S)
    )
    cdn = "https://cdn.jsdelivr.net"
    policy = CONTENT_SECURITY_POLICY.replace(
        "script-src 'self'", f"script-src 'self' {cdn} {hashes}"
    ).replace("style-src 'self'", f"style-src 'self' {cdn} 'unsafe-inline'")
    policy = policy.replace(
        "img-src 'self' data:", "img-src 'self' data: https://fastapi.tiangolo.com"
    )
    return Response(body, media_type="text/html", headers={"content-security-policy": policy})


def create_app(
    settings: Settings | None = None,
    *,
    session_factory: async_sessionmaker[AsyncSession] | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    register_all()
    app = FastAPI(
        title="ODOP Bazaar",
        version="0.1.0",
        description="One District One Product marketplace: catalog, sellers, orders, procurement.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        # CSRF for every unsafe request outside /api/ and /webhooks/ (app/web.py verify_csrf);
        # a new router is protected without anyone remembering to add it.
        dependencies=[Depends(verify_csrf)],
    )
    app.add_api_route("/docs", api_docs_page, include_in_schema=False)
    app.state.settings = settings
    app.state.templates = Templates(settings)
    app.state.templates.env.globals["static"] = static_url
    # Globals, not per-render context: the catalog's shared macros (catalog/_parts.html) are then
    # imported without the page's context, so Jinja keeps one module of them instead of building
    # it, six macros and their closures, again for every page.
    app.state.templates.env.globals.update(
        product_path=catalog_views.product_path,
        seller_path=catalog_views.seller_path,
        card_lines=catalog_views.card_lines,
    )
    app.state.public_storage = LocalStorage(settings.media_dir / "public")
    app.state.private_storage = LocalStorage(settings.media_dir / "private")
    app.state.session_factory = None
    app.state.read_session_factory = None
    if session_factory is not None:
        attach_database(app, session_factory)

    app.add_middleware(WebStateMiddleware, settings=settings)
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)
    app.add_exception_handler(SignInRequired, accounts_views.sign_in_redirect)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> Response:
        try:
            async with request.app.state.session_factory() as session:
                await session.execute(text("SELECT 1"))
        except Exception as exc:
            logger.warning("readiness check failed", exc_info=exc)
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok", "database": "ok"})

    app.mount("/static", CachedStaticFiles(directory=STATIC_DIR), name="static")
    public_media = settings.media_dir / "public"
    public_media.mkdir(parents=True, exist_ok=True)
    app.mount("/media", CachedStaticFiles(directory=public_media), name="media")
    app.include_router(preferences.router)
    # Catalog (issue 3): cached aggregates, gzip, pages, SEO, rates admin and the JSON API.
    app.state.catalog_cache = TtlCache(
        settings.catalog_cache_seconds, sessions=lambda: app.state.session_factory
    )
    app.add_middleware(GZipMiddleware, minimum_size=800)
    app.include_router(catalog_views.router)
    app.include_router(catalog_admin_views.router)
    app.include_router(catalog_api.router)
    # Search (issue 4): the page and the JSON API. Routes are matched in order, so the busiest
    # public ones come first; the admin's synonym page is with the other admin routes below.
    search_service.use_settings(settings)
    app.include_router(search_views.router)
    app.include_router(search_api.router)
    app.include_router(accounts_views.public_router)
    app.include_router(accounts_phone_views.router)
    app.include_router(sellers_start_views.router)
    app.include_router(accounts_views.account_router, dependencies=[Depends(require_user)])
    app.include_router(accounts_api.router, dependencies=[Depends(require_user)])
    # Sellers: onboarding (/sell), dashboard (/seller), verification (/admin), seller API.
    # Upload bodies are capped before any multipart parsing.
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.upload_max_request_bytes,
        prefixes=("/sell", "/seller", "/admin", "/api/v1/seller", "/quotes", "/api/v1/quotes"),
    )
    app.include_router(sellers_views.router, dependencies=[Depends(require_user)])
    app.include_router(listing_views.router, dependencies=[Depends(require_user)])
    app.include_router(seller_admin_views.router, dependencies=[Depends(require_admin)])
    app.include_router(listings_api.router, dependencies=[Depends(require_user)])
    app.include_router(search_admin_views.admin_router, dependencies=[Depends(require_admin)])
    # Orders (issue 11): the cart (anonymous too), checkout, orders, the seller's queue, the API.
    app.include_router(orders_views.cart_router)
    app.include_router(orders_views.router, dependencies=[Depends(require_user)])
    app.include_router(orders_api.router, dependencies=[Depends(require_user)])
    # Payments and the seller ledger (issue 11). The Stripe webhook is authenticated by its
    # signature, not by a session or CSRF token; the sandbox exists only outside production.
    app.include_router(payments_webhook.router)
    if settings.env != "production":
        app.include_router(payment_sandbox_views.router)
    app.include_router(payment_views.router, dependencies=[Depends(require_user)])
    app.include_router(payment_views.admin_router, dependencies=[Depends(require_admin)])
    app.include_router(payments_api.router, dependencies=[Depends(require_user)])
    app.include_router(ledger_views.router, dependencies=[Depends(require_user)])
    app.include_router(ledger_views.admin_router, dependencies=[Depends(require_admin)])
    app.include_router(ledger_api.router, dependencies=[Depends(require_user)])
    # Procurement core (issue 12): organisations, direct purchase, purchase orders, the API.
    app.include_router(organisation_views.router, dependencies=[Depends(require_user)])
    app.include_router(organisation_views.admin_router, dependencies=[Depends(require_admin)])
    app.include_router(purchase_order_views.router, dependencies=[Depends(require_user)])
    app.include_router(purchase_order_views.admin_router, dependencies=[Depends(require_admin)])
    app.include_router(purchase_orders_api.router, dependencies=[Depends(require_user)])
    # Procurement buying modes (issue 12): requirements, L1 comparison, bids, split purchases.
    app.include_router(buying_views.router, dependencies=[Depends(require_user)])
    app.include_router(buying_views.admin_router, dependencies=[Depends(require_admin)])
    app.include_router(buying_api.router, dependencies=[Depends(require_user)])
    # Procurement (issue 12): quotes for any buyer (pages for both sides, the API).
    app.include_router(quotes_views.router, dependencies=[Depends(require_user)])
    app.include_router(quotes_api.router, dependencies=[Depends(require_user)])
    if settings.env != "production":
        app.include_router(dev_mail_router)
        app.include_router(dev_sms_router)
    # Added late, so it is an outer layer: a hit skips the others (bodies are kept gzipped).
    app.add_middleware(
        PageCacheMiddleware,
        ttl_seconds=settings.page_cache_seconds,
        max_entries=settings.page_cache_max_entries,
        max_bytes=settings.page_cache_max_bytes,
    )
    # Outermost: every response, cached or not, from /static and /media too, gets them.
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)
    return app
