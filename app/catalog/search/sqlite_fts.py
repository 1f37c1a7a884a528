"""SQLite: an FTS5 table (ASCII tokenizer over pre-analysed terms, so Devanagari stays whole).

Queries match, filter, sort and count facets over ``search_listings_filters``, a narrow table of
the filter and sort columns and the facet key (a few bytes a listing, so a broad word's thousands
of matches are read quickly), and read the wide display rows of ``search_listings`` only for the
page of hits."""

from __future__ import annotations

import math
import secrets
from collections import Counter
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
    TierRank,
    _row,
    body_terms,
    combination,
    title_terms,
)

_INDEXED = ("facet_key", "price_paise", "published_at")  # of search_listings_filters
# A place tier of at least this many listings is ranked by SQL, as is one with at least
# TIER_CANDIDATES matches.
TIER_SCAN = 20_000
TIER_CANDIDATES = 2_000
# Testing one listing against the full-text index costs about as much as reading this many
# entries of a word's matches.
SEEK_COST = 130
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
        capped: bool = False,
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
        # Capped (the facet pass of a query without filters): SQLite materialises the match
        # before the join, so the cap goes inside or a broad word reads all of its matches.
        bound = ":cap" if capped else "1000000"
        return (
            f"(SELECT rowid AS id, {score} AS score "
            "FROM search_listings_fts WHERE search_listings_fts MATCH :match "
            f"LIMIT {bound}) AS m JOIN search_listings_filters d ON d.listing_id = m.id",
            "",
        )

    def _rank_expression(self) -> str:
        return "score"  # the match's column, whether it is joined to d or is d

    async def _tier_rows(
        self,
        session: AsyncSession,
        rank: TierRank,
        conditions: list[str],
        params: dict[str, Any],
        limit: int,
    ) -> list[Any] | None:
        """The tier's matches are found by their facet keys and ranked here, in Python.

        FTS5's bm25() counts each query term's documents again for every statement, and cannot
        be limited to a few rows: ordering even a district's 130 listings by it scores every
        match of the words (70 ms for "product" at 100,000 listings). The tier's rows and terms
        are read by id instead, and ranked by the same keys with the same bm25 formula (term
        document frequencies from the vocabulary, FTS5's column weights and averages)."""
        query = _fts_query(rank.match)
        params["match"] = f"{{title}} : ({query})" if rank.title_only else query
        where = " AND ".join(conditions)
        params["tier_scan"] = TIER_SCAN
        size = int(
            await session.scalar(
                text(
                    "SELECT count(*) FROM (SELECT 1 FROM search_listings_filters d "
                    f"WHERE {where} LIMIT :tier_scan)"
                ),
                params,
            )
            or 0
        )
        lexicon = self._lexicon
        if lexicon is None or size >= TIER_SCAN:
            return None
        frequencies = lexicon.vocabulary.frequencies
        matches = min(sum(frequencies.get(t.split()[0], 0) for t in group) for group in rank.match)
        # A few listings are tested one by one against the full-text index (a seek per
        # listing); for more, the words' matches are read once.
        if size * SEEK_COST < matches:
            member = (
                "EXISTS (SELECT 1 FROM search_listings_fts "
                "WHERE search_listings_fts MATCH :match AND rowid = d.listing_id)"
            )
        else:
            member = (
                "d.listing_id IN (SELECT rowid FROM search_listings_fts "
                "WHERE search_listings_fts MATCH :match)"
            )
        params["tier_candidates"] = TIER_CANDIDATES
        # The matches' indexed terms and display rows in one statement (read by id).
        found: list[Any] = list(
            await session.execute(
                text(
                    f"SELECT {_HIT_COLUMNS}, t.title AS terms_title, t.body AS terms_body "
                    "FROM (SELECT d.listing_id FROM search_listings_filters d "
                    f"WHERE {where} AND {member} LIMIT :tier_candidates) AS m "
                    "JOIN search_listings_fts t ON t.rowid = m.listing_id "
                    "JOIN search_listings d ON d.listing_id = m.listing_id"
                ),
                params,
            )
        )
        if len(found) >= TIER_CANDIDATES:
            return None
        scorer = _TierScorer(rank, frequencies, *await self._fts_stats(session))
        found.sort(key=lambda row: scorer.key(row.listing_id, row.terms_title, row.terms_body))
        return found[:limit]

    async def _fts_stats(self, session: AsyncSession) -> tuple[int, float]:
        """FTS5's row count and average tokens per row (its "averages" record), as bm25() uses
        them; read at most once per vocabulary load."""
        lexicon = self._lexicon
        if lexicon is not None and lexicon.extra.get("fts_stats"):
            return lexicon.extra["fts_stats"]  # type: ignore[no-any-return]
        block = await session.scalar(
            text("SELECT block FROM search_listings_fts_data WHERE id = 1")
        )
        rows, average = 0, 1.0
        if block:
            values = _varints(bytes(block))
            if values and values[0]:
                rows = values[0]
                average = max(sum(values[1:]) / rows, 1.0)
        if lexicon is not None:
            lexicon.extra["fts_stats"] = (rows, average)
        return rows, average

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


class _TierScorer:
    """The relevance keys of one listing of a place tier, computed from its indexed terms: the
    same keys as DatabaseBackend._rank's after the place, and FTS5's bm25 (k1 1.2, b 0.75,
    title weight 8; each term of the match query is a phrase)."""

    def __init__(
        self, rank: TierRank, frequencies: dict[str, int], rows: int, average: float
    ) -> None:
        self.rank = rank
        # Scored as the full query scores them: by every form of the words.
        phrases = sorted({part for group in rank.every for t in group for part in t.split()})
        self.idf = {}
        for phrase in phrases:
            hits = frequencies.get(phrase, 0)
            idf = math.log((rows - hits + 0.5) / (hits + 0.5)) if rows else 0.0
            self.idf[phrase] = idf if idf > 0 else 1e-6
        self.average = average

    @staticmethod
    def _has(terms: set[str], groups: list[set[str]]) -> bool:
        return all(any(set(t.split()) <= terms for t in group) for group in groups)

    def key(self, rowid: int, title: str, body: str) -> tuple[bool, bool, bool, float, int]:
        title_terms, body_terms = title.split(), body.split()
        in_title = set(title_terms)
        everywhere = in_title | set(body_terms)
        rank = self.rank
        length = len(title_terms) + len(body_terms)
        norm = 1.2 * (1 - 0.75 + 0.75 * length / self.average)
        title_counts = Counter(title_terms)
        body_counts = Counter(body_terms) if not rank.title_only else Counter[str]()
        score = 0.0
        for phrase, idf in self.idf.items():
            frequency = 8.0 * title_counts[phrase] + body_counts[phrase]
            if frequency:
                score += idf * frequency * 2.2 / (frequency + norm)
        return (
            not self._has(in_title, rank.every),
            bool(rank.weak) and not self._has(everywhere, rank.weak),
            rank.direct is not None and not self._has(in_title, rank.direct),
            -score,
            -int(rowid),
        )


def _varints(data: bytes) -> list[int]:
    """SQLite's variable-length integers, one after another."""
    values, i = [], 0
    while i < len(data):
        value = 0
        for n in range(9):
            byte = data[i]
            i += 1
            if n == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                break
        values.append(value)
    return values


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
