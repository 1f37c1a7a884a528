"""CSRF guard: every route with an unsafe method, found by walking the application's routes.

Each form route must refuse a request without the token, with another session's token, with a
tampered token, with an equal cookie and field of the attacker's choosing (the old double-submit
hole), and from another site (Origin, or Referer when Origin is absent), while the right token
from this site gets through. JSON API routes must not accept cookies at all (bearer tokens
only), which is what exempts them. Any other exemption is listed in ``EXEMPT``; a route added
without protection, or exempted without being listed, fails here.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from app.config import Settings
from app.errors import CsrfFailed
from app.web import CSRF_COOKIE, CSRF_FIELD, csrf_exempt
from tests import factories
from tests.helpers import COOKIE_DOMAIN, csrf_token, start_session

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Unsafe routes that take no CSRF token, with the reason. Nothing else may skip the check.
EXEMPT: dict[tuple[str, str], str] = {
    ("POST", "/webhooks/stripe"): "authenticated by Stripe's signature; reads no cookie",
}
EVIL = "https://evil.example"


def unsafe_routes(app: FastAPI) -> list[tuple[str, str]]:
    return sorted(
        (method, context.path or "")
        for context in iter_route_contexts(app.routes)
        for method in (getattr(context, "methods", None) or set()) & UNSAFE
    )


def form_routes(app: FastAPI) -> list[tuple[str, str]]:
    return [(m, p) for m, p in unsafe_routes(app) if not csrf_exempt(p)]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def refused(response: httpx.Response) -> bool:
    return response.status_code == 403 and CsrfFailed.title in response.text


@pytest.fixture
async def other_browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def test_every_unsafe_route_is_protected_or_listed(app: FastAPI) -> None:
    routes = unsafe_routes(app)
    assert len(form_routes(app)) >= 35  # the walk finds the routers' routes, not only the app's
    unlisted = [
        (method, path)
        for method, path in routes
        if csrf_exempt(path) and not path.startswith("/api/") and (method, path) not in EXEMPT
    ]
    assert unlisted == [], "exempt from CSRF without being listed in EXEMPT"


async def test_every_form_route_refuses_forged_requests(
    app: FastAPI,
    client: httpx.AsyncClient,
    other_browser: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
) -> None:
    victim = await factories.user(db, role=Role.ADMIN)
    attacker = await factories.user(db)
    await start_session(client, db, settings, victim)
    await start_session(other_browser, db, settings, attacker)
    token = await csrf_token(client)
    foreign = await csrf_token(other_browser)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    attacks: dict[str, tuple[dict[str, str], dict[str, str]]] = {
        "missing token": ({}, {}),
        "another session's token": ({CSRF_FIELD: foreign}, {}),
        "tampered token": ({CSRF_FIELD: tampered}, {}),
        "cross-site Origin": ({CSRF_FIELD: token}, {"origin": EVIL}),
        "opaque Origin": ({CSRF_FIELD: token}, {"origin": "null"}),
        "cross-site Referer": ({CSRF_FIELD: token}, {"referer": f"{EVIL}/page"}),
    }
    failures = []
    for method, path in form_routes(app):
        url = concrete(path)
        for attack, (data, headers) in attacks.items():
            response = await client.request(method, url, data=data, headers=headers)
            if not refused(response):
                failures.append(f"{method} {path}: {attack} -> {response.status_code}")
    # The old double-submit hole: a cookie and a field the attacker chose, equal to each other.
    client.cookies.set(CSRF_COOKIE, "x" * 43, domain=COOKIE_DOMAIN)
    for method, path in form_routes(app):
        response = await client.request(method, concrete(path), data={CSRF_FIELD: "x" * 43})
        if not refused(response):
            failures.append(f"{method} {path}: planted equal cookie -> {response.status_code}")
    assert failures == []


async def test_the_right_token_from_this_site_passes_every_form_route(
    app: FastAPI, db: AsyncSession, settings: Settings
) -> None:
    """The other half of the proof: the refusals above come from the check, not from a route
    that refuses everything. A fresh browser per route, as some routes sign out or delete."""
    user = await factories.user(db, role=Role.ADMIN)
    failures = []
    for method, path in form_routes(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await start_session(client, db, settings, user)
            data = {CSRF_FIELD: await csrf_token(client)}
            response = await client.request(
                method, concrete(path), data=data, headers={"origin": "http://testserver"}
            )
            if refused(response):
                failures.append(f"{method} {path}")
    assert failures == []


async def test_api_routes_ignore_cookies_so_they_need_no_csrf_token(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    """A browser's cookies carry no authority on /api/: a signed-in session, even with a valid
    form token, is a 401 there. That is what makes the /api/ exemption safe."""
    await start_session(client, db, settings, await factories.user(db, role=Role.ADMIN))
    token = await csrf_token(client)
    api_routes = [(m, p) for m, p in unsafe_routes(app) if p.startswith("/api/")]
    assert api_routes
    wrong = []
    for method, path in api_routes:
        response = await client.request(method, concrete(path), data={CSRF_FIELD: token})
        if response.status_code != 401:
            wrong.append(f"{method} {path} -> {response.status_code}")
    assert wrong == []
