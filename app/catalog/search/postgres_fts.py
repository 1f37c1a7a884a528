"""PostgreSQL: a weighted tsvector (title A, the rest B) with a GIN index.

Documents and queries are analysed in Python (see analysis), so the tsvector and the tsquery are
cast from their text forms: no text-search parser runs, and Devanagari words stay whole whatever
the server's locale.

Typo candidates come from the vocabulary table in SQL: a GiST trigram index (pg_trgm) gives each
query word its nearest terms, and analysis decides which are within the typo budget. So no
process keeps a typo index of the whole vocabulary in memory.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.search import analysis
from app.catalog.search.base import SearchDocument
from app.catalog.search.database import (
    _COLUMNS,
    LIVE,
    DatabaseBackend,
    _row,
    body_terms,
    title_terms,
)

_INDEXED = ("state_slug", "district_key", "gi_slug", "category_slug", "price_paise", "published_at")
# Trigram neighbours fetched per query word. Trigram distance is not edit distance: one typo in a
# short word breaks up to three of its few trigrams, so terms that share a prefix but are several
# edits away can rank above the true neighbour. Over ~1,000 random in-budget typos of terms of
# the 100k-listing benchmark vocabulary and of the reference data, a typo match's worst trigram
# rank was 26 ("barss" -> "brass"), and 50 already gave the in-memory index's exact answers; 100
# leaves room for bigger vocabularies at well under a millisecond of GiST scan per word.
NEAREST_TERMS = 100
_TYPO_CANDIDATES = text(
    "SELECT w.word, t.term, t.df FROM unnest(CAST(:words AS text[])) AS w(word) "
    "CROSS JOIN LATERAL (SELECT term, df FROM search_terms "
    "ORDER BY term <-> w.word LIMIT :nearest) AS t"
)


class PostgresBackend(DatabaseBackend):
    tables = ("search_listings", "search_terms")
    typos_in_memory = False

    async def _table_exists(self, session: AsyncSession, name: str) -> bool:
        return bool(
            await session.scalar(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": name})
        )

    async def _create_tables(
        self, session: AsyncSession, suffix: str, *, indexes: bool = True
    ) -> None:
        token = secrets.token_hex(4)
        await session.execute(
            text(
                f"CREATE TABLE search_listings{suffix} ("
                "listing_id integer NOT NULL, slug text NOT NULL, title text NOT NULL, "
                "district text NOT NULL, district_key text NOT NULL, state text NOT NULL, "
                "state_slug text NOT NULL, gi_name text, gi_slug text, goods_class text, "
                "category text, category_slug text, seller_name text NOT NULL, "
                "seller_type text NOT NULL, price_paise bigint NOT NULL, "
                "export_ready boolean NOT NULL, in_stock boolean NOT NULL, "
                "published_at bigint NOT NULL, thumb_key text, document tsvector NOT NULL, "
                f"CONSTRAINT pk_search_listings_{token} PRIMARY KEY (listing_id))"
            )
        )
        await session.execute(
            text(
                f"CREATE TABLE search_terms{suffix} (term text NOT NULL, df integer NOT NULL, "
                f"CONSTRAINT pk_search_terms_{token} PRIMARY KEY (term))"
            )
        )
        if indexes:
            await self._create_indexes(session, suffix)

    async def _create_indexes(self, session: AsyncSession, suffix: str) -> None:
        token = secrets.token_hex(4)
        await session.execute(
            text(
                f"CREATE INDEX ix_search_{token}_document ON search_listings{suffix} "
                "USING gin (document)"
            )
        )
        for column in _INDEXED:
            await session.execute(
                text(
                    f"CREATE INDEX ix_search_{token}_{column} ON search_listings{suffix} ({column})"
                )
            )
        await self._create_trigram_index(session, suffix, token)
        await session.execute(text(f"ANALYZE search_listings{suffix}"))
        await session.execute(text(f"ANALYZE search_terms{suffix}"))

    async def _create_trigram_index(self, session: AsyncSession, suffix: str, token: str) -> None:
        # GiST rather than GIN: only GiST orders by distance (term <-> word) from the index.
        await session.execute(
            text(
                f"CREATE INDEX ix_search_{token}_term_trgm ON search_terms{suffix} "
                "USING gist (term gist_trgm_ops)"
            )
        )

    async def _has_trigram_index(self, session: AsyncSession) -> bool:
        found = await session.scalar(
            text(
                "SELECT 1 FROM pg_index WHERE indrelid = to_regclass('search_terms') "
                "AND pg_get_indexdef(indexrelid) LIKE '%gist_trgm_ops%'"
            )
        )
        return found is not None

    async def _upgrade_live(self, session: AsyncSession) -> None:
        # A live index built before typo candidates came from pg_trgm lacks the trigram index.
        if await self._has_trigram_index(session):
            return
        # Workers start together: the lock (which conflicts with itself, unlike CREATE INDEX's)
        # makes the others wait for the first one's index instead of building their own.
        await session.execute(text("LOCK TABLE search_terms IN SHARE ROW EXCLUSIVE MODE"))
        if not await self._has_trigram_index(session):
            await self._create_trigram_index(session, LIVE, secrets.token_hex(4))
            await session.execute(text("ANALYZE search_terms"))

    async def _prepare_rebuild(self, session: AsyncSession) -> None:
        # A bulk load (a demo seed, an import) leaves the planner with stale row counts, and the
        # document query then picks nested loops that take seconds per batch.
        await session.execute(text("ANALYZE listings, sellers, listing_images"))

    async def _write(
        self, session: AsyncSession, suffix: str, docs: Sequence[SearchDocument], *, replace: bool
    ) -> None:
        columns = ", ".join(_COLUMNS)
        values = ", ".join(f":{c}" for c in _COLUMNS)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in (*_COLUMNS[1:], "document"))
        conflict = f"DO UPDATE SET {updates}" if replace else "DO NOTHING"
        await session.execute(
            text(
                f"INSERT INTO search_listings{suffix} ({columns}, document) "
                f"VALUES ({values}, CAST(:document AS tsvector)) "
                f"ON CONFLICT (listing_id) {conflict}"
            ),
            [{**_row(d), "document": tsvector_literal(d)} for d in docs],
        )

    async def _delete(self, session: AsyncSession, suffix: str, listing_ids: Sequence[int]) -> None:
        await session.execute(
            text(f"DELETE FROM search_listings{suffix} WHERE listing_id = ANY(:ids)"),
            {"ids": list(listing_ids)},
        )

    async def _insert_terms(
        self, session: AsyncSession, suffix: str, counts: dict[str, int]
    ) -> None:
        if counts:
            await session.execute(
                text(
                    f"INSERT INTO search_terms{suffix} (term, df) VALUES (:t, :n) "
                    "ON CONFLICT (term) DO NOTHING"
                ),
                [{"t": term, "n": n} for term, n in counts.items()],
            )

    async def _typo_matches(
        self, session: AsyncSession, words: list[str], vocabulary: analysis.Vocabulary
    ) -> dict[str, list[str]]:
        candidates: dict[str, dict[str, int]] = {word: {} for word in words}
        rows = await session.execute(_TYPO_CANDIDATES, {"words": words, "nearest": NEAREST_TERMS})
        for word, term, df in rows:
            candidates[word][term] = df
        return {word: analysis.closest_typos(word, found) for word, found in candidates.items()}

    def _match(
        self, groups: list[set[str]], params: dict[str, Any], *, scored: bool, title: bool = False
    ) -> tuple[str, str]:
        params["tsq"] = _tsquery(groups, weight=":A" if title else "")
        terms = {part for group in groups for t in group for part in t.split()}
        params["tsq_any"] = " | ".join(_lexeme(t) for t in sorted(terms))
        # OFFSET 0 keeps the planner from merging the match into the outer query, so the GIN
        # index finds the matches first. Otherwise a price or date sort may walk that column's
        # index and test every row's vector until a page is full: 76 ms instead of 9 ms for
        # "silk" by price at 100,000 listings, where silk is mostly dear.
        return (
            "(SELECT * FROM search_listings WHERE document @@ CAST(:tsq AS tsquery) OFFSET 0) AS d",
            "",
        )

    def _contains(
        self, groups: list[set[str]], params: dict[str, Any], name: str, *, title: bool = False
    ) -> str:
        params[name] = _tsquery(groups, weight=":A" if title else "")
        return f"(d.document @@ CAST(:{name} AS tsquery))"

    def _rank_expression(self) -> str:
        # Words found in the title first (weights {D,C,B,A} = {0,0,0,1} count only the title's
        # A positions; ts_filter would do the same but copies every vector: twice as slow), then
        # the whole document's rank.
        return (
            "ts_rank('{0,0,0,1}', d.document, CAST(:tsq_any AS tsquery)) DESC, "
            "ts_rank(d.document, CAST(:tsq AS tsquery)) DESC"
        )


def _tsquery(groups: list[set[str]], weight: str = "") -> str:
    """AND of ORs; a compound reading ("bidari ware") needs both words. ``weight`` ":A"
    restricts the match to title words."""

    def member(term: str) -> str:
        parts = [_lexeme(p) + weight for p in term.split()]
        return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"

    return " & ".join("(" + " | ".join(member(t) for t in sorted(g)) + ")" for g in groups)


def tsvector_literal(doc: SearchDocument) -> str:
    """The document as tsvector input text: title terms weighted A, the rest B, with positions
    (weights live on positions, so a vector without them would rank every field alike)."""
    positions: dict[str, list[str]] = {}
    position = 0
    for weight, terms in (("A", title_terms(doc)), ("B", body_terms(doc))):
        for term in terms:
            position = min(position + 1, 16383)
            positions.setdefault(term, []).append(f"{position}{weight}")
    return " ".join(f"{_lexeme(term)}:{','.join(p[:255])}" for term, p in positions.items())


def _lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"
