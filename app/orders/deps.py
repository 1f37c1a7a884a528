"""Dependencies of the cart, checkout and order routes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response

from app.accounts.deps import OptionalUser
from app.accounts.models import User
from app.config import Settings
from app.db import SessionDep
from app.errors import CsrfFailed
from app.orders import cart as cart_service
from app.orders.models import Cart

CART_COOKIE = "odop_cart"


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(settings_of)]


@dataclass
class CartContext:
    user: User | None
    cart: Cart | None
    token: str | None  # the anonymous cookie's token, when there is one

    def set_cookie(self, response: Response, token: str, settings: Settings) -> None:
        response.set_cookie(
            CART_COOKIE,
            token,
            max_age=60 * 60 * 24 * 30,
            httponly=True,
            samesite="lax",
            secure=settings.env == "production",
        )


async def cart_context(request: Request, session: SessionDep, user: OptionalUser) -> CartContext:
    """The caller's cart. A signed-in visitor who still carries an anonymous cart cookie has it
    merged into the account's cart now (the first request after signing in)."""
    token = request.cookies.get(CART_COOKIE)
    if user is not None and token:
        await cart_service.merge_anonymous(session, user.id, token)
        request.state.drop_cart_cookie = True
        token = None
    cart = await cart_service.find(
        session, user_id=user.id if user else None, token=None if user else token
    )
    return CartContext(user, cart, token)


CartDep = Annotated[CartContext, Depends(cart_context)]


def same_origin(request: Request) -> None:
    """CSRF defence for the add-to-cart form, which carries no token so that product pages stay
    cacheable: a browser's cross-site post is refused by its Origin (or Referer) header. The cart
    cookie and the session cookie are SameSite=Lax as well."""
    if request.method != "POST":
        return
    source = request.headers.get("origin") or request.headers.get("referer")
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise CsrfFailed()
    if source and source != "null":
        parts = urlsplit(source)
        if parts.netloc != request.url.netloc:
            raise CsrfFailed()
