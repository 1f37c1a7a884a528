"""The embedded database backend: SQLite FTS5 or PostgreSQL full text, behind one query planner.

The backend owns three derived tables: ``search_listings`` (one denormalised row per searchable
listing: display, filter and sort columns), its full-text index (an FTS5 table on SQLite, a
weighted ``tsvector`` with a GIN index on PostgreSQL) and ``search_terms`` (the vocabulary of
indexed terms, for typo tolerance and prefixes; with a trigram index on PostgreSQL). A reindex
builds ``*_new`` copies and renames them over the live ones in one transaction, so searches never
see a half-built index.

A search is two statements whatever the query: the page of hits, and the total with every facet
count from one grouped pass over the matching rows (at most ``FACET_CAP`` of them).
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.catalog.search import analysis
from app.catalog.search import repository as search_repository
from app.catalog.search.base import (
    FACET_LIMIT,
    FACETS,
    FILTER_FIELDS,
    HIGHLIGHT_POST,
    HIGHLIGHT_PRE,
    FacetValue,
    FetchBatch,
    Hit,
    SearchDocument,
    SearchQuery,
    SearchResult,
    Sort,
)
from app.db import begin_write

FACET_CAP = 5_000
CACHE_SECONDS = 30.0
LIVE, BUILD = "", "_new"
_FACET_COLUMNS = {
    "state": ("state_slug", "state"),
    "district": ("district_key", "district"),
    "gi": ("gi_slug", "gi_name"),
    "category": ("category_slug", "category"),
    "seller_type": ("seller_type", "seller_type"),
}
_COLUMNS = (
    "listing_id",
    "slug",
    "title",
    "district",
    "district_key",
    "state",
    "state_slug",
    "gi_name",
    "gi_slug",
    "goods_class",
    "category",
    "category_slug",
    "seller_name",
    "seller_type",
    "price_paise",
    "export_ready",
    "in_stock",
    "published_at",
    "thumb_key",
)
_HIT_COLUMNS = ", ".join(f"d.{c}" for c in _COLUMNS)
_FACET_NAMES = sorted({c for pair in _FACET_COLUMNS.values() for c in pair})
_FACET_GROUP = ", ".join(_FACET_NAMES)
_FACET_SELECT = ", ".join(f"d.{c}" for c in _FACET_NAMES)


def _epoch(value: datetime | None) -> int:
    return int(value.timestamp()) if value else 0


def title_terms(doc: SearchDocument) -> list[str]:
    return analysis.terms(doc.title)


def body_terms(doc: SearchDocument) -> list[str]:
    fields = (
        doc.title_hi,
        doc.description,
        doc.district,
        doc.district_hi,
        doc.state,
        doc.state_hi,
        doc.gi_name,
        doc.gi_name_hi,
        doc.odop_product,
        doc.odop_product_hi,
        doc.category,
        doc.category_hi,
        doc.seller_name,
    )
    return analysis.terms(" ".join(f for f in fields if f))


def _row(doc: SearchDocument) -> dict[str, Any]:
    values = {c: getattr(doc, c) for c in _COLUMNS if c != "published_at"}
    values["published_at"] = _epoch(doc.published_at)
    return values


@dataclass
class _Lexicon:
    vocabulary: analysis.Vocabulary
    synonyms: analysis.Synonyms
    loaded_at: float
    size: int
    groups: list[list[str]]


class DatabaseBackend:
    """Shared planning, facets and highlighting; subclasses supply the dialect's SQL."""

    name = "database"
    tables: tuple[str, ...] = ()  # every table of one index generation (LIVE or BUILD suffix)
    typos_in_memory = True  # False when _typo_matches asks the database instead

    def __init__(self) -> None:
        self._lexicon: _Lexicon | None = None
        self._index_ready = False

    # -- dialect hooks -------------------------------------------------------------------
    async def _create_tables(
        self, session: AsyncSession, suffix: str, *, indexes: bool = True
    ) -> None:
        raise NotImplementedError

    async def _write(
        self, session: AsyncSession, suffix: str, docs: Sequence[SearchDocument], *, replace: bool
    ) -> None:
        raise NotImplementedError

    async def _drop(self, session: AsyncSession, suffix: str) -> None:
        for table in self.tables:
            await session.execute(text(f"DROP TABLE IF EXISTS {table}{suffix}"))

    async def _rename(self, session: AsyncSession, source: str, target: str) -> None:
        for table in self.tables:
            await session.execute(text(f"ALTER TABLE {table}{source} RENAME TO {table}{target}"))

    async def _table_exists(self, session: AsyncSession, name: str) -> bool:
        raise NotImplementedError

    def _match(
        self, groups: list[set[str]], params: dict[str, Any], *, scored: bool
    ) -> tuple[str, str]:
        """(FROM clause that yields the documents as ``d``, full-text WHERE condition);
        ``scored`` when the relevance expression will be used."""
        raise NotImplementedError

    async def _insert_terms(
        self, session: AsyncSession, suffix: str, counts: dict[str, int]
    ) -> None:
        raise NotImplementedError

    async def _typo_matches(
        self, session: AsyncSession, words: list[str], vocabulary: analysis.Vocabulary
    ) -> dict[str, list[str]]:
        """Per query word (each has a typo budget), the indexed terms within it."""
        return {word: vocabulary.typo_matches(word) for word in words}

    async def _upgrade_live(self, session: AsyncSession) -> None:
        """Add to a live index built by an older release what this one needs (idempotent)."""

    # -- index maintenance ---------------------------------------------------------------
    async def ensure_index(self, session: AsyncSession) -> None:
        if not await self._table_exists(session, "search_listings"):
            # The first search on a fresh database may be a GET, and several requests and the
            # job runner may race here: look again once the transaction may write.
            await begin_write(session)
            if not await self._table_exists(session, "search_listings"):
                await self._create_tables(session, LIVE)
                # Not marked ready: until this transaction commits, other sessions of this
                # process must keep checking (and wait for the write lock) rather than query
                # tables they cannot see yet.
                return
        elif not self._index_ready:
            await self._upgrade_live(session)
        self._index_ready = True

    async def holds(self, session: AsyncSession, listing_ids: set[int]) -> bool:
        if not await self._table_exists(session, "search_listings"):
            return False
        indexed = set(await session.scalars(text("SELECT listing_id FROM search_listings")))
        return indexed == listing_ids

    async def _suffixes(self, session: AsyncSession) -> list[str]:
        """The live index, plus the one a running reindex is building (so no change is lost)."""
        await self.ensure_index(session)
        if await self._table_exists(session, "search_listings" + BUILD):
            return [LIVE, BUILD]
        return [LIVE]

    async def upsert(self, session: AsyncSession, documents: Sequence[SearchDocument]) -> None:
        if not documents:
            return
        terms = Counter(t for d in documents for t in {*title_terms(d), *body_terms(d)})
        for suffix in await self._suffixes(session):
            await self._write(session, suffix, documents, replace=True)
            await self._insert_terms(session, suffix, terms)

    async def delete(self, session: AsyncSession, listing_ids: Sequence[int]) -> None:
        if not listing_ids:
            return
        for suffix in await self._suffixes(session):
            await self._delete(session, suffix, listing_ids)

    async def _delete(self, session: AsyncSession, suffix: str, listing_ids: Sequence[int]) -> None:
        raise NotImplementedError

    async def rebuild(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        fetch: FetchBatch,
        progress: Callable[[int], None],
    ) -> int:
        async with session_factory() as session, session.begin():
            await self._prepare_rebuild(session)
            await self._drop(session, BUILD)
            await self._create_tables(session, BUILD, indexes=False)
        terms: Counter[str] = Counter()
        written, after = 0, 0
        while True:
            async with session_factory() as session, session.begin():
                batch, last = await fetch(session, after)
                if last is None:
                    break
                if batch:
                    # Rows written meanwhile by sync jobs are newer: keep them.
                    await self._write(session, BUILD, batch, replace=False)
            for doc in batch:
                terms.update({*title_terms(doc), *body_terms(doc)})
            written += len(batch)
            after = last
            progress(len(batch))
        async with session_factory() as session, session.begin():
            # A listing unpublished or deleted while its batch was being copied can have been
            # removed from the new index before the copy landed: sweep such rows once at the end.
            indexed = set(
                (
                    await session.scalars(text(f"SELECT listing_id FROM search_listings{BUILD}"))
                ).all()
            )
            gone = indexed - await search_repository.searchable_listing_ids(session)
            if gone:
                await self._delete(session, BUILD, sorted(gone))
            await self._insert_terms(session, BUILD, terms)
            await self._create_indexes(session, BUILD)
        async with session_factory() as session, session.begin():
            await self._drop(session, LIVE)
            await self._rename(session, BUILD, LIVE)
        self._lexicon = None
        self._index_ready = True
        return written

    async def _create_indexes(self, session: AsyncSession, suffix: str) -> None:
        raise NotImplementedError

    async def _prepare_rebuild(self, session: AsyncSession) -> None:
        """Anything the dialect needs before reading every listing."""

    # -- querying ------------------------------------------------------------------------
    async def lexicon(self, session: AsyncSession) -> _Lexicon:
        """Vocabulary and synonyms, checked for changes at most every CACHE_SECONDS per process
        and rebuilt only when they changed (terms are only ever added between reindexes)."""
        now = time.monotonic()
        lexicon = self._lexicon
        if lexicon is not None and now - lexicon.loaded_at <= CACHE_SECONDS:
            return lexicon
        size = int(await session.scalar(text("SELECT count(*) FROM search_terms")) or 0)
        groups = await search_repository.synonym_terms(session)
        if lexicon is None or size != lexicon.size or groups != lexicon.groups:
            rows = await session.execute(text("SELECT term, df FROM search_terms"))
            vocabulary = analysis.Vocabulary(
                {str(term): int(df) for term, df in rows.all()}, typo_index=self.typos_in_memory
            )
            lexicon = _Lexicon(vocabulary, analysis.Synonyms(groups), now, size, groups)
        else:
            lexicon.loaded_at = now
        self._lexicon = lexicon
        return lexicon

    def recheck_lexicon(self) -> None:
        """The index or synonyms changed: check the vocabulary and synonyms on the next search
        instead of up to CACHE_SECONDS later (they are rebuilt only if they changed)."""
        if self._lexicon is not None:
            self._lexicon.loaded_at = float("-inf")

    async def plan(
        self, session: AsyncSession, query_text: str
    ) -> tuple[list[set[str]], list[set[str]]]:
        """Per query word, the indexed terms it matches: with typos, and without them."""
        words = analysis.query_words(query_text)
        if not words:
            return [], []
        lexicon = await self.lexicon(session)
        prefix_last = not query_text.rstrip().endswith(('"', " "))
        typo_words = [w for w in dict.fromkeys(words) if analysis.typo_budget(w)]
        typos = (
            await self._typo_matches(session, typo_words, lexicon.vocabulary) if typo_words else {}
        )
        args = (words, lexicon.vocabulary, lexicon.synonyms)
        return (
            analysis.expand(*args, prefix_last=prefix_last, typo_matches=typos),
            analysis.expand(*args, prefix_last=prefix_last),
        )

    def _filters(self, query: SearchQuery, params: dict[str, Any]) -> list[str]:
        conditions = []
        for name, column in FILTER_FIELDS.items():
            values: tuple[str, ...] = getattr(query, name)
            if values:
                names = []
                for i, value in enumerate(values):
                    params[f"{name}_{i}"] = value
                    names.append(f":{name}_{i}")
                conditions.append(f"d.{column} IN ({', '.join(names)})")
        bounds: tuple[tuple[str, str, int | bool | None], ...] = (
            ("min_price", "d.price_paise >= :min_price", query.min_price_paise),
            ("max_price", "d.price_paise <= :max_price", query.max_price_paise),
            ("export_ready", "d.export_ready = :export_ready", query.export_ready),
            ("in_stock", "d.in_stock = :in_stock", query.in_stock),
        )
        for param, condition, bound in bounds:
            if bound is not None:
                params[param] = bound
                conditions.append(condition)
        return conditions

    async def search(self, session: AsyncSession, query: SearchQuery) -> SearchResult:
        if not self._index_ready:
            await self.ensure_index(session)
        groups, exact = await self.plan(session, query.text)
        while True:
            source, where, params = self._where(query, groups, scored=query.sort == Sort.RELEVANCE)
            order = {
                Sort.RELEVANCE: self._rank(groups, exact, params),
                Sort.PRICE_ASC: "d.price_paise ASC",
                Sort.PRICE_DESC: "d.price_paise DESC",
                Sort.NEWEST: "d.published_at DESC",
            }[query.sort]
            rows = (
                await session.execute(
                    text(
                        f"SELECT {_HIT_COLUMNS} FROM {source} {where} "
                        f"ORDER BY {order}, d.listing_id DESC LIMIT :limit OFFSET :offset"
                    ),
                    {**params, "limit": query.per_page, "offset": query.offset},
                )
            ).all()
            # Like Meilisearch's default matching strategy, drop words from the end of a query
            # that matches nothing as a whole ("banarasi saree" still finds Varanasi silk).
            if rows or len(groups) <= 1 or query.page > 1:
                break
            groups, exact = groups[:-1], exact[:-1]
        matched = set().union(*groups) if groups else set()
        words = analysis.query_words(query.text)
        prefix = words[len(groups) - 1] if groups and len(groups) == len(words) else None
        hits = [self._hit(row, matched, prefix) for row in rows]
        # Counting and facets need no relevance score: a source without it is much cheaper.
        source, where, params = self._where(query, groups, scored=False)
        total, facets, counted = await self._total_and_facets(session, source, where, params, query)
        return SearchResult(hits=hits, total=total, facets=facets, total_is_exact=counted)

    def _where(
        self, query: SearchQuery, groups: list[set[str]], *, scored: bool
    ) -> tuple[str, str, dict[str, Any]]:
        params: dict[str, Any] = {}
        if groups:
            source, condition = self._match(groups, params, scored=scored)
            conditions = [condition] if condition else []
        else:
            source, conditions = "search_listings d", []
        conditions += self._filters(query, params)
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        return source, where, params

    def _rank(self, groups: list[set[str]], exact: list[set[str]], params: dict[str, Any]) -> str:
        """Meilisearch's first rules: documents matching without typos come first, then the
        full-text score (title words weigh most)."""
        if not groups:
            return "d.published_at DESC"
        if exact == groups:
            return self._rank_expression()
        return f"{self._exact_match(exact, params)} DESC, {self._rank_expression()}"

    def _rank_expression(self) -> str:
        raise NotImplementedError

    def _exact_match(self, exact: list[set[str]], params: dict[str, Any]) -> str:
        """A boolean SQL expression: the document matches every word without a typo."""
        raise NotImplementedError

    async def _total_and_facets(
        self,
        session: AsyncSession,
        source: str,
        where: str,
        params: dict[str, Any],
        query: SearchQuery,
    ) -> tuple[int, dict[str, list[FacetValue]], bool]:
        """One grouped pass over at most FACET_CAP matching rows: each distinct combination of
        facet values with its count (a few hundred rows even for broad matches), summed per
        facet here, instead of one sort per facet in SQL."""
        params = {**params, "cap": FACET_CAP}
        if not query.with_facets:
            sql = f"SELECT count(*) FROM (SELECT 1 FROM {source} {where} LIMIT :cap) AS m"
            total = int(await session.scalar(text(sql), params) or 0)
            return total, {}, total < FACET_CAP
        sql = (
            f"SELECT {_FACET_GROUP}, count(*) AS n "
            f"FROM (SELECT {_FACET_SELECT} FROM {source} {where} LIMIT :cap) AS d "
            f"GROUP BY {_FACET_GROUP}"
        )
        counts: dict[str, Counter[tuple[str, str]]] = {name: Counter() for name in FACETS}
        total = 0
        for row in await session.execute(text(sql), params):
            n = int(row.n)
            total += n
            for facet, (value, label) in _FACET_COLUMNS.items():
                if getattr(row, value) is not None:
                    counts[facet][(getattr(row, value), getattr(row, label))] += n
        facets = {
            facet: [
                FacetValue(str(value), str(label), n)
                for (value, label), n in sorted(
                    found.items(), key=lambda item: (-item[1], item[0])
                )[:FACET_LIMIT]
            ]
            for facet, found in counts.items()
        }
        return total, facets, total < FACET_CAP

    @staticmethod
    def _hit(row: Any, matched: set[str], prefix: str | None) -> Hit:
        return Hit(
            listing_id=row.listing_id,
            slug=row.slug,
            title=row.title,
            title_highlighted=highlight(row.title, matched, prefix),
            price_paise=row.price_paise,
            district=row.district,
            state=row.state,
            gi_name=row.gi_name,
            seller_name=row.seller_name,
            seller_type=row.seller_type,
            export_ready=bool(row.export_ready),
            in_stock=bool(row.in_stock),
            thumb_key=row.thumb_key,
        )


@functools.lru_cache(maxsize=65536)
def _word_terms(word: str) -> tuple[str, ...]:
    return tuple(analysis.terms(word))


def highlight(title: str, matched: set[str], prefix: str | None) -> str:
    """Wrap the words of ``title`` that matched the query in HIGHLIGHT_PRE/POST markers."""
    out = []
    position = 0
    for match in analysis.WORD.finditer(title):
        word = match.group(0)
        keys = _word_terms(word)
        hit = any(k in matched for k in keys) or (
            prefix is not None and any(k.startswith(prefix) for k in keys)
        )
        out.append(title[position : match.start()])
        out.append(f"{HIGHLIGHT_PRE}{word}{HIGHLIGHT_POST}" if hit else word)
        position = match.end()
    out.append(title[position:])
    return "".join(out)
