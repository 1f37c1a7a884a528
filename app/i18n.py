"""English and Hindi: gettext catalogs compiled from the .po files at start-up, chosen per request.

Each domain keeps its Hindi messages in its own file, ``app/locale/hi/LC_MESSAGES/<domain>.po``,
so parallel work does not collide; all files of a language are merged into one catalog. Adding a
language is adding a folder of .po files and an entry in ``LANGUAGES``.
"""

from __future__ import annotations

import contextvars
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT_LANGUAGE = "en"
LANGUAGES: dict[str, str] = {"en": "English", "hi": "हिन्दी"}
LANGUAGE_COOKIE = "odop_lang"

_current_language: contextvars.ContextVar[str] = contextvars.ContextVar(
    "language", default=DEFAULT_LANGUAGE
)


@cache
def translations_for(language: str) -> NullTranslations:
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    merged: Translations | None = None
    for po_file in sorted(folder.glob("*.po")):
        with po_file.open("rb") as handle:
            catalog = read_po(handle, locale=language, domain=po_file.stem)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        compiled = Translations(fp=buffer, domain="messages")
        merged = compiled if merged is None else merged.merge(compiled)
    return merged or NullTranslations()


def set_language(language: str) -> contextvars.Token[str]:
    return _current_language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def reset_language(token: contextvars.Token[str]) -> None:
    _current_language.reset(token)


def current_language() -> str:
    return _current_language.get()


def gettext(message: str, **values: object) -> str:
    """Translate into the current request's language; ``%(name)s`` placeholders are filled."""
    translated = translations_for(current_language()).gettext(message)
    return translated % values if values else translated


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    translated = translations_for(current_language()).ngettext(singular, plural, n)
    return translated % {"num": n, **values}


def negotiate(cookie_value: str | None, accept_language: str | None) -> str:
    """The saved choice wins; otherwise the browser's first supported language; else English."""
    if cookie_value in LANGUAGES:
        return cookie_value
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def localized_name(obj: object, field: str = "name") -> str:
    """The Hindi form of a reference name where one exists and Hindi is chosen."""
    value = str(getattr(obj, field))
    if current_language() != DEFAULT_LANGUAGE:
        translated = getattr(obj, f"{field}_{current_language()}", None)
        if translated:
            return str(translated)
    return value


def country_names(codes: list[str]) -> str:
    """ISO 3166 codes as country names in the current language: "United States, Japan"."""
    from babel import Locale

    territories = Locale.parse(current_language()).territories
    return ", ".join(territories.get(code.upper(), code) for code in codes)
