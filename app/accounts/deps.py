"""Authentication dependencies. Use them as types on route parameters:

    from app.accounts.deps import AdminUser, CurrentUser, OptionalUser, require_scope

    @router.get("/seller")
    async def dashboard(user: CurrentUser) -> ...            # must be signed in

    @router.get("/admin/sellers")
    async def queue(user: AdminUser) -> ...                 # role admin, else 403

    @api.post("/listings")
    async def create(user: Annotated[User, require_scope("seller:write")]) -> ...

Secure by default: give a whole router the login requirement where it is included,
``app.include_router(router, dependencies=[Depends(require_user)])`` (or ``require_admin``), and
still declare ``CurrentUser`` in handlers that need the user (FastAPI runs it once per request).

Pages (any path not under ``/api/``) authenticate with the session cookie; an anonymous visitor is
redirected (303) to ``/account/sign-in?next=<path>``. API routes (``/api/...``) authenticate only
with ``Authorization: Bearer odop_...`` personal tokens and answer 401 JSON; cookies are ignored
there, so the JSON API needs no CSRF protection. ``require_scope`` checks the token's scopes (a
session on a page carries the user's full authority, limited by role checks).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from app.accounts import service
from app.accounts.errors import SignInRequired
from app.accounts.models import ApiToken, User
from app.config import Settings
from app.db import SessionDep
from app.errors import Forbidden, Unauthorized
from app.i18n import gettext as _
from app.web import DEVICE_COOKIE, SESSION_COOKIE, cookie_name, decode_signed

_UNSET = object()


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def client_of(request: Request) -> service.Client:
    """IP (from the ASGI server: run uvicorn with --proxy-headers behind a trusted proxy),
    user agent, and the signed device cookie if the browser has one."""
    settings: Settings = request.app.state.settings
    device_cookie = request.cookies.get(cookie_name(settings, DEVICE_COOKIE), "")
    device = decode_signed(settings.secret_key, device_cookie) or {}
    device_user = device.get("u") if isinstance(device, dict) else None
    device_id = device.get("d") if isinstance(device, dict) else None
    return service.Client(
        ip=request.client.host if request.client else "unknown",
        user_agent=request.headers.get("user-agent", ""),
        device_user_id=device_user if isinstance(device_user, int) else None,
        device_id=device_id if isinstance(device_id, str) else None,
    )


async def optional_user(request: Request, session: SessionDep) -> User | None:
    """The signed-in user or None; cached on ``request.state.user`` for the request."""
    cached = getattr(request.state, "user", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    user: User | None = None
    request.state.api_token = None
    request.state.user_session = None
    if is_api(request):
        scheme, _sep, secret = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and secret.strip():
            found = await service.api_token_user(session, secret.strip())
            if found is not None:
                request.state.api_token, user = found
    else:
        settings: Settings = request.app.state.settings
        cookie = request.cookies.get(cookie_name(settings, SESSION_COOKIE))
        if cookie:
            found_session = await service.session_user(session, settings, cookie)
            if found_session is not None:
                request.state.user_session, user = found_session
            else:
                request.state.stale_session = True  # app/web.py deletes the cookie
    request.state.user = user
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]


async def require_user(request: Request, user: OptionalUser) -> User:
    if user is None:
        if is_api(request):
            raise Unauthorized(_("Send a valid API token: Authorization: Bearer odop_..."))
        if request.method not in ("GET", "HEAD"):  # a form post cannot be replayed by GET
            raise SignInRequired("")
        query = f"?{request.url.query}" if request.url.query else ""
        raise SignInRequired(request.url.path + query)
    return user


CurrentUser = Annotated[User, Depends(require_user)]


def _token_has(request: Request, scope: str) -> bool:
    token: ApiToken | None = getattr(request.state, "api_token", None)
    return token is None or scope in token.scope_set


async def require_admin(request: Request, user: CurrentUser) -> User:
    if not user.is_admin or not _token_has(request, "admin"):
        raise Forbidden(_("This page is for administrators."))
    return user


AdminUser = Annotated[User, Depends(require_admin)]


def require_scope(scope: str) -> Any:
    """``Annotated[User, require_scope("seller:write")]`` or ``dependencies=[require_scope(..)]``:
    the caller must be signed in and, when using an API token, the token must carry ``scope``."""
    if scope not in service.SCOPES:
        raise ValueError(f"unknown scope {scope!r}; add it to app.accounts.service.SCOPES")

    async def dependency(request: Request, user: CurrentUser) -> User:
        if not _token_has(request, scope):
            raise Forbidden(_("This API token lacks the %(scope)s permission.", scope=scope))
        return user

    return Depends(dependency)
