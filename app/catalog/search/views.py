"""The search page (works without JavaScript)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from app.catalog.deps import PricesDep
from app.catalog.search import database, service
from app.catalog.search.base import FACETS, FILTER_FIELDS, SearchResult, Sort
from app.catalog.search.schemas import SearchParams, marked_html
from app.db import SessionDep
from app.errors import AppError
from app.i18n import current_language
from app.i18n import gettext as _
from app.sellers.service import seller_type_labels
from app.web import flash, templates_of

router = APIRouter(include_in_schema=False)


def _lenient_params(request: Request) -> tuple[SearchParams, bool]:
    """Query parameters as SearchParams; invalid ones are dropped (and reported), never a 422."""
    raw: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key in FILTER_FIELDS:
            raw.setdefault(key, []).append(value)
        elif key in SearchParams.model_fields and value != "":
            raw[key] = value
    try:
        return SearchParams.model_validate(raw), False
    except ValidationError as exc:
        for error in exc.errors():
            raw.pop(str(error["loc"][0]), None)
        return SearchParams.model_validate(raw), True


def _url(params: SearchParams, **changes: Any) -> str:
    values = params.model_dump(exclude_defaults=True, mode="json") | changes
    pairs = []
    for key, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            if item not in (None, ""):
                pairs.append((key, str(item).lower() if isinstance(item, bool) else item))
    return "/search" + (f"?{urlencode(pairs)}" if pairs else "")


@router.get("/search", response_class=HTMLResponse, name="search")
async def search_page(request: Request, session: SessionDep, prices: PricesDep) -> HTMLResponse:
    params, had_errors = _lenient_params(request)
    if "currency" not in request.query_params:  # price bounds are typed in the shown currency
        params = params.model_copy(update={"currency": prices.code})
    try:
        query = await service.to_query(session, params)
    except AppError as exc:
        params = params.model_copy(update={"min_price": None, "max_price": None})
        query = await service.to_query(session, params)
        flash(request, exc.message, "error")
    result = await service.search(session, query, refresh_with=request.app.state.session_factory)
    pages = max(1, -(-min(result.total, 1000 * params.per_page) // params.per_page))
    selected = {name: set(getattr(params, name)) for name in FACETS}
    understood = _understood(params, result)
    return templates_of(request).render(
        request,
        "catalog/search/results.html",
        {
            "query": params.q,
            "params": params,
            "result": result,
            # The product page belongs to the catalog pages; its path is fixed as /products/<slug>.
            "hits": [
                (hit, marked_html(hit.title_highlighted), f"/products/{hit.slug}")
                for hit in result.hits
            ],
            "selected": selected,
            "prices": prices,
            "value_labels": {
                **await service.facet_labels(session, current_language()),
                "seller_type": seller_type_labels(),
            },
            "had_errors": had_errors,
            "understood": understood,
            "suggestions": _suggestion_links(result),
            "sorts": [
                (Sort.RELEVANCE, _("Best match")),
                (Sort.PRICE_ASC, _("Price: low to high")),
                (Sort.PRICE_DESC, _("Price: high to low")),
                (Sort.NEWEST, _("Newest")),
            ],
            "facet_titles": {
                "state": _("State"),
                "district": _("District"),
                "gi": _("GI tag"),
                "category": _("Category"),
                "seller_type": _("Seller type"),
            },
            "facet_cap": database.FACET_CAP,
            "pages": pages,
            "prev_url": _url(params, page=params.page - 1) if params.page > 1 else None,
            "next_url": _url(params, page=params.page + 1) if params.page < pages else None,
            "clear_url": _url(SearchParams(q=params.q)),
        },
    )


def _suggestion_links(result: SearchResult) -> list[tuple[str, list[tuple[str, str]]]]:
    """(heading, [(label, url)]) groups of what to try when nothing matched."""
    found = result.suggestions
    if not found:
        return []
    groups = [
        (_("Did you mean"), [(t, _url(SearchParams(q=t))) for t in found.terms]),
        (_("GI tags"), [(n, _url(SearchParams(gi=[s]))) for s, n in found.gi_tags]),
        (
            _("Districts"),
            [
                (p.label, _url(SearchParams(district=[p.district_key or ""])))
                for p in found.districts
            ],
        ),
        (
            _("Popular categories"),
            [(n, _url(SearchParams(category=[s]))) for s, n in found.categories],
        ),
    ]
    return [(title, links) for title, links in groups if links]


def _understood(params: SearchParams, result: SearchResult) -> dict[str, Any] | None:
    """ "Silk, preferring Mysuru, Karnataka", with a link per place that makes it a filter."""
    if not result.places:
        return None
    labels = ", ".join(p.label for p in result.places)
    product = " ".join(result.product_words).capitalize()
    text = (
        _("%(product)s, preferring %(places)s", product=product, places=labels)
        if product
        else _("Products from %(places)s", places=labels)
    )
    links = []
    for place in result.places:
        if place.district_key:
            url = _url(params, q=" ".join(result.product_words), district=[place.district_key])
        else:
            url = _url(params, q=" ".join(result.product_words), state=[place.state_slug])
        links.append((place.label, url))
    return {"text": text, "only_links": links}
