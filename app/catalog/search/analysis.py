"""Text analysis shared by the database backends: tokens, typo budgets and the typo vocabulary.

Documents and queries go through the same ``terms()`` so matching is exact on normalised terms;
typo tolerance and prefix matching are resolved against the vocabulary (the distinct indexed
terms), never by fuzzy-matching documents, so the per-query work stays bounded. Typo candidates
come from an in-memory symmetric-delete index (SQLite) or a trigram index (PostgreSQL); either
way ``closest_typos`` decides which of them count.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from indic_transliteration import sanscript
from rapidfuzz import process
from rapidfuzz.distance import OSA

MAX_QUERY_CHARS = 200
MAX_QUERY_TERMS = 10
MAX_PREFIX_EXPANSIONS = 40
MAX_TYPO_EXPANSIONS = 8
# Words that join others in a query ("carpets from bhadohi"); left out unless the query is
# nothing else. Meilisearch gets the same list as its stop words.
STOP_WORDS = (
    "a",
    "an",
    "and",
    "at",
    "by",
    "for",
    "from",
    "in",
    "of",
    "on",
    "or",
    "the",
    "to",
    "with",
)
# Latin letters and digits, or Devanagari runs (vowel signs and the virama are marks that a plain
# \w would split on).
_TOKEN = re.compile(r"[0-9a-z]+|[\u0900-\u0963\u0966-\u097f]+")
_COMBINING = re.compile(r"[\u0300-\u036f]")


def normalise(text: str) -> str:
    """Lower case, Latin accents dropped (NFKD), Devanagari kept as written (NFC)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return unicodedata.normalize("NFC", _COMBINING.sub("", decomposed))


def stem(token: str) -> str:
    """A light English plural fold, applied to documents and queries alike (sarees -> saree)."""
    if token.isascii() and len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def raw_tokens(text: str) -> list[str]:
    return _TOKEN.findall(normalise(text))


def terms(text: str) -> list[str]:
    return [stem(token) for token in raw_tokens(text)]


def typo_budget(word: str) -> int:
    """Meilisearch's default rule: 1 typo from 5 characters, 2 from 9."""
    if len(word) >= 9:
        return 2
    return 1 if len(word) >= 5 else 0


def damerau_levenshtein(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a transposition is one typo, as in Meilisearch),
    or limit + 1 once it exceeds ``limit``. RapidFuzz computes it in C++: checking a hundred
    candidates per query word in Python took milliseconds."""
    return int(OSA.distance(a, b, score_cutoff=limit))


def closest_typos(word: str, candidates: Mapping[str, int]) -> list[str]:
    """The candidate terms (term -> document frequency) within the word's typo budget, closest
    and most frequent first, at most MAX_TYPO_EXPANSIONS."""
    budget = typo_budget(word)
    if budget == 0:
        return []
    close = []
    for term, df in candidates.items():
        distance = damerau_levenshtein(word, term, budget)
        if 0 < distance <= budget:
            close.append((distance, -df, term))
    return [t for _, _, t in sorted(close)[:MAX_TYPO_EXPANSIONS]]


def _deletes(word: str, depth: int) -> set[str]:
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def _delete_index(terms: Iterable[str]) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for term in terms:
        # A term of 7+ characters can be two edits away from a 9-character query word.
        depth = 2 if len(term) >= 7 else 1 if len(term) >= 4 else 0
        for variant in _deletes(term, depth):
            index.setdefault(variant, []).append(term)
    # Tuples of strings drop out of the garbage collector's tracking; tens of thousands of
    # lists would be walked by every full collection, stalling requests.
    return {variant: tuple(found) for variant, found in index.items()}


class Vocabulary:
    """Distinct indexed terms with their document frequency.

    Typo candidates come from a symmetric-delete index (the terms with up to two characters
    removed), checked with a bounded edit distance; prefixes from a sorted list. Both are
    built once per refresh, so a query costs a few dictionary lookups per word. The delete
    index holds dozens of entries per term: ``typo_index=False`` leaves it out for a backend
    that finds typo candidates elsewhere.
    """

    def __init__(self, frequencies: dict[str, int], *, typo_index: bool = True) -> None:
        self.frequencies = frequencies
        self._sorted = sorted(frequencies)
        self._deletes = _delete_index(frequencies) if typo_index else None

    def __len__(self) -> int:
        return len(self.frequencies)

    def typo_matches(self, word: str) -> list[str]:
        """Indexed terms within the word's typo budget, closest and most frequent first."""
        if self._deletes is None:
            raise RuntimeError("this vocabulary was built without its typo index")
        candidates: dict[str, int] = {}
        for variant in _deletes(word, typo_budget(word)):
            for term in self._deletes.get(variant, ()):
                candidates[term] = self.frequencies[term]
        return closest_typos(word, candidates)

    def scanned_typo_matches(self, word: str) -> list[str]:
        """What typo_matches gives, without the delete index: every term is compared (RapidFuzz's
        scan in C++, about 40 ns a term), so only for a small vocabulary."""
        budget = typo_budget(word)
        if budget == 0:
            return []
        near = process.extract(
            word, self._sorted, scorer=OSA.distance, score_cutoff=budget, limit=None
        )
        return closest_typos(word, {term: self.frequencies[term] for term, _, _ in near})

    def prefix_matches(self, prefix: str) -> list[str]:
        """Indexed terms that start with ``prefix`` (not the prefix itself), most frequent first."""
        start = bisect.bisect_left(self._sorted, prefix)
        found = []
        for term in self._sorted[start:]:
            if not term.startswith(prefix):
                break
            if term != prefix:
                found.append(term)
        found.sort(key=lambda t: -self.frequencies[t])
        return found[:MAX_PREFIX_EXPANSIONS]


class Synonyms:
    """Groups of equivalent words; each word maps to the other words of its groups."""

    def __init__(self, groups: Iterable[Iterable[str]]) -> None:
        self.by_term: dict[str, set[str]] = {}
        for group in groups:
            members = {stem(t) for word in group for t in raw_tokens(word)}
            for member in members:
                self.by_term.setdefault(member, set()).update(members - {member})

    def of(self, term: str) -> set[str]:
        return self.by_term.get(term, set())


def query_words(query: str) -> list[str]:
    """The words of a query: truncated, normalised, at most MAX_QUERY_TERMS."""
    return raw_tokens(query[:MAX_QUERY_CHARS])[:MAX_QUERY_TERMS]


def expand(
    words: list[str],
    vocabulary: Vocabulary,
    synonyms: Synonyms,
    *,
    prefix_last: bool,
    typo_matches: Mapping[str, Sequence[str]] | None = None,
) -> list[set[str]]:
    """One set of acceptable indexed terms per query word (all words must match).

    A word matches itself, its synonyms, its ``typo_matches`` (indexed terms within its typo
    budget; none when not given), and, for the last word as typed, the indexed terms it is a
    prefix of.
    """
    groups = []
    for position, word in enumerate(words):
        term = stem(word)
        exact = {term, word}
        typos = set(typo_matches.get(word, ())) if typo_matches else set()
        group = exact | typos
        for match in list(group):
            group |= synonyms.of(match)
        if prefix_last and position == len(words) - 1:
            group |= set(vocabulary.prefix_matches(word))
        # Expansions the index has never seen can match nothing; the word itself always stays,
        # and so do typo matches (they were looked up among the indexed terms, possibly newer
        # ones than this vocabulary has).
        groups.append(exact | typos | {t for t in group if t in vocabulary.frequencies})
    return groups


# A word as written (any case, accents, Devanagari), for highlighting in the original text.
WORD = re.compile(r"[\w\u0900-\u097f]+")


DEVANAGARI = re.compile(r"[\u0900-\u097f]")
# IAST letters to the plain Latin spellings English-language listings use.
_IAST_PLAIN = (
    ("ch", "\x00"),  # aspirated ch (छ) first, so the c of च can become ch
    ("c", "ch"),
    ("\x00", "chh"),
    ("ś", "sh"),
    ("ṣ", "sh"),
    ("ṛ", "ri"),
    ("r̤", "r"),
    ("ṃ", "n"),
    ("ṅ", "n"),
    ("ñ", "n"),
)
_CONSONANT_A = re.compile(r"(?<=[bcdfghjklmnpqrstvwxyzṭḍṇśṣṃ])a$")


def transliterate(word: str) -> str | None:
    """A Devanagari word in plain Latin letters ("दार्जिलिंग" -> "darjiling"), for matching
    English-language listings with typo tolerance; None for a word that is not Devanagari."""
    if not DEVANAGARI.search(word):
        return None
    latin = str(sanscript.transliterate(word, sanscript.DEVANAGARI, sanscript.IAST)).lower()
    # Hindi drops the final inherent (short) vowel that IAST writes: darjilinga -> darjiling.
    if len(latin) > 3:
        latin = _CONSONANT_A.sub("", latin)
    for old, new in _IAST_PLAIN:
        latin = latin.replace(old, new)
    return "".join(_TOKEN.findall(normalise(latin)))


def splits(word: str) -> list[tuple[str, str]]:
    """Ways to read a word as two words written together, each of at least three letters."""
    return [(word[:i], word[i:]) for i in range(3, len(word) - 2)]
