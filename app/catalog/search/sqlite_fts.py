"""SQLite: an FTS5 table (ASCII tokenizer over pre-analysed terms, so Devanagari stays whole).

Queries match, filter, sort and count facets over ``search_listings_filters``, a narrow table of
the filter and sort columns and the facet key (a few bytes a listing, so a broad word's thousands
of matches are read quickly), and read the wide display rows of ``search_listings`` only for the
page of hits."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.search.base import SearchDocument
from app.catalog.search.database import (
    _COLUMNS,
    _HIT_COLUMNS,
    COMBINATION_COLUMNS,
    DatabaseBackend,
    _row,
    body_terms,
    combination,
    title_terms,
)

_INDEXED = ("facet_key", "price_paise", "published_at")  # of search_listings_filters
_FILTER_COLUMNS = (
    "listing_id",
    "facet_key",
    "price_paise",
    "published_at",
    "export_ready",
    "in_stock",
)


class SqliteBackend(DatabaseBackend):
    tables = (
        "search_listings",
        "search_listings_fts",
        "search_listings_filters",
        "search_listings_facets",
        "search_terms",
    )
    rows_table = "search_listings_filters"

    async def _table_exists(self, session: AsyncSession, name: str) -> bool:
        found = await session.scalar(
            text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
            {"name": name},
        )
        return found is not None

    async def _create_tables(
        self, session: AsyncSession, suffix: str, *, indexes: bool = True
    ) -> None:
        await session.execute(
            text(
                f"CREATE TABLE search_listings{suffix} ("
                "listing_id INTEGER PRIMARY KEY, slug TEXT NOT NULL, title TEXT NOT NULL, "
                "district TEXT NOT NULL, district_key TEXT NOT NULL, state TEXT NOT NULL, "
                "state_slug TEXT NOT NULL, gi_name TEXT, gi_slug TEXT, goods_class TEXT, "
                "category TEXT, category_slug TEXT, seller_name TEXT NOT NULL, "
                "seller_type TEXT NOT NULL, price_paise INTEGER NOT NULL, "
                "export_ready BOOLEAN NOT NULL, in_stock BOOLEAN NOT NULL, "
                "published_at INTEGER NOT NULL, thumb_key TEXT)"
            )
        )
        await session.execute(
            text(
                f"CREATE VIRTUAL TABLE search_listings_fts{suffix} "
                "USING fts5(title, body, tokenize = 'ascii')"
            )
        )
        await session.execute(
            text(
                f"CREATE TABLE search_listings_filters{suffix} ("
                "listing_id INTEGER PRIMARY KEY, facet_key INTEGER NOT NULL, "
                "price_paise INTEGER NOT NULL, published_at INTEGER NOT NULL, "
                "export_ready BOOLEAN NOT NULL, in_stock BOOLEAN NOT NULL)"
            )
        )
        combination_columns = ", ".join(f"{c} TEXT" for c in COMBINATION_COLUMNS)
        await session.execute(
            text(
                f"CREATE TABLE search_listings_facets{suffix} (facet_key INTEGER PRIMARY KEY, "
                f"combination TEXT NOT NULL UNIQUE, {combination_columns})"
            )
        )
        await session.execute(
            text(
                f"CREATE TABLE search_terms{suffix} (term TEXT PRIMARY KEY, df INTEGER NOT NULL) "
                "WITHOUT ROWID"
            )
        )
        if indexes:
            await self._create_indexes(session, suffix)

    async def _create_indexes(self, session: AsyncSession, suffix: str) -> None:
        # Index names must not follow the table through the rename, so each build has its own.
        token = secrets.token_hex(4)
        for column in _INDEXED:
            await session.execute(
                text(
                    f"CREATE INDEX ix_search_{token}_{column} "
                    f"ON search_listings_filters{suffix} ({column})"
                )
            )

    async def _write(
        self, session: AsyncSession, suffix: str, docs: Sequence[SearchDocument], *, replace: bool
    ) -> None:
        ids = [d.listing_id for d in docs]
        if replace:
            await self._delete(session, suffix, ids)
        else:
            existing = set(
                await session.scalars(
                    text(
                        f"SELECT listing_id FROM search_listings{suffix} "
                        "WHERE listing_id IN (SELECT value FROM json_each(:ids))"
                    ),
                    {"ids": _json_ids(ids)},
                )
            )
            docs = [d for d in docs if d.listing_id not in existing]
            if not docs:
                return
        columns = ", ".join(_COLUMNS)
        values = ", ".join(f":{c}" for c in _COLUMNS)
        rows = [_row(d) for d in docs]
        await session.execute(
            text(f"INSERT INTO search_listings{suffix} ({columns}) VALUES ({values})"), rows
        )
        keys = await self._facet_keys(session, suffix, docs)
        for row, doc in zip(rows, docs, strict=True):
            row["facet_key"] = keys[combination(doc)]
        await session.execute(
            text(
                f"INSERT INTO search_listings_filters{suffix} ({', '.join(_FILTER_COLUMNS)}) "
                f"VALUES ({', '.join(f':{c}' for c in _FILTER_COLUMNS)})"
            ),
            rows,
        )
        await session.execute(
            text(
                f"INSERT INTO search_listings_fts{suffix} (rowid, title, body) "
                "VALUES (:id, :title, :body)"
            ),
            [
                {
                    "id": d.listing_id,
                    "title": " ".join(title_terms(d)),
                    "body": " ".join(body_terms(d)),
                }
                for d in docs
            ],
        )

    async def _delete(self, session: AsyncSession, suffix: str, listing_ids: Sequence[int]) -> None:
        params = {"ids": _json_ids(listing_ids)}
        for table, key in (
            ("search_listings", "listing_id"),
            ("search_listings_filters", "listing_id"),
            ("search_listings_fts", "rowid"),
        ):
            await session.execute(
                text(
                    f"DELETE FROM {table}{suffix} "
                    f"WHERE {key} IN (SELECT value FROM json_each(:ids))"
                ),
                params,
            )

    async def _insert_terms(
        self, session: AsyncSession, suffix: str, counts: dict[str, int]
    ) -> None:
        if counts:
            await session.execute(
                text(f"INSERT OR IGNORE INTO search_terms{suffix} (term, df) VALUES (:t, :n)"),
                [{"t": term, "n": n} for term, n in counts.items()],
            )

    def _match(
        self,
        groups: list[set[str]],
        params: dict[str, Any],
        *,
        scored: bool,
        title: bool = False,
        bare: bool = False,
        candidates: int | None = None,
    ) -> tuple[str, str]:
        query = _fts_query(groups)
        params["match"] = f"{{title}} : ({query})" if title else query
        score = "bm25(search_listings_fts, 8.0, 1.0)" if scored else "0"
        if bare:
            # The full-text table alone: no join for columns nobody reads.
            bound = "LIMIT 1000000"
            if candidates is not None:
                params["candidates"] = candidates
                bound = "ORDER BY rowid DESC LIMIT :candidates"
            return (
                f"(SELECT rowid AS listing_id, {score} AS score FROM search_listings_fts "
                f"WHERE search_listings_fts MATCH :match {bound}) AS d",
                "",
            )
        # The LIMIT keeps SQLite from flattening the subquery, so the full-text match runs first
        # and filters apply to its rows; otherwise the planner may walk a filter's index and
        # probe the FTS table once per row (hundreds of milliseconds for a big state).
        return (
            f"(SELECT rowid AS id, {score} AS score "
            "FROM search_listings_fts WHERE search_listings_fts MATCH :match "
            "LIMIT 1000000) AS m JOIN search_listings_filters d ON d.listing_id = m.id",
            "",
        )

    def _rank_expression(self) -> str:
        return "score"  # the match's column, whether it is joined to d or is d

    async def _page(
        self,
        session: AsyncSession,
        source: str,
        where: str,
        order: str,
        params: dict[str, Any],
        *,
        limit: int,
        offset: int,
    ) -> list[Any]:
        # Ordering only ids keeps the sort's rows narrow; the display rows are read for the page.
        ids = list(
            await session.scalars(
                text(
                    f"SELECT d.listing_id FROM {source} {where} "
                    f"ORDER BY {order}, d.listing_id DESC LIMIT :limit OFFSET :offset"
                ),
                {**params, "limit": limit, "offset": offset},
            )
        )
        if not ids:
            return []
        rows = await session.execute(
            text(
                f"SELECT {_HIT_COLUMNS} FROM search_listings d "
                "WHERE d.listing_id IN (SELECT value FROM json_each(:ids))"
            ),
            {"ids": _json_ids(ids)},
        )
        by_id = {row.listing_id: row for row in rows}
        return [by_id[i] for i in ids]

    def _contains(
        self, groups: list[set[str]], params: dict[str, Any], name: str, *, title: bool = False
    ) -> str:
        query = _fts_query(groups)
        params[name] = f"{{title}} : ({query})" if title else query
        return (
            f"(d.listing_id IN (SELECT rowid FROM search_listings_fts "
            f"WHERE search_listings_fts MATCH :{name}))"
        )


def _member(term: str) -> str:
    # Terms hold only [0-9a-z] and Devanagari (see analysis), so quoting them is enough to keep
    # FTS5 syntax out of anything a user typed. A compound reading needs both its words.
    parts = term.split()
    return f'"{parts[0]}"' if len(parts) == 1 else "(" + " AND ".join(f'"{p}"' for p in parts) + ")"


def _fts_query(groups: list[set[str]]) -> str:
    return " AND ".join(
        "(" + " OR ".join(_member(t) for t in sorted(group)) + ")" for group in groups
    )


def _json_ids(ids: Sequence[int]) -> str:
    return "[" + ",".join(str(int(i)) for i in ids) + "]"
