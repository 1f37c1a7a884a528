"""Order life end to end through the pages: pay in the sandbox, each seller works its queue,
invoices (CGST+SGST and IGST, HTML and PDF with Hindi), cancellations, refunds, expiry."""

from __future__ import annotations

import io
from datetime import timedelta

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.config import Settings
from app.db import utcnow
from app.jobs import JobRunner
from app.listings.models import Listing
from app.mail import folder_messages
from app.orders import invoices, repository, service
from app.orders.errors import TransitionNotAllowed
from app.orders.models import (
    ActorKind,
    Invoice,
    Order,
    OrderPartEvent,
    PartState,
    PaymentStatus,
    StockReservation,
)
from tests import factories
from tests.helpers import post_form, start_session
from tests.orders.conftest import UP_ADDRESS, Shop, make_shop

SAME_ORIGIN = {"origin": "http://testserver"}


async def place(client: httpx.AsyncClient, shop: Shop) -> str:
    for listing, quantity in ((shop.glass, 2), (shop.quilt, 1)):
        added = await client.post(
            "/cart/add",
            data={"listing_id": str(listing.id), "quantity": str(quantity)},
            headers=SAME_ORIGIN,
        )
        assert added.status_code == 303
    placed = await post_form(client, "/checkout", UP_ADDRESS)
    assert placed.status_code == 303, placed.text
    return str(placed.headers["location"].split("/")[2])


async def pay_in_sandbox(client: httpx.AsyncClient, number: str, jobs: JobRunner) -> None:
    page = await client.get(f"/orders/{number}")
    assert "Pay now" in page.text
    started = await post_form(client, f"/payments/{number}/start")
    assert started.status_code == 303
    paid = await post_form(client, started.headers["location"], {"outcome": "succeed"})
    assert paid.status_code == 303
    await jobs.run_until_idle()


async def get_order(db: AsyncSession, number: str) -> Order:
    """The order as committed now (the app's sessions changed it, not this one)."""
    order = await repository.order_by_number(db, number)
    assert order is not None
    await db.refresh(order)
    for part in order.parts:
        await db.refresh(part)
    return order


async def test_paid_order_is_fulfilled_by_each_seller_and_invoiced(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    jobs: JobRunner,
) -> None:
    shop = await make_shop(db)
    owners = {shop.up_seller.id: shop.up_owner, shop.rj_seller.id: shop.rj_owner}
    buyer = shop.buyer
    await start_session(client, db, settings, buyer)
    number = await place(client, shop)
    await pay_in_sandbox(client, number, jobs)
    order = await get_order(db, number)
    assert order.payment_status == PaymentStatus.PAID
    assert {p.state for p in order.parts} == {PartState.PAID}
    part_of = {p.seller_id: p.id for p in order.parts}
    mails = folder_messages(settings.mail_dir)
    assert any(number in m.subject and m.to == buyer.email for m in mails)
    assert any("New paid order" in m.body for m in mails)  # each seller hears of it

    for seller_id, owner in owners.items():
        client.cookies.clear()
        await start_session(client, db, settings, owner)
        queue = await client.get("/seller/orders")
        assert queue.status_code == 200 and number in queue.text and "New (1)" in queue.text
        part_id = part_of[seller_id]
        for step in ("accepted", "packed"):
            done = await post_form(client, f"/seller/orders/{part_id}/advance", {"to": step})
            assert done.status_code == 303
        # Shipping needs the carrier and the tracking number.
        missing = await post_form(client, f"/seller/orders/{part_id}/advance", {"to": "shipped"})
        assert missing.status_code == 303
        shipped = await post_form(
            client,
            f"/seller/orders/{part_id}/advance",
            {"to": "shipped", "carrier": "India Post", "tracking_number": "EE123456789IN"},
        )
        assert shipped.status_code == 303
        delivered = await post_form(
            client, f"/seller/orders/{part_id}/advance", {"to": "delivered"}
        )
        assert delivered.status_code == 303
        # Skipping ahead or going back is refused.
        again = await post_form(client, f"/seller/orders/{part_id}/advance", {"to": "packed"})
        assert again.status_code == 409

    client.cookies.clear()
    await start_session(client, db, settings, buyer)
    page = await client.get(f"/orders/{number}")
    assert page.text.count('data-state="delivered"') == 2
    assert "EE123456789IN" in page.text
    order = await get_order(db, number)
    events = list(
        await db.scalars(
            select(OrderPartEvent)
            .where(OrderPartEvent.part_id == part_of[shop.up_seller.id])
            .order_by(OrderPartEvent.id)
        )
    )
    assert [(e.from_state, e.to_state, e.actor_kind) for e in events] == [
        (None, PartState.PLACED, ActorKind.BUYER),
        (PartState.PLACED, PartState.PAID, ActorKind.SYSTEM),
        (PartState.PAID, PartState.ACCEPTED, ActorKind.SELLER),
        (PartState.ACCEPTED, PartState.PACKED, ActorKind.SELLER),
        (PartState.PACKED, PartState.SHIPPED, ActorKind.SELLER),
        (PartState.SHIPPED, PartState.DELIVERED, ActorKind.SELLER),
    ]
    assert events[2].actor_user_id == shop.up_owner.id

    up = await client.get(f"/orders/{number}/invoices/{part_of[shop.up_seller.id]}")
    rj = await client.get(f"/orders/{number}/invoices/{part_of[shop.rj_seller.id]}")
    assert up.status_code == rj.status_code == 200
    assert "CGST" in up.text and "SGST" in up.text and "IGST" not in up.text
    assert "IGST" in rj.text and "CGST" not in rj.text
    assert "INV/" in up.text and "6913" in up.text and str(shop.up_seller.gstin) in up.text
    numbers = list(await db.scalars(select(Invoice.number).order_by(Invoice.id)))
    assert len(numbers) == 2 and all(len(n) <= 16 and n.endswith("/000001") for n in numbers)

    pdf = await client.get(f"/orders/{number}/invoices/{part_of[shop.up_seller.id]}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "कर बीजक" in text  # shaped Devanagari survives as text
    assert "फ़िरोज़ाबाद की चूड़ियाँ" in text or "चूड़ियाँ" in text
    assert "CGST" in text

    # Another buyer sees nothing of it.
    client.cookies.clear()
    stranger = await _user(db)
    await start_session(client, db, settings, stranger)
    assert (await client.get(f"/orders/{number}")).status_code == 404
    assert (
        await client.get(f"/orders/{number}/invoices/{part_of[shop.up_seller.id]}")
    ).status_code == 404


async def _user(db: AsyncSession) -> User:
    return await factories.user(db)


async def test_buyer_cancels_before_acceptance_and_the_paid_part_is_refunded(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, jobs: JobRunner
) -> None:
    shop = await make_shop(db)
    await start_session(client, db, settings, shop.buyer)
    number = await place(client, shop)
    await pay_in_sandbox(client, number, jobs)
    cancelled = await post_form(client, f"/orders/{number}/cancel")
    assert cancelled.status_code == 303
    await jobs.run_until_idle()  # the refund job, then the emails
    order = await get_order(db, number)
    assert {p.state for p in order.parts} == {PartState.REFUNDED}
    assert order.payment_status == PaymentStatus.REFUNDED
    await db.refresh(shop.glass)
    await db.refresh(shop.quilt)
    assert (shop.glass.stock, shop.quilt.stock) == (50, 20)  # nothing shipped: back in stock


async def test_after_acceptance_only_the_seller_can_cancel_with_a_reason(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, jobs: JobRunner
) -> None:
    shop = await make_shop(db)
    await start_session(client, db, settings, shop.buyer)
    number = await place(client, shop)
    await pay_in_sandbox(client, number, jobs)
    order = await get_order(db, number)
    up = next(p for p in order.parts if p.seller_id == shop.up_seller.id)
    await service.seller_advance(db, shop.up_owner, shop.up_seller.id, up.id, PartState.ACCEPTED)
    await db.commit()
    # The buyer can still cancel the Rajasthan part, not the accepted one.
    await post_form(client, f"/orders/{number}/cancel")
    order = await get_order(db, number)
    states = {p.seller_id: p.state for p in order.parts}
    assert states == {shop.up_seller.id: PartState.ACCEPTED, shop.rj_seller.id: PartState.CANCELLED}
    with pytest.raises(TransitionNotAllowed):
        await service.buyer_cancel(db, shop.buyer, number)
    client.cookies.clear()
    await start_session(client, db, settings, shop.up_owner)
    no_reason = await post_form(client, f"/seller/orders/{up.id}/cancel", {"reason": ""})
    assert no_reason.status_code == 303
    assert (await get_order(db, number)).parts[0].state == PartState.ACCEPTED
    done = await post_form(client, f"/seller/orders/{up.id}/cancel", {"reason": "Kiln broke"})
    assert done.status_code == 303
    await jobs.run_until_idle()
    order = await get_order(db, number)
    assert {p.state for p in order.parts} == {PartState.REFUNDED}
    part = next(p for p in order.parts if p.seller_id == shop.up_seller.id)
    assert part.cancel_reason == "Kiln broke"
    mails = folder_messages(settings.mail_dir)
    assert any("Kiln broke" in m.body and m.to == shop.buyer.email for m in mails)


async def test_an_expired_reservation_is_released_and_a_late_payment_rechecks_stock(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, jobs: JobRunner
) -> None:
    shop = await make_shop(db)
    await start_session(client, db, settings, shop.buyer)
    number = await place(client, shop)
    order = await get_order(db, number)
    past = utcnow() - timedelta(minutes=1)
    order.reserved_until = past
    await db.execute(
        update(StockReservation)
        .where(StockReservation.order_id == order.id)
        .values(expires_at=past)
    )
    await db.commit()
    assert await service.release_expired(db) == 1
    await db.commit()
    await db.refresh(shop.glass)
    assert shop.glass.stock == 50
    # Someone else buys the quilts meanwhile; then the late payment arrives.
    shop.quilt.stock = 0
    await db.commit()
    amount, currency = await service.payable_amount(db, order_number=number)
    assert await service.on_payment_succeeded(
        db,
        order_number=number,
        provider="sandbox",
        provider_payment_id="pi_late",
        amount_minor=amount,
        currency=currency,
    )
    await db.commit()
    order = await get_order(db, number)
    states = {p.seller_id: p.state for p in order.parts}
    assert states == {shop.up_seller.id: PartState.PAID, shop.rj_seller.id: PartState.CANCELLED}
    await db.refresh(shop.glass)
    await db.refresh(shop.quilt)
    assert (shop.glass.stock, shop.quilt.stock) == (48, 0)  # never negative


async def test_invoice_numbers_follow_the_indian_financial_year() -> None:
    from datetime import UTC, datetime

    assert invoices.financial_year(datetime(2027, 3, 31, 18, 0, tzinfo=UTC)) == 2026
    # 31 March 18:30 UTC is 1 April in India: the new year.
    assert invoices.financial_year(datetime(2027, 3, 31, 18, 30, tzinfo=UTC)) == 2027
    assert invoices.invoice_number(2026, 42) == "INV/2627/000042"
    assert invoices.invoice_number(2099, 1) == "INV/9900/000001"


async def test_stock_never_goes_negative_through_the_repository(db: AsyncSession) -> None:
    shop = await make_shop(db)
    assert await repository.take_stock(db, shop.quilt.id, 20)
    assert not await repository.take_stock(db, shop.quilt.id, 1)
    count = await db.scalar(select(func.min(Listing.stock)))
    assert count is not None and count >= 0
