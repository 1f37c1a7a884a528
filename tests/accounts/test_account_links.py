"""The account page leads sellers to their dashboard and admins to their pages, and no one else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from tests import factories

SignIn = Callable[[User], Awaitable[str]]


@pytest.mark.parametrize(
    ("role", "expected", "absent"),
    [
        (Role.BUYER, [], ["/seller", "/admin", "/admin/rates", "/admin/search/synonyms"]),
        (Role.SELLER_OWNER, ["/seller"], ["/admin", "/admin/rates", "/admin/search/synonyms"]),
        (Role.ADMIN, ["/admin", "/admin/rates", "/admin/search/synonyms"], ["/seller"]),
    ],
)
async def test_the_account_page_links_to_the_pages_of_the_users_role(
    client: httpx.AsyncClient,
    db: AsyncSession,
    sign_in: SignIn,
    role: Role,
    expected: list[str],
    absent: list[str],
) -> None:
    await sign_in(await factories.user(db, role=role))
    page = (await client.get("/account")).text
    for href in expected:
        assert f'href="{href}"' in page
    for href in absent:
        assert f'href="{href}"' not in page
