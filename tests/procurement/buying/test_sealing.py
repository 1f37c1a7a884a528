"""Sealed bid values: only the server's key opens them, and only on their own bid."""

from __future__ import annotations

from datetime import date

import pytest
from cryptography.exceptions import InvalidTag

from app.procurement.buying import sealing

KEY = "k" * 40
VALUES = sealing.SealedValues(123_456, 40, 9, date(2027, 3, 1))


def test_round_trip_and_no_plain_value_in_the_ciphertext() -> None:
    token = sealing.seal(KEY, 5, 7, VALUES)
    assert "123456" not in token and "2027" not in token
    assert sealing.unseal(KEY, 5, 7, token) == VALUES


def test_a_sealed_value_copied_to_another_bid_does_not_open() -> None:
    token = sealing.seal(KEY, 5, 7, VALUES)
    with pytest.raises(InvalidTag):
        sealing.unseal(KEY, 5, 8, token)
    with pytest.raises(InvalidTag):
        sealing.unseal("x" * 40, 5, 7, token)


def test_fingerprint_differs_for_the_same_values_sealed_twice() -> None:
    one, two = sealing.seal(KEY, 5, 7, VALUES), sealing.seal(KEY, 5, 7, VALUES)
    assert sealing.fingerprint(one) != sealing.fingerprint(two)
