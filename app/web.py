"""Server-rendered pages: the Jinja2 environment and filters, CSRF protection, flash messages."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import PROJECT_ROOT, Settings
from app.errors import CsrfFailed
from app.i18n import (
    LANGUAGE_COOKIE,
    LANGUAGES,
    country_names,
    current_language,
    localized_name,
    negotiate,
    reset_language,
    set_language,
    translations_for,
)
from app.money import BASE_CURRENCY
from app.preferences import selected_currency

TEMPLATES_DIR = PROJECT_ROOT / "templates"
CSRF_COOKIE = "odop_csrf"
CSRF_FIELD = "csrf_token"
# Set in the request state when a page embeds the CSRF token: such a page belongs to one visitor.
CSRF_RENDERED = "csrf_rendered"
FLASH_COOKIE = "odop_flash"
SESSION_COOKIE = "odop_session"  # app/accounts: server-side session id


def format_inr(paise: int) -> str:
    """Indian digit grouping: 123456789 paise -> '₹12,34,567.89'."""
    sign = "-" if paise < 0 else ""
    rupees, fraction = divmod(abs(paise), 100)
    digits = str(rupees)
    if len(digits) > 3:
        head, tail = digits[:-3], digits[-3:]
        groups: list[str] = []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        if head:
            groups.insert(0, head)
        digits = ",".join([*groups, tail])
    return f"{sign}₹{digits}.{fraction:02d}"


def format_date(value: datetime | None, fmt: str = "%d %b %Y") -> str:
    return value.strftime(fmt) if value else ""


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: translations_for(current_language()).gettext(message),
        ngettext=lambda singular, plural, n: translations_for(current_language()).ngettext(
            singular, plural, n
        ),
        newstyle=True,
    )
    env.globals["localized"] = localized_name
    env.filters["inr"] = format_inr
    env.filters["date"] = format_date
    env.filters["country_names"] = country_names
    return env


def _sign(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()[:32]


def encode_signed(secret: str, value: Any) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode())
    return f"{payload.decode()}.{_sign(secret, payload)}"


def decode_signed(secret: str, token: str) -> Any:
    payload, _, signature = token.rpartition(".")
    if not payload or not hmac.compare_digest(signature, _sign(secret, payload.encode())):
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return None


class WebStateMiddleware:
    """Per request: the language (saved choice or the browser's), a CSRF token (double-submit
    cookie), and flash messages carried across the redirect of a post/redirect/get. All of it
    lives in cookies, so no process keeps state another needs."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        cookie_token = request.cookies.get(CSRF_COOKIE, "")
        new_token = None if len(cookie_token) == 43 else secrets.token_urlsafe(32)
        state = scope.setdefault("state", {})
        state["csrf_token"] = new_token or cookie_token
        incoming = request.cookies.get(FLASH_COOKIE)
        state["flashes_in"] = (
            (decode_signed(self.settings.secret_key, incoming) or []) if incoming else []
        )
        state["flashes_out"] = []
        secure = "; Secure" if self.settings.env == "production" else ""
        language_token = set_language(
            negotiate(request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language"))
        )

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                # The cookie is sent with the first page that has a form, so pages without one
                # stay free of Set-Cookie and can be cached (app/page_cache.py).
                if new_token and state.get(CSRF_RENDERED):
                    headers.append(
                        "set-cookie",
                        f"{CSRF_COOKIE}={new_token}; Path=/; HttpOnly; SameSite=Lax{secure}",
                    )
                outgoing = state["flashes_out"]
                if outgoing:
                    value = encode_signed(self.settings.secret_key, outgoing)
                    headers.append(
                        "set-cookie",
                        f"{FLASH_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax{secure}",
                    )
                elif incoming and state.get("flashes_shown"):
                    headers.append("set-cookie", f"{FLASH_COOKIE}=; Path=/; Max-Age=0")
                # app/accounts found the session cookie expired or unknown: drop it, unless
                # this response sets a new one (a sign-in).
                if state.get("stale_session") and not any(
                    value.startswith(f"{SESSION_COOKIE}=")
                    for value in headers.getlist("set-cookie")
                ):
                    headers.append("set-cookie", f"{SESSION_COOKIE}=; Path=/; Max-Age=0")
            await send(message)

        try:
            await self.app(scope, receive, send_with_cookies)
        finally:
            reset_language(language_token)


def flash(request: Request, message: str, category: str = "info") -> None:
    request.state.flashes_out.append({"message": message, "category": category})


def redirect_to(request: Request, route: str, **params: Any) -> RedirectResponse:
    """303 to a named route: the redirect after a successful form POST."""
    return RedirectResponse(request.app.url_path_for(route, **params), status_code=303)


def take_flashes(request: Request) -> list[dict[str, str]]:
    request.state.flashes_shown = True
    flashes: list[dict[str, str]] = getattr(request.state, "flashes_in", [])
    return flashes


async def verify_csrf(request: Request) -> None:
    """Dependency for HTML routers: every state-changing form must echo the CSRF cookie."""
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    form = await request.form()
    submitted = form.get(CSRF_FIELD)
    expected = request.cookies.get(CSRF_COOKIE, "")
    if (
        not isinstance(submitted, str)
        or not expected
        or not hmac.compare_digest(submitted, expected)
    ):
        raise CsrfFailed()


class CsrfToken:
    """The request's CSRF token for a template; rendering it records that the page needs it."""

    def __init__(self, request: Request) -> None:
        self.request = request

    def __str__(self) -> str:
        setattr(self.request.state, CSRF_RENDERED, True)
        return str(getattr(self.request.state, "csrf_token", ""))

    def __html__(self) -> str:
        return str(self)


class Templates:
    """Renders templates with the request-scoped globals every page needs."""

    def __init__(self, settings: Settings) -> None:
        self.env = build_environment()
        self.settings = settings
        self._url_for: Callable[..., str] | None = None

    def url_for(self, request: Request) -> Callable[..., str]:
        """``url_path_for`` memoised: Starlette tries every route in turn on each call, and a
        catalog page links to ~80 places. One Templates serves one app, so one bounded cache."""
        if self._url_for is None:
            self._url_for = lru_cache(maxsize=8192)(request.app.url_path_for)
        return self._url_for

    def render(
        self,
        request: Request,
        name: str,
        context: dict[str, Any] | None = None,
        *,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        values: dict[str, Any] = {
            "request": request,
            "url_for": self.url_for(request),
            "csrf_token": CsrfToken(request),
            "flashes": take_flashes(request),
            "settings": self.settings,
            "current_path": request.url.path,
            # The header shows "Account" or "Sign in" without a database query on every page:
            # the user when a dependency loaded one, else whether a session cookie is present.
            "current_user": getattr(request.state, "user", None),
            "signed_in": (
                request.state.user is not None
                if hasattr(request.state, "user")
                else SESSION_COOKIE in request.cookies
            ),
            "lang": current_language(),
            "languages": LANGUAGES,
            "currency": selected_currency(request),
            "currencies": [BASE_CURRENCY, *self.settings.display_currencies],
        }
        values.update(context or {})
        html = self.env.get_template(name).render(values)
        return HTMLResponse(html, status_code=status_code, headers=headers)


def templates_of(request: Request) -> Templates:
    templates: Templates = request.app.state.templates
    return templates
