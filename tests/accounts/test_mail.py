from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts import emails
from app.config import Settings
from app.jobs import JobRunner
from app.mail import Mail, send_mail
from app.main import create_app
from tests import factories
from tests.accounts.conftest import Inbox
from tests.helpers import folder_bodies, link_in, post_form


async def test_mail_goes_through_a_real_smtp_server(
    client: httpx.AsyncClient,
    db: AsyncSession,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    smtp_server: tuple[str, Inbox],
) -> None:
    url, inbox = smtp_server
    jobs = JobRunner(session_factory, settings.model_copy(update={"smtp_url": url}))
    user = await factories.user(db)
    await db.commit()
    await post_form(client, "/account/forgot-password", {"email": str(user.email)})
    assert inbox.messages == []  # nothing is sent while the request runs
    assert await jobs.run_until_idle() == 1
    [message] = inbox.messages
    assert message["To"] == user.email
    assert message["From"] == settings.mail_from
    assert message["Subject"] == "Reset your password"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    link = link_in(body.get_content())
    assert (await client.get(link)).status_code == 200
    assert not settings.mail_dir.exists() or folder_bodies(settings) == []


async def test_smtp_url_requires_starttls_unless_turned_off(
    settings: Settings, smtp_server: tuple[str, Inbox]
) -> None:
    url, inbox = smtp_server
    plain = url.replace("?starttls=off", "")
    with pytest.raises(Exception, match="STARTTLS"):
        await send_mail(settings.model_copy(update={"smtp_url": plain}), Mail("a@b.test", "S", "T"))
    assert inbox.messages == []


def list_eml(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.eml"))


async def test_hindi_user_gets_hindi_email(
    db: AsyncSession, jobs: JobRunner, settings: Settings, client: httpx.AsyncClient
) -> None:
    user = await factories.user(db, language="hi", display_name="सीता")
    emails.queue(db, emails.RESET_PASSWORD, user.id)
    await db.commit()
    await jobs.run_until_idle()
    [(to, subject, body)] = folder_bodies(settings)
    assert to == user.email
    assert subject == "अपना पासवर्ड रीसेट करें"
    assert "नमस्ते सीता," in body and "60 मिनट" in body
    assert "/account/reset/" in body
    [path] = list_eml(settings.mail_dir)
    assert b"Content-Language: hi" in path.read_bytes()


async def test_dev_mailbox_lists_messages_and_is_absent_in_production(
    client: httpx.AsyncClient,
    db: AsyncSession,
    jobs: JobRunner,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    user = await factories.user(db, verified=False)
    emails.queue(db, emails.VERIFY_EMAIL, user.id)
    await db.commit()
    await jobs.run_until_idle()
    listing = await client.get("/dev/mail")
    assert listing.status_code == 200
    assert "Confirm your email address" in listing.text and str(user.email) in listing.text
    [name] = [p.name for p in list_eml(settings.mail_dir)]
    message = await client.get(f"/dev/mail/{name}")
    assert message.status_code == 200 and "/account/verify/" in message.text
    assert (await client.get("/dev/mail/..%2Fsecret.eml")).status_code in (404, 422)

    production = settings.model_copy(
        update={"env": "production", "secret_key": "p" * 40, "payment_provider": "offline"}
    )
    app = create_app(production, session_factory=session_factory)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as prod:
        assert (await prod.get("/dev/mail")).status_code == 404
        assert (await prod.get(f"/dev/mail/{name}")).status_code == 404


async def test_session_cookie_is_secure_in_production(
    db: AsyncSession, settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    production = settings.model_copy(
        update={"env": "production", "secret_key": "p" * 40, "payment_provider": "offline"}
    )
    app = create_app(production, session_factory=session_factory)
    user = await factories.user(db)
    await db.commit()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://testserver"
    ) as browser:
        response = await post_form(
            browser,
            "/account/sign-in",
            {"email": str(user.email), "password": factories.DEFAULT_PASSWORD},
        )
        assert response.status_code == 303
        session_cookie = next(
            c
            for c in response.headers.get_list("set-cookie")
            if c.startswith("__Host-odop_session=")
        )
        assert "Secure" in session_cookie and "HttpOnly" in session_cookie
        assert "Path=/" in session_cookie and "domain" not in session_cookie.lower()
