"""Extract every translatable message from the code and templates (used by the i18n tests)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

PROJECT = Path(__file__).resolve().parent.parent
METHOD_MAP = [("app/**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}


def extracted_messages() -> dict[str, str]:
    """msgid -> first place it appears."""
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(PROJECT), METHOD_MAP, OPTIONS, KEYWORDS
    ):
        ids = message if isinstance(message, tuple) else (message,)
        for msgid in ids:
            if msgid:
                found.setdefault(msgid, f"{filename}:{lineno}")
    return found
