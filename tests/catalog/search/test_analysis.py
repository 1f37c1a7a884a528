"""Text analysis: tokens (Devanagari kept whole), typo budgets and the vocabulary lookups."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.catalog.search import analysis
from app.catalog.search.analysis import Synonyms, Vocabulary


def test_terms_fold_case_accents_and_plurals_but_keep_devanagari_whole() -> None:
    assert analysis.terms("Kanchipuram SAREES, Crème") == ["kanchipuram", "saree", "creme"]
    assert analysis.terms("बनारसी साड़ी") == ["बनारसी", "साड़ी"]
    assert analysis.terms("glass toys") == ["glass", "toy"]


def test_query_words_are_truncated() -> None:
    assert len(analysis.query_words("word " * 500)) == analysis.MAX_QUERY_TERMS
    assert analysis.query_words('"glass" OR NEAR(toys)*') == ["glass", "or", "near", "toys"]


def test_typo_budget_follows_meilisearch() -> None:
    assert [analysis.typo_budget("x" * n) for n in (4, 5, 8, 9)] == [0, 1, 1, 2]


def test_vocabulary_typos_within_budget_only() -> None:
    vocabulary = Vocabulary({"firozabad": 5, "glass": 9, "channapatna": 3, "toy": 4})
    assert vocabulary.typo_matches("firozbad") == ["firozabad"]  # 8 letters, one deletion
    assert vocabulary.typo_matches("glsas") == ["glass"]  # transposition counts once
    assert vocabulary.typo_matches("gls") == []  # too short for a typo
    assert vocabulary.typo_matches("chanapatan") == ["channapatna"]  # 10 letters, two typos
    assert vocabulary.typo_matches("chanapatan"[:8]) == []  # "chanapat": not within one
    assert vocabulary.prefix_matches("gla") == ["glass"]
    assert vocabulary.prefix_matches("zzz") == []


def test_expand_adds_synonyms_of_corrected_words() -> None:
    vocabulary = Vocabulary({"banarasi": 2, "varanasi": 3, "saree": 4})
    synonyms = Synonyms([["banarasi", "varanasi", "बनारसी"], ["saree", "sari", "साड़ी"]])
    words = ["banarsi", "sari"]
    typos = {word: vocabulary.typo_matches(word) for word in words}
    groups = analysis.expand(words, vocabulary, synonyms, prefix_last=False, typo_matches=typos)
    assert groups[0] >= {"banarasi", "varanasi"}
    assert "saree" in groups[1]
    without_typos = analysis.expand(words, vocabulary, synonyms, prefix_last=False)
    assert without_typos[0] == {"banarsi"}
    hindi = analysis.expand(["बनारसी"], vocabulary, synonyms, prefix_last=True)
    assert hindi[0] >= {"बनारसी", "banarasi", "varanasi"}


def _osa_reference(a: str, b: str) -> int:
    """Optimal string alignment distance, the textbook dynamic programme."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@given(st.text("abcdeू", max_size=10), st.text("abcdeू", max_size=10), st.integers(1, 2))
def test_edit_distance_is_optimal_string_alignment_cut_at_the_limit(
    a: str, b: str, limit: int
) -> None:
    exact = _osa_reference(a, b)
    assert analysis.damerau_levenshtein(a, b, limit) == min(exact, limit + 1)
