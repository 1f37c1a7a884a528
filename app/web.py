"""Server-rendered pages: the Jinja2 environment and filters, CSRF protection, flash messages,
cookie names and the security headers every response carries."""

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
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    pass_eval_context,
    select_autoescape,
)
from jinja2.bccache import Bucket, BytecodeCache
from jinja2.nodes import EvalContext
from markupsafe import Markup
from starlette.datastructures import MutableHeaders
from starlette.routing import NoMatchFound
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
DEVICE_COOKIE = "odop_device"  # app/accounts: signed "this browser signed in here before"
# Unsafe methods under these prefixes skip the CSRF check: /api/ authenticates with bearer tokens
# only and ignores cookies (app/accounts/deps.py); /webhooks/ with the sender's signature.
CSRF_EXEMPT_PREFIXES = ("/api/", "/webhooks/")
# Forms on public pages that the page cache shares between visitors, so they cannot carry a
# per-session token; they change only the visitor's own cart. Their posts must name this site
# in Origin (or Referer): browsers always send one on a form post.
CSRF_ORIGIN_ONLY_PATHS = frozenset({"/cart/add"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def secure_cookies(settings: Settings) -> bool:
    """Outside development and tests cookies are Secure: production sits behind TLS."""
    return settings.env not in ("development", "test")


def cookie_name(settings: Settings, name: str) -> str:
    """``__Host-`` names in production: the browser then accepts the cookie only when Secure,
    with Path=/ and no Domain, so a sibling subdomain cannot plant or overwrite it."""
    return f"__Host-{name}" if secure_cookies(settings) else name


# Pages load scripts, styles and images from this origin only; no inline script runs (JSON-LD
# data blocks are not scripts). Nothing may frame a page, and forms post only here.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
# Browsers apply form-action to the redirect that follows a form post too: the pay button's
# redirect to Stripe's hosted Checkout page must be allowed when Stripe takes the payments.
STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"


def content_security_policy(settings: Settings) -> str:
    if settings.payment_provider == "stripe":
        return f"{CONTENT_SECURITY_POLICY} {STRIPE_CHECKOUT_ORIGIN}"
    return CONTENT_SECURITY_POLICY


HSTS = "max-age=63072000; includeSubDomains"


def security_headers(settings: Settings) -> list[tuple[str, str]]:
    """Headers for every response (a response may set its own CSP or Referrer-Policy first)."""
    headers = [
        ("content-security-policy", content_security_policy(settings)),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "strict-origin-when-cross-origin"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
    ]
    if settings.env not in ("development", "test"):
        headers.append(("strict-transport-security", HSTS))
    return headers


class SecurityHeadersMiddleware:
    """Adds ``security_headers`` to every HTTP response: pages, JSON, errors, /static, /media."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.headers = [(k.encode(), v.encode()) for k, v in security_headers(settings)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {key.lower() for key, _value in message.get("headers", [])}
                missing = [(k, v) for k, v in self.headers if k not in present]
                if missing:
                    message["headers"] = [*message.get("headers", []), *missing]
            await send(message)

        await self.app(scope, receive, send_with_headers)


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


class _SharedBytecodeCache(BytecodeCache):
    """Compiled templates, shared by every environment ``build_environment`` makes in this
    process. They are all configured alike, and a process that builds several apps (the test
    suite builds one per test) would otherwise compile each template again, 10-80 ms apiece.
    Jinja checks each entry against the template source's checksum, so an edited template is
    compiled afresh."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


_COMPILED_TEMPLATES = _SharedBytecodeCache()


# (language, message) -> its escaped translation, for ``_()`` calls without variables: the
# catalogs are read once per process (``translations_for`` is cached), so this only grows to
# the number of template messages times languages.
_PLAIN_MESSAGES: dict[tuple[str, str], Markup] = {}


@pass_eval_context
def _translate(eval_ctx: EvalContext, message: str, /, **variables: Any) -> str:
    """``_()`` in templates, as jinja2.ext.i18n's newstyle ``gettext`` does it (escaped when the
    template autoescapes, always ``%``-formatted), in one call: the extension's ``_`` calls
    ``gettext`` which calls the translation function, three calls through Jinja's context each,
    and a catalog page has about 50 of them."""
    if not variables and eval_ctx.autoescape:
        # Most calls have no variables: their Markup is the same for every request of a language.
        key = (current_language(), message)
        plain = _PLAIN_MESSAGES.get(key)
        if plain is None:
            plain = Markup(translations_for(key[0]).gettext(message)) % {}  # noqa: S704
            _PLAIN_MESSAGES[key] = plain
        return plain
    translated = translations_for(current_language()).gettext(message)
    if eval_ctx.autoescape:
        return Markup(translated) % variables  # noqa: S704 - our own catalogs, as Jinja does
    return translated % variables


def build_environment(*, reload: bool = True) -> Environment:
    """``reload=False`` (outside development) skips the check that every template a page
    extends or imports is unchanged on disk: a stat() call each, on every render."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        auto_reload=reload,
        bytecode_cache=_COMPILED_TEMPLATES,
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
    env.globals["_"] = _translate
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
    """Per request: the language (saved choice or the browser's), the browser's CSRF secret, and
    flash messages carried across the redirect of a post/redirect/get. All of it lives in
    cookies, so no process keeps state another needs."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.csrf_cookie = cookie_name(settings, CSRF_COOKIE)
        self.flash_cookie = cookie_name(settings, FLASH_COOKIE)
        self.session_cookie = cookie_name(settings, SESSION_COOKIE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        cookie_secret = request.cookies.get(self.csrf_cookie, "")
        new_secret = None if len(cookie_secret) == 43 else secrets.token_urlsafe(32)
        state = scope.setdefault("state", {})
        state["csrf_secret"] = new_secret or cookie_secret
        incoming = request.cookies.get(self.flash_cookie)
        state["flashes_in"] = (
            (decode_signed(self.settings.secret_key, incoming) or []) if incoming else []
        )
        state["flashes_out"] = []
        secure = "; Secure" if secure_cookies(self.settings) else ""
        language_token = set_language(
            negotiate(request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language"))
        )

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                # The cookie is sent with the first page that has a form, so pages without one
                # stay free of Set-Cookie and can be cached (app/page_cache.py).
                if new_secret and state.get(CSRF_RENDERED):
                    headers.append(
                        "set-cookie",
                        f"{self.csrf_cookie}={new_secret}; Path=/; HttpOnly; SameSite=Lax{secure}",
                    )
                outgoing = state["flashes_out"]
                if outgoing:
                    value = encode_signed(self.settings.secret_key, outgoing)
                    headers.append(
                        "set-cookie",
                        f"{self.flash_cookie}={value}; Path=/; HttpOnly; SameSite=Lax{secure}",
                    )
                elif incoming and state.get("flashes_shown"):
                    headers.append("set-cookie", f"{self.flash_cookie}=; Path=/; Max-Age=0{secure}")
                # app/accounts found the session cookie expired or unknown: drop it, unless
                # this response sets a new one (a sign-in).
                if state.get("stale_session") and not any(
                    value.startswith(f"{self.session_cookie}=")
                    for value in headers.getlist("set-cookie")
                ):
                    headers.append(
                        "set-cookie", f"{self.session_cookie}=; Path=/; Max-Age=0{secure}"
                    )
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


def csrf_form_token(secret_key: str, browser_secret: str, session_id: str) -> str:
    """The token a form carries: an HMAC, under the app's secret key, of the browser's random
    CSRF secret (its cookie) and of its session cookie. Only a page served to this browser, in
    this session, can know it: another browser's or another session's token does not match, and
    neither does a planted cookie without the key."""
    message = f"csrf:{browser_secret}:{session_id}".encode()
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _session_binding(request: Request, *, rendering: bool) -> str:
    settings: Settings = request.app.state.settings
    if rendering and getattr(request.state, "stale_session", False):
        return ""  # this response deletes the stale cookie: the next post comes without it
    return request.cookies.get(cookie_name(settings, SESSION_COOKIE), "")


def allowed_origins(request: Request) -> set[str]:
    settings: Settings = request.app.state.settings
    own = f"{request.url.scheme}://{request.url.netloc}"
    configured = urlsplit(settings.base_url)
    return {own, f"{configured.scheme}://{configured.netloc}"}


def cross_site(request: Request) -> bool:
    """A browser names the page a request comes from in Origin (or, failing that, Referer);
    one from another site, or an opaque "null" origin, is refused on unsafe methods."""
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        if not referer:
            return False  # not from a browser page; the token still decides
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    return origin not in allowed_origins(request)


def csrf_exempt(path: str) -> bool:
    return path.startswith(CSRF_EXEMPT_PREFIXES)


async def verify_csrf(request: Request) -> None:
    """App-wide dependency (app/main.py): every unsafe request outside ``CSRF_EXEMPT_PREFIXES``
    must come from this site and carry the form token of this browser's session."""
    if request.method in SAFE_METHODS or csrf_exempt(request.url.path):
        return
    if cross_site(request):
        raise CsrfFailed()
    if request.url.path in CSRF_ORIGIN_ONLY_PATHS:
        if not (request.headers.get("origin") or request.headers.get("referer")):
            raise CsrfFailed()
        return
    settings: Settings = request.app.state.settings
    form = await request.form()
    submitted = form.get(CSRF_FIELD)
    browser_secret = request.cookies.get(cookie_name(settings, CSRF_COOKIE), "")
    if not isinstance(submitted, str) or len(browser_secret) != 43:
        raise CsrfFailed()
    expected = csrf_form_token(
        settings.secret_key, browser_secret, _session_binding(request, rendering=False)
    )
    if not hmac.compare_digest(submitted.encode(), expected.encode()):
        raise CsrfFailed()


class CsrfToken:
    """The request's CSRF token for a template; rendering it records that the page needs it."""

    def __init__(self, request: Request) -> None:
        self.request = request

    def __str__(self) -> str:
        setattr(self.request.state, CSRF_RENDERED, True)
        settings: Settings = self.request.app.state.settings
        return csrf_form_token(
            settings.secret_key,
            str(getattr(self.request.state, "csrf_secret", "")),
            _session_binding(self.request, rendering=True),
        )

    def __html__(self) -> str:
        return str(self)


class RouteIndex:
    """``router.url_path_for`` without walking every route on each call.

    Starlette asks each route in order and takes the first that accepts the name with exactly
    these parameter names; FastAPI's included routers each walk their own routes again, so one
    miss costs ~100 failed attempts. Whether a route accepts depends only on the name and the
    parameter names, so the route that answered is remembered per (name, parameter names) and
    asked directly next time; anything unexpected falls back to the full walk."""

    def __init__(self, router: Any) -> None:
        self.router = router
        self._leaves: list[Any] | None = None
        self._route_of: dict[tuple[str, frozenset[str]], Any] = {}

    def leaves(self) -> list[Any]:
        if self._leaves is None:
            leaves: list[Any] = []
            for route in self.router.routes:
                contexts = getattr(route, "effective_route_contexts", None)
                leaves.extend(contexts() if contexts else [route])
            self._leaves = leaves
        return self._leaves

    def url_path_for(self, name: str, /, **params: Any) -> Any:
        key = (name, frozenset(params))
        route = self._route_of.get(key)
        if route is not None:
            try:
                return route.url_path_for(name, **params)
            except NoMatchFound:
                pass
        else:
            for leaf in self.leaves():
                try:
                    url = leaf.url_path_for(name, **params)
                except NoMatchFound:
                    continue
                self._route_of[key] = leaf
                return url
        return self.router.url_path_for(name, **params)


# Routes with parameters that pages link to over and over, from a bounded set of values.
REPEATED_LINKS = frozenset({"state", "district", "gi", "category"})


class Templates:
    """Renders templates with the request-scoped globals every page needs."""

    def __init__(self, settings: Settings) -> None:
        self.env = build_environment(reload=settings.env == "development")
        self.settings = settings
        self._url_for: Callable[..., str] | None = None
        self.repeated_links: Any = None

    def warm_up(self, router: Any) -> None:
        """At startup, what the first pages would otherwise pay (the first district page of a
        new process took 0.5-1 s, and every request in flight waited with it): the route index,
        whose first use has FastAPI build every route it includes (0.6 s), and the compiled
        templates of the public pages and everything they extend and include (0.1 s)."""
        self.url_for_router(router)
        public = ("base.html", "includes/", "errors/", "catalog/")
        for name in self.env.list_templates(filter_func=lambda n: n.startswith(public)):
            self.env.get_template(name)

    def url_for(self, request: Request) -> Callable[..., str]:
        return self.url_for_router(request.app.router)

    def url_for_router(self, router: Any) -> Callable[..., str]:
        """``url_path_for`` through ``RouteIndex`` (Starlette tries every route in turn), and
        memoised for the links that repeat: those without parameters (the layout's) and those
        to places (``REPEATED_LINKS``; a catalog page links to ~80). A link to one listing or
        seller is mostly made once, and memoised it would only hold memory (5-6 MB over a long
        tail of products) and push the repeated ones out."""
        if self._url_for is None:
            index = RouteIndex(router)
            index.leaves()
            self.repeated_links = repeated = lru_cache(maxsize=4096)(index.url_path_for)

            def url_for(name: str, /, **params: Any) -> Any:
                if not params or name in REPEATED_LINKS:
                    return repeated(name, **params)
                return index.url_path_for(name, **params)

            self._url_for = url_for
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
                else cookie_name(self.settings, SESSION_COOKIE) in request.cookies
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
