from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.rates import service as currency
from tests import factories
from tests.helpers import post_form

SignIn = Callable[[User], Awaitable[str]]


async def test_only_admins_manage_rates(
    client: httpx.AsyncClient, db: AsyncSession, sign_in: SignIn
) -> None:
    anonymous = await client.get("/admin/rates")
    assert anonymous.status_code == 303 and "/account/sign-in" in anonymous.headers["location"]
    await sign_in(await factories.user(db))
    assert (await client.get("/admin/rates")).status_code == 403
    refused = await post_form(client, "/admin/rates", {"currency": "USD", "rate": "80"})
    assert refused.status_code == 403


async def test_admin_sets_a_rate_and_buyers_see_it(
    client: httpx.AsyncClient, db: AsyncSession, sign_in: SignIn
) -> None:
    await sign_in(await factories.user(db, role=Role.ADMIN))
    response = await post_form(
        client,
        "/admin/rates",
        {"currency": "GBP", "rate": "110.125", "effective_date": "2026-11-20"},
    )
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert "Saved: 1 GBP = ₹110.125 from 2026-11-20." in page.text
    rates = await currency.current_rates(db, date(2026, 11, 28))
    assert rates["GBP"].inr_per_unit == Decimal("110.125")


async def test_bad_rates_re_render_with_the_input(
    client: httpx.AsyncClient, db: AsyncSession, sign_in: SignIn
) -> None:
    await sign_in(await factories.user(db, role=Role.ADMIN))
    cases: list[tuple[dict[str, str | list[str]], str]] = [
        ({"currency": "USD", "rate": "-3"}, "positive"),
        ({"currency": "USD", "rate": "eighty"}, "not a number"),
        ({"currency": "JPY", "rate": "0.55"}, "not a display currency"),
        ({"currency": "USD", "rate": "84", "effective_date": "28/11/2026"}, "YYYY-MM-DD"),
    ]
    for form, message in cases:
        response = await post_form(client, "/admin/rates", form)
        assert response.status_code == 422, form
        assert message in response.text
        assert f'value="{form["rate"]}"' in response.text
    assert await currency.current_rates(db, date(2026, 12, 31)) == {}
