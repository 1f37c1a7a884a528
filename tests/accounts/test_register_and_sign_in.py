from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository, service
from app.accounts.models import User, UserSession
from app.accounts.tokens import digest
from app.config import Settings
from app.db import utcnow
from app.jobs import JobRunner
from app.web import CSRF_COOKIE, SESSION_COOKIE
from tests import factories
from tests.helpers import (
    COOKIE_DOMAIN,
    csrf_token,
    folder_bodies,
    link_in,
    post_form,
    start_session,
)

SignIn = Callable[[User], Awaitable[str]]


async def test_register_signs_in_and_email_link_verifies_once(
    client: httpx.AsyncClient, db: AsyncSession, jobs: JobRunner, settings: Settings
) -> None:
    response = await post_form(
        client,
        "/account/register",
        {
            "display_name": "Meena Devi",
            "email": "Meena@Example.TEST",
            "password": "blue-loom-weaver-7",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    cookie = response.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in cookie and "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower() and "Secure" not in cookie  # test env: no TLS
    user = await db.scalar(select(User).where(User.email == "Meena@example.test"))
    assert user is not None and user.email_verified_at is None
    assert str(user.password_hash).startswith("$argon2id$v=19$m=19456,t=2,p=1$")

    page = await client.get("/account")
    assert page.status_code == 200 and "Meena Devi" in page.text
    assert "Your email is not confirmed yet" in page.text

    assert await jobs.run_until_idle() == 1
    [(to, subject, body)] = folder_bodies(settings)
    assert to == "Meena@example.test" and subject == "Confirm your email address"
    link = link_in(body)
    confirmed = await client.get(link)
    assert confirmed.status_code == 303
    await db.refresh(user)
    assert user.email_verified_at is not None
    assert (await client.get(link)).status_code == 404  # single use


async def test_register_form_errors_keep_the_input(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    common = await post_form(
        client,
        "/account/register",
        {"display_name": "Ravi", "email": "ravi@example.test", "password": "password123"},
    )
    assert common.status_code == 422
    assert "too common" in common.text
    assert 'value="ravi@example.test"' in common.text and 'value="Ravi"' in common.text
    assert 'aria-invalid="true"' in common.text
    short = await post_form(
        client,
        "/account/register",
        {"display_name": "Ravi", "email": "ravi@example.test", "password": "x7!"},
    )
    assert short.status_code == 422 and "at least 8 characters" in short.text
    everything = await post_form(
        client, "/account/register", {"display_name": "", "email": "ravi@", "password": "x7!"}
    )
    assert everything.status_code == 422
    for message in ("Enter your name.", "Enter a valid email address", "at least 8 characters"):
        assert message in everything.text  # every wrong field at once, not one per attempt
    assert everything.text.count('aria-invalid="true"') == 3
    existing = await factories.user(db)
    await db.commit()
    taken = await post_form(
        client,
        "/account/register",
        {
            "display_name": "Ravi",
            "email": str(existing.email).upper(),
            "password": "blue-loom-weaver-7",
        },
    )
    assert taken.status_code == 422 and "already exists" in taken.text
    assert SESSION_COOKIE not in client.cookies


async def test_sign_in_rotates_the_session_and_follows_next(
    client: httpx.AsyncClient, db: AsyncSession, sign_in: SignIn
) -> None:
    user = await factories.user(db)
    old = await sign_in(user)
    await csrf_token(client)
    csrf_before = client.cookies.get(CSRF_COOKIE, domain=COOKIE_DOMAIN)
    response = await post_form(
        client,
        "/account/sign-in",
        {"email": str(user.email), "password": factories.DEFAULT_PASSWORD, "next": "/states/bihar"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/states/bihar"
    new = client.cookies[SESSION_COOKIE]
    assert new != old and len(new) >= 43  # 256 random bits, base64url
    hashes = set(
        await db.scalars(select(UserSession.token_hash).where(UserSession.user_id == user.id))
    )
    assert hashes == {digest(new)}  # the old session is gone; only a hash is stored
    assert client.cookies.get(CSRF_COOKIE, domain=COOKIE_DOMAIN) != csrf_before  # rotated too
    assert (await post_form(client, "/account/language", {"language": "en"})).status_code == 303


async def test_anonymous_account_page_redirects_to_sign_in_with_next(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/account?tab=tokens")
    assert response.status_code == 303
    assert response.headers["location"] == "/account/sign-in?next=/account%3Ftab%3Dtokens"
    page = await client.get(response.headers["location"])
    assert 'name="next" value="/account?tab=tokens"' in page.text


async def test_anonymous_form_post_redirects_to_plain_sign_in(client: httpx.AsyncClient) -> None:
    response = await post_form(client, "/account/language", {"language": "hi"})
    assert response.status_code == 303
    assert response.headers["location"] == "/account/sign-in"


async def test_unsafe_next_is_ignored(client: httpx.AsyncClient, db: AsyncSession) -> None:
    user = await factories.user(db)
    await db.commit()
    response = await post_form(
        client,
        "/account/sign-in",
        {"email": str(user.email), "password": factories.DEFAULT_PASSWORD, "next": "//evil.test/x"},
    )
    assert response.headers["location"] == "/"


async def test_sign_out_ends_the_session_on_the_server(
    client: httpx.AsyncClient, db: AsyncSession, sign_in: SignIn
) -> None:
    user = await factories.user(db)
    token = await sign_in(user)
    assert (await client.get("/account")).status_code == 200
    response = await post_form(client, "/account/sign-out")
    assert response.status_code == 303
    assert await db.scalar(select(UserSession).where(UserSession.user_id == user.id)) is None
    client.cookies.set(
        SESSION_COOKIE, token, domain=COOKIE_DOMAIN
    )  # a stolen copy of the cookie is worthless now
    assert (await client.get("/account")).status_code == 303


async def test_idle_and_absolute_timeouts(
    client: httpx.AsyncClient, db: AsyncSession, sign_in: SignIn, settings: Settings
) -> None:
    user = await factories.user(db)
    token = await sign_in(user)
    row = await db.scalar(select(UserSession).where(UserSession.token_hash == digest(token)))
    assert row is not None
    row.last_seen_at -= timedelta(minutes=settings.session_idle_minutes, seconds=1)
    await db.commit()
    assert (await client.get("/account")).status_code == 303  # idle too long

    token = await sign_in(user)
    row = await db.scalar(select(UserSession).where(UserSession.token_hash == digest(token)))
    assert row is not None
    assert row.expires_at - row.created_at == timedelta(hours=settings.session_absolute_hours)
    assert (await client.get("/account")).status_code == 200
    row.expires_at = row.created_at  # still fresh by the idle clock, but past its lifetime
    await db.commit()
    assert (await client.get("/account")).status_code == 303


async def test_unknown_email_and_wrong_password_look_the_same(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await factories.user(db, email="known@example.test")
    await db.commit()

    async def timed(email: str) -> tuple[httpx.Response, float]:
        started = time.perf_counter()
        response = await post_form(
            client, "/account/sign-in", {"email": email, "password": "not-the-password"}
        )
        return response, time.perf_counter() - started

    # Best of two each, to damp noise from other processes on a shared machine.
    (wrong, wrong_a), (_, wrong_b) = await timed(str(user.email)), await timed(str(user.email))
    (unknown, unknown_a), (_, unknown_b) = (
        await timed("nobody@example.test"),
        await timed("nobody@example.test"),
    )
    wrong_seconds, unknown_seconds = min(wrong_a, wrong_b), min(unknown_a, unknown_b)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.text.replace("known@", "nobody@") == unknown.text
    assert "The email or password is not correct." in wrong.text
    # Both ran argon2 (the unknown email against a dummy hash): similar time, within noise.
    assert 0.25 < unknown_seconds / wrong_seconds < 4


async def test_sign_in_without_csrf_token_is_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    user = await factories.user(db)
    await db.commit()
    await client.get("/account/sign-in")
    response = await client.post(
        "/account/sign-in", data={"email": user.email, "password": factories.DEFAULT_PASSWORD}
    )
    assert response.status_code == 403
    forged = await client.post(
        "/account/sign-in",
        data={"email": user.email, "password": factories.DEFAULT_PASSWORD, "csrf_token": "x" * 43},
    )
    assert forged.status_code == 403
    assert SESSION_COOKIE not in client.cookies


async def test_header_links_to_sign_in_or_account(
    client: httpx.AsyncClient, db: AsyncSession, sign_in: SignIn
) -> None:
    assert 'href="/account/sign-in">Sign in</a>' in (await client.get("/")).text
    await sign_in(await factories.user(db))
    assert 'href="/account">Your account</a>' in (await client.get("/")).text


async def test_admin_create_service_still_works(db: AsyncSession) -> None:
    from app.accounts.service import create_admin

    admin = await create_admin(db, "Root@Example.TEST", "saffron-kite-river-9", "Root")
    assert admin.is_admin and admin.email == "Root@example.test"
    assert admin.email_verified_at is not None


async def test_stale_session_cookie_is_dropped(
    client: httpx.AsyncClient, db: AsyncSession, sign_in: SignIn
) -> None:
    user = await factories.user(db)
    token = await sign_in(user)
    await db.execute(delete(UserSession).where(UserSession.token_hash == digest(token)))
    await db.commit()
    response = await client.get("/account")
    assert response.status_code == 303
    assert f"{SESSION_COOKIE}=; Path=/; Max-Age=0" in response.headers["set-cookie"]
    assert 'href="/account/sign-in">Sign in</a>' in (await client.get("/")).text


async def test_sign_out_other_devices_keeps_this_one(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession, sign_in: SignIn, settings: Settings
) -> None:
    user = await factories.user(db)
    await sign_in(user)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as phone:
        await start_session(phone, db, settings, user)
        page = await client.get("/account")
        assert "Devices signed in to this account: 2." in page.text
        assert (await post_form(client, "/account/sessions/others")).status_code == 303
        assert (await phone.get("/account")).status_code == 303
        assert (await client.get("/account")).status_code == 200


async def test_sign_in_page_in_hindi(client: httpx.AsyncClient) -> None:
    await client.get("/preferences/language?lang=hi&next=/")
    page = await client.get("/account/sign-in")
    assert '<html lang="hi">' in page.text
    assert "पासवर्ड भूल गए?" in page.text and "साइन इन करें" in page.text


async def test_purge_deletes_expired_sessions_spent_tokens_and_old_counters(
    db: AsyncSession, settings: Settings
) -> None:
    user = await factories.user(db)
    live = await service.start_session(db, settings, user, service.Client(ip="127.0.0.1"))
    old = await service.start_session(db, settings, user, service.Client(ip="127.0.0.1"))
    row = await db.scalar(select(UserSession).where(UserSession.token_hash == digest(old)))
    assert row is not None
    row.expires_at = utcnow() - timedelta(seconds=1)
    await db.flush()
    await repository.record_failure(db, ["k" * 64], utcnow() - timedelta(hours=3))
    counts = await service.purge(db, settings)
    assert counts["sessions"] == 1 and counts["throttles"] == 1
    remaining = set(
        await db.scalars(select(UserSession.token_hash).where(UserSession.user_id == user.id))
    )
    assert remaining == {digest(live)}


async def test_empty_forms_re_render_with_field_errors(client: httpx.AsyncClient) -> None:
    sign_in_page = await post_form(client, "/account/sign-in", {"next": "/account"})
    assert sign_in_page.status_code == 422
    assert "Enter your email." in sign_in_page.text and "Enter your password." in sign_in_page.text
    register_page = await post_form(client, "/account/register", {"email": "a@example.test"})
    assert register_page.status_code == 422
    assert "Enter your name." in register_page.text
    assert 'value="a@example.test"' in register_page.text
