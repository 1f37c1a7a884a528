"""Account pages: register, sign in/out, email verification, password reset, settings, tokens.

``public_router`` needs no login; ``account_router`` is included in ``app/main.py`` with
``dependencies=[Depends(require_user)]`` (secure by default). Both check CSRF on every POST.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service
from app.accounts.deps import CurrentUser, OptionalUser, client_of
from app.accounts.errors import FieldError, SignInFailed, SignInRequired, TooManyAttempts
from app.accounts.models import User
from app.config import Settings
from app.db import SessionDep
from app.errors import AppError, FormErrors
from app.i18n import LANGUAGE_COOKIE, LANGUAGES, current_language
from app.i18n import gettext as _
from app.inputs import Id
from app.preferences import ONE_YEAR, safe_next
from app.web import (
    CSRF_COOKIE,
    DEVICE_COOKIE,
    SESSION_COOKIE,
    cookie_name,
    encode_signed,
    flash,
    secure_cookies,
    templates_of,
)

public_router = APIRouter(include_in_schema=False)
account_router = APIRouter(include_in_schema=False)

# Defaults of "" so an empty field re-renders the form with a field error instead of a 422 page.
Email = Annotated[str, Form(max_length=320)]
Password = Annotated[str, Form(max_length=1024)]
# Pages whose URL holds a secret token: never cached, and the URL never leaves the site as a
# Referer. "same-origin" rather than "no-referrer": under no-referrer the browser sends
# ``Origin: null`` with the page's form post, which the CSRF check must refuse.
NO_STORE = {"cache-control": "no-store", "referrer-policy": "same-origin"}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _secure(request: Request) -> bool:
    return secure_cookies(_settings(request))


def _cookie(request: Request, name: str) -> str:
    return cookie_name(_settings(request), name)


def _delete_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(_cookie(request, SESSION_COOKIE), path="/", secure=_secure(request))


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        _cookie(request, SESSION_COOKIE),
        token,
        max_age=_settings(request).session_absolute_hours * 3600,
        httponly=True,
        secure=_secure(request),
        samesite="lax",
        path="/",
    )


def _set_device_cookie(request: Request, response: Response, user: User, device_id: str) -> None:
    value = encode_signed(_settings(request).secret_key, {"u": user.id, "d": device_id})
    response.set_cookie(
        _cookie(request, DEVICE_COOKIE),
        value,
        max_age=ONE_YEAR,
        httponly=True,
        secure=_secure(request),
        samesite="lax",
        path="/",
    )


def _errors(exc: AppError) -> dict[str, str]:
    if isinstance(exc, FormErrors):
        return exc.errors
    return {"form": exc.message}


async def sign_in_redirect(request: Request, exc: Exception) -> Response:
    """Exception handler for ``SignInRequired`` (installed in app/main.py)."""
    assert isinstance(exc, SignInRequired)
    path = request.app.url_path_for("account_sign_in")
    if not exc.next_path:
        return _redirect(path)
    if exc.next_path == "/sell" or exc.next_path.startswith(("/sell/", "/sell?")):
        # Someone who wants to sell may have no account yet: offer both, not just sign-in.
        path = request.app.url_path_for("sell_start")
    return _redirect(f"{path}?next={quote(exc.next_path, safe='/')}")


# Register ----------------------------------------------------------------------------------------


def _render_register(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return templates_of(request).render(
        request,
        "accounts/register.html",
        {"values": values, "errors": errors},
        status_code=status,
        headers=headers,
    )


@public_router.get("/account/register", name="account_register")
async def register_form(
    request: Request, user: OptionalUser, next: Annotated[str, Query(max_length=2000)] = ""
) -> Response:
    if user is not None:
        return _redirect(safe_next(next) if next else request.app.url_path_for("account_settings"))
    return _render_register(request, {"next": safe_next(next) if next else ""}, {})


@public_router.post("/account/register")
async def register(
    request: Request,
    session: SessionDep,
    display_name: Annotated[str, Form(max_length=200)] = "",
    email: Email = "",
    password: Password = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    next_path = safe_next(next) if next else ""
    values = {"display_name": display_name, "email": email, "next": next_path}
    client = client_of(request)
    try:
        user = await service.register(
            session,
            email=email,
            password=password,
            display_name=display_name,
            language=current_language(),
            next_path=next_path,
            client=client,
        )
    except TooManyAttempts as exc:
        # Returned, not raised: the transaction must commit the attempt counters.
        return _render_register(
            request, values, {"form": exc.message}, 429, {"retry-after": str(exc.retry_after)}
        )
    except AppError as exc:
        return _render_register(request, values, _errors(exc), 422)
    token = await service.start_session(
        session,
        _settings(request),
        user,
        client,
        request.cookies.get(_cookie(request, SESSION_COOKIE)),
    )
    flash(
        request,
        _(
            "Welcome, %(name)s! We sent a link to %(email)s: open it to confirm your email.",
            name=user.display_name,
            email=user.email,
        ),
    )
    response = _redirect(next_path or request.app.url_path_for("account_settings"))
    set_session_cookie(request, response, token)
    return response


# Sign in and out ---------------------------------------------------------------------------------


def _render_sign_in(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return templates_of(request).render(
        request,
        "accounts/sign_in.html",
        {"values": values, "errors": errors},
        status_code=status,
        headers=headers,
    )


@public_router.get("/account/sign-in", name="account_sign_in")
async def sign_in_form(
    request: Request,
    user: OptionalUser,
    next: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    if user is not None:
        return _redirect(safe_next(next) if next else request.app.url_path_for("account_settings"))
    return _render_sign_in(request, {"next": safe_next(next) if next else ""}, {})


@public_router.post("/account/sign-in")
async def sign_in(
    request: Request,
    session: SessionDep,
    email: Email = "",
    password: Password = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    values = {"email": email, "next": safe_next(next) if next else ""}
    missing = {
        field: message
        for field, value, message in (
            ("email", email, _("Enter your email.")),
            ("password", password, _("Enter your password.")),
        )
        if not value.strip()
    }
    if missing:
        return _render_sign_in(request, values, missing, 422)
    try:
        signed = await service.sign_in(
            session,
            _settings(request),
            email=email,
            password=password,
            client=client_of(request),
            old_session_token=request.cookies.get(_cookie(request, SESSION_COOKIE)),
        )
    except TooManyAttempts as exc:
        # Returned, not raised: the transaction must commit the failure counters.
        return _render_sign_in(
            request, values, {"form": exc.message}, 429, {"retry-after": str(exc.retry_after)}
        )
    except SignInFailed as exc:
        return _render_sign_in(request, values, {"form": exc.message}, 401)
    flash(request, _("You are signed in."))
    target = values["next"] or request.app.url_path_for("account_settings")
    response = _redirect(target)
    set_session_cookie(request, response, signed.session_token)
    _set_device_cookie(request, response, signed.user, signed.device_id)
    # A fresh CSRF token with the fresh session: a token planted before sign-in is useless after.
    response.set_cookie(
        _cookie(request, CSRF_COOKIE),
        secrets.token_urlsafe(32),
        httponly=True,
        secure=_secure(request),
        samesite="lax",
        path="/",
    )
    return response


@public_router.post("/account/sign-out", name="account_sign_out")
async def sign_out(request: Request, session: SessionDep) -> Response:
    token = request.cookies.get(_cookie(request, SESSION_COOKIE))
    if token:
        await service.sign_out(session, token)
    flash(request, _("You are signed out."))
    response = _redirect(request.app.url_path_for("home"))
    _delete_session_cookie(request, response)
    return response


# Emailed links -----------------------------------------------------------------------------------


@public_router.get("/account/verify/{token}", name="account_verify")
async def verify_email(
    request: Request,
    session: SessionDep,
    token: str,
    next: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    user = await service.confirm_email(session, token)
    flash(request, _("Thank you: %(email)s is confirmed.", email=user.email))
    response = _redirect(safe_next(next) if next else request.app.url_path_for("account_settings"))
    response.headers.update(NO_STORE)
    return response


@public_router.get("/account/forgot-password", name="account_forgot_password")
async def forgot_password_form(request: Request) -> HTMLResponse:
    return templates_of(request).render(
        request, "accounts/forgot_password.html", {"values": {}, "errors": {}}
    )


@public_router.post("/account/forgot-password")
async def forgot_password(request: Request, session: SessionDep, email: Email = "") -> Response:
    await service.request_password_reset(session, email)
    flash(
        request,
        _(
            "If an account uses %(email)s, we have sent it a link to reset the password. "
            "The link works once, for a limited time.",
            email=email.strip(),
        ),
    )
    return _redirect(request.app.url_path_for("account_sign_in"))


def _render_reset(
    request: Request, token: str, errors: dict[str, str], status: int = 200
) -> HTMLResponse:
    return templates_of(request).render(
        request,
        "accounts/reset_password.html",
        {"token": token, "errors": errors},
        status_code=status,
        headers=NO_STORE,
    )


@public_router.get("/account/reset/{token}", name="account_reset")
async def reset_form(request: Request, session: SessionDep, token: str) -> Response:
    await service.check_reset_token(session, token)
    return _render_reset(request, token, {})


@public_router.post("/account/reset/{token}")
async def reset(
    request: Request, session: SessionDep, token: str, new_password: Password = ""
) -> Response:
    try:
        await service.reset_password(session, token, new_password)
    except FieldError as exc:
        return _render_reset(request, token, _errors(exc), 422)
    flash(request, _("Your password is changed. Sign in with the new one."))
    response = _redirect(request.app.url_path_for("account_sign_in"))
    _delete_session_cookie(request, response)
    return response


# Settings (signed in) ----------------------------------------------------------------------------


async def _render_settings(
    request: Request,
    session: AsyncSession,
    user: User,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return templates_of(request).render(
        request,
        "accounts/settings.html",
        {
            "user": user,
            "values": values or {},
            "errors": errors or {},
            "tokens": await service.api_tokens(session, user),
            "scopes": {s: service.scope_labels()[s] for s in service.scopes_for(user)},
            "session_count": await service.count_sessions(session, user),
            "account_languages": LANGUAGES,
        },
        status_code=status,
        headers={"cache-control": "no-store"},
    )


@account_router.get("/account", name="account_settings")
async def settings_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    return await _render_settings(request, session, user)


@account_router.post("/account/password", name="account_change_password")
async def change_password(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    current_password: Password = "",
    new_password: Password = "",
) -> Response:
    try:
        token = await service.change_password(
            session,
            _settings(request),
            user,
            current=current_password,
            new=new_password,
            client=client_of(request),
            current_session_token=request.cookies.get(_cookie(request, SESSION_COOKIE)),
        )
    except FieldError as exc:
        return await _render_settings(request, session, user, errors=_errors(exc), status=422)
    flash(request, _("Your password is changed. Other devices have been signed out."))
    response = _redirect(request.app.url_path_for("account_settings"))
    set_session_cookie(request, response, token)
    return response


@account_router.post("/account/sessions/others", name="account_sign_out_others")
async def sign_out_others(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    current = request.state.user_session
    await service.sign_out_other_sessions(session, user, current)
    flash(request, _("Every other device is signed out."))
    return _redirect(request.app.url_path_for("account_settings"))


@account_router.post("/account/email", name="account_change_email")
async def change_email(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    new_email: Email = "",
    email_password: Password = "",
) -> Response:
    try:
        await service.request_email_change(
            session, user, new_email=new_email, password=email_password
        )
    except FieldError as exc:
        return await _render_settings(
            request,
            session,
            user,
            values={"new_email": new_email},
            errors=_errors(exc),
            status=422,
        )
    flash(
        request,
        _(
            "We sent a link to %(email)s. Your email changes when you open it.",
            email=new_email.strip(),
        ),
    )
    return _redirect(request.app.url_path_for("account_settings"))


@account_router.post("/account/verify", name="account_resend_verification")
async def resend_verification(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    await service.resend_verification(session, user)
    flash(request, _("We sent a new confirmation link to %(email)s.", email=user.email))
    return _redirect(request.app.url_path_for("account_settings"))


@account_router.post("/account/language", name="account_language")
async def language(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    language: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    try:
        await service.set_language(session, user, language)
    except FieldError as exc:
        return await _render_settings(request, session, user, errors=_errors(exc), status=422)
    response = _redirect(request.app.url_path_for("account_settings"))
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=ONE_YEAR,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    flash(request, _("Your language is saved."))
    return response


@account_router.post("/account/tokens", name="account_create_token")
async def create_token(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    token_name: Annotated[str, Form(max_length=200)] = "",
    scopes: Annotated[list[str] | None, Form(max_length=20)] = None,
) -> Response:
    try:
        token, secret = await service.create_api_token(
            session, user, name=token_name, scopes=scopes or []
        )
    except FieldError as exc:
        return await _render_settings(
            request,
            session,
            user,
            values={"token_name": token_name},
            errors=_errors(exc),
            status=422,
        )
    # Shown once, on this response (not via a redirect, which would carry it in a cookie).
    context: dict[str, Any] = {"token": token, "secret": secret}
    return templates_of(request).render(
        request, "accounts/token_created.html", context, headers=NO_STORE
    )


@account_router.post("/account/tokens/{token_id}/revoke", name="account_revoke_token")
async def revoke_token(
    request: Request, session: SessionDep, user: CurrentUser, token_id: Id
) -> Response:
    token = await service.revoke_api_token(session, user, token_id)
    flash(request, _("The token %(name)s is revoked.", name=token.name))
    return _redirect(request.app.url_path_for("account_settings"))
