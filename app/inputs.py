"""Bounded input types: what the outside world may send where the database expects a number.

Ids and counts are ``INTEGER`` columns (32 bits on PostgreSQL), prices ``BIGINT``; a number
beyond its column reaching a query fails in the driver, which would be a 500. So ids in paths,
queries and bodies are ``Id`` (1 .. 2**31-1: anything else is a 422 before any query), and every
integer a form posts goes through ``form_int`` (ASCII digits only: ``"²".isdigit()`` is true,
yet ``int("²")`` fails).
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Le

MAX_INT = 2**31 - 1  # INTEGER, the type of every id and count column
MAX_BIGINT = 2**63 - 1  # BIGINT (prices in paise)
Id = Annotated[int, Ge(1), Le(MAX_INT)]
"""A row id as a path, query or body value."""


def form_int(text: str | None, *, low: int = 0, high: int = MAX_INT) -> int | None:
    """The integer a form field holds, or None when it holds none (blank, not digits, out of
    ``low``..``high``). Callers turn None into their own field error or default."""
    value = (text or "").strip()
    if not value or len(value) > len(str(high)) or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if low <= number <= high else None
