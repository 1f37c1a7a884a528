"""Validation of Indian business identifiers (GSTIN, PAN, Udyam, CIN, NRLM SHG id, Pehchan card,
IFSC, bank account number).

Every validator takes an already normalised value (see ``normalise``: trimmed, upper case, inner
spaces removed) and returns it, or raises ``InvalidIdentifier`` with a message for the form field.
Validators are strict on purpose: a lower-case or padded value is not valid, normalising is the
caller's explicit step.
"""

from __future__ import annotations

import re

from app.i18n import gettext as _
from app.sellers.models import SellerType

GSTIN_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_GSTIN = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")
_PAN = re.compile(r"^[A-Z]{3}[ABCFGHJLPT][A-Z][0-9]{4}[A-Z]$")
_UDYAM = re.compile(r"^UDYAM-[A-Z]{2}-[0-9]{2}-[0-9]{7}$")
_CIN = re.compile(r"^[LU][0-9]{5}[A-Z]{2}[0-9]{4}[A-Z]{3}[0-9]{6}$")
_NRLM_SHG = re.compile(r"^[0-9]{6,20}$")
_PEHCHAN = re.compile(r"^[A-Z0-9][A-Z0-9/-]{4,23}[A-Z0-9]$")
_IFSC = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")
_ACCOUNT = re.compile(r"^[0-9]{9,18}$")

# The PAN's fourth character says who holds it. Which holders fit which kind of seller.
PAN_HOLDER_TYPES: dict[SellerType, frozenset[str]] = {
    SellerType.ARTISAN: frozenset("P"),  # an individual
    SellerType.SHG: frozenset("AT"),  # association of persons, or a trust
    SellerType.FPO: frozenset("CA"),  # producer company, or a cooperative (AOP)
    SellerType.COOPERATIVE: frozenset("A"),  # cooperative societies are assessed as AOPs
    SellerType.MSME: frozenset("PCFHA"),  # proprietor, company, firm/LLP, HUF, AOP
}

# GST state codes are the Census 2011 state codes; they equal the LGD state codes except where
# states were reorganised after the GST code list was fixed.
_GST_CODE_EXCEPTIONS: dict[int, frozenset[str]] = {
    28: frozenset({"37"}),  # Andhra Pradesh (after 2014)
    37: frozenset({"38"}),  # Ladakh
    38: frozenset({"25", "26"}),  # Dadra and Nagar Haveli and Daman and Diu (merged 2020)
}


class InvalidIdentifier(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def normalise(value: str) -> str:
    return re.sub(r"\s+", "", value).upper()


def gst_state_codes(state_lgd_code: int) -> frozenset[str]:
    """The GSTIN prefixes a business in this state (by LGD code) may have."""
    return _GST_CODE_EXCEPTIONS.get(state_lgd_code, frozenset({f"{state_lgd_code:02d}"}))


def gstin_check_character(first14: str) -> str:
    """The GSTIN check character: Luhn mod 36 over the first 14 characters."""
    total = 0
    for index, char in enumerate(first14):
        product = GSTIN_ALPHABET.index(char) * (2 if index % 2 else 1)
        total += product // 36 + product % 36
    return GSTIN_ALPHABET[(36 - total % 36) % 36]


PAN_HOLDER_LETTERS = "ABCFGHJLPT"


def _pan_problem(value: str) -> str | None:
    """What is wrong with a PAN, naming the character and what was expected there."""
    if len(value) != 10:
        return _(
            "A PAN has 10 characters (5 letters, 4 digits, 1 letter, like ABCPE1234F); "
            "this has %(n)s.",
            n=len(value),
        )
    for index, char in enumerate(value):
        if index == 3 and char not in PAN_HOLDER_LETTERS:
            return _(
                "The 4th character of a PAN says who holds it: one of %(letters)s, not %(char)s.",
                letters=", ".join(PAN_HOLDER_LETTERS),
                char=char,
            )
        if (index < 5 or index == 9) and not ("A" <= char <= "Z"):
            return _(
                "Character %(n)s of a PAN must be a letter (A-Z), not %(char)s.",
                n=index + 1,
                char=char,
            )
        if 5 <= index <= 8 and not char.isdigit():
            return _(
                "Character %(n)s of a PAN must be a digit (0-9), not %(char)s.",
                n=index + 1,
                char=char,
            )
    return None


def validate_pan(value: str, seller_type: SellerType | None = None) -> str:
    if not _PAN.fullmatch(value):
        raise InvalidIdentifier(
            _pan_problem(value)
            or _("A PAN has 10 characters: 5 letters, 4 digits, 1 letter (for example ABCPE1234F).")
        )
    if seller_type is not None and value[3] not in PAN_HOLDER_TYPES[seller_type]:
        raise InvalidIdentifier(
            _(
                "The 4th character of this PAN (%(char)s) is for a different kind of holder "
                "than your seller type: it should be %(expected)s.",
                char=value[3],
                expected=_(" or ").join(sorted(PAN_HOLDER_TYPES[seller_type])),
            )
        )
    return value


def validate_gstin(value: str, *, state_lgd_code: int | None = None, pan: str | None = None) -> str:
    if not _GSTIN.fullmatch(value):
        raise InvalidIdentifier(
            _(
                "A GSTIN has 15 characters: state code, PAN, entity number, Z and a check "
                "character (for example 27AAPFU0939F1ZV)."
            )
        )
    if gstin_check_character(value[:14]) != value[14]:
        raise InvalidIdentifier(_("This GSTIN's check character is wrong: please check for typos."))
    if state_lgd_code is not None and value[:2] not in gst_state_codes(state_lgd_code):
        raise InvalidIdentifier(
            _(
                "This GSTIN is registered in another state (code %(code)s): use the GSTIN of "
                "your state.",
                code=value[:2],
            )
        )
    if pan is not None and value[2:12] != pan:
        raise InvalidIdentifier(_("The PAN inside this GSTIN is not the PAN you gave."))
    return value


def validate_udyam(value: str) -> str:
    if not _UDYAM.fullmatch(value):
        raise InvalidIdentifier(_("A Udyam registration number looks like UDYAM-UP-00-0000000."))
    return value


def validate_cin(value: str) -> str:
    if not _CIN.fullmatch(value):
        raise InvalidIdentifier(_("A CIN has 21 characters, for example U01400UP2019PTC123456."))
    return value


def validate_nrlm_shg_id(value: str) -> str:
    if not _NRLM_SHG.fullmatch(value):
        raise InvalidIdentifier(_("An NRLM SHG code has 6 to 20 digits."))
    return value


def validate_pehchan(value: str) -> str:
    if not _PEHCHAN.fullmatch(value):
        raise InvalidIdentifier(
            _("An artisan (Pehchan) card number has 6 to 25 letters, digits, / or -.")
        )
    return value


def validate_ifsc(value: str) -> str:
    if not _IFSC.fullmatch(value):
        raise InvalidIdentifier(
            _("An IFSC has 11 characters: 4 letters, 0, then 6 letters or digits.")
        )
    return value


def validate_account_number(value: str) -> str:
    if not _ACCOUNT.fullmatch(value):
        raise InvalidIdentifier(_("A bank account number has 9 to 18 digits."))
    return value
