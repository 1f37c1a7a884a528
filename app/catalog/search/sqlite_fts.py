"""SQLite: an FTS5 table (ASCII tokenizer over pre-analysed terms, so Devanagari stays whole)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.search.base import SearchDocument
from app.catalog.search.database import (
    _COLUMNS,
    DatabaseBackend,
    _row,
    body_terms,
    title_terms,
)

_INDEXED = ("state_slug", "district_key", "gi_slug", "category_slug", "price_paise", "published_at")


class SqliteBackend(DatabaseBackend):
    tables = ("search_listings", "search_listings_fts", "search_terms")

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
                    f"CREATE INDEX ix_search_{token}_{column} ON search_listings{suffix} ({column})"
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
        await session.execute(
            text(f"INSERT INTO search_listings{suffix} ({columns}) VALUES ({values})"),
            [_row(d) for d in docs],
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
        for table, key in (("search_listings", "listing_id"), ("search_listings_fts", "rowid")):
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
        self, groups: list[set[str]], params: dict[str, Any], *, scored: bool, title: bool = False
    ) -> tuple[str, str]:
        query = _fts_query(groups)
        params["match"] = f"{{title}} : ({query})" if title else query
        score = "bm25(search_listings_fts, 8.0, 1.0)" if scored else "0"
        # The LIMIT keeps SQLite from flattening the subquery, so the full-text match runs first
        # and filters apply to its rows; otherwise the planner may walk a filter's index and
        # probe the FTS table once per row (hundreds of milliseconds for a big state).
        return (
            f"(SELECT rowid AS id, {score} AS score "
            "FROM search_listings_fts WHERE search_listings_fts MATCH :match "
            "LIMIT 1000000) AS m JOIN search_listings d ON d.listing_id = m.id",
            "",
        )

    def _rank_expression(self) -> str:
        return "m.score"

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
