"""The search interface every backend implements, and the values that cross it."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.catalog.search.places import Place
from app.catalog.search.suggestions import Suggestions

PAGE_SIZE = 24
MAX_PAGE_SIZE = 100
FACETS = ("state", "district", "gi", "category", "seller_type")
# each filter of a SearchQuery and the indexed field it matches
FILTER_FIELDS = {
    "state": "state_slug",
    "district": "district_key",
    "gi": "gi_slug",
    "category": "category_slug",
    "goods_class": "goods_class",
    "seller_type": "seller_type",
}
FACET_LIMIT = 30  # values per facet, most frequent first
HIGHLIGHT_PRE = "\x02"  # replaced by <mark> after HTML escaping
HIGHLIGHT_POST = "\x03"


class Sort(enum.StrEnum):
    RELEVANCE = "relevance"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    NEWEST = "newest"


@dataclass(frozen=True)
class SearchQuery:
    """A validated search. Prices are already in paise; filter values are slugs."""

    text: str = ""
    state: tuple[str, ...] = ()
    district: tuple[str, ...] = ()  # "state-slug/district-slug": district names repeat
    gi: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    goods_class: tuple[str, ...] = ()
    seller_type: tuple[str, ...] = ()
    min_price_paise: int | None = None
    max_price_paise: int | None = None
    export_ready: bool | None = None
    in_stock: bool | None = None
    sort: Sort = Sort.RELEVANCE
    page: int = 1
    per_page: int = PAGE_SIZE
    with_facets: bool = True
    # Places named in the text (see places.understand): listings from there rank first.
    prefer_state: tuple[str, ...] = ()
    prefer_district: tuple[str, ...] = ()

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def without(self, name: str) -> SearchQuery:
        """This query without the filter ``name`` (a key of FILTER_FIELDS)."""
        changes: dict[str, Any] = {name: ()}
        return replace(self, **changes)


@dataclass(frozen=True)
class Hit:
    listing_id: int
    slug: str
    title: str
    title_highlighted: str  # marked with HIGHLIGHT_PRE/POST, not yet HTML-escaped
    price_paise: int
    district: str
    state: str
    gi_name: str | None
    seller_name: str
    seller_type: str
    export_ready: bool
    in_stock: bool
    thumb_key: str | None


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    total_is_exact: bool = True
    # The facet counts were made over only part of the matches (the database backend's first
    # FACET_CAP): each is a lower bound, shown as "N+".
    facets_approximate: bool = False
    # Query words left out because the query matched nothing with them (see the relaxation).
    ignored: list[str] = field(default_factory=list)
    # The places the query named (a preference, see places.py) and its other words.
    places: list[Place] = field(default_factory=list)
    product_words: list[str] = field(default_factory=list)
    # When nothing matched at all: what to try instead.
    suggestions: Suggestions | None = None
    # Responses already rendered from this result (by the API), kept as long as the result is
    # cached: a popular search is serialised once, not once per request.
    renderings: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class SearchDocument:
    """The denormalised record of one searchable listing, as every backend stores it."""

    listing_id: int
    slug: str
    title: str
    title_hi: str
    description: str
    district: str
    district_hi: str
    district_key: str
    state: str
    state_hi: str
    state_slug: str
    gi_name: str | None
    gi_name_hi: str | None
    gi_slug: str | None
    goods_class: str | None
    odop_product: str | None
    odop_product_hi: str | None
    category: str | None
    category_hi: str | None
    category_slug: str | None
    seller_name: str
    seller_type: str
    price_paise: int
    export_ready: bool
    in_stock: bool
    published_at: datetime | None
    thumb_key: str | None

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


# (session, after_id) -> (documents, last listing id looked at, or None at the end)
FetchBatch = Callable[[AsyncSession, int], Awaitable[tuple[list["SearchDocument"], int | None]]]


class SearchBackend(Protocol):
    name: str

    async def ensure_index(self, session: AsyncSession) -> None:
        """Create the index (and apply its settings) if it is missing."""

    async def holds(self, session: AsyncSession, listing_ids: set[int]) -> bool:
        """Whether the index exists and holds these listings (no more, no fewer)."""
        ...

    async def upsert(self, session: AsyncSession, documents: Sequence[SearchDocument]) -> None: ...

    async def delete(self, session: AsyncSession, listing_ids: Sequence[int]) -> None: ...

    async def search(self, session: AsyncSession, query: SearchQuery) -> SearchResult: ...

    async def rebuild(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        fetch: FetchBatch,
        progress: Callable[[int], None],
    ) -> int:
        """Build a fresh index beside the live one from ``fetch(session, after_id)`` batches of
        documents (each read in a short transaction of its own), then swap it in."""
