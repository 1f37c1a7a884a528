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
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.catalog.search import analysis
from app.catalog.search.base import SearchDocument
from app.catalog.search.database import (
    _COLUMNS,
    COMBINATION_COLUMNS,
    LIVE,
    DatabaseBackend,
    TierRank,
    _row,
    body_terms,
    combination,
    title_terms,
)

_INDEXED = ("facet_key", "price_paise")
# The newest first (browsing, the default of an empty query) straight from an index: ties on
# the date are ordered by id.
_NEWEST_INDEX = "(published_at, listing_id)"
# The title's words alone (weight A), indexed as an expression: a title match ("product" is in
# every description, "food" in 40,000 category names) is then found by this index instead of by
# testing the weights of every document that has the word anywhere.
TITLE_VECTOR = "ts_filter(document, '{a}')"
# Trigram neighbours fetched per query word. Trigram distance is not edit distance: one typo in a
# short word breaks up to three of its few trigrams, so terms that share a prefix but are several
# edits away can rank above the true neighbour. Over ~1,000 random in-budget typos of terms of
# the 100k-listing benchmark vocabulary and of the reference data, a typo match's worst trigram
# rank was 26 ("barss" -> "brass"), and 50 already gave the in-memory index's exact answers; 100
# leaves room for bigger vocabularies at well under a millisecond of GiST scan per word.
NEAREST_TERMS = 100
# A vocabulary of fewer terms than this (1,602 at 100,000 demo listings) is scanned in this
# process instead (the term list is held for prefixes anyway): 0.07 ms for a word against a
# round trip and 0.4 ms of the server's time, and no in-budget term is missed.
SCANNED_TYPO_TERMS = 10_000
# The newest candidates of words in more listings than this are found by sorting ids, not whole
# rows (which spill to disk beyond a few thousand); of words in at least DENSE_SHARE of all
# listings, by the planner's choice (see _match).
NARROW_CANDIDATES = 3_000
DENSE_SHARE = 0.5
# The newest title matches of a one-word query (its forms, typos and synonyms) come from
# ``search_title_terms``, one row per (title term, listing), read backwards along its primary key:
# at most TOP_BUCKET_CANDIDATES index entries per term instead of every title match's heap row
# ("rice", in 4,800 titles: 7.8 -> 0.4 ms to find its newest 500).
_TITLE_TERMS_FROM = (
    "SELECT t.lexeme, s.listing_id FROM search_listings{suffix} s "
    "CROSS JOIN LATERAL unnest(ts_filter(s.document, '{{a}}')) AS t"
)
# The document where no index may serve the test (a planner cannot see through coalesce).
_UNINDEXED = "coalesce(document, ''::tsvector)"
_TYPO_CANDIDATES = text(
    "SELECT w.word, t.term, t.df FROM unnest(CAST(:words AS text[])) AS w(word) "
    "CROSS JOIN LATERAL (SELECT term, df FROM search_terms "
    "ORDER BY term <-> w.word LIMIT :nearest) AS t"
)


class PostgresBackend(DatabaseBackend):
    tables = ("search_listings", "search_listings_facets", "search_terms", "search_title_terms")
    typos_in_memory = False
    # The tier's keys computed once: as a semi-join the planner may loop over the keys and scan
    # the GIN index for each of them (52 times for the districts of Odisha).
    facet_keys_in = "d.facet_key = ANY(ARRAY({}))"

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
                "published_at bigint NOT NULL, thumb_key text, facet_key integer NOT NULL, "
                "document tsvector NOT NULL, "
                f"CONSTRAINT pk_search_listings_{token} PRIMARY KEY (listing_id))"
            )
        )
        combination_columns = ", ".join(f"{c} text" for c in COMBINATION_COLUMNS)
        await session.execute(
            text(
                f"CREATE TABLE search_listings_facets{suffix} ("
                "facet_key integer GENERATED BY DEFAULT AS IDENTITY, combination text NOT NULL, "
                f"{combination_columns}, "
                f"CONSTRAINT pk_search_listings_facets_{token} PRIMARY KEY (facet_key), "
                f"CONSTRAINT uq_search_listings_facets_{token} UNIQUE (combination))"
            )
        )
        await session.execute(
            text(
                f"CREATE TABLE search_terms{suffix} (term text NOT NULL, df integer NOT NULL, "
                f"CONSTRAINT pk_search_terms_{token} PRIMARY KEY (term))"
            )
        )
        await self._create_title_terms(session, suffix, token)
        if indexes:
            await self._create_indexes(session, suffix)

    async def _create_title_terms(self, session: AsyncSession, suffix: str, token: str) -> None:
        """The title terms of each listing (the lexemes of its tsvector's weight A), kept by
        _write and _delete beside the rows: the newest listings with a title word are then an
        index range, not a scan of every title match."""
        await session.execute(
            text(
                f"CREATE TABLE search_title_terms{suffix} (term text NOT NULL, "
                "listing_id integer NOT NULL, "
                f"CONSTRAINT pk_search_title_terms_{token} PRIMARY KEY (term, listing_id))"
            )
        )
        await session.execute(
            text(
                f"CREATE INDEX ix_search_{token}_title_terms_listing "
                f"ON search_title_terms{suffix} (listing_id)"
            )
        )

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
        await self._create_listing_indexes(session, suffix, token)
        await self._create_trigram_index(session, suffix, token)
        await session.execute(text(f"ANALYZE search_listings{suffix}"))
        await session.execute(text(f"ANALYZE search_terms{suffix}"))
        await session.execute(text(f"ANALYZE search_title_terms{suffix}"))

    async def _create_trigram_index(self, session: AsyncSession, suffix: str, token: str) -> None:
        # GiST rather than GIN: only GiST orders by distance (term <-> word) from the index.
        await session.execute(
            text(
                f"CREATE INDEX ix_search_{token}_term_trgm ON search_terms{suffix} "
                "USING gist (term gist_trgm_ops)"
            )
        )

    async def _create_listing_indexes(self, session: AsyncSession, suffix: str, token: str) -> None:
        await session.execute(
            text(
                f"CREATE INDEX ix_search_{token}_title ON search_listings{suffix} "
                f"USING gin (({TITLE_VECTOR}))"
            )
        )
        await session.execute(
            text(
                f"CREATE INDEX ix_search_{token}_newest ON search_listings{suffix} {_NEWEST_INDEX}"
            )
        )

    async def _has_trigram_index(self, session: AsyncSession) -> bool:
        return await self._has_index(session, "search_terms", "%gist_trgm_ops%")

    async def _has_listing_indexes(self, session: AsyncSession) -> bool:
        return await self._has_index(session, "search_listings", "%ts_filter%")

    async def _after_rebuild(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        # Index-only scans of the title terms need the visibility map, which a new table gets
        # from VACUUM (autovacuum does it later, if it runs). VACUUM runs outside a transaction:
        # not possible for sessions bound to a connection inside one (the tests'), which keep
        # index scans with heap reads.
        engine = session_factory.kw.get("bind")
        if isinstance(engine, AsyncEngine):
            autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
            async with autocommit.connect() as connection:
                await connection.execute(text("VACUUM (ANALYZE) search_title_terms"))

    async def _has_index(self, session: AsyncSession, table: str, definition: str) -> bool:
        found = await session.scalar(
            text(
                "SELECT 1 FROM pg_index WHERE indrelid = to_regclass(:table) "
                "AND pg_get_indexdef(indexrelid) LIKE :definition"
            ),
            {"table": table, "definition": definition},
        )
        return found is not None

    async def _upgrade_live(self, session: AsyncSession) -> None:
        # A live index built by an older release lacks the trigram index (typo candidates from
        # pg_trgm), the title terms or the title and newest-first indexes. Workers start
        # together: the lock (which conflicts with itself, unlike CREATE INDEX's) makes the others
        # wait for the first one's index instead of building their own.
        if not await self._has_trigram_index(session):
            await session.execute(text("LOCK TABLE search_terms IN SHARE ROW EXCLUSIVE MODE"))
            if not await self._has_trigram_index(session):
                await self._create_trigram_index(session, LIVE, secrets.token_hex(4))
                await session.execute(text("ANALYZE search_terms"))
        if not await self._table_exists(session, "search_title_terms"):
            await session.execute(text("LOCK TABLE search_listings IN SHARE ROW EXCLUSIVE MODE"))
            if not await self._table_exists(session, "search_title_terms"):
                await self._create_title_terms(session, LIVE, secrets.token_hex(4))
                await session.execute(
                    text(
                        "INSERT INTO search_title_terms (term, listing_id) "
                        + _TITLE_TERMS_FROM.format(suffix=LIVE)
                    )
                )
                await session.execute(text("ANALYZE search_title_terms"))
        if not await self._has_listing_indexes(session):
            await session.execute(text("LOCK TABLE search_listings IN SHARE ROW EXCLUSIVE MODE"))
            if not await self._has_listing_indexes(session):
                await self._create_listing_indexes(session, LIVE, secrets.token_hex(4))
                await session.execute(text("ANALYZE search_listings"))

    async def _prepare_rebuild(self, session: AsyncSession) -> None:
        # A bulk load (a demo seed, an import) leaves the planner with stale row counts, and the
        # document query then picks nested loops that take seconds per batch.
        await session.execute(text("ANALYZE listings, sellers, listing_images"))

    async def _write(
        self, session: AsyncSession, suffix: str, docs: Sequence[SearchDocument], *, replace: bool
    ) -> None:
        columns = ", ".join(_COLUMNS)
        values = ", ".join(f":{c}" for c in _COLUMNS)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in (*_COLUMNS[1:], "facet_key", "document"))
        conflict = f"DO UPDATE SET {updates}" if replace else "DO NOTHING"
        keys = await self._facet_keys(session, suffix, docs)
        await session.execute(
            text(
                f"INSERT INTO search_listings{suffix} ({columns}, facet_key, document) "
                f"VALUES ({values}, :facet_key, CAST(:document AS tsvector)) "
                f"ON CONFLICT (listing_id) {conflict}"
            ),
            [
                {**_row(d), "facet_key": keys[combination(d)], "document": tsvector_literal(d)}
                for d in docs
            ],
        )
        ids = [d.listing_id for d in docs]
        if replace:
            await session.execute(
                text(f"DELETE FROM search_title_terms{suffix} WHERE listing_id = ANY(:ids)"),
                {"ids": ids},
            )
        # From the rows as they are now (a rebuild keeps rows that sync jobs wrote meanwhile).
        await session.execute(
            text(
                f"INSERT INTO search_title_terms{suffix} (term, listing_id) "
                f"{_TITLE_TERMS_FROM.format(suffix=suffix)} WHERE s.listing_id = ANY(:ids) "
                "ON CONFLICT DO NOTHING"
            ),
            {"ids": ids},
        )

    async def _delete(self, session: AsyncSession, suffix: str, listing_ids: Sequence[int]) -> None:
        for table in ("search_listings", "search_title_terms"):
            await session.execute(
                text(f"DELETE FROM {table}{suffix} WHERE listing_id = ANY(:ids)"),
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
        if len(vocabulary) < SCANNED_TYPO_TERMS:
            return {word: vocabulary.scanned_typo_matches(word) for word in words}
        candidates: dict[str, dict[str, int]] = {word: {} for word in words}
        rows = await session.execute(_TYPO_CANDIDATES, {"words": words, "nearest": NEAREST_TERMS})
        for word, term, df in rows:
            candidates[word][term] = df
        return {word: analysis.closest_typos(word, found) for word, found in candidates.items()}

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
        # The rank counts title positions only for a title match; the match itself tests the
        # title vector (indexed) with plain words.
        params["tsq"] = _tsquery(groups, weight=":A" if title else "")
        params["tsq_match"] = _tsquery(groups)
        terms = {part for group in groups for t in group for part in t.split()}
        params["tsq_any"] = " | ".join(_lexeme(t) for t in sorted(terms))
        vector = TITLE_VECTOR if title else "document"
        condition = f"{vector} @@ CAST(:tsq_match AS tsquery)"
        if capped and not title and self._dense(groups):
            # The facet pass of a word in most listings: its first :cap matches are the first
            # rows of the table, tested one by one. A generic plan (a statement's sixth run)
            # guesses a few hundred matches for any word and would build the GIN index's bitmap
            # of all of them first: 6-8 ms for "product" against 1-2 ms. (Not for title matches:
            # the vocabulary counts a word's listings, not its titles; "food" is in most
            # listings and 1% of titles.)
            condition = f"{_UNINDEXED} @@ CAST(:tsq_match AS tsquery)"
        # OFFSET 0 keeps the planner from merging the match into the outer query, so the GIN
        # index finds the matches first. Otherwise a price or date sort may walk that column's
        # index and test every row's vector until a page is full: 76 ms instead of 9 ms for
        # "silk" by price at 100,000 listings, where silk is mostly dear.
        matches = f"SELECT * FROM search_listings WHERE {condition} OFFSET 0"
        if candidates is not None:
            # Outside the fence, or the planner walks the primary key backwards testing vectors.
            params["candidates"] = candidates
            at_most = self._groups_match_at_most(groups)
            if title and len(groups) == 1 and not any(" " in t for t in groups[0]):
                # One word's forms: the newest of each form's title listings, from the index.
                params["title_terms"] = sorted(groups[0])
                matches = (
                    "SELECT s.* FROM (SELECT DISTINCT p.listing_id "
                    "FROM unnest(CAST(:title_terms AS text[])) AS w(term) CROSS JOIN LATERAL "
                    "(SELECT listing_id FROM search_title_terms WHERE term = w.term "
                    "ORDER BY listing_id DESC LIMIT :candidates) AS p "
                    "ORDER BY p.listing_id DESC LIMIT :candidates) AS m "
                    "JOIN search_listings s ON s.listing_id = m.listing_id"
                )
            elif at_most <= NARROW_CANDIDATES:
                matches = (
                    f"SELECT * FROM ({matches}) AS m ORDER BY listing_id DESC LIMIT :candidates"
                )
            elif at_most < self._documents() * DENSE_SHARE:
                # Thousands of whole rows (vectors included) would be sorted on disk to find
                # the newest: sort their ids alone, then read those rows ("based": 33 -> 21 ms).
                matches = (
                    "SELECT s.* FROM (SELECT listing_id FROM (SELECT listing_id FROM "
                    f"search_listings WHERE {condition} OFFSET 0) AS f "
                    "ORDER BY listing_id DESC LIMIT :candidates) AS m "
                    "JOIN search_listings s ON s.listing_id = m.listing_id"
                )
            else:
                # A word in most listings ("product", "made"): without the fence the planner,
                # from the title index's statistics, walks the primary key backwards testing
                # titles when they are dense ("product": 45 ms instead of 180), or sorts the ids
                # of sparse ones. (For a word in a few percent of titles that walk is slow, so
                # only words in most listings get this form.)
                matches = (
                    "SELECT s.* FROM (SELECT listing_id FROM search_listings "
                    f"WHERE {condition} ORDER BY listing_id DESC LIMIT :candidates) AS m "
                    "JOIN search_listings s ON s.listing_id = m.listing_id"
                )
        return f"({matches}) AS d", ""

    def _dense(self, groups: list[set[str]]) -> bool:
        """The words may match at least DENSE_SHARE of all listings (by the vocabulary)."""
        documents = self._documents()
        return documents > 0 and self._groups_match_at_most(groups) >= documents * DENSE_SHARE

    async def _tier_rows(
        self,
        session: AsyncSession,
        rank: TierRank,
        conditions: list[str],
        params: dict[str, Any],
        limit: int,
    ) -> list[Any] | None:
        # No fence here: the planner finds the tier's few listings by the facet key's index and
        # tests their vectors, or intersects that with the GIN index's matches.
        params["tier_match"] = _tsquery(rank.match)
        # Scored as the full query scores them: by every form of the words.
        params["tsq"] = _tsquery(rank.every, weight=":A" if rank.title_only else "")
        terms = {part for group in rank.every for t in group for part in t.split()}
        params["tsq_any"] = " | ".join(_lexeme(t) for t in sorted(terms))
        vector = "ts_filter(d.document, '{a}')" if rank.title_only else "d.document"
        order = [f"{self._contains(rank.every, params, 'rank_title', title=True)} DESC"]
        if rank.weak:
            order.append(f"{self._contains(rank.weak, params, 'rank_optional')} DESC")
        if rank.direct:
            order.append(f"{self._contains(rank.direct, params, 'rank_direct', title=True)} DESC")
        order.append(self._rank_expression())
        match = f"{vector} @@ CAST(:tier_match AS tsquery)"
        if self._dense(rank.match):
            # A word in most listings: the tier's rows (found by their facet keys) are tested
            # one by one (a title match by the weighted query, which does not copy the vector
            # as ts_filter does); the GIN index would list every listing ("product": 2-6 ms).
            # A tier is one place's listings, so this is bounded even for a word in few titles.
            params["tier_match"] = _tsquery(rank.match, weight=":A" if rank.title_only else "")
            match = (
                f"{_UNINDEXED.replace('document', 'd.document')} @@ CAST(:tier_match AS tsquery)"
            )
        where = " AND ".join([match, *conditions])
        return await self._page(
            session,
            "search_listings d",
            f"WHERE {where}",
            ", ".join(order),
            params,
            limit=limit,
            offset=0,
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
