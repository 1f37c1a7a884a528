"""Every unit of sale a seller can pick has its word on the catalog's cards, in each language."""

from __future__ import annotations

from app.catalog.views import unit_words
from app.i18n import reset_language, set_language
from app.listings.models import UNITS


def test_every_unit_of_sale_has_a_card_word() -> None:
    assert set(unit_words()) == set(UNITS)


def test_the_card_words_follow_the_language() -> None:
    token = set_language("hi")
    try:
        hindi = unit_words()
    finally:
        reset_language(token)
    assert hindi["dozen"] != "dozen" and hindi["piece"] != "piece"
