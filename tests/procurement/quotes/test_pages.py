"""Quote pages: the entry point on the product page, sign-in and back, the request form with its
errors (input kept), the seller's queue and offer, messages with files, acceptance into the cart
and a tampered cart post, an expired offer, and another user's quote."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.orders import cart as cart_service
from app.procurement.quotes import service
from app.procurement.quotes.models import QuoteState
from tests import factories
from tests.helpers import csrf_token, post_form
from tests.orders.conftest import make_shop
from tests.procurement.quotes.conftest import in_days, quoted, request_values
from tests.sellers import files

SignIn = Callable[[User], Awaitable[str]]


async def test_the_product_page_leads_anonymous_visitors_to_sign_in_and_back(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    shop = await make_shop(db)
    await db.commit()
    page = await client.get(f"/products/{shop.glass.slug}")
    link = f"/quotes/new/{shop.glass.id}"
    assert page.status_code == 200 and f'href="{link}"' in page.text
    assert "Request a quote" in page.text and "disabled" not in page.text.split(link)[1][:80]
    response = await client.get(link)
    assert response.status_code == 303
    assert response.headers["location"] == f"/account/sign-in?next={link}"


async def test_asking_for_a_quote_with_errors_then_without(
    client: httpx.AsyncClient, db: AsyncSession, sign_in: SignIn
) -> None:
    shop = await make_shop(db)
    await sign_in(shop.buyer)
    form = await client.get(f"/quotes/new/{shop.glass.id}")
    assert form.status_code == 200 and 'name="wanted_by"' in form.text
    past = (service.today_in_india() - timedelta(days=3)).isoformat()
    bad = await post_form(
        client,
        f"/quotes/new/{shop.glass.id}",
        {"quantity": "1", "specifications": "Blue please", "country": "IN", "wanted_by": past},
    )
    assert bad.status_code == 422
    assert "There is a problem" in bad.text and "The minimum order is 2." in bad.text
    assert "Blue please" in bad.text and f'value="{past}"' in bad.text
    # Without JavaScript: the State first, then its districts.
    district = await factories.district(db)
    step = await post_form(
        client,
        f"/quotes/new/{shop.glass.id}",
        {"state_id": str(district.state_id), "action": "districts", "quantity": "60"},
    )
    assert step.status_code == 200 and f'value="{district.id}"' in step.text
    values = await request_values(db, quantity="60", state_id=str(district.state_id))
    created = await post_form(client, f"/quotes/new/{shop.glass.id}", {**values})
    assert created.status_code == 303
    thread = await client.get(created.headers["location"])
    assert thread.status_code == 200
    assert "Waiting for the seller&#39;s offer" in thread.text and "Firozabad" in thread.text
    again = await client.get(f"/quotes/new/{shop.glass.id}")
    assert again.status_code == 303 and again.headers["location"] == created.headers["location"]
    mine = await client.get("/quotes")
    assert shop.glass.title in mine.text


async def test_the_seller_offers_from_the_queue_and_the_buyer_accepts_into_the_cart(
    client: httpx.AsyncClient, db: AsyncSession, sign_in: SignIn
) -> None:
    q = await quoted(db)
    path = f"/quotes/{q.quote.id}"
    await sign_in(q.shop.up_owner)
    queue = await client.get("/seller/quotes")
    assert queue.status_code == 200 and f'href="{path}"' in queue.text
    dashboard = await client.get("/seller")
    assert 'href="/seller/quotes"' in dashboard.text
    bad = await post_form(
        client,
        f"{path}/offer",
        {"unit_price": "-5", "lead_time_days": "5", "valid_until": in_days(7).isoformat()},
    )
    assert bad.status_code == 422 and 'value="-5"' in bad.text
    offered = await post_form(
        client,
        f"{path}/offer",
        {"unit_price": "800", "lead_time_days": "5", "valid_until": in_days(7).isoformat()},
    )
    assert offered.status_code == 303
    sent = await client.post(
        f"{path}/messages",
        data={"body": "Here is the catalogue", "csrf_token": await csrf_token(client)},
        files={"files": ("catalogue.pdf", files.pdf(), "application/pdf")},
    )
    assert sent.status_code == 303
    bad_file = await client.post(
        f"{path}/messages",
        data={"body": "A script", "csrf_token": await csrf_token(client)},
        files={"files": ("x.jpg", b"<?php system($_GET['c']); ?>", "image/jpeg")},
    )
    assert bad_file.status_code == 422 and "A script" in bad_file.text

    client.cookies.clear()
    await sign_in(q.shop.buyer)
    thread = await client.get(path)
    assert "₹800.00" in thread.text and "Here is the catalogue" in thread.text
    attachment = (await service.thread(db, q.shop.buyer, q.quote.id)).messages[0].attachments[0]
    download = await client.get(f"{path}/attachments/{attachment.id}")
    assert download.status_code == 200 and download.content.startswith(b"%PDF-")
    assert download.headers["content-disposition"].startswith("attachment")
    accepted = await post_form(client, f"{path}/accept")
    assert accepted.status_code == 303 and accepted.headers["location"] == "/cart"
    cart = await client.get("/cart")
    assert "Agreed price (Q-" in cart.text and "₹32,000.00" in cart.text
    # A forged form post cannot change the agreed quantity (and so its price).
    tampered = await post_form(
        client, "/cart/update", {"listing_id": str(q.shop.glass.id), "quantity": "1"}
    )
    assert tampered.status_code == 422
    found = await cart_service.find(db, user_id=q.shop.buyer.id, token=None)
    assert found is not None
    await db.refresh(found, ["lines"])
    (line,) = found.lines
    assert (line.quantity, line.agreed_unit_price_paise) == (40, 80_000)
    checkout = await client.get("/checkout")
    assert checkout.status_code == 200 and "₹32,000.00" in checkout.text


async def test_an_expired_offer_shows_no_accept_button_and_a_forged_accept_fails(
    client: httpx.AsyncClient, db: AsyncSession, sign_in: SignIn
) -> None:
    q = await quoted(db, offer=True)
    q.quote.valid_until = service.today_in_india() - timedelta(days=1)
    await db.commit()
    await sign_in(q.shop.buyer)
    path = f"/quotes/{q.quote.id}"
    page = await client.get(path)
    assert "This offer has expired" in page.text and f"{path}/accept" not in page.text
    forged = await post_form(client, f"{path}/accept")
    assert forged.status_code == 303 and forged.headers["location"] == path
    await db.refresh(q.quote)
    assert q.quote.state == QuoteState.OFFERED
    cart = await cart_service.find(db, user_id=q.shop.buyer.id, token=None)
    assert cart is None or not cart.lines


async def test_another_users_quote_is_not_found(
    client: httpx.AsyncClient, db: AsyncSession, sign_in: SignIn
) -> None:
    q = await quoted(db, offer=True)
    await sign_in(await factories.user(db))
    path = f"/quotes/{q.quote.id}"
    assert (await client.get(path)).status_code == 404
    for action in ("accept", "withdraw", "decline", "offer", "messages"):
        response = await post_form(client, f"{path}/{action}", {"body": "hi"})
        assert response.status_code == 404, action
    await db.refresh(q.quote)
    assert q.quote.state == QuoteState.OFFERED
    assert (await client.get("/quotes/2147483648")).status_code == 422
