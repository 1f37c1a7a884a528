"""Which GST rate applies to a listing (pure; the rates are rows of gst_rates)."""

from __future__ import annotations

from collections.abc import Sequence

from app.catalog.models import Listing
from app.catalog.sale_models import GstRate


def gst_rate_bp(rates: Sequence[GstRate], listing: Listing) -> int:
    """The rate in effect: longest matching HSN prefix, else the category's, else the seller's."""
    hsn = listing.hsn_code or ""
    best: GstRate | None = None
    for rate in rates:
        if (
            rate.hsn_prefix
            and hsn.startswith(rate.hsn_prefix)
            and (best is None or len(rate.hsn_prefix) > len(best.hsn_prefix or ""))
        ):
            best = rate
    if best is None and listing.category_id is not None:
        best = next(
            (r for r in rates if r.hsn_prefix is None and r.category_id == listing.category_id),
            None,
        )
    return best.rate_bp if best is not None else listing.gst_rate_bp
