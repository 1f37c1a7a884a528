"""Catalog rules: what buyers may see and how places are looked up."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import repository
from app.catalog.models import District, Listing, State
from app.errors import NotFound

PAGE_SIZE = 24


@dataclass(frozen=True)
class Page:
    number: int
    size: int
    total: int

    @property
    def count(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def near_matches(
    wanted: str, candidates: list[tuple[str, str]], n: int = 5
) -> list[tuple[str, str]]:
    """Candidates (slug, name) whose slug or name is close to what was asked for."""
    by_slug = dict(candidates)
    by_name = {name.lower(): slug for slug, name in candidates}
    slugs = difflib.get_close_matches(wanted, list(by_slug), n=n, cutoff=0.6)
    slugs += [
        by_name[m]
        for m in difflib.get_close_matches(wanted.lower(), list(by_name), n=n, cutoff=0.6)
    ]
    unique = list(dict.fromkeys(slugs))[:n]
    return [(slug, by_slug[slug]) for slug in unique]


async def get_state(session: AsyncSession, slug: str) -> State:
    state = await repository.state_by_slug(session, slug)
    if state is None:
        suggestions = near_matches(slug, await repository.state_names(session))
        raise NotFound(
            f"There is no State or Union Territory called “{slug}”.",
            suggestions=[(f"/states/{s}", name) for s, name in suggestions],
        )
    return state


async def get_district(session: AsyncSession, state: State, slug: str) -> District:
    district = await repository.district_by_slug(session, state.id, slug)
    if district is None:
        suggestions = near_matches(
            slug, await repository.district_names_in_state(session, state.id)
        )
        raise NotFound(
            f"{state.name} has no district called “{slug}”.",
            suggestions=[(f"/states/{state.slug}/{s}", name) for s, name in suggestions],
        )
    return district


async def district_listings(
    session: AsyncSession, district: District, page_number: int
) -> tuple[list[Listing], Page]:
    page_number = max(1, page_number)
    listings, total = await repository.public_listings_in_district(
        session, district.id, limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE
    )
    return listings, Page(page_number, PAGE_SIZE, total)
