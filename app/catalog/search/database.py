"""The embedded database backend: SQLite FTS5 or PostgreSQL full text, behind one query planner.

The backend owns three derived tables: ``search_listings`` (one denormalised row per searchable
listing: display, filter and sort columns), its full-text index (an FTS5 table on SQLite, a
weighted ``tsvector`` with a GIN index on PostgreSQL) and ``search_terms`` (the vocabulary of
indexed terms, for typo tolerance and prefixes; with a trigram index on PostgreSQL). A reindex
builds ``*_new`` copies and renames them over the live ones in one transaction, so searches never
see a half-built index.

Each distinct combination of facet values (State, district, GI tag, category, goods class, seller
type) gets an integer key in ``search_listings_facets``, and every indexed listing carries its
combination's key: facet counts group the matching rows by that one integer and take the labels
from the combination table, and facet filters and place preferences test the key.

A search is two statements whatever the query: the page of hits, and the total with every facet
count from one grouped pass over the matching rows (at most ``FACET_CAP`` of them).
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
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

# The total and the facet counts are counted over at most this many matching rows: a broad
# word's first FACET_CAP matches (its total then reads "more than FACET_CAP", and its facet counts
# are lower bounds, flagged ``facets_approximate`` and shown as "N+"). Reading matches is most of
# an uncached search's cost for a word in thousands of listings (on PostgreSQL about 2.3 µs a row
# to test the match), so the cap bounds it: 5,000 rows cost 20–55 ms, 1,000 about 4–8 ms.
FACET_CAP = 1_000
# The top bucket of a word in more titles than this ranks its newest this many title matches
# (ranking costs about 10 µs a row on PostgreSQL: 2,000 rows were 20 ms of a 15 ms budget).
TOP_BUCKET_CANDIDATES = 500
# A relevance search that names a place serves pages that end at most this deep from the place's
# own matches (a bounded set: a district has about 130 listings at 100,000), ranked alone.
PLACE_PAGE_LIMIT = 100
# SQL: the row's facet key is one of those the subquery ({}) selects, as a semi-join.
KEYS_IN_SUBQUERY = "d.facet_key IN ({})"
# ... when the words match at least this many listings (fewer are ranked at once more cheaply).
PLACE_MIN_MATCHES = 1_000
# A query word in at least this share of all listings is optional (once there are enough
# listings for the share to mean something).
WEAK_WORD_SHARE = 0.4
WEAK_MIN_DOCUMENTS = 50
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
# What one facet combination holds: every facet's value and label, and the goods class (so that
# every filter of FILTER_FIELDS is a test of the combination's key).
COMBINATION_COLUMNS = (*_FACET_NAMES, "goods_class")
_COMBINATION_SELECT = ", ".join(f"f.{c}" for c in _FACET_NAMES)


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


def combination(doc: SearchDocument) -> str:
    """The facet combination of a document as one text key (its values joined by a separator
    that no value holds)."""
    return "\x1f".join(getattr(doc, c) or "" for c in COMBINATION_COLUMNS)


@dataclass
class _Lexicon:
    vocabulary: analysis.Vocabulary
    synonyms: analysis.Synonyms
    loaded_at: float
    size: int
    groups: list[list[str]]
    documents: int = 0
    # What a backend derives once per vocabulary load (FTS5's averages, on SQLite).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class WordPlan:
    """What one query word (or two written apart) may match. A term with a space in it is a
    compound read as two indexed words, both required."""

    word: str  # as typed
    forms: list[str]  # the word, and its Latin transliteration
    exact: set[str]
    prefix: set[str]
    typos: set[str]
    df: int = 0  # listings the exact forms are in (the most of them)
    # The terms matched as written, corrected or split, not through a synonym.
    direct: set[str] = field(default_factory=set)

    @property
    def known(self) -> bool:
        return bool(self.df or self.prefix or self.typos or any(" " in t for t in self.exact))

    def group(self, level: int) -> set[str]:
        """0: exact terms; 1: and prefixes; 2: and typos."""
        return self.exact | (self.prefix if level else set()) | (self.typos if level > 1 else set())


@dataclass
class TierRank:
    """The matches of one place tier (the preferred districts, or the rest of the preferred
    States) and how they are ordered. Every one of them matches at the same level and is in the
    same place, so the relevance order's remaining keys decide: every word in the title, the
    optional words, the words as written in the title, then the full-text score."""

    match: list[set[str]]  # the groups every listing of the tier matches (at the best level)
    title_only: bool
    every: list[set[str]]  # the title key's groups
    weak: list[set[str]]  # the optional words' groups
    direct: list[set[str]] | None  # the "as written" key's groups, when it orders anything


class DatabaseBackend:
    """Shared planning, facets and highlighting; subclasses supply the dialect's SQL."""

    name = "database"
    tables: tuple[str, ...] = ()  # every table of one index generation (LIVE or BUILD suffix)
    # The table a query reads filter and sort columns and the facet key from, as ``d``.
    rows_table = "search_listings"
    typos_in_memory = True  # False when _typo_matches asks the database instead
    # SQL: the row's facet key is one of those a subquery ({}) selects (a place tier's keys).
    facet_keys_in = KEYS_IN_SUBQUERY

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
        """(FROM clause that yields the documents as ``d``, full-text WHERE condition);
        ``scored`` when the relevance expression will be used; ``title`` to match in titles
        only; ``bare`` when the query needs no column of ``d`` but ``listing_id`` (no filter,
        place or sort column); ``candidates`` to match only the newest that many listings;
        ``capped`` when the query has no other condition and reads at most ``:cap`` rows (the
        facet pass), so the match itself may stop there."""
        raise NotImplementedError

    async def _insert_terms(
        self, session: AsyncSession, suffix: str, counts: dict[str, int]
    ) -> None:
        raise NotImplementedError

    async def _tier_rows(
        self,
        session: AsyncSession,
        rank: TierRank,
        conditions: list[str],
        params: dict[str, Any],
        limit: int,
    ) -> list[Any] | None:
        """The first ``limit`` hit rows, in ``rank``'s order, of the listings that meet
        ``conditions`` (the tier and the filters) and match ``rank.match``; None when the tier
        is too big to rank this way."""
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
        """The live index holds exactly these listings, in this release's layout (an index
        built before facet combinations had keys must be rebuilt)."""
        if not all([await self._table_exists(session, table) for table in self.tables]):
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

    async def gi_tags(self, session: AsyncSession) -> list[tuple[str, str]]:
        """(slug, name) of the GI tags that indexed listings carry, by name: from the facet
        combinations that some row still has (one probe of the key's index per combination;
        the same question asked of the listings took 30-100 ms on PostgreSQL)."""
        rows = await session.execute(
            text(
                "SELECT DISTINCT f.gi_slug, f.gi_name FROM search_listings_facets f "
                "WHERE f.gi_slug IS NOT NULL AND EXISTS "
                f"(SELECT 1 FROM {self.rows_table} d WHERE d.facet_key = f.facet_key) "
                "ORDER BY f.gi_name, f.gi_slug"
            )
        )
        return [(str(slug), str(name)) for slug, name in rows]

    async def _facet_keys(
        self, session: AsyncSession, suffix: str, docs: Sequence[SearchDocument]
    ) -> dict[str, int]:
        """The key of each document's facet combination, adding the combinations not yet
        known (keys are never reused within one index generation)."""
        wanted = {combination(d): d for d in docs}
        select = text(
            f"SELECT combination, facet_key FROM search_listings_facets{suffix} "
            "WHERE combination IN :combinations"
        ).bindparams(bindparam("combinations", expanding=True))
        keys = {
            str(c): int(k) for c, k in await session.execute(select, {"combinations": list(wanted)})
        }
        missing = [c for c in wanted if c not in keys]
        if missing:
            columns = ", ".join(COMBINATION_COLUMNS)
            values = ", ".join(f":{c}" for c in COMBINATION_COLUMNS)
            await session.execute(
                text(
                    f"INSERT INTO search_listings_facets{suffix} (combination, {columns}) "
                    f"VALUES (:combination, {values}) ON CONFLICT (combination) DO NOTHING"
                ),
                [
                    {"combination": c, **{k: getattr(wanted[c], k) for k in COMBINATION_COLUMNS}}
                    for c in missing
                ],
            )
            found = await session.execute(select, {"combinations": missing})
            keys.update({str(c): int(k) for c, k in found})
        return keys

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
        """One page of hit rows in ``order`` (ties: newest listing id first)."""
        rows = await session.execute(
            text(
                f"SELECT {_HIT_COLUMNS} FROM {source} {where} "
                f"ORDER BY {order}, d.listing_id DESC LIMIT :limit OFFSET :offset"
            ),
            {**params, "limit": limit, "offset": offset},
        )
        return list(rows.all())

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
        await self._after_rebuild(session_factory)
        self._lexicon = None
        self._index_ready = True
        return written

    async def _create_indexes(self, session: AsyncSession, suffix: str) -> None:
        raise NotImplementedError

    async def _prepare_rebuild(self, session: AsyncSession) -> None:
        """Anything the dialect needs before reading every listing."""

    async def _after_rebuild(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        """Anything the dialect does once the new index is live (outside its transactions)."""

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
        documents = int(await session.scalar(text("SELECT count(*) FROM search_listings")) or 0)
        if lexicon is None or size != lexicon.size or groups != lexicon.groups:
            rows = await session.execute(text("SELECT term, df FROM search_terms"))
            vocabulary = analysis.Vocabulary(
                {str(term): int(df) for term, df in rows.all()}, typo_index=self.typos_in_memory
            )
            lexicon = _Lexicon(vocabulary, analysis.Synonyms(groups), now, size, groups)
        else:
            lexicon.loaded_at = now
        lexicon.documents = documents
        self._lexicon = lexicon
        return lexicon

    def recheck_lexicon(self) -> None:
        """The index or synonyms changed: check the vocabulary and synonyms on the next search
        instead of up to CACHE_SECONDS later (they are rebuilt only if they changed)."""
        if self._lexicon is not None:
            self._lexicon.loaded_at = float("-inf")

    async def plan(self, session: AsyncSession, query_text: str) -> list[WordPlan]:
        """Per query word (or pair of words the index has as one), the indexed terms it
        matches: exactly (itself, its synonyms, its transliteration, a compound reading), as a
        prefix (the last word as typed) and with typos (only a word the index does not have)."""
        words = analysis.query_words(query_text)
        # Nothing but joining words ("and") is no query: the page browses.
        words = [w for w in words if w not in analysis.STOP_WORDS]
        if not words:
            return []
        lexicon = await self.lexicon(session)
        vocabulary, synonyms = lexicon.vocabulary, lexicon.synonyms
        known = vocabulary.frequencies
        # A query that ends in a space or a closing quote has no word still being typed (the
        # service ends a query that way when its last word was a place name).
        prefix_last = not query_text.endswith(" ") and not query_text.rstrip().endswith('"')
        plans: list[WordPlan] = []
        i = 0
        while i < len(words):
            word = words[i]
            pair = words[i + 1] if i + 1 < len(words) else None
            joined = analysis.stem(word + pair) if pair else ""
            if pair and joined in known:
                # Two words the index has written together ("terra cotta" -> terracotta).
                apart = f"{analysis.stem(word)} {analysis.stem(pair)}"
                exact = {joined} | ({apart} if set(apart.split()) <= known.keys() else set())
                plans.append(WordPlan(f"{word} {pair}", [], exact, set(), set(), direct=exact))
                i += 2
                continue
            forms = [word]
            latin = analysis.transliterate(word)
            if latin:
                forms.append(latin)
            exact = {t for f in forms for t in (f, analysis.stem(f))}
            for term in list(exact):
                exact |= synonyms.of(term)
            prefix: set[str] = set()
            if prefix_last and i == len(words) - 1:
                prefix = set(vocabulary.prefix_matches(word)) - exact
            direct = {t for f in forms for t in (f, analysis.stem(f))} | prefix
            plans.append(WordPlan(word, forms, exact, prefix, set(), direct=direct))
            i += 1
        # Typos only for words the index does not have: an indexed word with hits stays itself.
        unknown = [p for p in plans if p.forms and not p.exact & known.keys()]
        typo_words = list(
            dict.fromkeys(f for p in unknown for f in p.forms if analysis.typo_budget(f))
        )
        typos = await self._typo_matches(session, typo_words, vocabulary) if typo_words else {}
        split_parts: dict[str, list[tuple[str, str]]] = {}
        for plan in unknown:
            for form in plan.forms:
                for term in typos.get(form, ()):
                    plan.typos |= {term, *synonyms.of(term)} & known.keys() | {term}
                    plan.direct.add(term)
            if not plan.typos and not plan.prefix and analysis.DEVANAGARI.search(plan.word) is None:
                split_parts[plan.word] = analysis.splits(analysis.stem(plan.word))
        # A word the index has as two ("bidriware" -> bidari ware): each part indexed, or one
        # of them within its typo budget of an indexed term.
        part_words = list(
            dict.fromkeys(
                part
                for options in split_parts.values()
                for a, b in options
                for part, other in ((a, b), (b, a))
                if other in known and part not in known and analysis.typo_budget(part)
            )
        )
        part_typos = await self._typo_matches(session, part_words, vocabulary) if part_words else {}
        for plan in unknown:
            for a, b in split_parts.get(plan.word, ()):
                first = [a] if a in known else part_typos.get(a, [])[:1]
                second = [b] if b in known else part_typos.get(b, [])[:1]
                if first and second:
                    reading = f"{first[0]} {second[0]}"
                    (plan.exact if reading == f"{a} {b}" else plan.typos).add(reading)
                    plan.direct.add(reading)
                    break
        for plan in plans:
            # The word itself stays even if unseen: the vocabulary can lag behind the index.
            stems = {t for f in plan.forms for t in (f, analysis.stem(f))}
            plan.exact = {t for t in plan.exact if t in known or " " in t or t in stems}
            plan.df = max((known.get(t, 0) for t in plan.exact), default=0)
        return plans

    def _filters(self, query: SearchQuery, params: dict[str, Any]) -> list[str]:
        conditions = []
        for name, column in FILTER_FIELDS.items():
            values: tuple[str, ...] = getattr(query, name)
            if values:
                names = []
                for i, value in enumerate(values):
                    params[f"{name}_{i}"] = value
                    names.append(f":{name}_{i}")
                conditions.append(_with_combination(column, names))
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
        plans = await self.plan(session, query.text)
        ignored: list[str] = []
        required = plans
        # Words in a large share of all listings ("classic", "from", "products") do not decide
        # what a buyer wants: they are optional, and only order the hits that have them.
        documents = (await self.lexicon(session)).documents
        optional: list[WordPlan] = []
        titles_only = False
        if documents >= WEAK_MIN_DOCUMENTS:
            weak = [p for p in required if p.df >= documents * WEAK_WORD_SHARE]
            # Nothing but such words ("products"): only their titles tell listings apart.
            titles_only = bool(weak) and len(weak) == len(required)
            if len(weak) < len(required):
                optional = weak
                required = [p for p in required if p not in weak]
        # Filters and a preferred place narrow the whole match already; there, the top bucket
        # would often fall short and only add a statement.
        narrowed = bool(query.prefer_state or query.prefer_district or self._filters(query, {}))
        # A word in every listing ("product", in every demo description) orders nothing: its
        # ranking key would only cost a scan of all its matches.
        ordering = [p for p in optional if p.df < documents]
        while True:
            groups = [p.group(2) for p in required]
            relevance = query.sort == Sort.RELEVANCE
            source, where, params = self._where(
                query, groups, scored=relevance, title=titles_only, bare=relevance and not narrowed
            )
            order = {
                Sort.RELEVANCE: self._rank(required, ordering, query, params),
                Sort.PRICE_ASC: "d.price_paise ASC",
                Sort.PRICE_DESC: "d.price_paise DESC",
                Sort.NEWEST: "d.published_at DESC",
            }[query.sort]
            bucket = None
            if query.sort == Sort.RELEVANCE and (query.prefer_state or query.prefer_district):
                bucket = await self._place_page(session, query, required, ordering, titles_only)
            elif query.sort == Sort.RELEVANCE and required and not narrowed:
                bucket = await self._top_bucket(session, query, required, ordering)
            rows = bucket
            if rows is None:
                rows = await self._page(
                    session,
                    source,
                    where,
                    order,
                    params,
                    limit=query.per_page,
                    offset=query.offset,
                )
            if rows or len(required) <= 1:
                break
            if query.page > 1:
                exists = f"SELECT 1 FROM {source} {where} LIMIT 1"
                if await session.scalar(text(exists), params) is not None:
                    break
            # A query that matches nothing as a whole loses the words the index has never seen
            # first, then words from the end (Meilisearch's default matching strategy); the
            # result says which. (An unseen word is still tried: the vocabulary can lag behind
            # the index by a few seconds.)
            unseen = [p for p in required if not p.known]
            dropped = unseen if unseen and len(unseen) < len(required) else [required[-1]]
            ignored += [p.word for p in dropped]
            required = [p for p in required if p not in dropped]
        matched = {t for p in (*required, *optional) for m in p.group(2) for t in m.split()}
        last = required[-1] if required else None
        prefix = last.word if last is not None and last.prefix else None
        hits = [self._hit(row, matched, prefix) for row in rows]
        # Counting and facets need no relevance score: a source without it is much cheaper.
        source, where, params = self._where(
            query, groups, scored=False, title=titles_only, capped=not self._filters(query, {})
        )
        total, facets, counted = await self._total_and_facets(session, source, where, params, query)
        approximate = not counted and bool(facets)
        # Values within a facet are OR'ed: a facet with ticked values counts its values over the
        # hits of every other filter, so each value shows how many hits it would add.
        for facet in FACETS if query.with_facets else ():
            if getattr(query, facet):
                others = query.without(facet)
                source, where, params = self._where(
                    others,
                    groups,
                    scored=False,
                    title=titles_only,
                    capped=not self._filters(others, {}),
                )
                facets[facet], complete = await self._facet_counts(
                    session, source, where, params, facet
                )
                approximate = approximate or not complete
        # Words are reported as ignored only when the rest found something.
        return SearchResult(
            hits=hits,
            total=total,
            facets=facets,
            total_is_exact=counted,
            facets_approximate=approximate,
            ignored=ignored if total else [],
        )

    def _where(
        self,
        query: SearchQuery,
        groups: list[set[str]],
        *,
        scored: bool,
        title: bool = False,
        bare: bool = False,
        capped: bool = False,
    ) -> tuple[str, str, dict[str, Any]]:
        params: dict[str, Any] = {}
        if groups:
            source, condition = self._match(
                groups, params, scored=scored, title=title, bare=bare, capped=capped
            )
            conditions = [condition] if condition else []
        else:
            source, conditions = f"{self.rows_table} d", []
        conditions += self._filters(query, params)
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        return source, where, params

    def _rank(
        self,
        required: list[WordPlan],
        optional: list[WordPlan],
        query: SearchQuery,
        params: dict[str, Any],
    ) -> str:
        """Meilisearch's order, then ours: documents matching every word exactly, then with
        prefixes, then with typos; listings from the places the query named; all the words in
        the title (a product or GI name matched in full); the optional common words; then the
        full-text score (title words weigh most)."""
        if not required:
            places = query.prefer_state or query.prefer_district
            order = [self._place_rank(query, params)] if places else []
            return ", ".join([*order, "d.published_at DESC"])
        order = []
        exact, no_typo, every = ([p.group(level) for p in required] for level in range(3))
        # A tier no listing can reach (a word with no exact hits) orders nothing: skip it.
        best = _best_level(required)
        if exact != every and best == 0:
            order.append(f"{self._contains(exact, params, 'rank_exact')} DESC")
        if no_typo not in (exact, every) and best <= 1:
            order.append(f"{self._contains(no_typo, params, 'rank_prefix')} DESC")
        if query.prefer_state or query.prefer_district:
            order.append(self._place_rank(query, params))
        order.append(f"{self._contains(every, params, 'rank_title', title=True)} DESC")
        if optional:
            weak = [p.group(0) for p in optional]
            order.append(f"{self._contains(weak, params, 'rank_optional')} DESC")
        # Among equals, the words as written (or corrected) in the title before synonyms.
        direct = [p.direct & p.group(2) for p in required]
        if all(direct) and direct != every:
            order.append(f"{self._contains(direct, params, 'rank_direct', title=True)} DESC")
        order.append(self._rank_expression())
        return ", ".join(order)

    async def _top_bucket(
        self,
        session: AsyncSession,
        query: SearchQuery,
        required: list[WordPlan],
        optional: list[WordPlan],
    ) -> list[Any] | None:
        """The page from the best-ranked bucket alone, or None when that bucket cannot fill it.

        Listings with every word at the best level any listing reaches (exact, else without
        typos) and every word in the title come before all others in the relevance order (of a
        query without filters or places). Matching just those (a title match, often a few hundred
        rows where the whole match is thousands) and ordering them by the remaining keys gives
        the same page as ranking every match, when they fill it: the work for a broad word is
        bounded by its title matches, not its document matches, and by TOP_BUCKET_CANDIDATES
        (the newest title matches of a word in more titles than that)."""
        level = _best_level(required)
        groups = [p.group(level) for p in required]
        params: dict[str, Any] = {}
        source, condition = self._match(
            groups, params, scored=True, title=True, bare=True, candidates=TOP_BUCKET_CANDIDATES
        )
        conditions = [condition] if condition else []
        order = []
        if optional:
            weak = [p.group(0) for p in optional]
            order.append(f"{self._contains(weak, params, 'rank_optional')} DESC")
        direct = [p.direct & p.group(level) for p in required]
        if all(direct) and direct != groups:
            order.append(f"{self._contains(direct, params, 'rank_direct', title=True)} DESC")
        order.append(self._rank_expression())
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = await self._page(
            session,
            source,
            where,
            ", ".join(order),
            params,
            limit=query.per_page,
            offset=query.offset,
        )
        return rows if len(rows) == query.per_page else None

    async def _place_page(
        self,
        session: AsyncSession,
        query: SearchQuery,
        required: list[WordPlan],
        optional: list[WordPlan],
        titles_only: bool,
    ) -> list[Any] | None:
        """The page from the named places' own best matches, or None when they cannot fill it.

        In the relevance order of a query that names a place, the listings that match every
        word at the best level any listing reaches come first, and among them the preferred
        districts' listings, then the rest of the preferred States' (see _rank). Ranking a
        tier's matches alone (a district: about 130 listings at 100,000; the tier is found by
        its facet keys) gives the same page as ranking every match of the words when the tiers
        fill it: "rice bilaspur" ranks Bilaspur's rice, not all 4,800 rice listings."""
        need = query.offset + query.per_page
        if need > PLACE_PAGE_LIMIT:
            return None
        if not required:
            # No product words ("and etah"): the places' newest listings, tier by tier.
            return await self._place_tiers(session, query, need, None)
        if self._matches_at_most(required) < PLACE_MIN_MATCHES:
            return None  # so few matches that ranking them all at once is cheaper
        level = _best_level(required)
        every = [p.group(2) for p in required]
        direct = [p.direct & p.group(2) for p in required]
        rank = TierRank(
            match=[p.group(level) for p in required],
            title_only=titles_only,
            every=every,
            weak=[p.group(0) for p in optional],
            direct=direct if all(direct) and direct != every else None,
        )
        return await self._place_tiers(session, query, need, rank)

    async def _place_tiers(
        self, session: AsyncSession, query: SearchQuery, need: int, rank: TierRank | None
    ) -> list[Any] | None:
        """The first ``need`` rows of the preferred districts' listings, then the rest of the
        preferred States', each tier in ``rank``'s order (newest first without words); None
        when the tiers do not fill the page or one is too big to rank alone."""
        tiers: list[tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]] = []
        if query.prefer_district:
            tiers.append(({"district_key": query.prefer_district}, {}))
        if query.prefer_state:
            tiers.append(
                ({"state_slug": query.prefer_state}, {"district_key": query.prefer_district})
            )
        rows: list[Any] = []
        for include, exclude in tiers:
            params: dict[str, Any] = {}
            # Browsing newest first, the planner may walk the date index and test each row's
            # key against the subquery's set; matching words, the keys are computed once.
            keys_in = self.facet_keys_in if rank is not None else KEYS_IN_SUBQUERY
            conditions = [
                _tier_condition(include, exclude, params, keys_in),
                *self._filters(query, params),
            ]
            if rank is None:
                found: list[Any] | None = await self._page(
                    session,
                    f"{self.rows_table} d",
                    f"WHERE {' AND '.join(conditions)}",
                    "d.published_at DESC",
                    params,
                    limit=need - len(rows),
                    offset=0,
                )
            else:
                found = await self._tier_rows(session, rank, conditions, params, need - len(rows))
            if found is None:
                return None
            rows += found
            if len(rows) >= need:
                return rows[query.offset : need]
        return None

    def _matches_at_most(self, required: list[WordPlan]) -> int:
        """An upper bound of the listings that match every word (with typos), from the
        vocabulary's document frequencies."""
        return self._groups_match_at_most([p.group(2) for p in required])

    def _documents(self) -> int:
        """The listings in the index when the vocabulary was last checked."""
        return self._lexicon.documents if self._lexicon is not None else 0

    def _groups_match_at_most(self, groups: list[set[str]]) -> int:
        if self._lexicon is None or not groups:
            return 0
        known = self._lexicon.vocabulary.frequencies
        return min(sum(known.get(t.split()[0], 0) for t in group) for group in groups)

    @staticmethod
    def _place_rank(query: SearchQuery, params: dict[str, Any]) -> str:
        cases: list[str] = []
        for name, column, values in (
            ("prefer_district", "district_key", query.prefer_district),
            ("prefer_state", "state_slug", query.prefer_state),
        ):
            if values:
                names = []
                for i, value in enumerate(values):
                    params[f"{name}_{i}"] = value
                    names.append(f":{name}_{i}")
                cases.append(f"WHEN {_with_combination(column, names)} THEN {len(cases) + 1}")
        return f"CASE {' '.join(cases)} ELSE 9 END ASC" if cases else "0"

    def _rank_expression(self) -> str:
        raise NotImplementedError

    def _contains(
        self, groups: list[set[str]], params: dict[str, Any], name: str, *, title: bool = False
    ) -> str:
        """A boolean SQL expression: the document (its title only, if ``title``) matches every
        group."""
        raise NotImplementedError

    async def _facet_counts(
        self, session: AsyncSession, source: str, where: str, params: dict[str, Any], facet: str
    ) -> tuple[list[FacetValue], bool]:
        """One facet's most frequent values over at most FACET_CAP matching rows, and whether
        the rows counted were every match (else each count is a lower bound)."""
        value, label = _FACET_COLUMNS[facet]
        sql = (
            f"SELECT f.{value} AS v, f.{label} AS l, sum(c.n) AS n, max(c.seen) AS seen "
            f"FROM (SELECT facet_key, n, sum(n) OVER () AS seen "
            f"FROM ({_combination_counts(source, where)}) AS g) AS c "
            "JOIN search_listings_facets f ON f.facet_key = c.facet_key "
            f"WHERE f.{value} IS NOT NULL GROUP BY f.{value}, f.{label} "
            "ORDER BY n DESC, v LIMIT :facet_limit"
        )
        rows = (
            await session.execute(
                text(sql), {**params, "cap": FACET_CAP, "facet_limit": FACET_LIMIT}
            )
        ).all()
        complete = all(int(seen) < FACET_CAP for *_, seen in rows)
        return [FacetValue(str(v), str(name), int(n)) for v, name, n, _ in rows], complete

    async def _total_and_facets(
        self,
        session: AsyncSession,
        source: str,
        where: str,
        params: dict[str, Any],
        query: SearchQuery,
    ) -> tuple[int, dict[str, list[FacetValue]], bool]:
        """One pass over at most FACET_CAP matching rows grouped by their facet combination's
        key (a few hundred groups even for broad matches), labelled from the combination table
        and summed per facet here, instead of one sort per facet in SQL."""
        params = {**params, "cap": FACET_CAP}
        if not query.with_facets:
            sql = f"SELECT count(*) FROM (SELECT 1 FROM {source} {where} LIMIT :cap) AS m"
            total = int(await session.scalar(text(sql), params) or 0)
            return total, {}, total < FACET_CAP
        sql = (
            f"SELECT {_COMBINATION_SELECT}, c.n FROM ({_combination_counts(source, where)}) AS c "
            "JOIN search_listings_facets f ON f.facet_key = c.facet_key"
        )
        counts: dict[str, Counter[tuple[str, str]]] = {name: Counter() for name in FACETS}
        total = 0
        positions = [
            (counts[facet], _FACET_NAMES.index(value), _FACET_NAMES.index(label))
            for facet, (value, label) in _FACET_COLUMNS.items()
        ]
        for row in await session.execute(text(sql), params):
            n = int(row[-1])
            total += n
            for found, value, label in positions:
                if row[value] is not None:
                    found[(row[value], row[label])] += n
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


def _combination_counts(source: str, where: str) -> str:
    """SQL: the facet keys of at most :cap matching rows, with how many rows have each."""
    return (
        "SELECT facet_key, count(*) AS n "
        f"FROM (SELECT d.facet_key FROM {source} {where} LIMIT :cap) AS k GROUP BY facet_key"
    )


def _with_combination(column: str, names: list[str]) -> str:
    """SQL: the row's facet combination has one of these values (bound ``names``) in
    ``column``."""
    return (
        "d.facet_key IN (SELECT facet_key FROM search_listings_facets "
        f"WHERE {column} IN ({', '.join(names)}))"
    )


def _tier_condition(
    include: dict[str, tuple[str, ...]],
    exclude: dict[str, tuple[str, ...]],
    params: dict[str, Any],
    keys_in: str = KEYS_IN_SUBQUERY,
) -> str:
    """SQL: the row's facet combination has one of ``include``'s values in each of its columns
    and none of ``exclude``'s."""
    tests = []
    for negate, columns in ((False, include), (True, exclude)):
        for column, values in columns.items():
            if not values:
                continue
            names = []
            for value in values:
                name = f"tier_{len(params)}"
                params[name] = value
                names.append(f":{name}")
            tests.append(f"{column} {'NOT IN' if negate else 'IN'} ({', '.join(names)})")
    return keys_in.format(
        f"SELECT facet_key FROM search_listings_facets WHERE {' AND '.join(tests)}"
    )


def _best_level(required: list[WordPlan]) -> int:
    """The best match level every word reaches in some listing: 0 exact, 1 prefix, 2 typo."""
    if all(p.df for p in required):
        return 0
    return 1 if all(p.df or p.prefix for p in required) else 2


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
