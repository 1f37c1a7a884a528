"""No value typed into any HTML form, or any query parameter of any page, gives a 5xx.

The forms are found the way a visitor finds them: every page is rendered for the role that sees
it (anonymous, buyer, seller in onboarding, verified seller, administrator) and parsed for
``<form>``, ``<input name>``, ``<select name>`` and ``<textarea name>``. Each generated round
then submits every form once, each field holding either its own value or something hostile
(64-bit overflows, Unicode digits, NaN and Infinity, control characters, very long text, nothing),
with the page's CSRF token, as the role that sees it. Query parameters are taken from the routes
themselves, so a new page or parameter is fuzzed without being listed here.
``ODOP_FUZZ_EXAMPLES`` sets the number of rounds (default 10, as for the API). Besides the
random rounds, one value of each class of bad input seen in the wild is put into every field at
once, so each class reaches each field on every run.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import event, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from starlette.routing import BaseRoute

from app.accounts import tokens
from app.accounts.models import EmailToken, Role, TokenPurpose, User
from app.catalog.search import service as search
from app.config import Settings
from app.db import utcnow
from app.listings.models import Listing, ListingImage
from app.listings.sale_models import SellerShipping
from app.orders import cart as cart_service
from app.orders import checkout
from app.orders import repository as orders_repository
from app.orders.ledger import service as ledger
from app.orders.models import Order
from app.orders.payments import repository as payments_repository
from app.orders.payments import service as payments
from app.orders.payments.base import PaymentStart
from app.procurement.quotes import service as quote_service
from app.reference.models import GiTag
from app.sellers import service as seller_service
from app.sellers.models import ClaimStatus, SellerGiClaim, SellerStatus
from tests import factories
from tests.helpers import post_form, start_session
from tests.procurement.buying.fuzz_setup import buying_pages
from tests.procurement.core import fuzz_site as procurement_fuzz_site

ROUNDS = int(os.environ.get("ODOP_FUZZ_EXAMPLES", "10"))
# Forms that end the fuzzing session itself, not worth a special case each round.
SKIPPED_ACTIONS = {"/account/sign-out"}
# One of each class the probe found (issue 16): past 64 bits, as a tier, Unicode digits, Decimal
# specials, control characters, overlong text, nothing.
CLASSES = {
    "huge integer": "1" + "0" * 30,
    "just past int64": "9223372036854775808",
    "huge tier": "1" + "0" * 30 + ":100",
    "unicode digit": "²",
    "devanagari digits": "१२",
    "NaN": "NaN",
    "Infinity": "Infinity",
    "1e400": "1e400",
    "1e100": "1e100",
    "control characters": "\x00\x01\x1b",
    "very long": "9" * 20_000,
    "empty": "",
}
HOSTILE = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "9223372036854775808",
            "18446744073709551616",
            "1" + "0" * 30,
            "9" * 400,
            "1e400",
            "1e100",
            "-1e100",
            "NaN",
            "Infinity",
            "-Infinity",
            "0x10",
            "²",
            "١٢٣",
            "१२",
            "12:²",
            "1" + "0" * 30 + ":100",
            "\x00",
            "\x01\x02\x1b[31m",
            "x" * 20_000,
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "../../etc/passwd",
            "%00",
            "\ud7ff\ue000",
        ]
    ),
    st.integers().map(str),
    st.text(max_size=50),
)


@dataclass
class Form:
    role: str
    page: str
    action: str
    method: str
    multipart: bool
    fields: dict[str, str] = field(default_factory=dict)  # name -> value the page rendered
    files: list[str] = field(default_factory=list)
    options: dict[str, list[str]] = field(default_factory=dict)  # <select> name -> values


class FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"attrs": a, "inputs": [], "options": {}})
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in {"checkbox", "radio"} and "checked" not in a:
                self.forms[-1]["inputs"].append((a["name"], kind, None))
            else:
                self.forms[-1]["inputs"].append((a["name"], kind, a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self.forms[-1]["inputs"].append((a["name"], "select", ""))
            self.forms[-1]["options"][a["name"]] = []
        elif tag == "option" and self._select:
            self.forms[-1]["options"][self._select].append(a.get("value", ""))
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.forms[-1]["inputs"].append((a["name"], "textarea", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            inputs = self.forms[-1]["inputs"]
            name, kind, value = inputs[-1]
            inputs[-1] = (name, kind, (value or "") + data)


def parse_forms(role: str, page: str, html: str) -> list[Form]:
    parser = FormParser()
    parser.feed(html)
    found = []
    for raw in parser.forms:
        attrs = raw["attrs"]
        form = Form(
            role=role,
            page=page,
            action=urlsplit(urljoin(page, attrs.get("action") or page)).path,
            method=(attrs.get("method") or "get").upper(),
            multipart="multipart" in attrs.get("enctype", ""),
            options=raw["options"],
        )
        for name, kind, value in raw["inputs"]:
            if kind == "file":
                form.files.append(name)
            elif kind == "select":
                form.fields.setdefault(name, (raw["options"].get(name) or [""])[0])
            elif value is not None:
                form.fields.setdefault(name, value)
            else:
                form.fields.setdefault(name, "")
        found.append(form)
    return found


@dataclass
class Visitor:
    role: str
    client: httpx.AsyncClient
    pages: list[str]


@dataclass
class Site:
    visitors: dict[str, Visitor]
    forms: list[Form]
    page_queries: list[tuple[str, list[str]]]  # (page URL, its query parameters)


def _flat_routes(routes: list[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # FastAPI's included routers
            yield from _flat_routes(route.original_router.routes)


def _query_params(route: APIRoute) -> list[str]:
    names: list[str] = []
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        names += [p.alias for p in dependant.query_params]
        pending += dependant.dependencies
    return names


SAMPLE_PATH_VALUES = {
    "state_slug": "uttar-pradesh",
    "district_slug": "firozabad",
    "gi_slug": "firozabad-glass",
    "category_slug": "handicrafts",
    "name": "places",
}


def page_query_params(app: FastAPI) -> list[tuple[str, list[str]]]:
    """Every HTML GET page with query parameters, from the app's routes.

    The routes are read from the fuzzed app itself: building a second app here would switch the
    process-wide search settings (``search.use_settings`` in ``create_app``) to the defaults,
    turning the search result cache and its background refreshes back on mid-fuzz."""
    pages = []
    for route in _flat_routes(app.router.routes):
        params = _query_params(route)
        if "GET" not in (route.methods or set()) or route.path.startswith("/api/") or not params:
            continue
        pages.append((route.path.format_map(defaultdict(lambda: "1", SAMPLE_PATH_VALUES)), params))
    return pages


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://testserver",
    )


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No cache refreshed in the background: the test's sessions share one connection, and a
    background refresh (catalog aggregates, search results) would interleave with a request's
    savepoints on it (in production each session has its own connection). Catalog aggregates
    do not expire during the run; search results are not cached (checkouts change stock, which
    changes the search index's version and so would start background refreshes)."""
    return settings.model_copy(update={"catalog_cache_seconds": 3600.0, "search_cache_seconds": 0})


_SAVEPOINT_STATEMENT = re.compile(
    r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT) (\S+)", re.I
)


@pytest.fixture
def savepoints_in_order(session_factory: async_sessionmaker[AsyncSession]) -> Iterator[None]:
    """Fail when a savepoint on the test's shared connection ends while one begun after it is
    still open: two sessions interleaved on the connection (a background task beside a
    request), and the first one's ROLLBACK TO or RELEASE silently discarded the other's
    savepoint. In production each session has a connection of its own, so this is a harness
    artefact, but it shows up as a random "no such savepoint" 500 and PendingRollbackError on
    every later request; here it is named instead."""
    bind = session_factory.kw["bind"]
    assert isinstance(bind, AsyncConnection)
    connection = bind.sync_connection
    assert connection is not None
    open_names: list[str] = []
    out_of_order: list[str] = []

    def watch(_conn: Connection, _cursor: object, statement: str, *_args: object) -> None:
        match = _SAVEPOINT_STATEMENT.match(statement)
        if match is None:
            return
        verb, name = match.groups()
        if verb.upper() == "SAVEPOINT":
            open_names.append(name)
        elif name in open_names:
            later = open_names[open_names.index(name) + 1 :]
            if later:
                out_of_order.append(f"{verb} {name} while {later} were open")
            del open_names[open_names.index(name) :]

    event.listen(connection, "before_cursor_execute", watch)
    yield
    event.remove(connection, "before_cursor_execute", watch)
    assert not out_of_order, (
        "sessions interleaved on the test's shared connection (a background refresh?): "
        f"{out_of_order[:5]}"
    )


@pytest.fixture
async def site(
    app: FastAPI, db: AsyncSession, settings: Settings, savepoints_in_order: None
) -> AsyncIterator[Site]:
    await search.setup(db, settings)
    admin = await factories.user(db, role=Role.ADMIN)
    buyer = await factories.user(db)
    onboarding, _ = await factories.onboarded_seller(db, settings, submit=False)
    owner, seller = await factories.verified_seller(db, settings, admin)
    listing = await factories.listing(db, seller, title="Fuzzed glass vase")
    for n in range(2):  # two photos, so the page offers to move one
        db.add(
            ListingImage(
                listing_id=listing.id,
                storage_key=f"fuzz/{n}.jpg",
                thumb_key=f"fuzz/{n}-thumb.jpg",
                width=800,
                height=600,
                alt="",
                position=n,
            )
        )
    # A seller waiting for a decision, with a GI claim to decide, and a suspended one.
    _, waiting = await factories.onboarded_seller(db, settings)
    gi = await db.scalar(select(GiTag).where(GiTag.slug == "firozabad-glass"))
    assert gi is not None
    db.add(
        SellerGiClaim(
            seller_id=waiting.id,
            gi_tag_id=gi.id,
            authorised_user_number="AU-FUZZ",
            status=ClaimStatus.SUBMITTED,
        )
    )
    suspended = await factories.seller(db, status=SellerStatus.SUSPENDED)
    await seller_service.add_member(
        db, seller, name="Asha Devi", craft="glass", pehchan_card="", phone=""
    )
    # A quote on the listing, with an offer and a message, and a second listing to ask about.
    second_listing = await factories.listing(db, seller, title="Fuzzed glass lamp")
    district = await factories.district(db)
    quote = await quote_service.request_quote(
        db,
        buyer,
        listing.id,
        {
            "quantity": "2",
            "district_id": str(district.id),
            "wanted_by": (quote_service.today_in_india() + timedelta(days=20)).isoformat(),
        },
    )
    await quote_service.make_offer(
        db,
        owner,
        quote.id,
        quote_service.OfferInput(10_000, 3, quote_service.today_in_india() + timedelta(days=10)),
    )
    reset_secret, reset_hash = tokens.new_secret()
    db.add(
        EmailToken(
            token_hash=reset_hash,
            user_id=buyer.id,
            purpose=TokenPurpose.RESET_PASSWORD,
            created_at=utcnow(),
            expires_at=utcnow() + timedelta(hours=1),
        )
    )
    buying_buyer_pages, buying_seller_pages = await buying_pages(
        db, settings, buyer, owner, seller, listing
    )
    orders = await _orders_state(db, settings, buyer, listing, admin)
    await db.commit()
    visitors = {
        "anonymous": Visitor(
            "anonymous",
            _client(app),
            [
                "/",
                "/gi",
                "/gi/firozabad-glass",
                "/states/uttar-pradesh/firozabad",
                "/categories/handicrafts",
                "/search?q=glass",
                "/account/register",
                "/account/sign-in",
                "/account/forgot-password",
                f"/account/reset/{reset_secret}",
                "/account/phone/register",
                "/account/phone/sign-in",
                orders.product_page,
            ],
        ),
        "buyer": Visitor(
            "buyer",
            _client(app),
            [
                "/account",
                "/sell",
                "/sell/profile",
                "/cart",
                "/quotes",
                f"/quotes/{quote.id}",
                f"/quotes/new/{second_listing.id}",
                *buying_buyer_pages,
                *orders.buyer_pages,
            ],
        ),
        "onboarding": Visitor(
            "onboarding",
            _client(app),
            [
                "/sell",
                "/sell/profile",
                "/sell/identifiers",
                "/sell/bank",
                "/sell/documents",
                "/sell/gi",
                "/sell/members",
            ],
        ),
        "seller": Visitor(
            "seller",
            _client(app),
            [
                "/seller",
                "/seller/listings",
                "/seller/listings/new",
                f"/seller/listings/{listing.id}",
                "/sell/members",
                "/sell/gi",
                "/seller/quotes",
                f"/quotes/{quote.id}",
                *buying_seller_pages,
                "/seller/orders",
            ],
        ),
        "admin": Visitor(
            "admin",
            _client(app),
            [
                "/admin/sellers",
                f"/admin/sellers/{seller.id}",
                f"/admin/sellers/{waiting.id}",
                f"/admin/sellers/{suspended.id}",
                "/admin/rates",
                "/admin/search/synonyms",
                "/admin/payments",
                "/admin/payouts",
                f"/admin/payouts/{orders.payout_batch_id}",
            ],
        ),
    }
    procurement_pages = await procurement_fuzz_site.pages(
        db, settings, buyer=buyer, seller_owner=owner, listing=listing
    )
    await db.commit()
    for role, extra in procurement_pages.items():
        visitors[role].pages += extra
    for role, user in (
        ("buyer", buyer),
        ("onboarding", onboarding),
        ("seller", owner),
        ("admin", admin),
    ):
        await start_session(visitors[role].client, db, settings, user)
    forms: list[Form] = []
    for visitor in visitors.values():
        for page in visitor.pages:
            response = await visitor.client.get(page)
            assert response.status_code == 200, (visitor.role, page, response.status_code)
            forms += parse_forms(visitor.role, page, response.text)
    # The code form is the answer to a posted number, not a page of its own.
    anonymous = visitors["anonymous"].client
    code_page = await post_form(anonymous, "/account/phone/sign-in", {"phone": "9876543210"})
    assert code_page.status_code == 200, code_page.status_code
    forms += parse_forms("anonymous", "/account/phone/sign-in", code_page.text)
    yield Site(visitors, forms, page_query_params(app))
    for visitor in visitors.values():
        await visitor.client.aclose()


@dataclass
class OrdersState:
    product_page: str
    buyer_pages: list[str]
    payout_batch_id: int


async def _orders_state(
    db: AsyncSession, settings: Settings, buyer: User, listing: Listing, admin: User
) -> OrdersState:
    """What puts the order, payment and payout forms on pages: a paid order whose part the
    seller can advance or cancel and an admin can refund, the payout batch of its sale, an
    order waiting on the sandbox's payment page, one waiting for an offline transfer to be
    recorded, and a cart with a line."""
    listing.stock, listing.moq = 50, 1
    db.add(SellerShipping(seller_id=listing.seller_id, domestic_flat_paise=8_000, dispatch_days=2))
    address = checkout.parse_address(
        {
            "name": "Asha Verma",
            "line1": "14 Civil Lines",
            "city": "Agra",
            "state": "uttar-pradesh",
            "pin_code": "282002",
            "country": "IN",
        },
        await orders_repository.states(db),
        set(),
    )

    async def order(provider: str) -> tuple[Order, PaymentStart]:
        cart, _token = await cart_service.open_cart(db, user_id=buyer.id, token=None)
        await cart_service.add(db, cart, listing.id, 1)
        placed = await checkout.place_order(
            db, settings, buyer=buyer, cart=cart, address=address, currency="INR"
        )
        paying = settings.model_copy(update={"payment_provider": provider})
        return placed, await payments.start_payment(db, paying, order_number=placed.number)

    paid, _start = await order("sandbox")
    [payment] = await payments_repository.payments_of_order(db, paid.id)
    await payments.payment_succeeded(
        db, settings, payment.id, amount_minor=paid.total_minor, currency=paid.currency
    )
    batch = await ledger.create_batch(db, created_by=admin.id)
    _waiting, sandbox = await order("sandbox")
    await order("offline")
    cart, _token = await cart_service.open_cart(db, user_id=buyer.id, token=None)
    await cart_service.add(db, cart, listing.id, 1)
    assert sandbox.redirect_url is not None
    return OrdersState(
        product_page=f"/products/{listing.slug}",
        buyer_pages=[sandbox.redirect_url, f"{sandbox.redirect_url}/authenticate"],
        payout_batch_id=batch.id,
    )


def _fuzzable(form: Form) -> list[str]:
    return [name for name in form.fields if name != "csrf_token"] + form.files


async def test_the_fuzzed_app_refreshes_nothing_in_the_background(
    app: FastAPI, site: Site, settings: Settings
) -> None:
    """The settings that stop background refreshes (see the ``settings`` fixture) are the ones
    in effect once the site is built: search reads process-wide settings, which any other
    ``create_app`` call would replace with its own."""
    assert search.current_settings().search_cache_seconds == 0
    assert app.state.catalog_cache.seconds == settings.catalog_cache_seconds >= 3600
    assert settings.page_cache_seconds == 0


async def test_every_form_route_has_a_page_with_its_form(app: FastAPI, site: Site) -> None:
    """Every HTML route that reads form fields is reached by a form found on some page."""
    routes = [
        route
        for route in _flat_routes(app.router.routes)
        if not route.path.startswith("/api/") and route.dependant.body_params
    ]
    reached = {
        route.path
        for form in site.forms
        for route in routes
        if route.path_regex.match(form.action) and form.method in (route.methods or set())
    }
    missing = {route.path for route in routes} - reached
    assert not missing, f"no page found with a form for {sorted(missing)}"


def _url_sized(values: dict[str, str]) -> dict[str, str]:
    """Query values cut to what fits in a URL (servers refuse longer request lines anyway)."""
    return {name: value[:2000] for name, value in values.items()}


async def _submit(
    site: Site, form: Form, values: dict[str, str], files: dict[str, Any]
) -> httpx.Response:
    client = site.visitors[form.role].client
    if form.method == "GET":
        return await client.get(form.action, params=_url_sized(values))
    # A browser names the page it posts from; /cart/add, on a cacheable page without a CSRF
    # token, relies on that.
    referer = {"referer": f"{client.base_url}{form.page}"}
    return await client.post(form.action, data=values, files=files or None, headers=referer)


async def test_each_class_of_bad_value_in_every_field(site: Site) -> None:
    for kind, value in CLASSES.items():
        for form in site.forms:
            if form.action in SKIPPED_ACTIONS or not _fuzzable(form):
                continue
            values = {
                name: default if name == "csrf_token" else value
                for name, default in form.fields.items()
            }
            files = {name: ("bad.jpg", value.encode(), "image/jpeg") for name in form.files}
            response = await _submit(site, form, values, files)
            assert response.status_code < 500, (kind, form.role, form.method, form.action)
        client = site.visitors["anonymous"].client
        for page, params in site.page_queries:
            response = await client.get(page, params=_url_sized(dict.fromkeys(params, value)))
            assert response.status_code < 500, (kind, page)


@hypothesis_settings(
    max_examples=ROUNDS,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
async def test_no_form_value_gives_a_server_error(site: Site, data: st.DataObject) -> None:
    for form in site.forms:
        if form.action in SKIPPED_ACTIONS or not _fuzzable(form):
            continue
        values: dict[str, str] = {}
        for name, default in form.fields.items():
            if name == "csrf_token":
                values[name] = default
                continue
            keep = data.draw(st.booleans(), label=f"keep {name}")
            values[name] = default if keep else data.draw(HOSTILE, label=f"{form.action} {name}")
        files = {
            name: ("fuzz.bin", data.draw(st.binary(max_size=64), label=name), "image/jpeg")
            for name in form.files
            if form.method == "POST" and data.draw(st.booleans(), label=f"send {name}")
        }
        response = await _submit(site, form, values, files)
        assert response.status_code < 500, (form.role, form.method, form.action, values)


@hypothesis_settings(
    max_examples=ROUNDS,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
async def test_no_query_parameter_gives_a_server_error(site: Site, data: st.DataObject) -> None:
    client = site.visitors["anonymous"].client
    for page, params in site.page_queries:
        values = {name: data.draw(HOSTILE, label=f"{page} {name}") for name in params}
        response = await client.get(page, params=_url_sized(values))
        assert response.status_code < 500, (page, values)
