"""Query understanding: which words of a query name a place.

The gazetteer holds every State and district name (English, Hindi from the reference tables and
``districts_hi.csv``) and the former or common names of ``place_aliases.csv`` (Mysore, Banaras,
Calcutta, Bombay, …), each as a sequence of analysed terms. ``understand`` finds the longest
place names in a query; the rest of the query are the product words, which must match, while the
places become a preference for listings from there (see DatabaseBackend._rank).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from app.catalog.search import analysis

DATA = Path(__file__).resolve().parents[2] / "data" / "reference"
# Districts named only by a direction ("North", "East District") would capture ordinary words.
_DIRECTIONS = {"north", "south", "east", "west", "central", "district", "middle", "upper", "lower"}


@dataclass(frozen=True)
class Place:
    state_slug: str
    state: str
    district_key: str | None = None  # "state-slug/district-slug"
    district: str | None = None

    @property
    def label(self) -> str:
        return f"{self.district}, {self.state}" if self.district else self.state


@dataclass(frozen=True)
class PlaceRow:
    """A State (district fields None) or a district, as the catalog tables hold it."""

    state: str
    state_slug: str
    state_hi: str | None
    district: str | None = None
    district_slug: str | None = None
    district_hi: str | None = None
    lgd_code: int | None = None


@dataclass
class Understanding:
    """A query split into product words and places."""

    words: list[str]  # every query word as typed (normalised)
    product_words: list[str]
    places: list[Place] = field(default_factory=list)
    place_words: list[str] = field(default_factory=list)

    @property
    def place_text(self) -> str:
        """The places' own names, to search for when the query is nothing but places."""
        names = {p.district or p.state for p in self.places}
        return " ".join(sorted(names))


@cache
def hindi_district_names() -> dict[int, str]:
    """LGD code -> Hindi name, from the rows of districts_hi.csv without a QA flag."""
    with (DATA / "districts_hi.csv").open(encoding="utf-8") as handle:
        return {int(row["lgd_code"]): row["name_hi"] for row in csv.DictReader(handle)}


@cache
def aliases() -> list[tuple[str, str, str]]:
    """(alias, state name, district name or "")."""
    with (DATA / "place_aliases.csv").open(encoding="utf-8") as handle:
        return [(row["alias"], row["state"], row["district"]) for row in csv.DictReader(handle)]


def _key(name: str) -> tuple[str, ...]:
    return tuple(analysis.terms(name))


class Gazetteer:
    def __init__(self, rows: Iterable[PlaceRow]) -> None:
        self.names: dict[tuple[str, ...], set[Place]] = {}
        self.districts: list[Place] = []
        # (district key, name) for every name of every district, former and Hindi names too:
        # what a search with no hits compares the query with ("mysoreee" -> Mysuru).
        self.district_names: list[tuple[str, str]] = []
        by_name: dict[tuple[str, str], Place] = {}
        hindi = hindi_district_names()
        for row in rows:
            if row.district is None:
                place = Place(row.state_slug, row.state)
                names = [row.state, row.state_hi]
            else:
                key = f"{row.state_slug}/{row.district_slug}"
                place = Place(row.state_slug, row.state, key, row.district)
                self.districts.append(place)
                names = [row.district, row.district_hi]
                if row.lgd_code is not None:
                    names.append(hindi.get(row.lgd_code))
            by_name[(row.state, row.district or "")] = place
            for name in names:
                self._add(name, place)
        for alias, state, district in aliases():
            found = by_name.get((state, district))
            if found is not None:
                self._add(alias, found)
        self.longest = max((len(k) for k in self.names), default=0)

    def _add(self, name: str | None, place: Place) -> None:
        key = _key(name or "")
        if key and not set(key) <= _DIRECTIONS:
            self.names.setdefault(key, set()).add(place)
            if place.district_key is not None and name:
                self.district_names.append((place.district_key, name))

    def understand(self, words: Sequence[str]) -> Understanding:
        """Split query words (from analysis.query_words) into product words and places, taking
        the longest place name at each position."""
        terms = [analysis.stem(w) for w in words]
        product: list[str] = []
        places: list[Place] = []
        place_words: list[str] = []
        i = 0
        while i < len(words):
            for n in range(min(self.longest, len(words) - i), 0, -1):
                found = self.names.get(tuple(terms[i : i + n]))
                if found:
                    ordered = sorted(found, key=lambda p: (p.state_slug, p.district_key or ""))
                    places.extend(p for p in ordered if p not in places)
                    place_words.extend(words[i : i + n])
                    i += n
                    break
            else:
                product.append(words[i])
                i += 1
        return Understanding(list(words), product, places, place_words)
