from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Annotated

import httpx
from fastapi import APIRouter, FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.deps import AdminUser, require_scope
from app.accounts.models import ApiToken, Role, User
from app.accounts.tokens import digest
from tests import factories
from tests.helpers import post_form

SignIn = Callable[[User], Awaitable[str]]


def add_probe_routes(app: FastAPI) -> None:
    router = APIRouter(prefix="/api/v1/probe")

    @router.post("/write")
    async def write(user: Annotated[User, require_scope("seller:write")]) -> dict[str, int]:
        return {"user": user.id}

    @router.get("/admin")
    async def admin(user: AdminUser) -> dict[str, int]:
        return {"user": user.id}

    app.include_router(router)


async def create_token(client: httpx.AsyncClient, name: str, scopes: list[str]) -> str:
    response = await post_form(client, "/account/tokens", {"token_name": name, "scopes": scopes})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    found = re.search(r'value="(odop_[A-Za-z0-9_-]+)"', response.text)
    assert found, response.text
    return found.group(1)


async def test_token_lifecycle_hashed_scoped_and_revocable(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession, sign_in: SignIn
) -> None:
    add_probe_routes(app)
    user = await factories.user(db, role=Role.SELLER_OWNER)
    await sign_in(user)
    secret = await create_token(client, "stock sync", ["catalog:read"])
    stored = await db.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert stored is not None
    assert stored.token_hash == digest(secret) and secret not in (stored.prefix + stored.scopes)
    assert stored.prefix == secret[:12]

    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    async with api:
        bearer = {"authorization": f"Bearer {secret}"}
        me = await api.get("/api/v1/me", headers=bearer)
        assert me.status_code == 200
        assert me.json()["email"] == user.email and me.json()["token_scopes"] == ["catalog:read"]
        lacking = await api.post("/api/v1/probe/write", headers=bearer)
        assert lacking.status_code == 403
        assert lacking.json()["error"]["code"] == "forbidden"

        page = await client.get("/account")
        assert "stock sync" in page.text and secret not in page.text
        revoked = await post_form(client, f"/account/tokens/{stored.id}/revoke")
        assert revoked.status_code == 303
        gone = await api.get("/api/v1/me", headers=bearer)
        assert gone.status_code == 401 and gone.json()["error"]["code"] == "unauthorized"


async def test_scope_allows_and_admin_needs_role_and_scope(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession, sign_in: SignIn
) -> None:
    add_probe_routes(app)
    seller = await factories.user(db, role=Role.SELLER_OWNER)
    await sign_in(seller)
    writer = await create_token(client, "writer", ["seller:write", "catalog:read"])
    no_admin = await post_form(
        client, "/account/tokens", {"token_name": "sneaky", "scopes": ["admin"]}
    )
    assert no_admin.status_code == 403  # only administrators may mint admin tokens
    admin = await factories.user(db, role=Role.ADMIN)
    await sign_in(admin)
    admin_read = await create_token(client, "read only", ["catalog:read"])
    admin_full = await create_token(client, "admin", ["admin"])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as api:
        ok = await api.post("/api/v1/probe/write", headers={"authorization": f"Bearer {writer}"})
        assert ok.status_code == 200 and ok.json() == {"user": seller.id}
        for secret, status in ((writer, 403), (admin_read, 403), (admin_full, 200)):
            got = await api.get(
                "/api/v1/probe/admin", headers={"authorization": f"Bearer {secret}"}
            )
            assert got.status_code == status


async def test_api_ignores_session_cookies_and_bad_tokens(
    client: httpx.AsyncClient, db: AsyncSession, sign_in: SignIn
) -> None:
    await sign_in(await factories.user(db))
    assert (await client.get("/api/v1/me")).status_code == 401  # cookies do not count on /api
    for header in ("Bearer odop_notatoken", "Basic Zm9vOmJhcg==", "Bearer "):
        response = await client.get("/api/v1/me", headers={"authorization": header})
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/json")


async def test_token_form_errors_keep_the_name(
    client: httpx.AsyncClient, db: AsyncSession, sign_in: SignIn
) -> None:
    await sign_in(await factories.user(db))
    response = await post_form(client, "/account/tokens", {"token_name": "deploy bot"})
    assert response.status_code == 422
    assert "Choose at least one permission." in response.text
    assert 'value="deploy bot"' in response.text


async def test_admin_pages_refuse_other_roles(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession, sign_in: SignIn
) -> None:
    router = APIRouter()

    @router.get("/probe-admin-page")
    async def page(user: AdminUser) -> dict[str, str]:
        return {"ok": str(user.email)}

    app.include_router(router)
    assert (await client.get("/probe-admin-page")).status_code == 303  # anonymous: sign in
    await sign_in(await factories.user(db, role=Role.SELLER_OWNER))
    assert (await client.get("/probe-admin-page")).status_code == 403
    await sign_in(await factories.user(db, role=Role.ADMIN))
    assert (await client.get("/probe-admin-page")).status_code == 200
