"""Dependencies of the cart, checkout and order routes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response

from app.accounts.deps import OptionalUser
from app.accounts.models import User
from app.config import Settings
from app.db import SessionDep, begin_write
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
        await begin_write(session)  # a GET may be the first request after signing in
        await cart_service.merge_anonymous(session, user.id, token)
        request.state.drop_cart_cookie = True
        token = None
    cart = await cart_service.find(
        session, user_id=user.id if user else None, token=None if user else token
    )
    return CartContext(user, cart, token)


CartDep = Annotated[CartContext, Depends(cart_context)]
