"""POST /webhooks/stripe: signatures checked by the stripe library, events stored once, processing
by a job with one effect per event however often and in whatever order it is delivered."""

from __future__ import annotations

import asyncio
import random
import time

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.jobs import Job, JobRunner
from app.orders.ledger.models import EntryKind, LedgerEntry
from app.orders.models import Order, OrderPart, OrderPartEvent, PartState, PaymentStatus
from app.orders.payments import service, stripe_events
from app.orders.payments.models import EventState, Payment, PaymentEvent, PaymentState, Refund
from app.orders.payments.webhook import CSRF_EXEMPT, PROCESS_JOB
from tests.orders.payments.conftest import PartSpec, deliver, make_order

SECRET = "whsec_test_secret_for_signatures"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"payment_provider": "sandbox", "sandbox_webhook_secret": SECRET}
    )


def succeeded(order: Order, payment: Payment, intent: str = "pi_test_1") -> list[dict[str, object]]:
    return [
        stripe_events.event(
            "payment_intent.succeeded",
            stripe_events.payment_intent(
                intent_id=intent,
                order_number=order.number,
                amount_minor=payment.amount_minor,
                currency=payment.currency,
                succeeded=True,
            ),
        ),
        stripe_events.event(
            "checkout.session.completed",
            stripe_events.checkout_session(
                session_id=payment.provider_payment_id,
                intent_id=intent,
                order_number=order.number,
                amount_minor=payment.amount_minor,
                currency=payment.currency,
                paid=True,
            ),
        ),
    ]


def failed(order: Order, payment: Payment, intent: str = "pi_test_1") -> dict[str, object]:
    return stripe_events.event(
        "payment_intent.payment_failed",
        stripe_events.payment_intent(
            intent_id=intent,
            order_number=order.number,
            amount_minor=payment.amount_minor,
            currency=payment.currency,
            succeeded=False,
        ),
    )


async def stored_events(db: AsyncSession) -> list[PaymentEvent]:
    db.expire_all()
    return list(await db.scalars(select(PaymentEvent).order_by(PaymentEvent.id)))


def test_the_webhook_is_exempt_from_csrf_and_says_why() -> None:
    assert CSRF_EXEMPT == {"/webhooks/stripe": "authenticated by the Stripe-Signature header"}


async def test_a_bad_signature_is_a_400_and_stores_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    event = stripe_events.event("payment_intent.succeeded", {"id": "pi_x", "metadata": {}})
    wrong_secret = await deliver(client, event, "whsec_someone_else")
    body = stripe_events.encode(event)
    tampered = await client.post(
        "/webhooks/stripe",
        content=body.replace(b"pi_x", b"pi_y"),
        headers={"stripe-signature": stripe_events.sign(body, SECRET)},
    )
    unsigned = await client.post("/webhooks/stripe", content=body)
    stale = await deliver(client, event, SECRET, timestamp=int(time.time()) - 301)
    not_json = await client.post(
        "/webhooks/stripe",
        content=b"{oops",
        headers={"stripe-signature": stripe_events.sign(b"{oops", SECRET)},
    )
    assert [r.status_code for r in (wrong_secret, tampered, unsigned, stale, not_json)] == [400] * 5
    assert await stored_events(db) == []
    assert (
        await db.scalar(select(func.count()).select_from(Job).where(Job.kind == PROCESS_JOB)) == 0
    )


async def test_an_event_within_the_tolerance_is_accepted(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    event = stripe_events.event("payment_intent.succeeded", {"id": "pi_x", "metadata": {}})
    response = await deliver(client, event, SECRET, timestamp=int(time.time()) - 290)
    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False, "id": event["id"]}


async def test_a_duplicate_is_stored_once_with_one_job(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    event = stripe_events.event("payment_intent.succeeded", {"id": "pi_x", "metadata": {}})
    first = await deliver(client, event, SECRET)
    again = await deliver(client, event, SECRET)
    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    assert len(await stored_events(db)) == 1
    assert (
        await db.scalar(select(func.count()).select_from(Job).where(Job.kind == PROCESS_JOB)) == 1
    )


async def test_an_event_type_we_do_not_act_on_is_kept_without_a_job(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    event = stripe_events.event("customer.created", {"id": "cus_1", "object": "customer"})
    assert (await deliver(client, event, SECRET)).status_code == 200
    [stored] = await stored_events(db)
    assert stored.state == EventState.IGNORED
    assert (
        await db.scalar(select(func.count()).select_from(Job).where(Job.kind == PROCESS_JOB)) == 0
    )


async def test_an_event_for_an_unknown_order_is_flagged_for_an_admin_never_a_500(
    client: httpx.AsyncClient, db: AsyncSession, jobs: JobRunner, sign_in: object
) -> None:
    event = stripe_events.event(
        "payment_intent.succeeded",
        stripe_events.payment_intent(
            intent_id="pi_ghost",
            order_number="OD-NOSUCHORDR",
            amount_minor=1000,
            currency="INR",
            succeeded=True,
        ),
    )
    assert (await deliver(client, event, SECRET)).status_code == 200
    await jobs.run_until_idle()
    [stored] = await stored_events(db)
    assert stored.state == EventState.FLAGGED
    assert stored.flag_reason == "unknown order OD-NOSUCHORDR"
    from app.accounts.models import Role
    from tests import factories

    admin = await factories.user(db, role=Role.ADMIN)
    await sign_in(admin)  # type: ignore[operator]
    page = await client.get("/admin/payments")
    assert page.status_code == 200
    assert "unknown order OD-NOSUCHORDR" in page.text
    assert "pi_ghost" not in page.text or event["id"] in page.text


# Every event three times, concurrently and shuffled: one effect each --------------------------


async def test_every_event_delivered_three_times_concurrently_and_shuffled_has_one_effect(
    committing: tuple[async_sessionmaker[AsyncSession], httpx.AsyncClient],
    settings: Settings,
    own_database: AsyncEngine,
) -> None:
    factory, client = committing
    engine = own_database
    async with factory() as db, db.begin():
        paid = await make_order(
            db, settings, [PartSpec(118_000, 100_000), PartSpec(52_500, 50_000)]
        )
        declined = await make_order(db, settings, [PartSpec(30_000, 25_424)])
        late_failure = await make_order(db, settings, [PartSpec(10_000, 8_475)])
        refunded = await make_order(db, settings, [PartSpec(20_000, 16_949)])
    starts: dict[str, Payment] = {}
    for order in (paid, declined, late_failure, refunded):
        async with factory() as db:  # as a request does: the session commits, no begin() block
            await service.start_payment(db, settings, order_number=order.number)
            await db.commit()
        async with factory() as db:
            found = await db.scalar(select(Payment).where(Payment.order_id == order.id))
            assert found is not None
            starts[order.number] = found
    # The refunded order is paid and refunded before the storm; its charge.refunded joins it.
    async with factory() as db, db.begin():
        payment = starts[refunded.number]
        await service.payment_succeeded(
            db,
            settings,
            payment.id,
            amount_minor=payment.amount_minor,
            currency="INR",
            payment_intent_id="pi_refunded",
        )
    async with factory() as db:
        await service.refund(
            db, settings, order_number=refunded.number, order_part_id=None, amount_minor=20_000
        )
        await db.commit()
    async with factory() as db:
        refund = await db.scalar(select(Refund).where(Refund.order_id == refunded.id))
    assert refund is not None

    events = [
        *succeeded(paid, starts[paid.number], "pi_paid"),
        failed(declined, starts[declined.number], "pi_declined"),
        *succeeded(late_failure, starts[late_failure.number], "pi_late"),
        failed(late_failure, starts[late_failure.number], "pi_late"),
        stripe_events.event(
            "charge.refunded",
            stripe_events.refunded_charge(
                charge_id="ch_refunded",
                intent_id="pi_refunded",
                order_number=refunded.number,
                amount_minor=20_000,
                currency="INR",
                refunds=[(refund.provider_refund_id, 20_000)],
            ),
        ),
    ]
    deliveries = events * 3
    random.Random(11).shuffle(deliveries)
    runners = [JobRunner(factory, settings, worker_id=f"w{i}") for i in range(3)]
    if engine.dialect.name == "sqlite":
        responses = list(await asyncio.gather(*(deliver(client, e, SECRET) for e in deliveries)))
        for runner in runners:
            await runner.run_until_idle()
    else:  # deliveries and workers race each other
        results = await asyncio.gather(
            *(deliver(client, e, SECRET) for e in deliveries),
            *(runner.run_until_idle() for runner in runners),
        )
        responses = [r for r in results if isinstance(r, httpx.Response)]
        await runners[0].run_until_idle()
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    assert sum(not r.json()["duplicate"] for r in responses) == len(events)

    async with factory() as db:
        stored = list(
            await db.scalars(
                select(PaymentEvent).where(PaymentEvent.event_id.in_([e["id"] for e in events]))
            )
        )
        assert len(stored) == len(events)
        assert {e.state for e in stored} == {EventState.PROCESSED}, [
            (e.event_type, e.flag_reason) for e in stored
        ]

        async def paid_transitions(order: Order) -> int:
            return int(
                await db.scalar(
                    select(func.count())
                    .select_from(OrderPartEvent)
                    .join(OrderPart)
                    .where(
                        OrderPart.order_id == order.id, OrderPartEvent.to_state == PartState.PAID
                    )
                )
                or 0
            )

        async def status_of(order: Order) -> PaymentStatus | None:
            return await db.scalar(select(Order.payment_status).where(Order.id == order.id))

        async def entries(order: Order) -> list[tuple[str, int]]:
            rows = await db.execute(
                select(LedgerEntry.kind, LedgerEntry.amount_inr_paise)
                .where(LedgerEntry.order_number == order.number)
                .order_by(LedgerEntry.id)
            )
            return [(kind.value, amount) for kind, amount in rows.all()]

        # Paid: one transition per part, one set of ledger entries, payment succeeded once.
        assert await paid_transitions(paid) == 2
        assert [k for k, _ in await entries(paid)].count(EntryKind.SALE.value) == 2
        assert len(await entries(paid)) == 8  # sale, commission, TCS, TDS for each part
        assert await status_of(paid) == PaymentStatus.PAID
        # Declined: failed once, one failure email queued.
        assert await status_of(declined) == PaymentStatus.FAILED
        assert await paid_transitions(declined) == 0
        # A failure next to a success never leaves the order unpaid.
        assert await status_of(late_failure) == PaymentStatus.PAID
        assert await paid_transitions(late_failure) == 1
        assert len(await entries(late_failure)) == 4
        late_payment = await db.get(Payment, starts[late_failure.number].id)
        assert late_payment is not None and late_payment.state == PaymentState.SUCCEEDED
        # Refunded: the reversal was written once, by the refund; the event changed nothing.
        kinds = [k for k, _ in await entries(refunded)]
        assert kinds.count(EntryKind.REFUND.value) == 1
        assert sum(a for _, a in await entries(refunded)) == 0
        failure_mails = await db.scalar(
            select(func.count(Job.id)).where(
                Job.kind == "payments.email",
                Job.payload["payment"].as_integer() == starts[declined.number].id,
            )
        )
        assert failure_mails == 1


async def test_an_event_names_its_attempt_so_a_late_success_lands_on_the_right_payment(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, jobs: JobRunner
) -> None:
    order = await make_order(db, settings, [PartSpec(30_000, 25_424)])
    await service.start_payment(db, settings, order_number=order.number)
    first = await db.scalar(select(Payment).where(Payment.order_id == order.id))
    assert first is not None
    await service.payment_failed(db, first.id, message="declined")
    await service.start_payment(db, settings, order_number=order.number)
    await db.commit()
    # The first attempt's card went through after all (its PaymentIntent says which attempt).
    late = stripe_events.event(
        "payment_intent.succeeded",
        stripe_events.payment_intent(
            intent_id="pi_late",
            order_number=order.number,
            amount_minor=30_000,
            currency="INR",
            succeeded=True,
            payment_key=first.idempotency_key,
        ),
    )
    assert (await deliver(client, late, SECRET)).status_code == 200
    await jobs.run_until_idle()
    states = {
        p.attempt: p.state
        for p in await db.scalars(
            select(Payment)
            .where(Payment.order_id == order.id)
            .execution_options(populate_existing=True)
        )
    }
    assert states == {1: PaymentState.SUCCEEDED, 2: PaymentState.PENDING}
    status = await db.scalar(select(Order.payment_status).where(Order.id == order.id))
    assert status == PaymentStatus.PAID


async def test_a_late_success_on_an_old_attempt_after_the_new_one_paid_is_refunded_by_itself(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, jobs: JobRunner
) -> None:
    """The buyer's first Checkout page went through late, after the second had paid the order:
    one paid order, and the first payment given back in full, once, without touching the
    order's refunds or the sellers' ledger."""
    order = await make_order(db, settings, [PartSpec(30_000, 25_424)])
    await service.start_payment(db, settings, order_number=order.number)
    first = await db.scalar(select(Payment).where(Payment.order_id == order.id))
    assert first is not None
    await service.payment_failed(db, first.id, message="session expired")
    await service.start_payment(db, settings, order_number=order.number)
    second = await db.scalar(
        select(Payment).where(Payment.order_id == order.id, Payment.attempt == 2)
    )
    assert second is not None
    order_id, number, first_id = order.id, order.number, first.id
    second_id = second.provider_payment_id
    await db.commit()

    def success(payment: Payment, intent: str) -> dict[str, object]:
        return stripe_events.event(
            "payment_intent.succeeded",
            stripe_events.payment_intent(
                intent_id=intent,
                order_number=order.number,
                amount_minor=30_000,
                currency="INR",
                succeeded=True,
                payment_key=payment.idempotency_key,
            ),
        )

    events = [success(second, "pi_new"), success(first, "pi_old"), success(first, "pi_old")]
    for event in events:
        assert (await deliver(client, event, SECRET)).status_code == 200
    await jobs.run_until_idle()
    db.expire_all()
    assert await db.scalar(select(Order.payment_status).where(Order.id == order_id)) == (
        PaymentStatus.PAID
    )
    assert await db.scalar(select(Order.provider_payment_id).where(Order.id == order_id)) == (
        second_id
    )
    [refund] = list(await db.scalars(select(Refund).where(Refund.order_id == order_id)))
    assert (refund.payment_id, refund.amount_minor, refund.order_part_id) == (
        first_id,
        30_000,
        None,
    )
    assert refund.provider_refund_id.startswith("re_sandbox_")
    assert "paid twice" in refund.reason
    duplicate_refund_id = refund.provider_refund_id
    kinds = list(
        await db.scalars(select(LedgerEntry.kind).where(LedgerEntry.order_number == number))
    )
    assert EntryKind.SALE in kinds and EntryKind.REFUND not in kinds
    flagged = [e for e in await stored_events(db) if e.state == EventState.FLAGGED]
    assert len(flagged) == 1 and "refunded by itself" in flagged[0].flag_reason

    # The provider confirms that refund: nothing in the order or the ledger moves.
    confirm = stripe_events.event(
        "charge.refund.updated",
        stripe_events.refund(
            refund_id=duplicate_refund_id,
            intent_id="pi_old",
            amount_minor=30_000,
            currency="INR",
            status="succeeded",
        ),
    )
    assert (await deliver(client, confirm, SECRET)).status_code == 200
    await jobs.run_until_idle()
    db.expire_all()
    assert await db.scalar(select(Order.payment_status).where(Order.id == order_id)) == (
        PaymentStatus.PAID
    )
    # The order's own payment can still be refunded in full, and that refund reverses the sale.
    await service.refund(db, settings, order_number=number, order_part_id=None, amount_minor=30_000)
    refunded = await db.scalar(
        select(func.sum(LedgerEntry.amount_inr_paise)).where(
            LedgerEntry.order_number == number, LedgerEntry.kind == EntryKind.REFUND
        )
    )
    assert refunded == -30_000


async def test_a_refund_that_fails_at_the_provider_owes_the_seller_again_and_is_flagged(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, jobs: JobRunner
) -> None:
    order = await make_order(db, settings, [PartSpec(118_000, 100_000)])
    await service.start_payment(db, settings, order_number=order.number)
    payment = await db.scalar(select(Payment).where(Payment.order_id == order.id))
    assert payment is not None
    await service.payment_succeeded(db, settings, payment.id, amount_minor=118_000, currency="INR")
    part_id = await db.scalar(select(OrderPart.id).where(OrderPart.order_id == order.id))
    assert part_id is not None
    await service.refund(
        db, settings, order_number=order.number, order_part_id=part_id, amount_minor=50_000
    )
    [refund] = list(await db.scalars(select(Refund).where(Refund.order_id == order.id)))
    refund_id, provider_refund_id, number = refund.id, refund.provider_refund_id, order.number
    await db.commit()

    async def part_balance() -> int:
        return int(
            await db.scalar(
                select(func.sum(LedgerEntry.amount_inr_paise)).where(
                    LedgerEntry.order_part_id == part_id
                )
            )
            or 0
        )

    after_refund = await part_balance()
    failed_event = stripe_events.event(
        "charge.refund.updated",
        stripe_events.refund(
            refund_id=provider_refund_id,
            intent_id="pi_x",
            amount_minor=50_000,
            currency="INR",
            status="failed",
        ),
    )
    # Delivered three times: one effect.
    for _ in range(3):
        assert (await deliver(client, failed_event, SECRET)).status_code == 200
    await jobs.run_until_idle()
    db.expire_all()
    refund = await db.get_one(Refund, refund_id)
    assert refund.failed_at is not None and refund.failure_reason == "expired_or_canceled_card"
    sale = await db.scalar(
        select(func.sum(LedgerEntry.amount_inr_paise)).where(
            LedgerEntry.order_part_id == part_id,
            LedgerEntry.refund_id.is_(None),
        )
    )
    # What the refund's reversal took from the seller is owed again, exactly.
    assert await part_balance() == sale != after_refund
    [event] = await stored_events(db)
    assert event.state == EventState.FLAGGED and "has not got it back" in event.flag_reason
    # A later "succeeded" for the same refund cannot undo that; the full amount can be refunded
    # again.
    late = stripe_events.event(
        "charge.refund.updated",
        stripe_events.refund(
            refund_id=provider_refund_id,
            intent_id="pi_x",
            amount_minor=50_000,
            currency="INR",
            status="succeeded",
        ),
    )
    await deliver(client, late, SECRET)
    await jobs.run_until_idle()
    assert await part_balance() == sale
    await service.refund(
        db, settings, order_number=number, order_part_id=part_id, amount_minor=118_000
    )
    assert await part_balance() == 0
