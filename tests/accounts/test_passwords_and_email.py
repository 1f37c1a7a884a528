from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import EmailToken, TokenPurpose, User, UserSession
from app.accounts.passwords import is_common, verify_password
from app.accounts.tokens import digest
from app.config import Settings
from app.db import utcnow
from app.jobs import JobRunner
from tests import factories
from tests.helpers import COOKIE_DOMAIN, folder_bodies, link_in, post_form, start_session

SignIn = Callable[[User], Awaitable[str]]


def test_common_password_list_is_shipped_and_case_insensitive() -> None:
    assert is_common("Password1") and is_common("qwertyuiop") and is_common("iloveyou")
    assert not is_common("plum-tiger-orbit-42")


async def test_forgot_password_answers_the_same_and_the_link_works_once(
    client: httpx.AsyncClient,
    db: AsyncSession,
    jobs: JobRunner,
    settings: Settings,
    app: FastAPI,
) -> None:
    user = await factories.user(db)
    await db.commit()
    # Another browser is signed in; a reset must end that session too.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as other:
        await start_session(other, db, settings, user)
        known = await post_form(client, "/account/forgot-password", {"email": str(user.email)})
        unknown = await post_form(
            client, "/account/forgot-password", {"email": "nobody@example.test"}
        )
        assert known.status_code == unknown.status_code == 303
        assert known.headers["location"] == unknown.headers["location"]
        assert await jobs.run_until_idle() == 1  # only the real account gets mail
        [(to, subject, body)] = folder_bodies(settings)
        assert to == user.email and subject == "Reset your password"
        assert "within 60 minutes" in body
        link = link_in(body)
        stored = await db.scalar(select(EmailToken).where(EmailToken.user_id == user.id))
        assert stored is not None and stored.purpose == TokenPurpose.RESET_PASSWORD
        assert stored.token_hash == digest(link.rsplit("/", 1)[1])  # only the hash is stored
        assert stored.expires_at - stored.created_at == timedelta(minutes=60)

        form = await client.get(link)
        assert form.status_code == 200 and form.headers["referrer-policy"] == "same-origin"
        weak = await post_form(client, link, {"new_password": "12345678"})
        assert weak.status_code == 422 and "too common" in weak.text
        done = await post_form(client, link, {"new_password": "monsoon-brass-lamp-8"})
        assert done.status_code == 303 and done.headers["location"] == "/account/sign-in"
        await db.refresh(user)
        assert verify_password(str(user.password_hash), "monsoon-brass-lamp-8")
        assert (await other.get("/account")).status_code == 303  # signed out everywhere
        assert (await client.get(link)).status_code == 404  # single use
        again = await post_form(client, link, {"new_password": "another-good-one-9"})
        assert again.status_code == 404


async def test_expired_reset_link_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, jobs: JobRunner, settings: Settings
) -> None:
    user = await factories.user(db)
    await db.commit()
    await post_form(client, "/account/forgot-password", {"email": str(user.email)})
    await jobs.run_until_idle()
    link = link_in(folder_bodies(settings)[0][2])
    stored = await db.scalar(select(EmailToken).where(EmailToken.user_id == user.id))
    assert stored is not None
    stored.expires_at = utcnow() - timedelta(seconds=1)
    await db.commit()
    assert (await client.get(link)).status_code == 404
    refused = await post_form(client, link, {"new_password": "monsoon-brass-lamp-8"})
    assert refused.status_code == 404
    await db.refresh(user)
    assert verify_password(str(user.password_hash), factories.DEFAULT_PASSWORD)


async def test_change_password_needs_the_current_one_and_ends_other_sessions(
    client: httpx.AsyncClient,
    db: AsyncSession,
    sign_in: SignIn,
    settings: Settings,
    app: FastAPI,
    jobs: JobRunner,
) -> None:
    user = await factories.user(db)
    await sign_in(user)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as laptop:
        await start_session(laptop, db, settings, user)
        wrong = await post_form(
            client,
            "/account/password",
            {"current_password": "not-it-at-all", "new_password": "monsoon-brass-lamp-8"},
        )
        assert wrong.status_code == 422 and "current password is not correct" in wrong.text
        assert (await laptop.get("/account")).status_code == 200

        changed = await post_form(
            client,
            "/account/password",
            {
                "current_password": factories.DEFAULT_PASSWORD,
                "new_password": "monsoon-brass-lamp-8",
            },
        )
        assert changed.status_code == 303
        assert (await client.get("/account")).status_code == 200  # this browser stays in
        assert (await laptop.get("/account")).status_code == 303  # the other is signed out
        sessions = (
            await db.scalars(select(UserSession).where(UserSession.user_id == user.id))
        ).all()
        assert len(sessions) == 1
    await jobs.run_until_idle()
    assert folder_bodies(settings)[0][1] == "Your password was changed"


async def test_change_email_takes_effect_from_the_new_inbox(
    client: httpx.AsyncClient,
    db: AsyncSession,
    sign_in: SignIn,
    settings: Settings,
    jobs: JobRunner,
) -> None:
    user = await factories.user(db)
    await sign_in(user)
    wrong = await post_form(
        client, "/account/email", {"new_email": "new@example.test", "email_password": "nope-nope-1"}
    )
    assert wrong.status_code == 422 and 'value="new@example.test"' in wrong.text
    asked = await post_form(
        client,
        "/account/email",
        {"new_email": "New@Example.test", "email_password": factories.DEFAULT_PASSWORD},
    )
    assert asked.status_code == 303
    await db.refresh(user)
    old_email = user.email
    assert old_email != "New@example.test"  # not before confirmation
    await jobs.run_until_idle()
    [(to, subject, body)] = folder_bodies(settings)
    assert to == "New@example.test" and subject == "Confirm your new email address"
    assert (await client.get(link_in(body))).status_code == 303
    await db.refresh(user)
    assert user.email == "New@example.test" and user.email_verified_at is not None


async def test_language_preference_is_saved(
    client: httpx.AsyncClient, db: AsyncSession, sign_in: SignIn
) -> None:
    user = await factories.user(db)
    await sign_in(user)
    response = await post_form(client, "/account/language", {"language": "hi"})
    assert response.status_code == 303
    await db.refresh(user)
    assert user.language == "hi"
    assert client.cookies.get("odop_lang", domain=COOKIE_DOMAIN) == "hi"
    refused = await post_form(client, "/account/language", {"language": "xx"})
    assert refused.status_code == 422
