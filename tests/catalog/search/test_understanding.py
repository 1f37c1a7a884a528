"""Query understanding without a database: place names, transliteration, compounds."""

from __future__ import annotations

from app.catalog.search import analysis
from app.catalog.search.places import Gazetteer, PlaceRow, aliases, hindi_district_names
from app.catalog.search.suggestions import closest_terms, near_names

ROWS = [
    PlaceRow("Karnataka", "karnataka", "कर्नाटक"),
    PlaceRow("Uttar Pradesh", "uttar-pradesh", "उत्तर प्रदेश"),
    PlaceRow("Delhi", "delhi", "दिल्ली"),
    PlaceRow("Karnataka", "karnataka", "कर्नाटक", "Mysuru", "mysuru", None, 545),
    PlaceRow("Uttar Pradesh", "uttar-pradesh", "उत्तर प्रदेश", "Varanasi", "varanasi", None, 187),
    PlaceRow("Uttar Pradesh", "uttar-pradesh", "उत्तर प्रदेश", "Agra", "agra", None, 118),
    PlaceRow("Delhi", "delhi", "दिल्ली", "North", "north", None, 90),
    PlaceRow("Puducherry", "puducherry", None),
    PlaceRow("Puducherry", "puducherry", None, "Pondicherry", "pondicherry", None, 1),
]


def understood(query: str) -> tuple[list[str], list[str]]:
    found = Gazetteer(ROWS).understand(analysis.query_words(query))
    return found.product_words, [p.label for p in found.places]


def test_places_are_found_by_every_name_and_the_rest_are_product_words() -> None:
    assert understood("mysore silk") == (["silk"], ["Mysuru, Karnataka"])
    # "puducherry" names the State and (as an alias) the Pondicherry district.
    assert understood("puducherry")[1] == ["Puducherry", "Pondicherry, Puducherry"]
    assert understood("Banarasi saree") == (["saree"], ["Varanasi, Uttar Pradesh"])
    assert understood("carpets uttar pradesh") == (["carpets"], ["Uttar Pradesh"])
    assert understood("आगरा पेठा") == (["पेठा"], ["Agra, Uttar Pradesh"])  # districts_hi.csv
    assert understood("बनारसी साड़ी") == (["साड़ी"], ["Varanasi, Uttar Pradesh"])
    # A name that is a State's and a district's gives both (State first).
    assert understood("delhi")[1] == ["Delhi"]
    # A district named only by a direction does not capture the word.
    assert understood("north east handloom") == (["north", "east", "handloom"], [])


def test_search_data_files_hold_only_reviewed_rows() -> None:
    hindi = hindi_district_names()
    assert hindi[118] == "आगरा" and 25 not in hindi  # Solan carries a QA flag upstream
    assert ("calcutta", "West Bengal", "Kolkata") in aliases()


def test_devanagari_is_transliterated_to_plain_latin() -> None:
    assert analysis.transliterate("दार्जिलिंग") == "darjiling"
    assert analysis.transliterate("मखाना") == "makhana"  # a long final vowel stays
    assert analysis.transliterate("चाय") == "chay"
    assert analysis.transliterate("silk") is None


def test_suggestions_reach_further_than_typo_tolerance() -> None:
    frequencies = {"glass": 9, "glaze": 2, "grass": 5, "bangles": 4}
    # Closest first; "grass" is three edits away.
    assert closest_terms(["glazz"], frequencies) == ["glaze", "glass"]
    assert near_names("firozabadxyz glazz", [("a", "Firozabad Glass"), ("b", "Kota Doria")]) == [
        ("a", "Firozabad Glass")
    ]


def test_a_search_with_no_hits_is_offered_districts_by_any_of_their_names() -> None:
    names = Gazetteer(ROWS).district_names
    assert ("karnataka/mysuru", "Mysuru") in names
    assert any(key == "karnataka/mysuru" and name.lower() == "mysore" for key, name in names)
    # "mysoreee" is four edits from Mysuru but near its former name.
    assert near_names("mysoreee", names)[0][0] == "karnataka/mysuru"
    # A district named only by a direction is not offered by that name.
    assert ("delhi/north", "North") not in names
