"""Registration is throttled like sign-in: every attempt counts per IP and per email
(app/accounts/throttle.py REGISTRATION_RULES); over the limit the form answers 429 with
Retry-After and keeps what was typed, and the counters survive the request."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from app.accounts.throttle import REGISTRATION_RULES
from tests.helpers import post_form

PASSWORD = "handloom-indigo-river-5"


def client_from(app: FastAPI, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def register(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await post_form(
        client,
        "/account/register",
        {"display_name": "Lakshmi", "email": email, "password": PASSWORD},
    )


async def test_one_ip_creating_many_accounts_is_slowed_down(app: FastAPI) -> None:
    free = REGISTRATION_RULES["register_ip"].free_failures
    async with client_from(app, "203.0.113.7") as mass, client_from(app, "198.51.100.2") as other:
        for n in range(free):
            response = await register(mass, f"bulk{n}@example.test")
            assert response.status_code == 303, (n, response.text)
            mass.cookies.clear()  # a new visitor each time, as a script would be
        refused = await register(mass, "one-more@example.test")
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert 'value="one-more@example.test"' in refused.text  # the form keeps the input
        assert (await register(other, "someone@example.test")).status_code == 303


async def test_one_email_tried_again_and_again_is_slowed_down_from_any_ip(app: FastAPI) -> None:
    free = REGISTRATION_RULES["register_email"].free_failures
    statuses = []
    for n in range(free + 1):
        async with client_from(app, f"192.0.2.{n + 1}") as client:
            statuses.append((await register(client, "Probe@Example.test")).status_code)
    # The first creates the account, the next ones are told it exists, then the email waits.
    assert statuses == [303, *[422] * (free - 1), 429]
