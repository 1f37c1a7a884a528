"""The comparison sheet saved with an L1 purchase order: the offers as compared, in CSV and PDF.

Kept in private storage under keys the server makes; the PDF is rendered with the invoice's
renderer (WeasyPrint) from a template of its own.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from typing import TYPE_CHECKING

from jinja2 import Environment

from app.orders import invoices
from app.procurement.buying.models import Requirement
from app.storage import Storage
from app.web import build_environment, format_inr

if TYPE_CHECKING:
    from app.procurement.buying.service import ComparisonView

COLUMNS = (
    "rank",
    "seller",
    "listing_id",
    "title",
    "quantity",
    "unit",
    "unit_price_paise",
    "goods_paise",
    "shipping_paise",
    "tax_paise",
    "landed_paise",
    "lead_time_days",
    "chosen",
)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return build_environment()


def csv_bytes(view: ComparisonView, *, chosen_listing_id: int | None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for offer in view.offers:
        writer.writerow(
            [
                offer.rank,
                _cell(offer.seller),
                offer.listing_id,
                _cell(offer.title),
                offer.quantity,
                offer.unit,
                offer.unit_price_paise,
                offer.goods_paise,
                offer.shipping_paise,
                offer.tax_paise,
                offer.landed_paise,
                offer.lead_time_days,
                "yes" if offer.listing_id == chosen_listing_id else "",
            ]
        )
    return out.getvalue().encode()


def _cell(text: str) -> str:
    """Text a spreadsheet would run as a formula starts with a quote (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def sheet_html(
    requirement: Requirement,
    view: ComparisonView,
    *,
    chosen_listing_id: int | None,
    order_number: str | None,
) -> str:
    template = _environment().get_template("procurement/buying/sheet.html")
    return template.render(
        requirement=requirement,
        view=view,
        chosen_listing_id=chosen_listing_id,
        order_number=order_number,
        inr=format_inr,
    )


async def save(
    storage: Storage,
    requirement: Requirement,
    view: ComparisonView,
    *,
    chosen_listing_id: int,
    order_number: str,
) -> tuple[str, str]:
    """Write both sheets; returns their storage keys (CSV, PDF)."""
    base = f"procurement/comparisons/{requirement.id}-{view.comparison.id}"
    storage.save(f"{base}.csv", csv_bytes(view, chosen_listing_id=chosen_listing_id))
    html = sheet_html(
        requirement, view, chosen_listing_id=chosen_listing_id, order_number=order_number
    )
    storage.save(f"{base}.pdf", await invoices.pdf(html, "about:blank"))
    return f"{base}.csv", f"{base}.pdf"
