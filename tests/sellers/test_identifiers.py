"""Identifier validators: real-format fixtures, every single-character GSTIN typo, properties."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.sellers import identifiers as ids
from app.sellers.identifiers import InvalidIdentifier
from app.sellers.models import SellerType

# Published GSTINs (company registrations printed on public invoices) with their state LGD code.
VALID_GSTINS = [
    ("27AAPFU0939F1ZV", 27),  # Maharashtra, a firm
    ("29AAGCB7383J1Z4", 29),  # Karnataka, a company
    ("09AAACH7409R1ZZ", 9),  # Uttar Pradesh
    ("24AAACC1206D1ZM", 24),  # Gujarat
]


@pytest.mark.parametrize(("gstin", "state"), VALID_GSTINS)
def test_valid_gstins_pass_with_their_state_and_pan(gstin: str, state: int) -> None:
    assert ids.validate_gstin(gstin, state_lgd_code=state, pan=gstin[2:12]) == gstin


@pytest.mark.parametrize(("gstin", "_state"), VALID_GSTINS)
def test_every_single_character_change_is_rejected(gstin: str, _state: int) -> None:
    alphabet = string.ascii_letters + string.digits + " -/."
    for position, original in enumerate(gstin):
        for replacement in alphabet:
            if replacement == original:
                continue
            changed = gstin[:position] + replacement + gstin[position + 1 :]
            with pytest.raises(InvalidIdentifier):
                ids.validate_gstin(changed)


def test_gstin_of_another_state_is_rejected() -> None:
    with pytest.raises(InvalidIdentifier, match="another state"):
        ids.validate_gstin("27AAPFU0939F1ZV", state_lgd_code=9)


def test_gstin_with_another_pan_is_rejected() -> None:
    with pytest.raises(InvalidIdentifier, match="PAN"):
        ids.validate_gstin("27AAPFU0939F1ZV", pan="AAPFU0939G")


@pytest.mark.parametrize(
    ("lgd", "gst"), [(28, "37"), (37, "38"), (38, "26"), (38, "25"), (9, "09"), (36, "36")]
)
def test_gst_state_codes_follow_the_census_codes(lgd: int, gst: str) -> None:
    assert gst in ids.gst_state_codes(lgd)


def test_pan_holder_type_must_fit_the_seller_type() -> None:
    assert ids.validate_pan("ABCPE1234F", SellerType.ARTISAN) == "ABCPE1234F"
    assert ids.validate_pan("AAPFU0939F", SellerType.MSME) == "AAPFU0939F"
    with pytest.raises(InvalidIdentifier, match="4th character"):
        ids.validate_pan("AAPFU0939F", SellerType.ARTISAN)
    with pytest.raises(InvalidIdentifier, match="4th character"):
        ids.validate_pan("ABCPE1234F", SellerType.COOPERATIVE)


@pytest.mark.parametrize(
    ("validator", "good", "bad"),
    [
        (ids.validate_pan, "ABCPE1234F", ["ABCPE1234", "ABCXE1234F", "abcpe1234f", "1BCPE1234F"]),
        (ids.validate_udyam, "UDYAM-UP-09-0012345", ["UDYAM-UP-9-0012345", "UDYAM-U1-09-0012345"]),
        (
            ids.validate_cin,
            "U01400UP2019PTC123456",
            ["U01400UP2019PTC12345", "X01400UP2019PTC123456"],
        ),
        (ids.validate_nrlm_shg_id, "1234567", ["12345", "12A4567"]),
        (ids.validate_pehchan, "UP/AGR/123456", ["AB", "UP AGR 1", "/ABCDEF"]),
        (ids.validate_ifsc, "SBIN0001234", ["SBIN1001234", "SBI00001234", "SBIN000123"]),
        (
            ids.validate_account_number,
            "123456789012",
            ["12345678", "1234567890123456789", "12AB5678901"],
        ),
    ],
)
def test_formats(validator: object, good: str, bad: list[str]) -> None:
    assert callable(validator)
    assert validator(good) == good
    for value in bad:
        with pytest.raises(InvalidIdentifier):
            validator(value)


def test_normalise_trims_and_upper_cases() -> None:
    assert ids.normalise(" 27aapfu0939f1zv \n") == "27AAPFU0939F1ZV"
    assert ids.normalise("sbin 000 1234") == "SBIN0001234"


# Properties ---------------------------------------------------------------------------------------
_alnum = st.sampled_from(ids.GSTIN_ALPHABET)
_letters = st.sampled_from(string.ascii_uppercase)
_digits = st.sampled_from(string.digits)


@st.composite
def gstin_bodies(draw: st.DrawFn) -> str:
    state = draw(st.integers(min_value=1, max_value=38))
    pan = (
        "".join(draw(_letters) for _ in range(3))
        + draw(st.sampled_from("ABCFGHJLPT"))
        + draw(_letters)
        + "".join(draw(_digits) for _ in range(4))
        + draw(_letters)
    )
    entity = draw(st.sampled_from(ids.GSTIN_ALPHABET[1:]))
    return f"{state:02d}{pan}{entity}Z"


@given(gstin_bodies())
def test_a_generated_gstin_with_its_check_character_is_valid(body: str) -> None:
    gstin = body + ids.gstin_check_character(body)
    assert ids.validate_gstin(gstin, pan=body[2:12]) == gstin


@given(gstin_bodies(), _alnum)
def test_exactly_one_check_character_is_valid(body: str, check: str) -> None:
    valid = check == ids.gstin_check_character(body)
    try:
        ids.validate_gstin(body + check)
    except InvalidIdentifier:
        assert not valid
    else:
        assert valid


@given(gstin_bodies(), st.integers(min_value=0, max_value=13), _alnum)
def test_any_substitution_in_the_body_changes_the_check_character(
    body: str, position: int, replacement: str
) -> None:
    changed = body[:position] + replacement + body[position + 1 :]
    if changed != body:
        assert ids.gstin_check_character(changed) != ids.gstin_check_character(body)


@given(st.text(max_size=30))
def test_validators_never_crash_on_arbitrary_text(text: str) -> None:
    for validator in (
        ids.validate_gstin,
        ids.validate_pan,
        ids.validate_udyam,
        ids.validate_cin,
        ids.validate_nrlm_shg_id,
        ids.validate_pehchan,
        ids.validate_ifsc,
        ids.validate_account_number,
    ):
        try:
            result = validator(text)
        except InvalidIdentifier as exc:
            result = exc.message
            assert result
        else:
            assert result == text


@given(st.from_regex(r"[A-Z]{4}0[A-Z0-9]{6}", fullmatch=True))
def test_every_ifsc_shaped_value_passes(value: str) -> None:
    assert ids.validate_ifsc(value) == value
