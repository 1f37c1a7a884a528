"""The baseline for bench/search.py: the same API shape answered the naive way.

``GET /naive?q=...`` runs ``LIKE '%q%'`` over listing titles and descriptions, counts the matches
and groups them by state, the way a first version without a search index would. It is served by
the same uvicorn setup as the real app so the throughput ratio compares the queries.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, or_, select

from app.all_models import listing_models
from app.config import get_settings
from app.db import make_engine, make_session_factory
from app.listings.models import Listing, ListingStatus

engine = make_engine(get_settings().database_url)
sessions = make_session_factory(engine)
api = FastAPI()
assert listing_models  # app.all_models imports every mapper, so relationships resolve


@api.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@api.get("/naive")
async def naive(q: str = "") -> dict[str, Any]:
    pattern = f"%{q[:200]}%"
    match = (Listing.status == ListingStatus.PUBLISHED) & or_(
        Listing.title.ilike(pattern), Listing.description.ilike(pattern)
    )
    async with sessions() as session:
        hits = (
            await session.execute(
                select(Listing.id, Listing.title, Listing.price_paise)
                .where(match)
                .order_by(Listing.published_at.desc())
                .limit(24)
            )
        ).all()
        total = await session.scalar(select(func.count()).where(match))
        states = (
            await session.execute(
                select(Listing.state_id, func.count()).where(match).group_by(Listing.state_id)
            )
        ).all()
    return {
        "total": total,
        "hits": [{"id": h.id, "title": h.title, "price_paise": h.price_paise} for h in hits],
        "facets": {"state": [{"value": s, "count": n} for s, n in states]},
    }
