"""What to offer when a search finds nothing at all: the closest indexed words, the GI tags and
districts whose names are near the query, and the most popular categories."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from app.catalog.search import analysis
from app.catalog.search.places import Place

MAX_TERMS = 5
MAX_NAMES = 4
NAME_SCORE = 75  # rapidfuzz WRatio, 0-100


@dataclass(frozen=True)
class Suggestions:
    terms: list[str] = field(default_factory=list)
    gi_tags: list[tuple[str, str]] = field(default_factory=list)  # (slug, name)
    districts: list[Place] = field(default_factory=list)
    categories: list[tuple[str, str]] = field(default_factory=list)  # (slug, name)

    def __bool__(self) -> bool:
        return bool(self.terms or self.gi_tags or self.districts or self.categories)


def closest_terms(words: Sequence[str], frequencies: Mapping[str, int]) -> list[str]:
    """Indexed terms a few edits from each query word (further than typo tolerance reaches),
    closest and most frequent first."""
    found: dict[str, tuple[int, int]] = {}
    choices = list(frequencies)
    for word in words:
        if len(word) < 3 or analysis.DEVANAGARI.search(word):
            continue
        limit = max(2, len(word) // 3)
        for term, distance, _ in process.extract(
            word, choices, scorer=Levenshtein.distance, score_cutoff=limit, limit=MAX_TERMS
        ):
            if term != word:
                key = (int(distance), -frequencies[term])
                found[term] = min(found.get(term, key), key)
    return sorted(found, key=lambda t: found[t])[:MAX_TERMS]


def near_names(
    text: str, names: Iterable[tuple[str, str]], limit: int = MAX_NAMES
) -> list[tuple[str, str]]:
    """(key, name) pairs whose name is close to ``text``, best first."""
    pairs = list(names)
    matches = process.extract(
        analysis.normalise(text),
        [analysis.normalise(name) for _, name in pairs],
        scorer=fuzz.WRatio,
        score_cutoff=NAME_SCORE,
        limit=limit,
    )
    return [pairs[index] for _, _, index in matches]
