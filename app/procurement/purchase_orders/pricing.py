"""A PO's amounts from its lines' unit prices: GST contained in each line (the listing's rate by
its HSN code), the seller's domestic shipping, and CGST+SGST when the delivery address is in the
seller's State (the place of supply), else IGST: the same rules and functions as orders'
invoices (app/orders/pricing.py, app/orders/money.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from app.listings.models import Listing
from app.listings.sale_models import GstRate, SellerShipping
from app.listings.sale_terms import gst_rate_bp
from app.orders.money import split_half, tax_included


@dataclass(frozen=True)
class PricedPOLine:
    listing: Listing
    quantity: int
    unit_price: int  # GST-inclusive
    rate_bp: int
    total: int
    taxable: int
    tax: int


@dataclass
class PricedPO:
    lines: list[PricedPOLine] = field(default_factory=list)
    shipping: int = 0
    shipping_tax: int = 0
    cgst: int = 0
    sgst: int = 0
    igst: int = 0

    @property
    def goods(self) -> int:
        return sum(line.total for line in self.lines)

    @property
    def total(self) -> int:
        return self.goods + self.shipping

    @property
    def tax(self) -> int:
        return self.cgst + self.sgst + self.igst

    @property
    def taxable(self) -> int:
        return self.total - self.tax


def price_po(
    items: Sequence[tuple[Listing, int, int]],
    rates: Sequence[GstRate],
    shipping: SellerShipping | None,
    *,
    seller_state_id: int,
    place_of_supply_state_id: int,
    shipping_paise: int | None = None,
) -> PricedPO:
    """``items`` are (listing, quantity, GST-inclusive unit price). Shipping is the seller's
    domestic flat charge (free above its threshold) unless ``shipping_paise`` is given (an offer
    that included it); it is taxed at the highest rate among the lines (a composite supply)."""
    priced = PricedPO()
    for listing, quantity, unit_price in items:
        rate = gst_rate_bp(rates, listing)
        total = unit_price * quantity
        tax = tax_included(total, rate)
        priced.lines.append(
            PricedPOLine(listing, quantity, unit_price, rate, total, total - tax, tax)
        )
    if shipping_paise is not None:
        priced.shipping = shipping_paise
    elif shipping is not None:
        free_above = shipping.free_above_paise
        priced.shipping = (
            0
            if free_above is not None and priced.goods >= free_above
            else shipping.domestic_flat_paise
        )
    top_rate = max((line.rate_bp for line in priced.lines), default=0)
    priced.shipping_tax = tax_included(priced.shipping, top_rate)
    tax = sum(line.tax for line in priced.lines) + priced.shipping_tax
    if place_of_supply_state_id == seller_state_id:
        priced.cgst, priced.sgst = split_half(tax)
    else:
        priced.igst = tax
    return priced
