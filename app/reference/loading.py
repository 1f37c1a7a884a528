"""Load the reference data (LGD states and districts, ODOP lists, GI registry) idempotently.

Every row is matched on a natural key (LGD code, or state + slug for districts newer than the
LGD export, and so on), inserted when missing and updated when changed, so loading twice
changes nothing.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.reference import repository
from app.reference.categories import CATEGORIES, classify
from app.reference.models import (
    Category,
    District,
    GiTag,
    GiTagState,
    GoodsClass,
    OdopProduct,
    OdopSource,
    State,
)
from app.text import comparable, slugify

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "data" / "reference"

GOODS_CLASSES = {
    "Handicraft": GoodsClass.HANDICRAFT,
    "Agricultural": GoodsClass.AGRICULTURAL,
    "Food Stuff": GoodsClass.FOODSTUFF,
    "Manufactured": GoodsClass.MANUFACTURED,
    "Natural Goods": GoodsClass.NATURAL,
}


@dataclass
class LoadReport:
    """Per table: how many rows were inserted, updated and left unchanged."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, table: str, outcome: str) -> None:
        self.counts.setdefault(table, Counter())[outcome] += 1

    @property
    def changed(self) -> int:
        return sum(c["inserted"] + c["updated"] for c in self.counts.values())


def read_csv(name: str) -> Iterator[dict[str, str]]:
    with (REFERENCE_DIR / name).open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def _apply(report: LoadReport, table: str, obj: Any, values: dict[str, Any]) -> None:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    report.add(table, "updated" if changed else "unchanged")


async def _upsert(
    session: AsyncSession,
    report: LoadReport,
    existing: dict[Any, Any],
    key: Any,
    model: type[Any],
    values: dict[str, Any],
) -> Any:
    obj = existing.get(key)
    if obj is None:
        obj = model(**values)
        session.add(obj)
        existing[key] = obj
        report.add(model.__tablename__, "inserted")
    else:
        _apply(report, model.__tablename__, obj, values)
    return obj


async def load_reference(session: AsyncSession) -> LoadReport:
    report = LoadReport()
    categories = await _load_categories(session, report)
    states = await _load_states(session, report)
    await session.flush()
    districts = await _load_lgd_districts(session, report, states)
    await session.flush()
    gi_by_state = await _load_gi_tags(session, report, states, categories)
    await session.flush()
    await _load_odop(session, report, states, districts, gi_by_state, categories)
    await session.flush()
    return report


async def _load_categories(session: AsyncSession, report: LoadReport) -> dict[str, Category]:
    existing = {c.slug: c for c in await repository.all_rows(session, Category)}
    for position, category in enumerate(CATEGORIES):
        await _upsert(
            session,
            report,
            existing,
            category.slug,
            Category,
            {
                "slug": category.slug,
                "name": category.name,
                "name_hi": category.name_hi,
                "description": category.description,
                "position": position,
            },
        )
    await session.flush()
    return existing


async def _load_states(session: AsyncSession, report: LoadReport) -> dict[str, State]:
    hindi = {row["state"]: row for row in read_csv("states_hi.csv")}
    existing = {s.lgd_code: s for s in await repository.all_rows(session, State)}
    by_name: dict[str, State] = {}
    seen: set[int] = set()
    for row in read_csv("districts.csv"):
        code = int(row["state_lgd_code"])
        if code in seen:
            continue
        seen.add(code)
        extra = hindi.get(row["state"], {})
        by_name[row["state"]] = await _upsert(
            session,
            report,
            existing,
            code,
            State,
            {
                "lgd_code": code,
                "name": row["state"],
                "name_hi": extra.get("name_hi") or None,
                "slug": slugify(row["state"]),
                "is_union_territory": extra.get("is_union_territory") == "1",
            },
        )
    return by_name


async def _load_lgd_districts(
    session: AsyncSession, report: LoadReport, states: dict[str, State]
) -> dict[tuple[int, str], District]:
    """Returns districts keyed by (state id, slug), which is how pages address them."""
    rows = await repository.all_rows(session, District)
    by_code = {d.lgd_code: d for d in rows if d.lgd_code is not None}
    for row in read_csv("districts.csv"):
        census = row["census_2011_code"]
        await _upsert(
            session,
            report,
            by_code,
            int(row["district_lgd_code"]),
            District,
            {
                "state_id": states[row["state"]].id,
                "lgd_code": int(row["district_lgd_code"]),
                "census_2011_code": int(census) if census else None,
                "name": row["district"],
                "slug": slugify(row["district"]),
            },
        )
    return {(d.state_id, d.slug): d for d in [*rows, *by_code.values()]}


async def _load_gi_tags(
    session: AsyncSession,
    report: LoadReport,
    states: dict[str, State],
    categories: dict[str, Category],
) -> dict[tuple[int, str], GiTag]:
    """Returns GI tags keyed by (state id, comparable name) for linking ODOP products.

    The registry lists 24 early GIs twice (flagged in ``note``); the repeat is skipped.
    """
    existing = {g.slug: g for g in await repository.all_rows(session, GiTag)}
    links = {
        (link.gi_tag_id, link.state_id): link
        for link in await repository.all_rows(session, GiTagState)
    }
    pending_links: list[tuple[GiTag, list[State]]] = []
    for row in read_csv("gi_tags.csv"):
        if row["note"].startswith("name repeats"):
            continue
        goods_class = GOODS_CLASSES[row["category"]]
        gi = await _upsert(
            session,
            report,
            existing,
            slugify(row["name"], max_length=200),
            GiTag,
            {
                "name": row["name"],
                "slug": slugify(row["name"], max_length=200),
                "goods_class": goods_class,
                "goods_class_as_listed": row["category_as_listed"],
                "country": row["country"] or "India",
                "source_serial_no": int(row["source_serial_no"])
                if row["source_serial_no"]
                else None,
                "category_id": categories[classify(row["name"], goods_class)].id,
            },
        )
        names = (
            [row["state"], *filter(None, row["other_states"].split("; "))] if row["state"] else []
        )
        pending_links.append((gi, [states[name] for name in dict.fromkeys(names)]))
    await session.flush()
    by_state_name: dict[tuple[int, str], GiTag] = {}
    for gi, gi_states in pending_links:
        for position, state in enumerate(gi_states):
            await _upsert(
                session,
                report,
                links,
                (gi.id, state.id),
                GiTagState,
                {"gi_tag_id": gi.id, "state_id": state.id, "position": position},
            )
            by_state_name.setdefault((state.id, comparable(gi.name)), gi)
    return by_state_name


async def _load_odop(
    session: AsyncSession,
    report: LoadReport,
    states: dict[str, State],
    districts: dict[tuple[int, str], District],
    gi_by_state: dict[tuple[int, str], GiTag],
    categories: dict[str, Category],
) -> None:
    by_code = {d.lgd_code: d for d in districts.values() if d.lgd_code is not None}
    products = {
        (p.district_id, p.source, p.slug): p
        for p in await repository.all_rows(session, OdopProduct)
    }
    sources = (
        ("odop_products.csv", OdopSource.NATIONAL),
        ("odop_pmfme_partial.csv", OdopSource.PMFME),
    )
    for filename, source in sources:
        for row in read_csv(filename):
            state = states[row["state"]]
            district = await _district_for(session, report, row, state, districts, by_code)
            gi = gi_by_state.get(
                (state.id, comparable(row.get("gi_name_exact_match") or row["product"]))
            )
            slug = slugify(row["product"], max_length=200)
            await _upsert(
                session,
                report,
                products,
                (district.id, source, slug),
                OdopProduct,
                {
                    "district_id": district.id,
                    "source": source,
                    "name": row["product"],
                    "slug": slug,
                    "district_name_as_listed": row["district"],
                    "source_priority": row.get("source_priority") or None,
                    "gi_tag_id": gi.id if gi else None,
                    "category_id": categories[classify(row["product"])].id,
                },
            )


async def _district_for(
    session: AsyncSession,
    report: LoadReport,
    row: dict[str, str],
    state: State,
    districts: dict[tuple[int, str], District],
    by_code: dict[int, District],
) -> District:
    if row["district_lgd_code"]:
        return by_code[int(row["district_lgd_code"])]
    # A district created after the LGD export: kept without a code, addressed by its own name.
    slug = slugify(row["district"])
    district = districts.get((state.id, slug))
    if district is None:
        district = District(state_id=state.id, lgd_code=None, name=row["district"], slug=slug)
        session.add(district)
        await session.flush()
        districts[(state.id, slug)] = district
        report.add("districts", "inserted")
    elif district.lgd_code is None:
        report.add("districts", "unchanged")
    return district
