"""Helpers for page tests.

    response = await post_form(client, "/account/sign-in", {"email": ..., "password": ...})

``post_form`` fetches a page first when the client has no CSRF cookie yet, then posts the form
with the token, as a browser would. ``start_session`` signs a client in without a password check
(the ``sign_in`` fixture in tests/conftest.py wraps it).
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.accounts import service
from app.accounts.models import User
from app.config import Settings
from app.mail import folder_messages
from app.web import CSRF_COOKIE, SESSION_COOKIE

# httpx files cookies of http://testserver under "testserver.local"; set ours there too.
COOKIE_DOMAIN = "testserver.local"


_TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
# Per client: (CSRF cookie, session cookie) -> the form token a page gave for that pair.
_tokens: weakref.WeakKeyDictionary[httpx.AsyncClient, dict[tuple[str, str], str]] = (
    weakref.WeakKeyDictionary()
)


def cookie(client: httpx.AsyncClient, name: str) -> str:
    """A cookie under its plain name or its production ``__Host-`` name."""
    return client.cookies.get(name) or client.cookies.get(f"__Host-{name}") or ""


def _cookie_pair(client: httpx.AsyncClient) -> tuple[str, str]:
    return cookie(client, CSRF_COOKIE), cookie(client, SESSION_COOKIE)


async def csrf_token(client: httpx.AsyncClient) -> str:
    """The form token for the client's current browser secret and session, read from a page
    with a form as a browser would (the token is bound to both, so it changes on sign-in)."""
    known = _tokens.setdefault(client, {})
    token = known.get(_cookie_pair(client))
    if token is None:
        # A page with a form (signed in, this redirects to the account page, which has forms).
        page = await client.get("/account/sign-in", follow_redirects=True)
        found = _TOKEN_FIELD.search(page.text)
        assert found and cookie(client, CSRF_COOKIE), "the app did not give a CSRF token"
        token = known[_cookie_pair(client)] = found.group(1)
    return token


async def post_form(
    client: httpx.AsyncClient, url: str, data: dict[str, str | list[str]] | None = None
) -> httpx.Response:
    """Post as a browser does: the page's CSRF token, and this site named in Origin."""
    return await client.post(
        url,
        data={**(data or {}), "csrf_token": await csrf_token(client)},
        headers={"origin": str(client.base_url).rstrip("/")},
    )


async def start_session(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, user: User
) -> str:
    """Create a real server-side session for ``user`` and give ``client`` its cookie."""
    token = await service.start_session(db, settings, user, service.Client(ip="127.0.0.1"))
    await db.commit()
    client.cookies.set(SESSION_COOKIE, token, domain=COOKIE_DOMAIN)
    return token


LINK = re.compile(r"https?://\S+/account/(?:verify|reset)/[A-Za-z0-9_-]+")


def folder_bodies(settings: Settings) -> list[tuple[str, str, str]]:
    """(to, subject, body) of the development mail folder, newest first."""
    return [(m.to, m.subject, m.body) for m in folder_messages(settings.mail_dir)]


def link_in(body: str) -> str:
    """The path of the account link in an email body."""
    found = LINK.search(body)
    assert found, body
    return "/" + found.group(0).split("/", 3)[3]


@contextmanager
def recorded_statements(bind: Any) -> Iterator[list[str]]:
    """The SQL of every statement run through ``bind`` (an engine, async or not, or a
    connection) inside the block, as the engine's ``before_cursor_execute`` listeners see it."""
    target = bind.sync_engine if isinstance(bind, AsyncEngine) else bind
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(target, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(target, "before_cursor_execute", record)
