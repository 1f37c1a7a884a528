"""Catalog dependencies: the aggregate cache, prices in the buyer's currency, page filters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from app.catalog import service
from app.catalog.cache import TtlCache
from app.db import ReadSessionDep, SessionDep
from app.errors import ValidationFailed
from app.i18n import current_language
from app.preferences import selected_currency


async def catalog_cache(request: Request) -> TtlCache:
    cache: TtlCache = request.app.state.catalog_cache
    return cache


CacheDep = Annotated[TtlCache, Depends(catalog_cache)]


async def buyer_prices(request: Request, session: SessionDep, cache: CacheDep) -> service.Prices:
    return await service.prices(session, cache, selected_currency(request), current_language())


PricesDep = Annotated[service.Prices, Depends(buyer_prices)]


async def catalog_prices(
    request: Request, session: ReadSessionDep, cache: CacheDep
) -> service.Prices:
    """``buyer_prices`` for the catalog's read-only pages, on their read session (one session
    per request: the page's own)."""
    return await service.prices(session, cache, selected_currency(request), current_language())


CatalogPricesDep = Annotated[service.Prices, Depends(catalog_prices)]


async def lenient_page(page: str | None = None) -> int:
    """Pages ignore a malformed ?page= rather than failing; the API is strict instead."""
    try:
        return min(10_000, max(1, int(page or 1)))
    except ValueError:
        return 1


PageNumber = Annotated[int, Depends(lenient_page)]


@dataclass(frozen=True)
class PageFilters:
    """Listing filters of an HTML page, as typed in the URL. Malformed values are ignored."""

    sort: str
    min_price: str
    max_price: str
    export_ready: bool
    after: str

    def query_args(self, **override: str) -> dict[str, str]:
        """The non-empty filters as URL parameters (the cursor only when overridden)."""
        args = {
            "sort": "" if self.sort == "newest" else self.sort,
            "min_price": self.min_price,
            "max_price": self.max_price,
            "export_ready": "1" if self.export_ready else "",
        }
        args.update(override)
        return {k: v for k, v in args.items() if v}

    @property
    def active(self) -> bool:
        return bool(self.query_args())


async def page_filters(
    sort: str | None = None,
    min_price: str | None = None,
    max_price: str | None = None,
    export_ready: str | None = None,
    after: str | None = None,
) -> PageFilters:
    def amount(value: str | None) -> str:
        text = (value or "").strip()[:20]
        try:
            return text if text and float(text) >= 0 else ""
        except ValueError:
            return ""

    return PageFilters(
        sort=sort if sort in service.SORTS else "newest",
        min_price=amount(min_price),
        max_price=amount(max_price),
        export_ready=export_ready in {"1", "true", "on", "yes"},
        after=(after or "")[:200],
    )


PageFiltersDep = Annotated[PageFilters, Depends(page_filters)]


def page_cursor(filters: PageFilters) -> tuple[object, int] | None:
    if not filters.after:
        return None
    try:
        return service.decode_cursor(filters.sort, filters.after)
    except ValidationFailed:
        return None
