"""Imports every module that registers job handlers, so each process knows every job kind."""

from __future__ import annotations


def register_all() -> None:
    """Handlers register themselves on import; add each new module that defines some here."""
    from app.accounts import (
        emails,  # noqa: F401
        phone,  # noqa: F401
    )
    from app.catalog import events  # noqa: F401
    from app.catalog.search import service as search_service  # noqa: F401
    from app.sellers import emails as seller_emails  # noqa: F401
