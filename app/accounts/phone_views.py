"""Sign-up and sign-in by mobile number with a texted one-time code (see ``phone``).

Each request for a code answers with the code form itself (no redirect), so the number never
travels in a URL; the code form posts the number back with the code.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts import phone, service
from app.accounts.deps import OptionalUser, client_of
from app.accounts.errors import TooManyAttempts
from app.accounts.models import PhoneCodePurpose
from app.accounts.views import set_session_cookie
from app.config import Settings
from app.db import SessionDep
from app.errors import FormErrors
from app.i18n import current_language
from app.i18n import gettext as _
from app.preferences import safe_next
from app.web import CSRF_COOKIE, SESSION_COOKIE, flash, templates_of, verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

Text = Annotated[str, Form(max_length=200)]
Next = Annotated[str, Form(max_length=2000)]
# As app/accounts/views.py: "same-origin", since under "no-referrer" the browser posts the
# page's form with ``Origin: null``, which the CSRF check refuses.
NO_STORE = {"cache-control": "no-store", "referrer-policy": "same-origin"}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _next(next_path: str) -> str:
    return safe_next(next_path) if next_path else ""


def _render(
    request: Request,
    template: str,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return templates_of(request).render(
        request,
        template,
        {"values": values, "errors": errors or {}},
        status_code=status,
        headers={**NO_STORE, **(headers or {})},
    )


def _already_signed_in(request: Request, next_path: str) -> RedirectResponse:
    return RedirectResponse(
        _next(next_path) or request.app.url_path_for("account_settings"), status_code=303
    )


@router.get("/account/phone/register", name="account_phone_register")
async def register_form(
    request: Request, user: OptionalUser, next: Annotated[str, Query(max_length=2000)] = ""
) -> Response:
    if user is not None:
        return _already_signed_in(request, next)
    return _render(request, "accounts/phone_register.html", {"next": _next(next)})


@router.get("/account/phone/sign-in", name="account_phone_sign_in")
async def sign_in_form(
    request: Request, user: OptionalUser, next: Annotated[str, Query(max_length=2000)] = ""
) -> Response:
    if user is not None:
        return _already_signed_in(request, next)
    return _render(request, "accounts/phone_sign_in.html", {"next": _next(next)})


async def _send(
    request: Request,
    session: SessionDep,
    purpose: PhoneCodePurpose,
    values: dict[str, str],
    form_template: str,
) -> Response:
    try:
        number = await phone.request_code(
            session,
            _settings(request),
            phone=values["phone"],
            purpose=purpose,
            ip=client_of(request).ip,
            display_name=values.get("display_name", ""),
            language=current_language(),
        )
    except TooManyAttempts as exc:
        # Returned, not raised: the transaction must commit the counters. The number is kept
        # and the code form shown again, since a code is probably on its way.
        try:
            number = phone.normalise_phone(values["phone"])
        except FormErrors:
            return _render(request, form_template, values, {"form": exc.message}, 429)
        return _render(
            request,
            "accounts/phone_code.html",
            {
                **values,
                "phone": number,
                "purpose": purpose.value,
                "shown": phone.display_phone(number),
            },
            {"form": exc.message},
            429,
            {"retry-after": str(exc.retry_after)},
        )
    except FormErrors as exc:
        return _render(request, form_template, values, exc.errors, 422)
    return _render(
        request,
        "accounts/phone_code.html",
        {
            **values,
            "phone": number,
            "purpose": purpose.value,
            "shown": phone.display_phone(number),
        },
    )


@router.post("/account/phone/register")
async def register(
    request: Request,
    session: SessionDep,
    display_name: Text = "",
    phone_number: Annotated[str, Form(alias="phone", max_length=40)] = "",
    next: Next = "",
) -> Response:
    values = {"display_name": display_name, "phone": phone_number, "next": _next(next)}
    return await _send(
        request, session, PhoneCodePurpose.SIGN_UP, values, "accounts/phone_register.html"
    )


@router.post("/account/phone/sign-in")
async def sign_in(
    request: Request,
    session: SessionDep,
    phone_number: Annotated[str, Form(alias="phone", max_length=40)] = "",
    next: Next = "",
) -> Response:
    values = {"phone": phone_number, "next": _next(next)}
    return await _send(
        request, session, PhoneCodePurpose.SIGN_IN, values, "accounts/phone_sign_in.html"
    )


@router.post("/account/phone/code", name="account_phone_code")
async def enter_code(
    request: Request,
    session: SessionDep,
    phone_number: Annotated[str, Form(alias="phone", max_length=40)] = "",
    code: Annotated[str, Form(max_length=20)] = "",
    purpose: Annotated[str, Form(max_length=20)] = "",
    display_name: Text = "",
    next: Next = "",
) -> Response:
    values = {
        "phone": phone_number,
        "purpose": purpose if purpose in set(PhoneCodePurpose) else PhoneCodePurpose.SIGN_IN.value,
        "display_name": display_name,
        "next": _next(next),
    }
    try:
        values["shown"] = phone.display_phone(phone.normalise_phone(phone_number))
        verified = await phone.verify_code(
            session, _settings(request), phone=phone_number, code=code, ip=client_of(request).ip
        )
    except TooManyAttempts as exc:
        return _render(
            request,
            "accounts/phone_code.html",
            values,
            {"form": exc.message},
            429,
            {"retry-after": str(exc.retry_after)},
        )
    except FormErrors as exc:
        return _render(request, "accounts/phone_code.html", values, exc.errors, 422)
    token = await service.start_session(
        session,
        _settings(request),
        verified.user,
        client_of(request),
        request.cookies.get(SESSION_COOKIE),
    )
    if verified.created:
        flash(
            request,
            _(
                "Welcome, %(name)s! Your mobile number is confirmed.",
                name=verified.user.display_name,
            ),
        )
    else:
        flash(request, _("You are signed in."))
    response = RedirectResponse(
        values["next"] or request.app.url_path_for("account_settings"), status_code=303
    )
    set_session_cookie(request, response, token)
    response.set_cookie(
        CSRF_COOKIE,
        secrets.token_urlsafe(32),
        httponly=True,
        secure=_settings(request).env not in ("development", "test"),
        samesite="lax",
        path="/",
    )
    return response
