"""Accounts by mobile number: sign-up and sign-in with a one-time code sent by SMS.

* Numbers are Indian mobiles: +91 and 10 digits starting 6-9 (typed with or without +91, 0,
  spaces or dashes); stored as E.164 (``+919876543210``).
* A code is 6 digits, lives ``ODOP_PHONE_CODE_MINUTES``, allows 5 guesses, works once; only its
  HMAC (keyed by the secret key and bound to the row and number) is stored, and the job that
  texts it draws it, so the code exists only in the text message.
* Sending is throttled per number and per IP (``throttle.Rule`` counters in
  ``sign_in_throttles``): a second text to one number waits 30 s, then 60 s, 120 s...; at most
  ``ODOP_PHONE_CODES_PER_NUMBER_HOUR`` per number and ``ODOP_PHONE_CODES_PER_IP_HOUR`` per IP.
  Wrong codes count per number and under the sign-in ``ip`` rule.
* Sign-up creates the account only when the code proves the number; sign-in texts a code only to
  a verified number (the page answers the same either way, so numbers cannot be probed).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository, throttle
from app.accounts.errors import FieldError, TooManyAttempts
from app.accounts.models import PhoneCode, PhoneCodePurpose, Role, User
from app.config import Settings
from app.db import utcnow
from app.errors import FormErrors
from app.i18n import LANGUAGES
from app.i18n import gettext as _
from app.jobs import enqueue

JOB_KIND = "accounts.phone_code"
CODE_DIGITS = 6
MAX_GUESSES = 5
_SEPARATORS = re.compile(r"[\s\-().]")
_MOBILE = re.compile(r"[6-9]\d{9}")


def normalise_phone(raw: str, field: str = "phone") -> str:
    """``+91`` and the 10-digit mobile number, or a FieldError that says what is wrong."""
    digits = _SEPARATORS.sub("", raw.strip())
    if not digits:
        raise FieldError(field, _("Enter your mobile number."))
    if digits.startswith("+"):
        if not digits.startswith("+91"):
            raise FieldError(field, _("Enter an Indian mobile number (+91)."))
        digits = digits[3:]
    elif len(digits) == 12 and digits.startswith("91"):
        digits = digits[2:]
    elif len(digits) == 11 and digits.startswith("0"):
        digits = digits[1:]
    if not digits.isdigit():
        raise FieldError(field, _("Use digits only, like 98765 43210."))
    if len(digits) != 10:
        raise FieldError(field, _("A mobile number has 10 digits; this has %(n)s.", n=len(digits)))
    if not _MOBILE.fullmatch(digits):
        raise FieldError(field, _("An Indian mobile number starts with 6, 7, 8 or 9."))
    return "+91" + digits


def display_phone(phone: str) -> str:
    """``+91 98765 43210``."""
    return f"{phone[:3]} {phone[3:8]} {phone[8:]}" if len(phone) == 13 else phone


def _rules(settings: Settings) -> dict[str, throttle.Rule]:
    return {
        "sms_number": throttle.Rule("sms_number", 1, 30, 900, settings.phone_codes_per_number_hour),
        "sms_ip": throttle.Rule("sms_ip", 5, 2, 300, settings.phone_codes_per_ip_hour),
        "code_number": throttle.Rule("code_number", 5, 2, 900, 30),
        "ip": throttle.rules(
            settings.sign_in_max_failures_per_account_hour,
            settings.sign_in_max_failures_per_ip_hour,
        )["ip"],
    }


async def _check_wait(
    session: AsyncSession, rules: dict[str, throttle.Rule], checked: dict[str, str], message: str
) -> None:
    now = utcnow()
    rows = await repository.throttles(session, list(checked.values()))
    wait = max(
        (
            rules[name].wait(row.failures, row.window_started_at, row.last_failure_at, now)
            for name, key in checked.items()
            if (row := rows.get(key)) is not None
        ),
        default=0.0,
    )
    if wait > 0:
        seconds = math.ceil(wait)
        raise TooManyAttempts(message % {"n": seconds}, seconds)


def code_hash(settings: Settings, code_id: int, phone: str, code: str) -> str:
    key = settings.secret_key.encode()
    return hmac.new(key, f"{code_id}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise FieldError("display_name", _("Enter your name."))
    if len(name) > 120:
        raise FieldError("display_name", _("Use at most %(n)s characters.", n=120))
    return name


async def request_code(
    session: AsyncSession,
    settings: Settings,
    *,
    phone: str,
    purpose: PhoneCodePurpose,
    ip: str,
    display_name: str = "",
    language: str = "en",
) -> str:
    """Queue a code for ``phone`` (normalised and returned). Raises FieldError for a bad number
    or name, TooManyAttempts when this number or IP must wait (the caller commits either way)."""
    if purpose == PhoneCodePurpose.SIGN_UP:
        FormErrors.collect(lambda: _check_name(display_name), lambda: normalise_phone(phone))
        display_name = _check_name(display_name)
    number = normalise_phone(phone)
    rules = _rules(settings)
    checked = {
        "sms_number": rules["sms_number"].key(number),
        "sms_ip": rules["sms_ip"].key(ip),
    }
    await _check_wait(
        session,
        rules,
        checked,
        _("We have just sent a code. Wait %(n)s seconds before asking for another."),
    )
    now = utcnow()
    await repository.record_failure(session, sorted(checked.values()), now)
    if purpose == PhoneCodePurpose.SIGN_IN:
        user = await repository.user_by_phone(session, number)
        if user is None or user.phone_verified_at is None or not user.is_active:
            return number  # nothing is sent; the page answers the same
    await repository.retire_phone_codes(session, number, now)
    code = PhoneCode(
        phone=number,
        purpose=purpose,
        display_name=display_name,
        language=language if language in LANGUAGES else "en",
        created_at=now,
        expires_at=now + timedelta(minutes=settings.phone_code_minutes),
    )
    session.add(code)
    await session.flush()
    enqueue(session, JOB_KIND, {"code_id": code.id})
    return number


@dataclass(frozen=True)
class Verified:
    user: User
    created: bool


async def verify_code(
    session: AsyncSession, settings: Settings, *, phone: str, code: str, ip: str
) -> Verified:
    """The account the code proves (created for a sign-up). Raises FieldError("code") for a
    wrong, used or expired code and TooManyAttempts; the caller commits either way, so wrong
    guesses count."""
    number = normalise_phone(phone)
    typed = re.sub(r"\s", "", code)
    rules = _rules(settings)
    checked = {"code_number": rules["code_number"].key(number), "ip": rules["ip"].key(ip)}
    await _check_wait(
        session, rules, checked, _("Too many wrong codes. Wait %(n)s seconds and try again.")
    )
    now = utcnow()
    row = await repository.live_phone_code(session, number, now)
    if row is None or row.code_hash is None:
        raise FieldError("code", _("This code has expired or was already used. Ask for a new one."))
    expected = row.code_hash
    if not (
        len(typed) == CODE_DIGITS
        and typed.isdigit()
        and hmac.compare_digest(expected, code_hash(settings, row.id, number, typed))
    ):
        row.attempts += 1
        if row.attempts >= MAX_GUESSES:
            row.used_at = now
        await repository.record_failure(session, sorted(checked.values()), now)
        await session.flush()
        if row.used_at is not None:
            raise FieldError(
                "code", _("That code is not right, and it is now used up. Ask for a new one.")
            )
        raise FieldError(
            "code",
            _(
                "That code is not right. Check the text message: %(n)s tries left.",
                n=MAX_GUESSES - row.attempts,
            ),
        )
    row.used_at = now
    await repository.clear_throttles(session, [checked["code_number"]])
    user = await repository.user_by_phone(session, number)
    if user is not None:
        if not user.is_active:
            raise FieldError("code", _("This account is closed."))
        if user.phone_verified_at is None:
            user.phone_verified_at = now
        await session.flush()
        return Verified(user, created=False)
    if row.purpose != PhoneCodePurpose.SIGN_UP:
        raise FieldError("code", _("This code has expired or was already used. Ask for a new one."))
    user = User(
        phone=number,
        phone_verified_at=now,
        display_name=row.display_name,
        role=Role.BUYER,
        language=row.language,
    )
    session.add(user)
    await session.flush()
    return Verified(user, created=True)


def sms_text(code: str, minutes: int) -> str:
    return _(
        "%(code)s is your ODOP Bazaar code. It expires in %(n)s minutes. Never share it.",
        code=code,
        n=minutes,
    )
