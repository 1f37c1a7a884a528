"""Meilisearch backend, through the official ``meilisearch`` client.

The client is synchronous, so every call runs in a worker thread. Writes wait for Meilisearch's
task to finish and raise if it failed, so the sync job that made them is retried by the outbox.
Facet values are stored as ``slug|label`` so one request returns both the filter value and the
text to show.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.catalog.search import analysis
from app.catalog.search import repository as search_repository
from app.catalog.search.base import (
    FACET_LIMIT,
    FACETS,
    FILTER_FIELDS,
    HIGHLIGHT_POST,
    HIGHLIGHT_PRE,
    FacetValue,
    FetchBatch,
    Hit,
    SearchDocument,
    SearchQuery,
    SearchResult,
    Sort,
)

if TYPE_CHECKING:
    import meilisearch

TASK_TIMEOUT_MS = 60_000
SEARCHABLE = [
    "title",
    "title_hi",
    "odop_product",
    "odop_product_hi",
    "gi_name",
    "gi_name_hi",
    "district",
    "district_hi",
    "state",
    "state_hi",
    "category",
    "category_hi",
    "seller_name",
    "description",
]
RETRIEVED = [
    "id",
    "slug",
    "title",
    "price_paise",
    "district",
    "state",
    "gi_name",
    "seller_name",
    "seller_type",
    "export_ready",
    "in_stock",
    "thumb_key",
]


class MeiliSyncError(RuntimeError):
    """A Meilisearch task failed; the job that asked for it is retried."""


def meili_document(doc: SearchDocument) -> dict[str, Any]:
    body = doc.as_dict()
    body["id"] = body.pop("listing_id")
    body["published_at"] = int(doc.published_at.timestamp()) if doc.published_at else 0
    body["facet_state"] = f"{doc.state_slug}|{doc.state}"
    body["facet_district"] = f"{doc.district_key}|{doc.district}"
    body["facet_gi"] = f"{doc.gi_slug}|{doc.gi_name}" if doc.gi_slug else None
    body["facet_category"] = f"{doc.category_slug}|{doc.category}" if doc.category_slug else None
    body["facet_seller_type"] = f"{doc.seller_type}|{doc.seller_type}"
    return body


def settings_body(synonym_groups: Sequence[Sequence[str]]) -> dict[str, Any]:
    synonyms: dict[str, set[str]] = {}
    for group in synonym_groups:
        words = {analysis.normalise(w).strip() for w in group if w.strip()}
        for word in words:
            synonyms.setdefault(word, set()).update(words - {word})
    return {
        "searchableAttributes": SEARCHABLE,
        "filterableAttributes": sorted(
            [*FILTER_FIELDS.values(), "id", "price_paise", "export_ready", "in_stock"]
            + [f"facet_{f}" for f in FACETS]
        ),
        "sortableAttributes": ["price_paise", "published_at"],
        "rankingRules": [
            "words",
            "typo",
            "proximity",
            "attribute",
            "sort",
            "exactness",
            "published_at:desc",
        ],
        "synonyms": {word: sorted(others) for word, others in sorted(synonyms.items())},
        "stopWords": list(analysis.STOP_WORDS),
        "typoTolerance": {"enabled": True, "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9}},
        "faceting": {"maxValuesPerFacet": FACET_LIMIT},
        "pagination": {"maxTotalHits": 10_000},
    }


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def place_filter(query: SearchQuery) -> str | None:
    """The filter expression for the places the query named (see places.py), or None."""
    parts = []
    if query.prefer_district:
        parts.append(f"district_key IN [{', '.join(_quote(v) for v in query.prefer_district)}]")
    if query.prefer_state:
        parts.append(f"state_slug IN [{', '.join(_quote(v) for v in query.prefer_state)}]")
    return " OR ".join(parts) or None


def facet_params(query: SearchQuery, facet: str) -> dict[str, Any]:
    """A request for one facet's counts over every filter but its own (values within a facet
    are OR'ed, so each shows how many hits it would add)."""
    params = search_params(query.without(facet))
    return {
        "q": query.text[: analysis.MAX_QUERY_CHARS],
        "page": 1,
        "hitsPerPage": 0,
        **({"filter": params["filter"]} if "filter" in params else {}),
        "facets": [f"facet_{facet}"],
    }


def search_params(query: SearchQuery) -> dict[str, Any]:
    """The search request body for ``query`` (filter expressions, facets, sort, page)."""
    filters: list[str] = []
    for name, attribute in FILTER_FIELDS.items():
        values: tuple[str, ...] = getattr(query, name)
        if values:
            filters.append(f"{attribute} IN [{', '.join(_quote(v) for v in values)}]")
    if query.min_price_paise is not None:
        filters.append(f"price_paise >= {int(query.min_price_paise)}")
    if query.max_price_paise is not None:
        filters.append(f"price_paise <= {int(query.max_price_paise)}")
    if query.export_ready is not None:
        filters.append(f"export_ready = {str(query.export_ready).lower()}")
    if query.in_stock is not None:
        filters.append(f"in_stock = {str(query.in_stock).lower()}")
    params: dict[str, Any] = {
        "page": query.page,
        "hitsPerPage": query.per_page,
        "attributesToRetrieve": RETRIEVED,
        "attributesToHighlight": ["title"],
        "highlightPreTag": HIGHLIGHT_PRE,
        "highlightPostTag": HIGHLIGHT_POST,
    }
    if filters:
        params["filter"] = filters
    if query.with_facets:
        params["facets"] = [f"facet_{f}" for f in FACETS]
    sort = {
        Sort.PRICE_ASC: ["price_paise:asc"],
        Sort.PRICE_DESC: ["price_paise:desc"],
        Sort.NEWEST: ["published_at:desc"],
    }.get(query.sort)
    if sort:
        params["sort"] = sort
    return params


def parse_response(body: dict[str, Any], with_facets: bool) -> SearchResult:
    hits = []
    for raw in body.get("hits", []):
        formatted = raw.get("_formatted") or {}
        hits.append(
            Hit(
                listing_id=int(raw["id"]),
                slug=raw["slug"],
                title=raw["title"],
                # Meilisearch does not escape HTML; our markers survive escaping later.
                title_highlighted=str(formatted.get("title", raw["title"])),
                price_paise=int(raw["price_paise"]),
                district=raw["district"],
                state=raw["state"],
                gi_name=raw.get("gi_name"),
                seller_name=raw["seller_name"],
                seller_type=raw["seller_type"],
                export_ready=bool(raw["export_ready"]),
                in_stock=bool(raw["in_stock"]),
                thumb_key=raw.get("thumb_key"),
            )
        )
    facets: dict[str, list[FacetValue]] = {}
    if with_facets:
        distribution = body.get("facetDistribution") or {}
        for facet in FACETS:
            values = []
            for packed, count in (distribution.get(f"facet_{facet}") or {}).items():
                value, _, label = str(packed).partition("|")
                values.append(FacetValue(value, label or value, int(count)))
            values.sort(key=lambda v: (-v.count, v.value))
            facets[facet] = values[:FACET_LIMIT]
    total = int(body.get("totalHits", body.get("estimatedTotalHits", len(hits))))
    return SearchResult(hits=hits, total=total, facets=facets, total_is_exact="totalHits" in body)


class MeiliBackend:
    name = "meilisearch"

    def __init__(self, url: str, api_key: str, index: str, *, timeout: int = 10) -> None:
        # Imported here: a worker on the database backends never holds the client (5 MB).
        import meilisearch

        self.client: meilisearch.Client = meilisearch.Client(url, api_key or None, timeout=timeout)
        self.uid = index
        self.api_error = meilisearch.errors.MeilisearchApiError
        # What makes a search answer "search is unavailable" instead of an error page.
        self.unavailable_errors: tuple[type[BaseException], ...] = (
            meilisearch.errors.MeilisearchError,
            MeiliSyncError,
            OSError,
        )

    async def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(partial(fn, *args, **kwargs))

    async def _wait(self, task: Any, *, tolerate: str | None = None) -> None:
        done = await self._call(
            self.client.wait_for_task, task.task_uid, timeout_in_ms=TASK_TIMEOUT_MS
        )
        if done.status != "succeeded" and not (
            tolerate and isinstance(done.error, dict) and done.error.get("code") == tolerate
        ):
            raise MeiliSyncError(f"Meilisearch task {task.task_uid} {done.status}: {done.error}")

    async def apply_settings(self, session: AsyncSession, uid: str | None = None) -> None:
        groups = await search_repository.synonym_terms(session)
        index = self.client.index(uid or self.uid)
        await self._wait(await self._call(index.update_settings, settings_body(groups)))

    async def ensure_index(self, session: AsyncSession) -> None:
        try:
            await self._call(self.client.get_index, self.uid)
        except self.api_error as exc:
            if exc.code != "index_not_found":
                raise
            await self._wait(
                await self._call(self.client.create_index, self.uid, {"primaryKey": "id"})
            )
        await self.apply_settings(session)

    async def holds(self, session: AsyncSession, listing_ids: set[int]) -> bool:
        try:
            stats = await self._call(self.client.index(self.uid).get_stats)
        except self.api_error as exc:
            if exc.code == "index_not_found":
                return False
            raise
        return int(stats.number_of_documents) == len(listing_ids)

    async def upsert(self, session: AsyncSession, documents: Sequence[SearchDocument]) -> None:
        if documents:
            index = self.client.index(self.uid)
            body = [meili_document(d) for d in documents]
            await self._wait(await self._call(index.add_documents, body, primary_key="id"))

    async def delete(self, session: AsyncSession, listing_ids: Sequence[int]) -> None:
        if listing_ids:
            index = self.client.index(self.uid)
            ids = ", ".join(str(int(i)) for i in listing_ids)
            task = await self._call(index.delete_documents, filter=f"id IN [{ids}]")
            await self._wait(task)

    async def search(self, session: AsyncSession, query: SearchQuery) -> SearchResult:
        text = query.text[: analysis.MAX_QUERY_CHARS]
        params = search_params(query)
        facets = [f for f in FACETS if query.with_facets and getattr(query, f)]
        place = place_filter(query) if query.sort == Sort.RELEVANCE else None
        if not facets and place is None:
            index = self.client.index(self.uid)
            body = await self._call(index.search, text, params)
            return parse_response(body, query.with_facets)
        # One multi-search: the search itself, and per facet with ticked values its counts over
        # the other filters; with a place named, the hits of that place first (a second request
        # fills the page from elsewhere when the place has too few).
        queries = [{"indexUid": self.uid, "q": text, **params}]
        filters: list[str] = params.get("filter", [])
        if place is not None:
            queries.append({"indexUid": self.uid, "q": text, **params, "filter": [*filters, place]})
            queries[0] = {**queries[0], "hitsPerPage": 0}
        queries += [{"indexUid": self.uid, **facet_params(query, f)} for f in facets]
        bodies = (await self._call(self.client.multi_search, queries))["results"]
        result = parse_response(bodies[0], query.with_facets)
        if place is not None:
            local = parse_response(bodies[1], False)
            result.hits = local.hits
            missing = query.per_page - len(local.hits)
            if missing > 0 and result.total > local.total:
                rest = {
                    "indexUid": self.uid,
                    "q": text,
                    **{k: v for k, v in params.items() if k not in ("page", "hitsPerPage")},
                    "filter": [*filters, f"NOT ({place})"],
                    "offset": max(0, query.offset - local.total),
                    "limit": missing,
                }
                [other] = (await self._call(self.client.multi_search, [rest]))["results"]
                result.hits += parse_response(other, False).hits
        for facet, body in zip(facets, bodies[2 if place else 1 :], strict=True):
            result.facets[facet] = parse_response(body, True).facets[facet]
        return result

    async def rebuild(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        fetch: FetchBatch,
        progress: Callable[[int], None],
    ) -> int:
        """Fill ``<index>_new`` beside the live index, then swap the two and drop the old one."""
        build = f"{self.uid}_new"
        async with session_factory() as session:
            await self.ensure_index(session)
            await self._wait(
                await self._call(self.client.delete_index, build), tolerate="index_not_found"
            )
            await self._wait(
                await self._call(self.client.create_index, build, {"primaryKey": "id"})
            )
            await self.apply_settings(session, build)
        index = self.client.index(build)
        written, after = 0, 0
        while True:
            async with session_factory() as session:
                batch, last = await fetch(session, after)
            if last is None:
                break
            if batch:
                body = [meili_document(d) for d in batch]
                await self._wait(await self._call(index.add_documents, body, primary_key="id"))
            written += len(batch)
            after = last
            progress(len(batch))
        await self._wait(
            await self._call(self.client.swap_indexes, [{"indexes": [self.uid, build]}])
        )
        await self._wait(await self._call(self.client.delete_index, build))
        return written
