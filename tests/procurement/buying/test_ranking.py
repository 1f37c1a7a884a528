"""Landed prices and their ranking (pure): tier price for the quantity, shipping, GST."""

from __future__ import annotations

from datetime import date

from app.listings.models import Listing, PriceTier
from app.listings.sale_models import GstRate, SellerShipping
from app.procurement.buying.ranking import Offer, listing_offer, quoted_offer, rank
from app.sellers.models import Seller

RATES = [GstRate(hsn_prefix="6913", rate_bp=500, effective_from=date(2025, 9, 22))]


def _listing(
    listing_id: int, seller_id: int, price: int, tiers: dict[int, int], state_id: int = 1
) -> Listing:
    seller = Seller(id=seller_id, display_name=f"Seller {seller_id}", state_id=state_id)
    return Listing(
        id=listing_id,
        seller_id=seller_id,
        seller=seller,
        title=f"Vase {listing_id}",
        unit_code="piece",
        price_paise=price,
        price_tiers=[PriceTier(min_quantity=q, price_paise=p) for q, p in tiers.items()],
        hsn_code="6913",
        gst_rate_bp=0,
        lead_time_days=5,
    )


def _terms(seller_id: int, flat: int, free_above: int | None) -> SellerShipping:
    return SellerShipping(
        seller_id=seller_id, domestic_flat_paise=flat, free_above_paise=free_above
    )


def test_landed_price_is_tier_price_for_the_quantity_plus_shipping_gst_included() -> None:
    listing = _listing(1, 10, 10_000, {50: 9_000, 100: 8_500})
    offer = listing_offer(listing, 60, RATES, {10: _terms(10, 20_000, None)}, 1)
    assert offer.unit_price_paise == 9_000  # the 50+ tier, not the 100+ one
    assert offer.goods_paise == 540_000
    assert offer.shipping_paise == 20_000
    assert offer.landed_paise == 560_000
    # GST contained at 5 %: 540000*5/105 = 25714.28 -> 25714; 20000*5/105 = 952.38 -> 952.
    assert offer.tax_paise == 25_714 + 952


def test_free_shipping_above_the_sellers_threshold() -> None:
    listing = _listing(1, 10, 10_000, {})
    offer = listing_offer(listing, 100, RATES, {10: _terms(10, 20_000, 500_000)}, 1)
    assert offer.shipping_paise == 0
    assert offer.landed_paise == 1_000_000


def test_ranking_is_by_landed_price_not_unit_price() -> None:
    # B has the lower unit price but charges so much shipping that A lands cheaper.
    a = listing_offer(_listing(1, 10, 10_000, {}), 10, RATES, {10: _terms(10, 0, None)}, 1)
    b = listing_offer(_listing(2, 20, 9_800, {}), 10, RATES, {20: _terms(20, 5_000, None)}, 1)
    c = listing_offer(_listing(3, 30, 12_000, {}), 10, RATES, {}, 1)
    ranked = rank([c, b, a])
    assert [o.listing_id for o in ranked] == [1, 2, 3]
    assert [o.rank for o in ranked] == [1, 2, 3]
    assert ranked[0].landed_paise == 100_000 and ranked[1].landed_paise == 103_000


def test_one_offer_per_seller_its_cheapest() -> None:
    terms = {10: _terms(10, 0, None)}
    dear = listing_offer(_listing(1, 10, 20_000, {}), 5, RATES, terms, 1)
    cheap = listing_offer(_listing(2, 10, 15_000, {}), 5, RATES, terms, 1)
    ranked = rank([dear, cheap])
    assert [o.listing_id for o in ranked] == [2]


def test_bids_of_different_quantities_rank_by_landed_price_per_unit() -> None:
    small = quoted_offer(
        _listing(1, 10, 1, {}),
        unit_price_paise=9_000,
        quantity=10,
        lead_time_days=3,
        rates=RATES,
        terms=_terms(10, 50_000, None),
        bid_id=1,
        valid_until=None,
    )
    large = quoted_offer(
        _listing(2, 20, 1, {}),
        unit_price_paise=9_500,
        quantity=100,
        lead_time_days=3,
        rates=RATES,
        terms=_terms(20, 0, None),
        bid_id=2,
        valid_until=None,
    )
    # 10 units: 90000 + 50000 shipping = 14000 a unit; 100 units: 9500 a unit.
    assert [o.bid_id for o in rank([small, large])] == [2, 1]


def test_offers_survive_the_json_they_are_kept_in() -> None:
    offer = quoted_offer(
        _listing(1, 10, 1, {}),
        unit_price_paise=9_000,
        quantity=10,
        lead_time_days=3,
        rates=RATES,
        terms=None,
        bid_id=7,
        valid_until=date(2027, 1, 31),
    )
    assert Offer.from_json(offer.as_json()) == offer
