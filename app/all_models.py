"""Imports every model module so Base.metadata is complete (Alembic, tests). Add new ones here."""

from app import jobs
from app.accounts import models as account_models
from app.catalog.search import models as search_models
from app.db import Base
from app.listings import models as listing_models
from app.listings import sale_models
from app.orders import models as order_models
from app.orders.ledger import models as ledger_models
from app.orders.payments import models as payment_models
from app.procurement.audit import models as procurement_audit_models
from app.procurement.buying import models as buying_models
from app.procurement.organisations import models as organisation_models
from app.procurement.purchase_orders import models as purchase_order_models
from app.procurement.quotes import models as quote_models
from app.rates import models as rate_models
from app.reference import models as reference_models
from app.sellers import models as seller_models

__all__ = [
    "Base",
    "account_models",
    "buying_models",
    "jobs",
    "ledger_models",
    "listing_models",
    "order_models",
    "organisation_models",
    "payment_models",
    "procurement_audit_models",
    "purchase_order_models",
    "quote_models",
    "rate_models",
    "reference_models",
    "sale_models",
    "search_models",
    "seller_models",
]
