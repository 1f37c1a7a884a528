"""Accounts by mobile number: texted one-time codes, throttles, the outbox, the HTTP gateway."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts import phone
from app.accounts.models import PhoneCode, User
from app.config import Settings
from app.db import utcnow
from app.errors import FormErrors
from app.jobs import Job, JobRunner
from app.sms import HttpGatewaySender, Sms, SmsFailed, folder_messages
from app.web import SESSION_COOKIE
from tests import factories
from tests.helpers import post_form

CODE = re.compile(r"\b(\d{6})\b")


def texts(settings: Settings) -> list[tuple[str, str]]:
    """(to, text) of the development SMS folder, newest first."""
    return [(m.to, m.text) for m in folder_messages(settings.sms_dir)]


def last_code(settings: Settings, to: str) -> str:
    for number, text in texts(settings):
        if number == to:
            found = CODE.search(text)
            assert found, text
            return found.group(1)
    raise AssertionError(f"no text to {to}")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("9876543210", "+919876543210"),
        ("+91 98765 43210", "+919876543210"),
        ("098765-43210", "+919876543210"),
        ("919876543210", "+919876543210"),
        ("6000000000", "+916000000000"),
    ],
)
def test_indian_mobile_numbers_are_normalised(typed: str, expected: str) -> None:
    assert phone.normalise_phone(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter your mobile number"),
        ("5876543210", "starts with 6, 7, 8 or 9"),
        ("98765432", "10 digits; this has 8"),
        ("+44 7700 900123", "Indian mobile number (+91)"),
        ("98765abcde", "digits only"),
    ],
)
def test_wrong_numbers_say_what_is_wrong(typed: str, message: str) -> None:
    with pytest.raises(FormErrors) as raised:
        phone.normalise_phone(typed)
    assert message in raised.value.errors["phone"]


async def test_sign_up_by_mobile_code_creates_a_verified_account(
    client: httpx.AsyncClient, db: AsyncSession, jobs: JobRunner, settings: Settings
) -> None:
    form = await client.get("/account/phone/register?next=/sell")
    assert form.status_code == 200 and 'inputmode="tel"' in form.text
    sent = await post_form(
        client,
        "/account/phone/register",
        {"display_name": "Kamla Bai", "phone": "98765 43210", "next": "/sell"},
    )
    assert sent.status_code == 200
    assert "+91 98765 43210" in sent.text and 'autocomplete="one-time-code"' in sent.text
    assert 'inputmode="numeric"' in sent.text
    # No account exists until the code proves the number.
    assert await db.scalar(select(User).where(User.phone == "+919876543210")) is None
    assert await jobs.run_until_idle() == 1
    code = last_code(settings, "+919876543210")

    # Neither the jobs table nor the codes table holds the code itself.
    row = await db.scalar(select(PhoneCode).where(PhoneCode.phone == "+919876543210"))
    assert row is not None and row.code_hash and code not in row.code_hash
    payloads = [json.dumps(p) for p in (await db.scalars(select(Job.payload))).all()]
    assert all(code not in p for p in payloads)

    done = await post_form(
        client,
        "/account/phone/code",
        {
            "phone": "+919876543210",
            "code": code,
            "purpose": "sign_up",
            "display_name": "Kamla Bai",
            "next": "/sell",
        },
    )
    assert done.status_code == 303 and done.headers["location"] == "/sell"
    assert SESSION_COOKIE in done.headers["set-cookie"]
    user = await db.scalar(select(User).where(User.phone == "+919876543210"))
    assert user is not None and user.phone_verified_at is not None
    assert user.email is None and user.password_hash is None
    assert user.display_name == "Kamla Bai"
    account = await client.get("/account")
    assert "+919876543210" in account.text and "Change password" not in account.text
    # The code worked once.
    again = await post_form(
        client,
        "/account/phone/code",
        {"phone": "+919876543210", "code": code, "purpose": "sign_up"},
    )
    assert again.status_code == 422 and "expired or was already used" in again.text


async def test_wrong_codes_are_counted_and_use_the_code_up(
    client: httpx.AsyncClient, db: AsyncSession, jobs: JobRunner, settings: Settings
) -> None:
    await post_form(
        client, "/account/phone/register", {"display_name": "Asha", "phone": "9123456780"}
    )
    await jobs.run_until_idle()
    code = last_code(settings, "+919123456780")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for tries_left in (4, 3, 2, 1):
        response = await post_form(
            client,
            "/account/phone/code",
            {"phone": "9123456780", "code": wrong, "purpose": "sign_up", "display_name": "Asha"},
        )
        assert response.status_code == 422
        assert f"{tries_left} tries left" in response.text
        assert 'value="9123456780"' in response.text  # the input is kept
    fifth = await post_form(
        client,
        "/account/phone/code",
        {"phone": "9123456780", "code": wrong, "purpose": "sign_up"},
    )
    assert "used up" in fifth.text
    right_too_late = await post_form(
        client,
        "/account/phone/code",
        {"phone": "9123456780", "code": code, "purpose": "sign_up"},
    )
    assert right_too_late.status_code in (422, 429)
    assert await db.scalar(select(User).where(User.phone == "+919123456780")) is None


async def test_an_expired_code_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, jobs: JobRunner, settings: Settings
) -> None:
    await post_form(
        client, "/account/phone/register", {"display_name": "Ravi", "phone": "9000000001"}
    )
    await jobs.run_until_idle()
    code = last_code(settings, "+919000000001")
    await db.execute(
        update(PhoneCode)
        .where(PhoneCode.phone == "+919000000001")
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    await db.commit()
    response = await post_form(
        client,
        "/account/phone/code",
        {"phone": "9000000001", "code": code, "purpose": "sign_up"},
    )
    assert response.status_code == 422 and "expired" in response.text


async def test_codes_are_throttled_per_number_and_per_ip(
    client: httpx.AsyncClient, jobs: JobRunner, settings: Settings
) -> None:
    first = await post_form(
        client, "/account/phone/register", {"display_name": "Ravi", "phone": "9000000002"}
    )
    assert first.status_code == 200
    second = await post_form(
        client, "/account/phone/register", {"display_name": "Ravi", "phone": "9000000002"}
    )
    assert second.status_code == 429
    assert 0 < int(second.headers["retry-after"]) <= 30
    assert "Wait" in second.text
    await jobs.run_until_idle()
    assert len(texts(settings)) == 1
    # Other numbers from the same IP: a few are free, then the IP waits too.
    statuses = []
    for n in range(3, 10):
        response = await post_form(
            client, "/account/phone/register", {"display_name": "X", "phone": f"900000000{n}"}
        )
        statuses.append(response.status_code)
    assert statuses[:3] == [200, 200, 200] and 429 in statuses


async def test_sign_in_texts_only_verified_numbers(
    client: httpx.AsyncClient, db: AsyncSession, jobs: JobRunner, settings: Settings
) -> None:
    verified = await factories.user(
        db, email=None, password_hash=None, phone="+917000000001", phone_verified_at=utcnow()
    )
    await factories.user(db, email=None, password_hash=None, phone="+917000000002")
    await db.commit()
    unknown = await post_form(client, "/account/phone/sign-in", {"phone": "7000000009"})
    unverified = await post_form(client, "/account/phone/sign-in", {"phone": "7000000002"})
    known = await post_form(
        client, "/account/phone/sign-in", {"phone": "7000000001", "next": "/sell"}
    )
    # The same answer for all three, so the page does not tell which numbers have accounts.
    for response in (unknown, unverified, known):
        assert response.status_code == 200
        assert "If an account uses" in response.text
    await jobs.run_until_idle()
    assert [to for to, _ in texts(settings)] == ["+917000000001"]
    # An unverified number cannot sign in, even with a code of its own.
    assert (
        await post_form(
            client,
            "/account/phone/code",
            {"phone": "7000000002", "code": "000000", "purpose": "sign_in"},
        )
    ).status_code == 422
    signed = await post_form(
        client,
        "/account/phone/code",
        {
            "phone": "7000000001",
            "code": last_code(settings, "+917000000001"),
            "purpose": "sign_in",
            "next": "/sell",
        },
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/sell"
    assert "Test User" in (await client.get("/account")).text
    assert verified.id


async def test_the_development_outbox_lists_texts(
    client: httpx.AsyncClient, jobs: JobRunner, settings: Settings
) -> None:
    await post_form(
        client, "/account/phone/register", {"display_name": "Ravi", "phone": "9000000011"}
    )
    await jobs.run_until_idle()
    page = await client.get("/dev/sms")
    assert page.status_code == 200
    assert "+919000000011" in page.text
    assert last_code(settings, "+919000000011") in page.text


# The HTTP gateway adapter, against a local recording server -------------------------------------


class Recorder(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict[str, Any]]] = []
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers["content-length"])
        Recorder.requests.append(
            {
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": self.rfile.read(length).decode(),
            }
        )
        self.send_response(Recorder.status)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "queued"}')

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[str]:
    Recorder.requests = []
    Recorder.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/sms"
    finally:
        server.shutdown()
        server.server_close()


async def test_http_gateway_posts_json_with_the_api_key(gateway: str) -> None:
    sender = HttpGatewaySender(gateway, "key-123", "ODOPBZ")
    await sender.send(Sms("+919876543210", "123456 is your ODOP Bazaar code."))
    [request] = Recorder.requests
    assert request["path"] == "/v1/sms"
    assert request["headers"]["authorization"] == "Bearer key-123"
    assert request["headers"]["content-type"] == "application/json"
    assert json.loads(request["body"]) == {
        "sender": "ODOPBZ",
        "to": "+919876543210",
        "message": "123456 is your ODOP Bazaar code.",
    }


async def test_http_gateway_posts_a_form_when_configured(gateway: str) -> None:
    sender = HttpGatewaySender(gateway, "k", "ODOPBZ", body_format="form")
    await sender.send(Sms("+919876543210", "hello"))
    [request] = Recorder.requests
    assert request["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request["body"]) == {
        "sender": ["ODOPBZ"],
        "to": ["+919876543210"],
        "message": ["hello"],
    }


async def test_http_gateway_errors_raise_so_the_job_retries(gateway: str) -> None:
    Recorder.status = 503
    with pytest.raises(SmsFailed, match="503"):
        await HttpGatewaySender(gateway, "k", "S").send(Sms("+919876543210", "x"))
    with pytest.raises(SmsFailed, match="unreachable"):
        await HttpGatewaySender("http://127.0.0.1:9/", "k", "S", timeout=2).send(
            Sms("+919876543210", "x")
        )


async def test_the_code_job_sends_through_the_configured_gateway(
    client: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    gateway: str,
) -> None:
    jobs = JobRunner(
        session_factory,
        settings.model_copy(update={"sms_gateway_url": gateway, "sms_gateway_api_key": "gw"}),
    )
    await post_form(
        client, "/account/phone/register", {"display_name": "Ravi", "phone": "9000000021"}
    )
    await jobs.run_until_idle()
    [request] = Recorder.requests
    body = json.loads(request["body"])
    assert body["to"] == "+919000000021" and CODE.search(body["message"])
    assert texts(settings) == []  # nothing went to the development folder


# Selling starts with a choice, and next=/sell survives registration and confirmation ------------


async def test_sell_signed_out_offers_both_ways_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/sell")
    assert response.status_code == 303
    assert response.headers["location"] == "/sell/start?next=/sell"
    page = await client.get("/sell/start?next=/sell")
    for link in (
        "/account/phone/register?next=/sell",
        "/account/register?next=/sell",
        "/account/phone/sign-in?next=/sell",
        "/account/sign-in?next=/sell",
    ):
        assert f'href="{link.replace("/sell", "%2Fsell")}"' in page.text or link in page.text
    # Only onboarding paths are kept: anything else falls back to /sell.
    elsewhere = await client.get("/sell/start?next=https://evil.example/")
    assert 'next=%2Fsell"' in elsewhere.text or "next=/sell" in elsewhere.text


async def test_next_sell_survives_email_registration_and_confirmation(
    client: httpx.AsyncClient, db: AsyncSession, jobs: JobRunner, settings: Settings
) -> None:
    from tests.helpers import folder_bodies

    form = await client.get("/account/register?next=/sell")
    assert 'name="next" value="/sell"' in form.text
    response = await post_form(
        client,
        "/account/register",
        {
            "display_name": "Meena",
            "email": "meena@example.test",
            "password": "blue-loom-weaver-7",
            "next": "/sell",
        },
    )
    assert response.status_code == 303 and response.headers["location"] == "/sell"
    await jobs.run_until_idle()
    [(_to, _subject, body)] = folder_bodies(settings)
    link = re.search(r"https?://\S+/account/verify/\S+", body)
    assert link and link.group(0).endswith("?next=/sell")
    confirmed = await client.get("/" + link.group(0).split("/", 3)[3])
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/sell"
