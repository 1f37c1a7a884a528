from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository
from app.accounts.throttle import WINDOW, Rule, rules
from app.db import utcnow
from app.web import SESSION_COOKIE
from tests import factories
from tests.helpers import post_form


def client_from(app: FastAPI, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def test_delays_grow_then_cap_and_the_window_forgets() -> None:
    rule = Rule("t", free_failures=3, base_seconds=2, max_delay_seconds=60, max_per_window=100)
    delays = [rule.delay(n) for n in range(12)]
    assert delays[:3] == [0, 0, 0]
    assert delays[3:8] == [2, 4, 8, 16, 32]
    assert delays[8:] == [60, 60, 60, 60]
    now = utcnow()
    assert rule.wait(5, now - timedelta(minutes=1), now, now) == 8
    assert rule.wait(5, now - timedelta(minutes=1), now - timedelta(seconds=9), now) == 0
    # 100 failures in the window: wait for the window to end, whatever the delay says.
    assert rule.wait(100, now - timedelta(minutes=50), now - timedelta(minutes=5), now) == 600
    assert rule.wait(100, now - WINDOW, now, now) == 0  # a new hour starts afresh
    assert rules(100, 300)["account"].max_per_window == 100


async def test_repeated_failures_from_one_ip_are_delayed_but_the_owner_elsewhere_gets_in(
    app: FastAPI, db: AsyncSession
) -> None:
    user = await factories.user(db)
    await db.commit()
    async with client_from(app, "203.0.113.9") as attacker:
        for _ in range(3):  # the free failures of the (account, IP) counter
            failed = await post_form(
                attacker, "/account/sign-in", {"email": str(user.email), "password": "guess-123456"}
            )
            assert failed.status_code == 401
        # The fourth attempt must wait, even with the right password: nothing is checked.
        refused = await post_form(
            attacker,
            "/account/sign-in",
            {"email": str(user.email), "password": factories.DEFAULT_PASSWORD},
        )
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert "Too many failed attempts" in refused.text
    async with client_from(app, "198.51.100.7") as owner:
        ok = await post_form(
            owner,
            "/account/sign-in",
            {"email": str(user.email), "password": factories.DEFAULT_PASSWORD},
        )
        assert ok.status_code == 303


async def test_account_limit_of_100_an_hour_spares_a_known_device(
    app: FastAPI, db: AsyncSession
) -> None:
    user = await factories.user(db)
    await db.commit()
    async with client_from(app, "198.51.100.7") as owner:
        # The owner signed in from this phone before: it carries the device cookie.
        first = await post_form(
            owner,
            "/account/sign-in",
            {"email": str(user.email), "password": factories.DEFAULT_PASSWORD},
        )
        assert first.status_code == 303 and "odop_device" in owner.cookies
        await post_form(owner, "/account/sign-out")

        # An attacker spread over many IPs fails 100 times within the hour.
        key = rules(100, 300)["account"].key(str(user.email).lower())
        now = utcnow()
        for _ in range(100):
            await repository.record_failure(db, [key], now)
        await db.commit()

        async with client_from(app, "192.0.2.1") as stranger:
            blocked = await post_form(
                stranger,
                "/account/sign-in",
                {"email": str(user.email), "password": factories.DEFAULT_PASSWORD},
            )
            assert blocked.status_code == 429
            assert int(blocked.headers["retry-after"]) > 60  # until the hour's window ends

        again = await post_form(
            owner,
            "/account/sign-in",
            {"email": str(user.email), "password": factories.DEFAULT_PASSWORD},
        )
        assert again.status_code == 303
        assert SESSION_COOKIE in owner.cookies


async def test_per_ip_limit_covers_every_email(app: FastAPI, db: AsyncSession) -> None:
    user = await factories.user(db)
    key = rules(100, 300)["ip"].key("203.0.113.50")
    now = utcnow()
    for _ in range(300):
        await repository.record_failure(db, [key], now)
    await db.commit()
    async with client_from(app, "203.0.113.50") as stuffing:
        refused = await post_form(
            stuffing,
            "/account/sign-in",
            {"email": "someone-else@example.test", "password": "anything-at-all"},
        )
        assert refused.status_code == 429
    async with client_from(app, "203.0.113.51") as neighbour:
        ok = await post_form(
            neighbour,
            "/account/sign-in",
            {"email": str(user.email), "password": factories.DEFAULT_PASSWORD},
        )
        assert ok.status_code == 303


@pytest.mark.parametrize("failures", [1, 7])
async def test_failure_counts_are_atomic_upserts_and_windows_restart(
    db: AsyncSession, failures: int
) -> None:
    key = rules(100, 300)["ip"].key(f"198.18.0.{failures}")
    old = utcnow() - timedelta(hours=2)
    for _ in range(failures):
        await repository.record_failure(db, [key], old)
    row = (await repository.throttles(db, [key]))[key]
    assert row.failures == failures
    await repository.record_failure(db, [key], utcnow())  # the old window has ended
    row = (await repository.throttles(db, [key]))[key]
    assert row.failures == 1 and row.window_started_at > old
