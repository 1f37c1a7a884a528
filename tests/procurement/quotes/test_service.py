"""The quote service: requests and their bad input, the state machine (only listed transitions,
each recorded), offers, expiry, acceptance into the cart at the agreed price through checkout,
invoice and ledger, messages with checked attachments, and emails in each side's language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.errors import FormErrors
from app.jobs import Job, JobRunner
from app.orders import cart as cart_service
from app.orders import checkout, invoices
from app.orders import repository as orders_repository
from app.orders import service as orders_service
from app.orders.models import PartState
from app.procurement.quotes import repository, service
from app.procurement.quotes.errors import OfferExpired, QuoteNotFound, QuoteStepNotAllowed
from app.procurement.quotes.models import QuoteSide, QuoteState
from app.storage import LocalStorage
from tests import factories
from tests.helpers import folder_bodies
from tests.orders.conftest import UP_ADDRESS
from tests.procurement.quotes.conftest import in_days, quoted, request_values
from tests.sellers import files
from tests.test_upload_metadata import assert_pixels_only_jpeg, hostile_jpeg

S = QuoteState


def storage_of(settings: Settings) -> LocalStorage:
    return LocalStorage(settings.media_dir / "private")


async def test_a_request_is_recorded_and_bad_input_is_refused_field_by_field(
    db: AsyncSession,
) -> None:
    q = await quoted(db)
    assert q.quote.state == S.REQUESTED
    assert q.quote.seller_id == q.shop.up_seller.id
    events = await repository.events(db, q.quote.id)
    assert [(e.from_state, e.to_state, e.side) for e in events] == [
        (None, S.REQUESTED, QuoteSide.BUYER)
    ]
    stranger = await factories.user(db)
    bad = {
        "quantity": "1",  # below the MOQ of 2
        "wanted_by": (service.today_in_india() - timedelta(days=1)).isoformat(),
        "district_id": "999999",
    }
    with pytest.raises(FormErrors) as caught:
        await service.request_quote(db, stranger, q.shop.glass.id, await request_values(db, **bad))
    assert set(caught.value.errors) == {"quantity", "wanted_by", "district_id"}
    for values in (
        {"quantity": "²"},
        {"quantity": "9223372036854775808"},
        {"wanted_by": "31/12/2030"},
        {"wanted_by": service.today_in_india().isoformat()},
        {"country": "ZZ"},
        {"specifications": "x" * 5000},
    ):
        with pytest.raises(FormErrors):
            await service.request_quote(
                db, stranger, q.shop.glass.id, await request_values(db, **values)
            )
    # Above the tiers and the stock is fine; abroad needs no district.
    abroad = await service.request_quote(
        db,
        stranger,
        q.shop.glass.id,
        await request_values(db, quantity="5000", country="US", district_id=""),
    )
    assert (abroad.delivery_country, abroad.delivery_district_id) == ("US", None)


async def test_no_second_open_request_no_quote_on_own_or_hidden_listing(db: AsyncSession) -> None:
    q = await quoted(db)
    with pytest.raises(FormErrors):
        await service.request_quote(db, q.shop.buyer, q.shop.glass.id, await request_values(db))
    with pytest.raises(QuoteStepNotAllowed):
        await service.request_quote(db, q.shop.up_owner, q.shop.glass.id, await request_values(db))
    draft = await factories.listing(db, q.shop.up_seller, status="draft")
    with pytest.raises(QuoteNotFound):
        await service.request_quote(db, q.shop.buyer, draft.id, await request_values(db))


async def test_only_listed_transitions_by_the_right_side(db: AsyncSession) -> None:
    q = await quoted(db)
    buyer, seller = q.shop.buyer, q.shop.up_owner
    offer = service.OfferInput(90_000, 3, in_days(5))
    with pytest.raises(QuoteStepNotAllowed):  # the buyer cannot make the seller's offer
        await service.make_offer(db, buyer, q.quote.id, offer)
    with pytest.raises(QuoteStepNotAllowed):  # nothing to accept yet
        await service.accept(db, buyer, q.quote.id)
    with pytest.raises(QuoteStepNotAllowed):  # the seller cannot withdraw the buyer's request
        await service.withdraw(db, seller, q.quote.id)
    with pytest.raises(QuoteStepNotAllowed):  # a request is withdrawn, not declined, by its buyer
        await service.decline(db, buyer, q.quote.id)
    await service.make_offer(db, seller, q.quote.id, offer)
    await service.make_offer(db, seller, q.quote.id, service.OfferInput(85_000, 4, in_days(6)))
    assert (q.quote.state, q.quote.unit_price_paise, q.quote.offers_made) == (S.OFFERED, 85_000, 2)
    with pytest.raises(QuoteStepNotAllowed):  # the seller cannot accept its own offer
        await service.accept(db, seller, q.quote.id)
    await service.decline(db, buyer, q.quote.id, "Too dear")
    for step in (
        service.accept(db, buyer, q.quote.id),
        service.withdraw(db, buyer, q.quote.id),
        service.decline(db, seller, q.quote.id),
        service.make_offer(db, seller, q.quote.id, offer),
    ):
        with pytest.raises(QuoteStepNotAllowed):
            await step
    events = await repository.events(db, q.quote.id)
    assert [(e.from_state, e.to_state, e.side, e.unit_price_paise) for e in events] == [
        (None, S.REQUESTED, QuoteSide.BUYER, None),
        (S.REQUESTED, S.OFFERED, QuoteSide.SELLER, 90_000),
        (S.OFFERED, S.OFFERED, QuoteSide.SELLER, 85_000),
        (S.OFFERED, S.DECLINED, QuoteSide.BUYER, None),
    ]
    assert events[-1].note == "Too dear" and events[-1].actor_user_id == buyer.id


def test_the_transition_table_is_the_documented_one() -> None:
    assert service.STEPS[QuoteSide.BUYER][S.REQUESTED] == {S.WITHDRAWN}
    assert service.STEPS[QuoteSide.SYSTEM] == {S.OFFERED: {S.EXPIRED}}
    assert {s: set(t) for s, t in service.TRANSITIONS.items()} == {
        S.REQUESTED: {S.OFFERED, S.DECLINED, S.WITHDRAWN},
        S.OFFERED: {S.OFFERED, S.ACCEPTED, S.DECLINED, S.EXPIRED, S.WITHDRAWN},
        S.EXPIRED: {S.OFFERED, S.DECLINED, S.WITHDRAWN},
        S.ACCEPTED: set(),
        S.DECLINED: set(),
        S.WITHDRAWN: set(),
    }


def test_bad_offers_are_field_errors() -> None:
    with pytest.raises(FormErrors) as caught:
        service.parse_offer({"unit_price": "NaN", "lead_time_days": "-1", "valid_until": "x"})
    assert set(caught.value.errors) == {"unit_price", "lead_time_days", "valid_until"}
    past = (service.today_in_india() - timedelta(days=1)).isoformat()
    for values in (
        {"unit_price": "0", "lead_time_days": "3", "valid_until": in_days(3).isoformat()},
        {"unit_price": "1e400", "lead_time_days": "3", "valid_until": in_days(3).isoformat()},
        {"unit_price": "950", "lead_time_days": "3", "valid_until": past},
        {"unit_price": "950", "lead_time_days": "3", "valid_until": in_days(400).isoformat()},
        {"unit_price": "950", "lead_time_days": "9999", "valid_until": in_days(3).isoformat()},
    ):
        with pytest.raises(FormErrors):
            service.parse_offer(values)
    assert service.parse_offer(
        {"unit_price": "₹1,050.505", "lead_time_days": "0", "valid_until": in_days(1).isoformat()}
    ) == service.OfferInput(105_051, 0, in_days(1))


async def test_an_offer_above_the_stock_is_refused_until_the_stock_is_raised(
    db: AsyncSession,
) -> None:
    q = await quoted(db)
    q.shop.glass.stock = 10
    with pytest.raises(FormErrors):
        await service.make_offer(
            db, q.shop.up_owner, q.quote.id, service.OfferInput(80_000, 5, in_days(3))
        )
    q.shop.glass.made_to_order = True
    await service.make_offer(
        db, q.shop.up_owner, q.quote.id, service.OfferInput(80_000, 5, in_days(3))
    )


async def test_an_expired_offer_cannot_be_accepted_and_the_job_expires_it(
    db: AsyncSession, jobs: JobRunner
) -> None:
    q = await quoted(db, offer=True)
    q.quote.valid_until = service.today_in_india() - timedelta(days=1)
    await db.flush()
    with pytest.raises(OfferExpired):
        await service.accept(db, q.shop.buyer, q.quote.id)
    cart = await cart_service.find(db, user_id=q.shop.buyer.id, token=None)
    assert cart is None or not cart.lines
    job = await db.scalar(select(Job).where(Job.kind == service.EXPIRE_JOB))
    assert job is not None and job.payload == {"quote_id": q.quote.id, "offer": 1}
    job.run_at = job.created_at
    await db.commit()
    await jobs.run_until_idle()
    await db.refresh(q.quote)
    assert q.quote.state == S.EXPIRED
    assert not await service.expire(db, q.quote.id)  # idempotent
    # The seller may offer again; the old offer's job does not expire the new one.
    await service.make_offer(
        db, q.shop.up_owner, q.quote.id, service.OfferInput(82_000, 5, in_days(2))
    )
    assert not await service.expire(db, q.quote.id, 1)
    assert q.quote.state.value == "offered"


async def test_the_sweep_expires_every_offer_past_its_validity(db: AsyncSession) -> None:
    q = await quoted(db, offer=True)
    assert await service.expire_due(db) == 0
    q.quote.valid_until = service.today_in_india() - timedelta(days=1)
    await db.flush()
    assert await service.expire_due(db) == 1
    assert q.quote.state == S.EXPIRED


async def test_accepting_puts_the_agreed_line_in_the_cart_and_the_order_keeps_the_price(
    db: AsyncSession, settings: Settings
) -> None:
    q = await quoted(db, offer=True)
    buyer = q.shop.buyer
    cart, _ = await cart_service.open_cart(db, user_id=buyer.id, token=None)
    await cart_service.add(db, cart, q.shop.glass.id, 3)  # replaced by the agreed line
    await service.accept(db, buyer, q.quote.id)
    assert q.quote.state == S.ACCEPTED and q.quote.accepted_at is not None
    view = await cart_service.view(db, cart)
    (line,) = view.lines
    assert (line.line.quantity, line.priced and line.priced.unit_price) == (40, 80_000)
    assert line.priced is not None and line.priced.agreed and not view.needs_review
    # Tampering: the quantity of an agreed line is fixed, adding more is refused.
    for attempt in (
        cart_service.set_quantity(db, cart, q.shop.glass.id, 41),
        cart_service.set_quantity(db, cart, q.shop.glass.id, 1),
        cart_service.add(db, cart, q.shop.glass.id, 1),
    ):
        with pytest.raises(FormErrors):
            await attempt
    await cart_service.acknowledge(db, cart)
    address = checkout.parse_address(
        {k: str(v) for k, v in UP_ADDRESS.items()}, await orders_repository.states(db), set()
    )
    order = await checkout.place_order(
        db, settings, buyer=buyer, cart=cart, address=address, currency="INR"
    )
    order = await orders_service.get_order(db, order.number)
    (part,) = order.parts
    (order_line,) = part.lines
    assert (order_line.quantity, order_line.unit_price_paise) == (40, 80_000)
    assert order_line.total_paise == 3_200_000 and order_line.agreement == q.quote.reference
    assert order_line.list_unit_price_paise == 105_000
    # 32,000 rupees of goods: free shipping above 5,000; CGST+SGST inside Uttar Pradesh.
    assert part.total_inr_paise == 3_200_000 and part.cgst_inr_paise + part.sgst_inr_paise > 0
    await orders_service.on_payment_succeeded(
        db,
        order_number=order.number,
        provider="sandbox",
        provider_payment_id="pi_quote",
        amount_minor=order.total_minor,
        currency="INR",
    )
    (facts,) = await orders_service.ledger_facts(db, order_number=order.number)
    assert facts.gross_inr_minor == 3_200_000
    for step in (PartState.ACCEPTED, PartState.PACKED):
        await orders_service.seller_advance(db, q.shop.up_owner, q.shop.up_seller.id, part.id, step)
    await orders_service.seller_advance(
        db,
        q.shop.up_owner,
        q.shop.up_seller.id,
        part.id,
        PartState.SHIPPED,
        carrier="India Post",
        tracking_number="EE1234IN",
    )
    invoice = await invoices.load(db, part)
    assert [line.unit_price_paise for line in invoice.lines] == [80_000]
    thread = await service.thread(db, buyer, q.quote.id)
    assert thread.orders == [order.number]


async def test_acceptance_that_cannot_go_into_the_cart_changes_nothing(db: AsyncSession) -> None:
    q = await quoted(db, offer=True)
    q.shop.glass.stock = 5  # sold elsewhere since the offer
    await db.flush()
    with pytest.raises(QuoteStepNotAllowed):
        await service.accept(db, q.shop.buyer, q.quote.id)


async def test_messages_with_files_are_checked_and_stripped(
    db: AsyncSession, settings: Settings
) -> None:
    q = await quoted(db)
    storage = storage_of(settings)
    message = await service.post_message(
        db,
        settings,
        storage,
        q.shop.buyer,
        q.quote.id,
        "Sample photo attached",
        [service.Upload("my photo.jpg", hostile_jpeg()), service.Upload("spec.pdf", files.pdf())],
    )
    assert message.side == QuoteSide.BUYER
    photo, spec = message.attachments
    assert (photo.filename, photo.content_type) == ("my-photo.jpg", "image/jpeg")
    assert_pixels_only_jpeg(storage.read(photo.storage_key))
    assert spec.content_type == "application/pdf"
    reply = await service.post_message(
        db, settings, storage, q.shop.up_owner, q.quote.id, "Thank you", []
    )
    assert reply.side == QuoteSide.SELLER
    for body, uploads in (
        ("", []),
        ("x" * 4001, []),
        ("php", [service.Upload("shell.jpg", files.php_renamed_jpg())]),
        ("many", [service.Upload("a.pdf", files.pdf())] * 4),
        ("big", [service.Upload("a.pdf", files.pdf(padding=settings.document_max_bytes))]),
    ):
        with pytest.raises(FormErrors):
            await service.post_message(
                db, settings, storage, q.shop.buyer, q.quote.id, body, uploads
            )
    stranger = await factories.user(db)
    with pytest.raises(QuoteNotFound):
        await service.post_message(db, settings, storage, stranger, q.quote.id, "hello", [])
    with pytest.raises(QuoteNotFound):
        await service.attachment(db, stranger, q.quote.id, photo.id)
    assert (await service.attachment(db, q.shop.up_owner, q.quote.id, photo.id)).id == photo.id


async def test_each_side_is_emailed_in_its_own_language(
    db: AsyncSession, settings: Settings, jobs: JobRunner
) -> None:
    q = await quoted(db)
    q.shop.up_owner.language = "hi"
    await db.flush()
    await service.post_message(
        db, settings, storage_of(settings), q.shop.buyer, q.quote.id, "Can you do blue?", []
    )
    await service.make_offer(
        db, q.shop.up_owner, q.quote.id, service.OfferInput(80_000, 5, in_days(3))
    )
    await service.post_message(
        db, settings, storage_of(settings), q.shop.up_owner, q.quote.id, "हाँ, नीला भी", []
    )
    await db.commit()
    await jobs.run_until_idle()
    mails = folder_bodies(settings)
    to_seller = [m for m in mails if m[0] == q.shop.up_owner.email]
    to_buyer = [m for m in mails if m[0] == q.shop.buyer.email]
    assert len(to_seller) == 2 and len(to_buyer) == 2  # request + message; offer + message
    assert all("कोटेशन" in subject for _to, subject, _body in to_seller)
    assert any("Can you do blue?" in body for _to, _s, body in to_seller)
    assert any("हाँ, नीला भी" in body for _to, _s, body in to_buyer)
    assert all(f"/quotes/{q.quote.id}" in body for _to, _s, body in mails)
    assert any("made an offer" in body for _to, _s, body in to_buyer)
