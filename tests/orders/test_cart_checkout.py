"""Cart and checkout through the pages and the services: MOQ, stock, tiers, flags, merge,
addresses, GST split, tampering, locked rates."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import utcnow
from app.listings.models import Listing
from app.listings.sale_terms import gst_rate_bp
from app.orders import cart as cart_service
from app.orders import repository
from app.orders.models import Order, PartState, ReservationStatus, StockReservation
from app.orders.money import split_half, tax_included
from app.orders.pricing import unit_price
from app.rates import service as fx
from tests.helpers import post_form, start_session
from tests.orders.conftest import UP_ADDRESS, make_shop

SAME_ORIGIN = {"origin": "http://testserver"}


def test_tax_included_and_halves() -> None:
    assert tax_included(105_000, 500) == 5_000  # 1050 incl. 5 % = 1000 + 50
    assert tax_included(118_000, 1800) == 18_000
    assert tax_included(100, 25) == 0  # 0.25 % of a rupee rounds to 0 paise
    assert tax_included(0, 1800) == 0
    assert split_half(101) == (51, 50)
    assert sum(split_half(7)) == 7


async def test_gst_rate_comes_from_the_table_by_hsn_and_date(db: AsyncSession) -> None:
    shop = await make_shop(db)
    before = await repository.gst_rates(db, date(2025, 9, 21))
    after = await repository.gst_rates(db, date(2025, 9, 22))
    assert gst_rate_bp(before, shop.glass) == 1200  # ceramic handicrafts before GST 2.0
    assert gst_rate_bp(after, shop.glass) == 500
    shop.glass.hsn_code = "71131910"  # gold jewellery: the special 3 % rate, longest prefix
    assert gst_rate_bp(after, shop.glass) == 300
    shop.glass.hsn_code = "7102"
    assert gst_rate_bp(after, shop.glass) == 25
    shop.glass.hsn_code = "9999"  # no row: the seller's declared rate
    shop.glass.gst_rate_bp = 1800
    assert gst_rate_bp(after, shop.glass) == 1800


async def test_tier_price_applies_by_itself(db: AsyncSession) -> None:
    shop = await make_shop(db)
    await db.refresh(shop.glass, ["price_tiers"])
    assert unit_price(105_000, shop.glass.price_tiers, 9) == 105_000
    assert unit_price(105_000, shop.glass.price_tiers, 10) == 95_000


async def test_product_page_has_a_working_add_to_cart_form(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    shop = await make_shop(db)
    await db.commit()
    page = await client.get(f"/products/{shop.glass.slug}")
    assert page.status_code == 200
    assert "Ordering opens soon" not in page.text
    assert 'action="/cart/add"' in page.text
    assert "per dozen" in page.text
    assert "HSN code 6913" in page.text and "GST at 5%" in page.text
    assert "odop_csrf" not in page.headers.get("set-cookie", "")  # still cacheable
    added = await client.post(
        "/cart/add", data={"listing_id": str(shop.glass.id), "quantity": "10"}, headers=SAME_ORIGIN
    )
    assert added.status_code == 303
    assert "odop_cart" in added.headers["set-cookie"]
    cart = await client.get("/cart")
    assert "Firozabad glass bangles" in cart.text
    assert "₹9,500.00" in cart.text  # 10 × ₹950 tier price
    assert "you save ₹1,000.00" in cart.text


async def test_add_to_cart_from_another_site_is_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    shop = await make_shop(db)
    await db.commit()
    response = await client.post(
        "/cart/add",
        data={"listing_id": str(shop.glass.id)},
        headers={"origin": "https://evil.example"},
    )
    assert response.status_code == 403


async def test_moq_and_stock_are_field_errors(client: httpx.AsyncClient, db: AsyncSession) -> None:
    shop = await make_shop(db)
    await db.commit()
    below = await client.post(
        "/cart/add", data={"listing_id": str(shop.glass.id), "quantity": "1"}, headers=SAME_ORIGIN
    )
    assert below.status_code == 422
    assert "The minimum order is 2." in below.text
    above = await client.post(
        "/cart/add", data={"listing_id": str(shop.glass.id), "quantity": "51"}, headers=SAME_ORIGIN
    )
    assert above.status_code == 422
    assert "Only 50 left in stock." in above.text
    bad = await client.post("/cart/add", data={"listing_id": "abc"}, headers=SAME_ORIGIN)
    assert bad.status_code == 422


async def test_changed_price_and_unavailable_listing_are_flagged_not_applied(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    shop = await make_shop(db)
    await start_session(client, db, settings, shop.buyer)
    cart, _token = await cart_service.open_cart(db, user_id=shop.buyer.id, token=None)
    await cart_service.add(db, cart, shop.glass.id, 2)
    await cart_service.add(db, cart, shop.quilt.id, 1)
    shop.glass.price_paise = 115_000
    shop.quilt.stock = 0
    await db.commit()
    view = await cart_service.view(db, cart)
    assert view.needs_review
    glass = next(x for x in view.lines if x.listing.id == shop.glass.id)
    assert glass.price_changed and glass.line.seen_unit_price_paise == 105_000
    assert next(x for x in view.lines if x.listing.id == shop.quilt.id).unavailable
    page = await client.get("/cart")
    assert "The price changed from ₹1,050.00 to ₹1,150.00." in page.text
    assert "is no longer available" in page.text
    # Checkout refuses until the buyer accepts the changes.
    assert (await client.get("/checkout")).headers["location"] == "/cart"
    placed = await post_form(client, "/checkout", UP_ADDRESS)
    assert placed.status_code == 303 and placed.headers["location"] == "/cart"
    assert await db.scalar(select(Order).where(Order.buyer_user_id == shop.buyer.id)) is None
    buyer_id, glass_id = shop.buyer.id, shop.glass.id
    await post_form(client, "/cart/review")
    db.expire_all()
    view = await cart_service.view(db, await cart_service.find(db, user_id=buyer_id, token=None))
    assert not view.needs_review and [x.listing.id for x in view.lines] == [glass_id]


async def test_anonymous_cart_is_merged_at_sign_in(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    shop = await make_shop(db)
    mine, _ = await cart_service.open_cart(db, user_id=shop.buyer.id, token=None)
    await cart_service.add(db, mine, shop.glass.id, 2)
    await db.commit()
    await client.post(
        "/cart/add", data={"listing_id": str(shop.glass.id), "quantity": "3"}, headers=SAME_ORIGIN
    )
    await client.post("/cart/add", data={"listing_id": str(shop.quilt.id)}, headers=SAME_ORIGIN)
    await start_session(client, db, settings, shop.buyer)
    ids = shop.buyer.id, shop.glass.id, shop.quilt.id
    page = await client.get("/cart")
    assert "odop_cart=" in page.headers.get("set-cookie", "")  # the anonymous cookie is dropped
    db.expire_all()
    cart = await cart_service.find(db, user_id=ids[0], token=None)
    assert cart is not None
    assert {x.listing_id: x.quantity for x in cart.lines} == {ids[1]: 5, ids[2]: 1}


async def _cart_with(client: httpx.AsyncClient, shop_listings: list[tuple[Listing, int]]) -> None:
    for listing, quantity in shop_listings:
        response = await client.post(
            "/cart/add",
            data={"listing_id": str(listing.id), "quantity": str(quantity)},
            headers=SAME_ORIGIN,
        )
        assert response.status_code == 303, response.text


async def test_checkout_splits_by_seller_with_cgst_sgst_or_igst_and_ignores_tampering(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    shop = await make_shop(db)
    await start_session(client, db, settings, shop.buyer)
    await _cart_with(client, [(shop.glass, 2), (shop.quilt, 1)])
    form = await client.get("/checkout")
    assert form.status_code == 200 and "Uttar Pradesh" in form.text
    tampered: dict[str, str | list[str]] = {
        **UP_ADDRESS,
        "total": "1",
        "price_paise": "1",
        "quantity": "999",
        "unit_price_paise": "1",
    }
    placed = await post_form(client, "/checkout", tampered)
    assert placed.status_code == 303, placed.text
    number = placed.headers["location"].split("/")[2]
    assert re.fullmatch(r"OD-[A-Z2-9]{10}", number)
    order = await repository.order_by_number(db, number)
    assert order is not None
    by_seller = {p.seller_id: p for p in order.parts}
    up, rj = by_seller[shop.up_seller.id], by_seller[shop.rj_seller.id]
    # UP glass to an address in UP: intra-State, CGST + SGST. 2 × ₹1,050 at 5 % + ₹80 shipping.
    assert up.goods_inr_paise == 210_000 and up.shipping_inr_paise == 8_000
    tax = tax_included(210_000, 500) + tax_included(8_000, 500)
    assert (up.cgst_inr_paise, up.sgst_inr_paise, up.igst_inr_paise) == (*split_half(tax), 0)
    # Rajasthan quilt to UP: inter-State, IGST.
    assert rj.igst_inr_paise == tax_included(250_000, 500) + tax_included(8_000, 500)
    assert rj.cgst_inr_paise == rj.sgst_inr_paise == 0
    assert order.total_inr_paise == 210_000 + 8_000 + 250_000 + 8_000 == order.total_minor
    assert all(p.state == PartState.PLACED for p in order.parts)
    assert order.currency == "INR" and order.inr_per_unit_micros == 1_000_000
    # Stock is reserved, the cart is empty.
    await db.refresh(shop.glass)
    assert shop.glass.stock == 48
    held = await db.scalars(select(StockReservation).where(StockReservation.order_id == order.id))
    assert {(r.listing_id, r.quantity, r.status) for r in held} == {
        (shop.glass.id, 2, ReservationStatus.HELD),
        (shop.quilt.id, 1, ReservationStatus.HELD),
    }
    cart = await cart_service.find(db, user_id=shop.buyer.id, token=None)
    assert cart is not None and cart.lines == []
    page = await client.get(f"/orders/{number}")
    assert page.status_code == 200 and "placed" in page.text


async def test_address_errors_keep_the_input(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    shop = await make_shop(db)
    await start_session(client, db, settings, shop.buyer)
    await _cart_with(client, [(shop.quilt, 1)])
    wrong: dict[str, str | list[str]] = {
        **UP_ADDRESS,
        "pin_code": "560001",
        "gstin": "09AAACF1234K1Z0",
        "line1": "Flat 7B",
    }
    response = await post_form(client, "/checkout", wrong)
    assert response.status_code == 422
    assert "That PIN code is not in Uttar Pradesh." in response.text
    assert 'value="09AAACF1234K1Z0"' in response.text and 'value="Flat 7B"' in response.text
    assert 'id="f-gstin-error"' in response.text
    no_state = await post_form(client, "/checkout", {**UP_ADDRESS, "state": "atlantis"})
    assert "Choose the State or Union Territory." in no_state.text
    assert await db.scalar(select(Order).where(Order.buyer_user_id == shop.buyer.id)) is None


async def test_export_order_is_zero_rated_in_the_buyers_currency_at_a_locked_rate(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    shop = await make_shop(db)
    await fx.set_rate(
        db,
        "USD",
        Decimal("84.5"),
        utcnow().date() - timedelta(days=1),
        supported=settings.display_currencies,
    )
    await start_session(client, db, settings, shop.buyer)
    await _cart_with(client, [(shop.quilt, 2)])
    abroad: dict[str, str | list[str]] = {
        "name": "Jane Doe",
        "line1": "1 Main Street",
        "city": "Boston",
        "region": "MA",
        "postal_code": "02108",
        "country": "US",
        "currency": "USD",
    }
    placed = await post_form(client, "/checkout", abroad)
    assert placed.status_code == 303, placed.text
    order = await repository.order_by_number(db, placed.headers["location"].split("/")[2])
    assert order is not None and order.is_export and order.currency == "USD"
    part = order.parts[0]
    goods = 2 * (250_000 - tax_included(250_000, 500))
    assert part.goods_inr_paise == goods and part.shipping_inr_paise == 250_000
    assert part.cgst_inr_paise == part.sgst_inr_paise == part.igst_inr_paise == 0
    assert order.inr_per_unit_micros == 84_500_000
    rate = fx.Rate("USD", Decimal("84.5"), utcnow().date())
    assert order.total_minor == fx.from_inr(goods + 250_000, rate)
    # A new rate later does not change the order.
    await fx.set_rate(db, "USD", Decimal("90"), utcnow().date(), supported=["USD"])
    again = await repository.order_by_number(db, order.number)
    assert again is not None and again.total_minor == order.total_minor
