"""What every authorisation matrix (``tests/**/test_authorization.py``) shares: a route with the
refusal each actor must meet, the set of routes a router serves (so a matrix proves it lists every
one), and calling one route as each actor, pages with a session cookie and the API with a token.

"Allowed" means authorisation let the request through, whatever the business outcome (a redirect,
a page, a 409 for a step the state does not allow, a 422 for an empty form); "refused" is the
exact status expected, or ``SIGN_IN``: a page redirects to the sign-in page, the API answers 401.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import APIRouter
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts_service
from app.accounts.models import User
from app.config import Settings
from tests.helpers import post_form, start_session

SIGN_IN = "sign_in"
Refusals = Mapping[str, int | str | None]  # None: allowed (a matrix may spell that out)
NOT_THROUGH = (SIGN_IN, 401, 403, 404, 500)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # placeholders are filled by the matrix's own fixture
    refused: Refusals


def served_routes(*routers: APIRouter) -> set[tuple[str, str]]:
    """(method, path) of every API route the routers serve, HEAD aside."""
    return {
        (method, route.path)
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in (route.methods or set()) - {"HEAD"}
    }


@dataclass
class Actors:
    """The matrix's actors (``None``: anonymous), each with an API token of its role's scopes."""

    client: httpx.AsyncClient
    db: AsyncSession
    settings: Settings
    users: Mapping[str, User | None]
    sign_in_pages: tuple[str, ...] = ("/account/sign-in",)
    api_secrets: dict[str, str] = field(default_factory=dict)

    async def issue_tokens(self) -> Actors:
        for name, user in self.users.items():
            if user is not None:
                _token, self.api_secrets[name] = await accounts_service.create_api_token(
                    self.db, user, name="matrix", scopes=accounts_service.scopes_for(user)
                )
        await self.db.commit()
        return self

    async def outcomes(
        self,
        method: str,
        path: str,
        order: Iterable[str],
        *,
        json: Any = None,
        form: dict[str, str | list[str]] | None = None,
    ) -> dict[str, int | str]:
        """Each actor's outcome, called in ``order``: put last those whose allowed requests change
        what the others aim at. The API gets ``json`` on POST, PUT and PATCH; forms get ``form``."""
        found: dict[str, int | str] = {}
        for actor in order:
            self.client.cookies.clear()
            user = self.users[actor]
            if path.startswith("/api/"):
                headers = {"authorization": f"Bearer {self.api_secrets[actor]}"} if user else {}
                body = json if method in ("POST", "PUT", "PATCH") else None
                response = await self.client.request(method, path, headers=headers, json=body)
                signed_out = response.status_code == 401
            else:
                if user is not None:
                    await start_session(self.client, self.db, self.settings, user)
                if method == "GET":
                    response = await self.client.get(path)
                else:
                    response = await post_form(self.client, path, form)
                signed_out = response.status_code == 303 and response.headers[
                    "location"
                ].startswith(self.sign_in_pages)
            found[actor] = SIGN_IN if signed_out else response.status_code
        return found


def assert_refusals(refused: Refusals, outcomes: Mapping[str, int | str]) -> None:
    for actor, outcome in outcomes.items():
        expected = refused.get(actor)
        if expected is None:
            assert outcome not in NOT_THROUGH, (actor, outcomes)
        else:
            assert outcome == expected, (actor, outcomes)
