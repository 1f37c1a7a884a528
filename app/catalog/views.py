"""Catalog pages: home, States/UTs, districts, GI tags, categories, products."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.catalog import seo, service
from app.catalog.deps import (
    CacheDep,
    CatalogPricesDep,
    PageFilters,
    PageFiltersDep,
    PageNumber,
    page_cursor,
)
from app.catalog.pages import CardPage
from app.catalog.repository import ListingQuery
from app.config import Settings
from app.db import ReadSessionDep
from app.i18n import gettext as _
from app.i18n import localized_name
from app.reference.models import GoodsClass
from app.web import templates_of

router = APIRouter(include_in_schema=False)


def _listing_query(filters: PageFilters, prices: service.Prices, **scope: Any) -> ListingQuery:
    return ListingQuery(
        **scope,
        min_price_paise=prices.to_paise(filters.min_price),
        max_price_paise=prices.to_paise(filters.max_price),
        export_ready=True if filters.export_ready else None,
        sort=filters.sort,
        after=page_cursor(filters),
    )


def product_path(slug: str) -> str:
    """The product URL without ``url_for``, which walks every route: cards call it 24 times."""
    return f"/products/{quote(slug)}"


def seller_path(slug: str) -> str:
    return f"/sellers/{quote(slug)}"


def unit_words() -> dict[str, str]:
    """Each unit of sale (``app.listings.models.UNITS``) as the buyer's language says it."""
    return {
        "piece": _("piece"),
        "kg": _("kg"),
        "litre": _("litre"),
        "metre": _("metre"),
        "pair": _("pair"),
        "set": _("set"),
        "pack": _("pack"),
        "g": _("gram"),
        "dozen": _("dozen"),
    }


@dataclass(frozen=True, slots=True)
class CardLine:
    """What one listing card prints, as plain text (Jinja escapes it on output)."""

    href: str
    thumb_key: str | None
    alt: str
    title: str
    price: str
    per_unit: str
    min_order: str
    place: str
    gi: bool
    seller_href: str
    seller_name: str


def card_lines(page: CardPage, prices: service.Prices) -> list[CardLine]:
    """A card grid's text prepared in one call: in the template each card made about twenty
    calls through Jinja's context (a translation, a unit macro, places, prices, links)."""
    units = unit_words()
    lines = []
    for card in page.listings:
        photo = card.images[0] if card.images else None
        lines.append(
            CardLine(
                href=product_path(card.slug),
                thumb_key=photo.thumb_key if photo else None,
                alt=(photo.alt or card.title) if photo else "",
                title=localized_name(card, "title"),
                price=prices(card.price_paise),
                per_unit=_("per %(unit)s", unit=units.get(card.unit, units["piece"])),
                min_order=_("Min. order %(n)s", n=card.moq),
                place=f"{localized_name(card.district)}, {localized_name(card.state)}",
                gi=page.shows_gi(card),
                seller_href=seller_path(card.seller.slug),
                seller_name=card.seller.display_name,
            )
        )
    return lines


def _render(request: Request, name: str, context: dict[str, Any]) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    context.setdefault("canonical", seo.absolute(settings, request.url.path))
    return templates_of(request).render(request, name, context)


@router.get("/", response_class=HTMLResponse, name="home")
async def home(
    request: Request, session: ReadSessionDep, cache: CacheDep, prices: CatalogPricesDep
) -> HTMLResponse:
    data = await service.home(session, cache)
    return _render(request, "catalog/home.html", {"home": data, "prices": prices})


@router.get("/states/{state_slug}", response_class=HTMLResponse, name="state")
async def state_page(
    request: Request, session: ReadSessionDep, cache: CacheDep, state_slug: str
) -> HTMLResponse:
    state = await service.get_state(session, cache, state_slug)
    districts = await service.districts_of_state(session, cache, state)
    return _render(request, "catalog/state.html", {"state": state, "districts": districts})


@router.get("/states/{state_slug}/{district_slug}", response_class=HTMLResponse, name="district")
async def district_page(
    request: Request,
    session: ReadSessionDep,
    cache: CacheDep,
    prices: CatalogPricesDep,
    filters: PageFiltersDep,
    state_slug: str,
    district_slug: str,
) -> HTMLResponse:
    state = await service.get_state(session, cache, state_slug)
    district = await service.get_district(session, cache, state, district_slug)
    page = await service.card_page(
        session, cache, _listing_query(filters, prices, district_id=district.id)
    )
    totals = await service.counts(session, cache)
    return _render(
        request,
        "catalog/district.html",
        {
            "state": state,
            "district": district,
            "cards": await service.odop_cards(session, cache, district),
            "page": page,
            "filters": filters,
            "prices": prices,
            "listing_count": totals.by_district.get(district.id, 0),
        },
    )


@router.get("/gi", response_class=HTMLResponse, name="gi_index")
async def gi_index(
    request: Request,
    session: ReadSessionDep,
    cache: CacheDep,
    page: PageNumber,
    state: str | None = None,
    goods_class: str | None = None,
    show: str | None = None,
) -> HTMLResponse:
    chosen_state = await service.find_state(session, cache, state) if state else None
    chosen_class = GoodsClass(goods_class) if goods_class in set(GoodsClass) else None
    show_all = show == "all"
    tags, pages = await service.gi_directory(
        session,
        cache,
        state=chosen_state,
        goods_class=chosen_class,
        page=page,
        with_listings_only=not show_all,
    )
    home_data = await service.home(session, cache)
    return _render(
        request,
        "catalog/gi_index.html",
        {
            "tags": tags,
            "page_number": min(page, pages),
            "pages": pages,
            "states": home_data.states,
            "chosen_state": chosen_state,
            "chosen_class": chosen_class,
            "goods_classes": list(GoodsClass),
            "show_all": show_all,
        },
    )


@router.get("/gi/{gi_slug}", response_class=HTMLResponse, name="gi")
async def gi_page(
    request: Request,
    session: ReadSessionDep,
    cache: CacheDep,
    prices: CatalogPricesDep,
    filters: PageFiltersDep,
    gi_slug: str,
) -> HTMLResponse:
    gi = await service.get_gi(session, cache, gi_slug)
    page = await service.card_page(session, cache, _listing_query(filters, prices, gi_tag_id=gi.id))
    products = await service.odop_products_of_gi(session, cache, gi)
    return _render(
        request,
        "catalog/gi.html",
        {"gi": gi, "page": page, "filters": filters, "prices": prices, "products": products},
    )


@router.get("/categories/{category_slug}", response_class=HTMLResponse, name="category")
async def category_page(
    request: Request,
    session: ReadSessionDep,
    cache: CacheDep,
    prices: CatalogPricesDep,
    filters: PageFiltersDep,
    category_slug: str,
) -> HTMLResponse:
    category = await service.get_category(session, category_slug)
    page = await service.card_page(
        session, cache, _listing_query(filters, prices, category_id=category.id)
    )
    home_data = await service.home(session, cache)
    return _render(
        request,
        "catalog/category.html",
        {
            "category": category,
            "categories": home_data.categories,
            "page": page,
            "filters": filters,
            "prices": prices,
        },
    )


@router.get("/sellers/{seller_slug}", response_class=HTMLResponse, name="seller_public")
async def seller_public_page(
    request: Request,
    session: ReadSessionDep,
    cache: CacheDep,
    prices: CatalogPricesDep,
    filters: PageFiltersDep,
    seller_slug: str,
) -> HTMLResponse:
    data = await service.seller_page(session, seller_slug)
    page = await service.card_page(
        session, cache, _listing_query(filters, prices, seller_id=data.seller.id)
    )
    return _render(
        request,
        "catalog/seller.html",
        {"data": data, "seller": data.seller, "page": page, "filters": filters, "prices": prices},
    )


@router.get("/products/{slug}", response_class=HTMLResponse, name="product")
async def product_page(
    request: Request, session: ReadSessionDep, cache: CacheDep, prices: CatalogPricesDep, slug: str
) -> HTMLResponse:
    data = await service.product_page(session, cache, slug)
    listing = data.listing
    settings: Settings = request.app.state.settings
    return _render(
        request,
        "catalog/product.html",
        {
            "listing": listing,
            "sale_unit": data.sale_unit,
            "gst_rate_bp": data.gst_rate_bp,
            "gi_verified": listing.gi_verified,
            "prices": prices,
            "json_ld": seo.product_json_ld(settings, listing, gi_verified=listing.gi_verified),
            "og_image": seo.absolute(settings, f"/media/{listing.images[0].storage_key}")
            if listing.images
            else None,
        },
    )


# SEO ---------------------------------------------------------------------------------------------


@router.get("/robots.txt", name="robots")
async def robots(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    return Response(seo.robots_txt(settings), media_type="text/plain")


@router.get("/sitemap.xml", name="sitemap")
async def sitemap_index(request: Request, session: ReadSessionDep) -> Response:
    settings: Settings = request.app.state.settings
    body = await seo.sitemap_index(session, settings)
    return Response(body, media_type="application/xml")


@router.get("/sitemaps/{name}.xml", name="sitemap_part")
async def sitemap_part(request: Request, session: ReadSessionDep, name: str) -> Response:
    settings: Settings = request.app.state.settings
    body = await seo.sitemap_part(session, settings, name)
    return Response(body, media_type="application/xml")
