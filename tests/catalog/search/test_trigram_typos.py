"""PostgreSQL: typo candidates come from a GiST trigram index over the vocabulary table (for a
vocabulary of at least SCANNED_TYPO_TERMS terms; a smaller one is scanned in the process)."""

from __future__ import annotations

import string

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.catalog.search import postgres_fts
from app.catalog.search.base import SearchDocument
from app.catalog.search.postgres_fts import NEAREST_TERMS, PostgresBackend
from tests.helpers import recorded_statements


@pytest.fixture
async def backend(db: AsyncSession, monkeypatch: pytest.MonkeyPatch) -> PostgresBackend:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("pg_trgm is PostgreSQL's; SQLite keeps the in-memory typo index")
    # These tests' vocabularies are tiny: treat them as big ones, which ask the trigram index.
    monkeypatch.setattr(postgres_fts, "SCANNED_TYPO_TERMS", 0)
    backend = PostgresBackend()
    await backend.ensure_index(db)
    return backend


async def trigram_indexes(db: AsyncSession, table: str = "search_terms") -> list[str]:
    rows = await db.scalars(
        text(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = :table AND indexdef LIKE '%gist_trgm_ops%'"
        ),
        {"table": table},
    )
    return list(rows)


async def write_terms(db: AsyncSession, frequencies: dict[str, int]) -> None:
    await db.execute(
        text("INSERT INTO search_terms (term, df) VALUES (:t, :n)"),
        [{"t": term, "n": n} for term, n in frequencies.items()],
    )


async def test_ensure_index_and_reindex_give_the_vocabulary_a_gist_trigram_index(
    db: AsyncSession, session_factory: async_sessionmaker[AsyncSession], backend: PostgresBackend
) -> None:
    [created] = await trigram_indexes(db)
    assert "USING gist (term gist_trgm_ops)" in created

    async def nothing(session: AsyncSession, after: int) -> tuple[list[SearchDocument], int | None]:
        return [], None

    await backend.rebuild(session_factory, nothing, lambda n: None)
    [rebuilt] = await trigram_indexes(db)
    assert rebuilt != created  # the new generation's own index, swapped in with its table


async def test_ensure_index_adds_the_trigram_index_to_a_live_index_built_without_it(
    db: AsyncSession, backend: PostgresBackend
) -> None:
    name = await db.scalar(
        text(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = 'search_terms' AND indexdef LIKE '%gist_trgm_ops%'"
        )
    )
    await db.execute(text(f"DROP INDEX {name}"))
    assert await trigram_indexes(db) == []
    await PostgresBackend().ensure_index(db)  # a process started after the upgrade
    await PostgresBackend().ensure_index(db)  # and another: still one index
    assert len(await trigram_indexes(db)) == 1


async def test_typo_matches_are_looked_up_in_the_table_within_the_budget(
    db: AsyncSession, backend: PostgresBackend
) -> None:
    await backend.lexicon(db)  # loaded before the terms exist, so only SQL can know them
    await write_terms(db, {"phulkari": 3, "kantha": 2, "kanthi": 5, "pattachitra": 4})
    matches = await backend._typo_matches(
        db, ["phulkri", "phlkri", "kanthe", "patachitar"], (await backend.lexicon(db)).vocabulary
    )
    assert matches == {
        "phulkri": ["phulkari"],  # 7 letters, one deletion
        "phlkri": [],  # 6 letters allow one typo, "phulkari" is two away
        "kanthe": ["kanthi", "kantha"],  # equally close: the more frequent first
        "patachitar": ["pattachitra"],  # 10 letters allow two typos
    }
    plans = await backend.plan(db, "phulkri kanthe")
    assert [p.group(2) for p in plans] == [{"phulkri", "phulkari"}, {"kanthe", "kanthi", "kantha"}]
    assert [p.group(0) for p in plans] == [{"phulkri"}, {"kanthe"}]


async def test_the_true_neighbour_is_found_among_many_trigram_lookalikes(
    db: AsyncSession, backend: PostgresBackend
) -> None:
    # "glsaXY" shares four trigrams with "glsas", "glass" only two ("  g", " gl"), but each
    # lookalike is two edits away: only a wide enough neighbourhood still reaches "glass".
    letters = [c for c in string.ascii_lowercase if c != "s"]
    lookalikes = [f"glsa{a}{b}" for a in letters for b in letters][: NEAREST_TERMS - 1]
    await write_terms(db, {"glass": 1, **dict.fromkeys(lookalikes, 50)})
    closer = await db.scalar(
        text(
            "SELECT count(*) FROM search_terms "
            "WHERE term <-> 'glsas' < CAST('glass' AS text) <-> 'glsas'"
        )
    )
    assert closer == len(lookalikes)
    vocabulary = (await backend.lexicon(db)).vocabulary
    assert await backend._typo_matches(db, ["glsas"], vocabulary) == {"glsas": ["glass"]}


async def test_one_statement_finds_the_typo_candidates_of_every_word(
    db: AsyncSession, backend: PostgresBackend
) -> None:
    await write_terms(db, {"firozabad": 4, "glass": 9, "channapatna": 2})
    await backend.lexicon(db)
    with recorded_statements(db.get_bind()) as statements:
        plans = await backend.plan(db, "firozbad glsas chanapatna toy")
    assert len(statements) == 1 and "<->" in statements[0]
    assert [p.group(2) for p in plans[:3]] == [
        {"firozbad", "firozabad"},
        {"glsas", "glsa", "glass"},  # the word, its plural fold, its correction
        {"chanapatna", "channapatna"},
    ]


async def test_workers_keep_no_typo_index_in_memory(
    db: AsyncSession, backend: PostgresBackend
) -> None:
    await write_terms(db, {"glass": 9})
    vocabulary = (await backend.lexicon(db)).vocabulary
    with pytest.raises(RuntimeError):
        vocabulary.typo_matches("glsas")
    assert vocabulary.prefix_matches("gla") == ["glass"]


async def test_a_small_vocabulary_is_scanned_in_the_process_with_the_same_answers(
    db: AsyncSession, backend: PostgresBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    await write_terms(db, {"phulkari": 3, "kantha": 2, "kanthi": 5, "pattachitra": 4, "glass": 9})
    vocabulary = (await backend.lexicon(db)).vocabulary
    words = ["phulkri", "phlkri", "kanthe", "patachitar", "glsas", "glass"]
    from_sql = await backend._typo_matches(db, words, vocabulary)
    monkeypatch.setattr(postgres_fts, "SCANNED_TYPO_TERMS", len(vocabulary) + 1)
    with recorded_statements(db.get_bind()) as statements:
        scanned = await backend._typo_matches(db, words, vocabulary)
    assert statements == []
    assert scanned == from_sql
    assert scanned["kanthe"] == ["kanthi", "kantha"] and scanned["glass"] == []
