"""Imports every module that registers job handlers or seller hooks, so each process knows
every job kind and every listing follows its seller."""

from __future__ import annotations


def register_all() -> None:
    """Handlers register themselves on import; add each new module that defines some here."""
    from app.accounts import emails  # noqa: F401
    from app.accounts import phone as accounts_phone  # noqa: F401
    from app.catalog.search import service as search_service  # noqa: F401
    from app.listings import events  # noqa: F401
    from app.listings import service as listings_service  # noqa: F401
    from app.sellers import emails as seller_emails  # noqa: F401
    from app.sellers import events as seller_events  # noqa: F401
