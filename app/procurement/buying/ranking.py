"""Landed prices and their ranking: pure functions over what the repository loaded.

The landed price of an offer for a quantity is what the buyer pays delivered: the goods at the
tier price for that quantity, plus the seller's shipping to the delivery address, GST included
(listing prices include GST, as in the cart). L1 offers are priced by the cart's own pricing
(``app.orders.pricing.price_parts``); a bid's quoted unit price replaces the listing's price and
goes through the same shipping and tax rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from fractions import Fraction

from app.listings.models import Listing
from app.listings.sale_models import GstRate, SellerShipping
from app.listings.sale_terms import gst_rate_bp
from app.orders.money import tax_included
from app.orders.pricing import Destination, price_parts


@dataclass(frozen=True)
class Offer:
    """One seller's offer for the requirement's quantity, as compared and as kept."""

    listing_id: int
    seller_id: int
    seller: str
    title: str
    unit: str
    quantity: int
    unit_price_paise: int
    goods_paise: int
    shipping_paise: int
    tax_paise: int
    landed_paise: int
    lead_time_days: int
    rank: int = 0
    bid_id: int | None = None
    valid_until: date | None = None

    def as_json(self) -> dict[str, object]:
        values = asdict(self)
        values["valid_until"] = self.valid_until.isoformat() if self.valid_until else None
        return values

    @classmethod
    def from_json(cls, values: dict[str, object]) -> Offer:
        data = dict(values)
        until = data.get("valid_until")
        data["valid_until"] = date.fromisoformat(until) if isinstance(until, str) else None
        return cls(**data)  # type: ignore[arg-type]


def listing_offer(
    listing: Listing,
    quantity: int,
    rates: Sequence[GstRate],
    shipping: dict[int, SellerShipping],
    delivery_state_id: int,
) -> Offer:
    """A listing's offer for the quantity: tier price, shipping and GST as checkout prices it."""
    (part,) = price_parts(
        [(listing, quantity)], rates, shipping, Destination("IN", delivery_state_id)
    )
    (line,) = part.lines
    return Offer(
        listing_id=listing.id,
        seller_id=listing.seller_id,
        seller=listing.seller.display_name,
        title=listing.title,
        unit=listing.unit_code,
        quantity=quantity,
        unit_price_paise=line.unit_price,
        goods_paise=part.goods,
        shipping_paise=part.shipping,
        tax_paise=part.tax,
        landed_paise=part.total,
        lead_time_days=listing.lead_time_days,
    )


def quoted_offer(
    listing: Listing,
    *,
    unit_price_paise: int,
    quantity: int,
    lead_time_days: int,
    rates: Sequence[GstRate],
    terms: SellerShipping | None,
    bid_id: int,
    valid_until: date | None,
) -> Offer:
    """A sealed bid's offer once opened: the quoted GST-inclusive unit price for the quantity the
    seller can supply, plus the seller's shipping, the same rule as ``price_parts``."""
    rate = gst_rate_bp(rates, listing)
    goods = unit_price_paise * quantity
    flat = terms.domestic_flat_paise if terms else 0
    free_above = terms.free_above_paise if terms else None
    shipping_paise = 0 if free_above is not None and goods >= free_above else flat
    tax = tax_included(goods, rate) + tax_included(shipping_paise, rate)
    return Offer(
        listing_id=listing.id,
        seller_id=listing.seller_id,
        seller=listing.seller.display_name,
        title=listing.title,
        unit=listing.unit_code,
        quantity=quantity,
        unit_price_paise=unit_price_paise,
        goods_paise=goods,
        shipping_paise=shipping_paise,
        tax_paise=tax,
        landed_paise=goods + shipping_paise,
        lead_time_days=lead_time_days,
        bid_id=bid_id,
        valid_until=valid_until,
    )


def rank(offers: Iterable[Offer]) -> list[Offer]:
    """Lowest landed price first (L1), ties by unit price, lead time, then listing id.

    One offer per seller: a seller with several eligible listings competes with its cheapest.
    For a bid, the landed price per unit compares sellers who quote different quantities."""
    best: dict[int, Offer] = {}
    for offer in offers:
        key = _key(offer)
        if offer.seller_id not in best or key < _key(best[offer.seller_id]):
            best[offer.seller_id] = offer
    ordered = sorted(best.values(), key=_key)
    return [Offer(**{**asdict(offer), "rank": n}) for n, offer in enumerate(ordered, start=1)]


def _key(offer: Offer) -> tuple[Fraction, int, int, int]:
    return (
        Fraction(offer.landed_paise, offer.quantity),
        offer.unit_price_paise,
        offer.lead_time_days,
        offer.listing_id,
    )
