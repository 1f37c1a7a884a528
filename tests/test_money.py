from __future__ import annotations

from decimal import Decimal

import pytest

from app.money import InvalidAmount, decimal_to_minor, paise_to_rupees, rupees_to_paise, to_minor


@pytest.mark.parametrize(
    ("typed", "paise"),
    [
        ("1250", 125_000),
        ("1,250.50", 125_050),
        ("₹ 1250.5", 125_050),
        ("12.345", 1235),  # half-up to the paisa
        ("12.344", 1234),
        ("0.005", 1),
        ("0", 0),
    ],
)
def test_typed_rupees_become_paise_rounded_half_up(typed: str, paise: int) -> None:
    assert rupees_to_paise(typed) == paise


@pytest.mark.parametrize("typed", ["", "abc", "NaN", "nan", "Infinity", "-Infinity", "-1", "1e13"])
def test_what_is_not_an_amount_is_refused_with_a_reason(typed: str) -> None:
    with pytest.raises(InvalidAmount) as caught:
        rupees_to_paise(typed)
    assert caught.value.status_code == 422 and caught.value.message


def test_other_minor_units_round_the_same_way() -> None:
    assert to_minor("12.5", 0) == 13  # yen: no minor unit
    assert to_minor("1.0005", 3) == 1001  # dinar: three decimals
    assert decimal_to_minor(Decimal("2.675")) == 268


def test_paise_print_back_as_the_rupees_they_were_typed_from() -> None:
    assert paise_to_rupees(125_050) == "1250.50"
    assert rupees_to_paise(paise_to_rupees(7)) == 7
