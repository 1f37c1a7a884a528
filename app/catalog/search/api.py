"""JSON search API: ``GET /api/v1/search`` and search-as-you-type suggestions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.catalog.search import service
from app.catalog.search.base import SearchQuery, SearchResult
from app.catalog.search.schemas import (
    FacetValueOut,
    HitOut,
    PlaceOut,
    SearchParams,
    SearchResponse,
    SuggestResponse,
)
from app.db import SessionDep
from app.errors import error_responses

router = APIRouter(prefix="/api/v1/search", tags=["search"], responses=error_responses(422))


MAX_RENDERINGS = 8  # per cached result: the same search asked with other currencies or labels


@router.get("", response_model=SearchResponse, name="api_search")
async def search(
    request: Request, session: SessionDep, params: Annotated[SearchParams, Query()]
) -> Response:
    """Search published listings of verified sellers: free text with typo tolerance, synonyms
    (Banaras = Varanasi = बनारस), filters, sorts, facet counts and highlighted titles.
    An empty ``q`` browses; unknown filter values give no hits; bad parameters give 422."""
    query = await service.to_query(session, params)
    result = await service.search(session, query, refresh_with=request.app.state.session_factory)
    key = params.model_dump_json()
    body = result.renderings.get(key)
    if body is None:
        body = _response(query, params, result).model_dump_json().encode()
        if len(result.renderings) < MAX_RENDERINGS:
            result.renderings[key] = body
    return Response(body, media_type="application/json")


def _response(query: SearchQuery, params: SearchParams, result: SearchResult) -> SearchResponse:
    return SearchResponse(
        query=query.text,
        total=result.total,
        total_is_exact=result.total_is_exact,
        page=params.page,
        per_page=params.per_page,
        hits=[HitOut.of(hit) for hit in result.hits],
        facets={
            name: [FacetValueOut(value=v.value, label=v.label, count=v.count) for v in values]
            for name, values in result.facets.items()
        },
        facets_approximate=result.facets_approximate,
        applied=service.applied(params),
        ignored=result.ignored,
        preferring=[
            PlaceOut(label=p.label, state=p.state_slug, district=p.district_key)
            for p in result.places
        ],
    )


@router.get("/suggest", response_model=SuggestResponse, name="api_search_suggest")
async def suggest(
    request: Request, session: SessionDep, q: Annotated[str, Query(max_length=1000)] = ""
) -> SuggestResponse:
    """Up to eight product names for what has been typed so far (prefix and typo tolerant)."""
    suggestions = await service.suggest(session, q, refresh_with=request.app.state.session_factory)
    return SuggestResponse(query=q, suggestions=suggestions)
