"""The one registry of background work: imports every domain's ``tasks`` module (its job
handlers) and the modules that register seller hooks, so each process knows every job kind and
every listing follows its seller."""

from __future__ import annotations


def register_all() -> None:
    """Handlers register themselves on import; add each new domain's ``tasks`` module here."""
    from app.accounts import tasks as accounts_tasks  # noqa: F401
    from app.catalog.search import service as search_service  # noqa: F401
    from app.catalog.search import tasks as search_tasks  # noqa: F401
    from app.listings import service as listings_service  # noqa: F401
    from app.listings import tasks as listings_tasks  # noqa: F401
    from app.orders import tasks as orders_tasks  # noqa: F401
    from app.orders.payments import emails as payment_emails  # noqa: F401
    from app.orders.payments import tasks as payment_tasks  # noqa: F401
    from app.procurement.buying import tasks as buying_tasks  # noqa: F401
    from app.procurement.purchase_orders import tasks as purchase_order_tasks  # noqa: F401
    from app.procurement.quotes import tasks as quote_tasks  # noqa: F401
    from app.sellers import tasks as sellers_tasks  # noqa: F401
