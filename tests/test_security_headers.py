"""Security headers on every response: every GET route of the application (found by walking its
routes, signed out and signed in as an admin), /static, /media, the API docs, 404s and 500s;
HSTS and ``__Host-`` cookies in production."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.models import Role
from app.config import Settings
from app.main import create_app
from app.web import security_headers
from tests import factories
from tests.helpers import start_session

REQUIRED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
}
CSP_DIRECTIVES = (
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "default-src 'self'",
)


def get_routes(app: FastAPI) -> list[str]:
    return sorted(
        {
            re.sub(r"\{[^}]+\}", "1", context.path or "")
            for context in iter_route_contexts(app.routes)
            if "GET" in (getattr(context, "methods", None) or set())
        }
    )


def header_problems(response: httpx.Response) -> list[str]:
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    problems = [
        f"{where}: {name}={response.headers.get(name)!r}"
        for name, value in REQUIRED.items()
        # Pages that carry a secret in their URL may narrow the referrer further.
        if response.headers.get(name) != value
        and not (name == "referrer-policy" and response.headers.get(name) == "same-origin")
    ]
    policy = response.headers.get("content-security-policy", "")
    problems += [f"{where}: CSP lacks {d}" for d in CSP_DIRECTIVES if d not in policy]
    script_src = re.search(r"script-src ([^;]*)", policy)
    if script_src is None or "'unsafe-inline'" in script_src.group(1):
        problems.append(f"{where}: CSP script-src missing or allows inline scripts")
    if "strict-transport-security" in response.headers:
        problems.append(f"{where}: HSTS outside production")
    return problems


@pytest.fixture
def public_file(settings: Settings) -> str:
    folder = settings.media_dir / "public" / "listings"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "probe.txt").write_text("<script>alert(1)</script>")
    return "/media/listings/probe.txt"


async def test_every_get_route_sends_the_security_headers(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession, settings: Settings, public_file: str
) -> None:
    paths = get_routes(app)
    assert len(paths) >= 40  # the walk reaches the routers' routes
    extra = [
        "/static/css/site.css",
        "/static/js/search-suggest.js",
        "/static/missing.js",
        public_file,
        "/media/missing.jpg",
        "/no/such/page",
        "/api/v1/no-such-endpoint",
    ]
    problems: list[str] = []
    for path in [*paths, *extra]:
        problems += header_problems(await client.get(path))
    await start_session(client, db, settings, await factories.user(db, role=Role.ADMIN))
    for path in [*paths, *extra]:
        problems += header_problems(await client.get(path))
    assert problems == []


async def test_unsafe_requests_and_errors_send_them_too(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/boom", boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as raw:
        crashed = await raw.get("/boom")
    assert crashed.status_code == 500
    refused = await client.post("/account/sign-in", data={})
    assert refused.status_code == 403
    assert header_problems(crashed) + header_problems(refused) == []


async def test_api_docs_allow_only_their_cdn_and_their_own_script(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/docs")
    policy = response.headers["content-security-policy"]
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    script_src = re.search(r"script-src ([^;]*)", policy)
    assert script_src is not None
    assert "'unsafe-inline'" not in script_src.group(1) and "'sha256-" in script_src.group(1)


@pytest.fixture
async def production(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> AsyncIterator[httpx.AsyncClient]:
    production = settings.model_copy(
        update={"env": "production", "secret_key": "p" * 40, "payment_provider": "offline"}
    )
    app = create_app(production, session_factory=session_factory)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        yield client


async def test_production_sends_hsts_and_host_prefixed_secure_cookies(
    production: httpx.AsyncClient,
) -> None:
    page = await production.get("/account/sign-in")
    assert page.headers["strict-transport-security"].startswith("max-age=")
    assert "includeSubDomains" in page.headers["strict-transport-security"]
    static = await production.get("/static/css/site.css")
    assert "strict-transport-security" in static.headers
    assert static.headers["x-content-type-options"] == "nosniff"
    cookies = page.headers.get_list("set-cookie")
    assert cookies and all(c.startswith("__Host-") for c in cookies), cookies
    for cookie in cookies:
        attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
        assert "secure" in attributes and "path=/" in attributes
        assert not any(a.startswith("domain") for a in attributes)


def test_the_pay_buttons_redirect_to_stripe_checkout_is_allowed_only_with_stripe(
    settings: Settings,
) -> None:
    def form_action(provider: str) -> str:
        policy = dict(security_headers(settings.model_copy(update={"payment_provider": provider})))
        [directive] = [
            d for d in policy["content-security-policy"].split("; ") if d.startswith("form-action")
        ]
        return directive

    assert form_action("stripe") == "form-action 'self' https://checkout.stripe.com"
    assert form_action("sandbox") == form_action("offline") == "form-action 'self'"
