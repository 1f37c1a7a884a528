"""Prices, GST and shipping of a set of cart lines: pure functions, the one place they are computed.

Listing prices include GST (the Indian retail convention). A line's tax is the GST contained in
its GST-inclusive total; shipping is taxed at the highest rate among the part's lines (shipping
by the seller is part of a composite supply). Export orders are zero-rated under a LUT: the buyer
pays the taxable value, without GST.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from app.listings.models import Listing, PriceTier
from app.listings.sale_models import GstRate, SellerShipping
from app.listings.sale_terms import gst_rate_bp
from app.orders.money import split_half, tax_included


def unit_price(base_paise: int, tiers: Sequence[PriceTier], quantity: int) -> int:
    """The tier price for the quantity (the tier with the highest minimum reached), else base."""
    price = base_paise
    for tier in sorted(tiers, key=lambda t: t.min_quantity):
        if quantity >= tier.min_quantity:
            price = tier.price_paise
    return price


@dataclass(frozen=True)
class Destination:
    country: str  # ISO 3166 alpha-2; "IN" for a domestic order
    state_id: int | None  # Indian State of the delivery address (the place of supply)
    zone_code: str | None = None  # export shipping zone of the country

    @property
    def is_export(self) -> bool:
        return self.country != "IN"


@dataclass
class PricedLine:
    listing: Listing
    quantity: int
    list_unit_price: int  # GST-inclusive, before tiers
    unit_price: int  # what is charged per unit (tier applied; export: without GST)
    rate_bp: int
    total: int
    taxable: int
    tax: int
    agreed: bool = False  # the unit price was agreed with the seller (a quote), not a tier

    @property
    def saving(self) -> int:
        return max(0, self.list_unit_price - self.unit_price) * self.quantity


@dataclass
class PricedPart:
    seller_id: int
    seller_state_id: int
    lines: list[PricedLine] = field(default_factory=list)
    shipping: int = 0  # charged, GST-inclusive (export: without GST)
    shipping_tax: int = 0
    ships: bool = True  # False: the seller does not ship to the destination zone
    dispatch_days: int = 2
    cgst: int = 0
    sgst: int = 0
    igst: int = 0

    @property
    def goods(self) -> int:
        return sum(line.total for line in self.lines)

    @property
    def tax(self) -> int:
        return self.cgst + self.sgst + self.igst

    @property
    def total(self) -> int:
        return self.goods + self.shipping

    @property
    def taxable(self) -> int:
        return self.total - self.tax

    @property
    def saving(self) -> int:
        return sum(line.saving for line in self.lines)


def price_line(
    listing: Listing, quantity: int, rate_bp: int, *, export: bool, agreed_price: int | None = None
) -> PricedLine:
    """``agreed_price``: a GST-inclusive unit price agreed with the seller, used instead of the
    listing's tiers (taxed and zero-rated for export the same way)."""
    list_price = listing.price_paise
    price = unit_price(list_price, listing.price_tiers, quantity)
    if agreed_price is not None:
        price = agreed_price
    if export:
        # Zero-rated: the price without the GST it includes, per unit, so totals stay exact.
        list_price -= tax_included(list_price, rate_bp)
        price -= tax_included(price, rate_bp)
        total = price * quantity
        return PricedLine(
            listing, quantity, list_price, price, rate_bp, total, total, 0, agreed_price is not None
        )
    total = price * quantity
    tax = tax_included(total, rate_bp)
    return PricedLine(
        listing,
        quantity,
        list_price,
        price,
        rate_bp,
        total,
        total - tax,
        tax,
        agreed_price is not None,
    )


def price_parts(
    items: Sequence[tuple[Listing, int]],
    rates: Sequence[GstRate],
    shipping: dict[int, SellerShipping],
    destination: Destination | None,
    export_rates: dict[int, int] | None = None,
    agreed_prices: Mapping[int, int] | None = None,
) -> list[PricedPart]:
    """One priced part per seller, in the order sellers first appear in ``items``.

    Without a destination (the cart page), shipping is the domestic rate and tax is IGST.
    ``agreed_prices`` maps a listing id to a unit price agreed with its seller (cart lines from
    an accepted quote).
    """
    export = destination is not None and destination.is_export
    parts: dict[int, PricedPart] = {}
    for listing, quantity in items:
        part = parts.get(listing.seller_id)
        if part is None:
            part = parts[listing.seller_id] = PricedPart(listing.seller_id, listing.seller.state_id)
        part.lines.append(
            price_line(
                listing,
                quantity,
                gst_rate_bp(rates, listing),
                export=export,
                agreed_price=(agreed_prices or {}).get(listing.id),
            )
        )
    for part in parts.values():
        terms = shipping.get(part.seller_id)
        part.dispatch_days = terms.dispatch_days if terms else 2
        top_rate = max(line.rate_bp for line in part.lines)
        if export:
            rate = (export_rates or {}).get(part.seller_id)
            part.ships = rate is not None
            part.shipping = rate or 0
        else:
            flat = terms.domestic_flat_paise if terms else 0
            free_above = terms.free_above_paise if terms else None
            part.shipping = 0 if free_above is not None and part.goods >= free_above else flat
            part.shipping_tax = tax_included(part.shipping, top_rate)
        tax = sum(line.tax for line in part.lines) + part.shipping_tax
        intra_state = (
            destination is not None and not export and destination.state_id == part.seller_state_id
        )
        if intra_state:
            part.cgst, part.sgst = split_half(tax)
        else:
            part.igst = tax
    return list(parts.values())
