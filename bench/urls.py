"""The URLs the benchmark loads, filled in from the prepared database.

Add a row to URLS when a new page or endpoint matters for speed; `{state}`, `{district}`, `{gi}`
and `{slug}` are taken from the first public listing (and the first GI tag that has listings).
``long_tail`` draws the paths of the long-tail runs: product pages at random from thousands of
public listings, every district and every State.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.listings.models import Listing
from app.listings.repository import is_public
from app.reference.models import District, GiTag, State

# name, path template, query string
URLS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("home", "/", {}),
    ("state", "/states/{state}", {}),
    ("district", "/states/{state}/{district}", {}),
    ("gi", "/gi/{gi}", {}),
    ("product", "/products/{slug}", {}),
    ("api-listings", "/api/v1/listings", {}),
    ("search", "/search", {"q": "banarasi saree"}),
    ("api-search", "/api/v1/search", {"q": "firozbad glas"}),
)
URL_NAMES = tuple(name for name, _, _ in URLS)


class NothingToBenchmark(RuntimeError):
    """The database has no public listing to build the URLs from."""


@dataclass(frozen=True)
class BenchUrl:
    name: str
    target: str  # path and query, ready to append to a base URL


async def sample_values(session: AsyncSession) -> dict[str, str]:
    first = (
        await session.execute(
            select(State.slug, District.slug, Listing.slug)
            .join(State, State.id == Listing.state_id)
            .join(District, District.id == Listing.district_id)
            .where(is_public())
            .order_by(Listing.id)
            .limit(1)
        )
    ).first()
    if first is None:
        raise NothingToBenchmark("no public listing in the database; seed the demo catalog first")
    gi = await session.scalar(
        select(GiTag.slug)
        .where(
            GiTag.id.in_(
                select(Listing.gi_tag_id).where(is_public(), Listing.gi_tag_id.is_not(None))
            )
        )
        .order_by(GiTag.id)
        .limit(1)
    )
    state, district, slug = first
    return {"state": state, "district": district, "slug": slug, "gi": gi or "none"}


def build_urls(values: dict[str, str], names: list[str] | None = None) -> list[BenchUrl]:
    """The URLs named in ``names`` (all by default), in the order of URLS."""
    unknown = set(names or ()) - set(URL_NAMES)
    if unknown:
        raise ValueError(f"unknown URL name(s): {', '.join(sorted(unknown))}; known: {URL_NAMES}")
    quoted = {key: quote(value, safe="") for key, value in values.items()}
    return [
        BenchUrl(name, path.format(**quoted) + (f"?{urlencode(query)}" if query else ""))
        for name, path, query in URLS
        if not names or name in names
    ]


async def resolve(session: AsyncSession, names: list[str] | None = None) -> list[BenchUrl]:
    return build_urls(await sample_values(session), names)


LONG_TAIL_PAGES = ("home", "state", "district", "product")


async def long_tail(session: AsyncSession, products: int, seed: int = 13) -> dict[str, list[str]]:
    """Page type -> paths in a shuffled order: ``products`` product pages drawn at random from
    the public listings, every district, every State, and the home page."""
    rng = random.Random(seed)
    slugs = list(
        (await session.scalars(select(Listing.slug).where(is_public()).order_by(Listing.id))).all()
    )
    chosen = rng.sample(slugs, min(products, len(slugs)))
    districts = (
        await session.execute(
            select(State.slug, District.slug)
            .join(State, State.id == District.state_id)
            .order_by(District.id)
        )
    ).all()
    states = list((await session.scalars(select(State.slug).order_by(State.id))).all())
    paths = {
        "home": ["/"],
        "state": [f"/states/{quote(s, safe='')}" for s in states],
        "district": [f"/states/{quote(s, safe='')}/{quote(d, safe='')}" for s, d in districts],
        "product": [f"/products/{quote(slug, safe='')}" for slug in chosen],
    }
    for group in paths.values():
        rng.shuffle(group)
    return paths
