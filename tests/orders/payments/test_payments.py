"""Starting payments (idempotent), the sandbox checkout end to end, offline payments recorded by an
administrator, refunds through the provider, and the JSON API."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts import service as accounts_service
from app.accounts.models import Role, User
from app.config import Settings
from app.jobs import JobRunner
from app.mail import folder_messages
from app.orders.ledger.models import EntryKind, LedgerEntry
from app.orders.models import Order, OrderPart, PartState, PaymentStatus
from app.orders.payments import service
from app.orders.payments.errors import AlreadyPaid, OrderCancelled
from app.orders.payments.models import EventState, Payment, PaymentEvent, PaymentState, Refund
from app.orders.payments.providers import OfflineProvider, SandboxProvider, provider_for
from tests import factories
from tests.helpers import csrf_token, post_form, start_session
from tests.orders.payments.conftest import PartSpec, make_order
from tests.orders.payments.recording_server import recording_server


def with_provider(settings: Settings, name: str) -> Settings:
    return settings.model_copy(update={"payment_provider": name})


async def payments_of(db: AsyncSession, order: Order) -> list[Payment]:
    return list(
        await db.scalars(
            select(Payment)
            .where(Payment.order_id == order.id)
            .order_by(Payment.id)
            .execution_options(populate_existing=True)
        )
    )


async def order_status(db: AsyncSession, order: Order) -> PaymentStatus:
    status = await db.scalar(select(Order.payment_status).where(Order.id == order.id))
    assert status is not None
    return status


def test_the_provider_follows_the_setting_and_the_sandbox_is_refused_in_production(
    settings: Settings,
) -> None:
    assert isinstance(provider_for(with_provider(settings, "sandbox")), SandboxProvider)
    assert isinstance(provider_for(with_provider(settings, "offline")), OfflineProvider)
    production = settings.model_copy(update={"env": "production"})
    with pytest.raises(RuntimeError, match="refused in production"):
        provider_for(production, "sandbox")


async def test_starting_twice_gives_the_same_payment(db: AsyncSession, settings: Settings) -> None:
    order = await make_order(db, settings, [PartSpec(118_000, 100_000)])
    first = await service.start_payment(db, settings, order_number=order.number)
    again = await service.start_payment(db, settings, order_number=order.number)
    assert first == again
    assert first.redirect_url == f"/payments/sandbox/{first.provider_payment_id}"
    [payment] = await payments_of(db, order)
    assert (payment.amount_minor, payment.currency, payment.attempt) == (118_000, "INR", 1)
    assert payment.idempotency_key == f"sandbox-{order.number}-1"


async def test_a_double_submitted_pay_button_makes_one_payment(
    committing: tuple[async_sessionmaker[AsyncSession], httpx.AsyncClient], settings: Settings
) -> None:
    """Real concurrent requests on their own connections (an own database, real commits)."""
    factory, client = committing
    async with factory() as db, db.begin():
        buyer = await factories.user(db)
        order = await make_order(db, settings, [PartSpec(50_000, 42_373)], buyer=buyer)
    async with factory() as db:
        await start_session(client, db, settings, buyer)
    await csrf_token(client)
    first, second = await asyncio.gather(
        post_form(client, f"/payments/{order.number}/start"),
        post_form(client, f"/payments/{order.number}/start"),
    )
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    async with factory() as db:
        assert len(await payments_of(db, order)) == 1


async def test_after_a_failure_a_new_attempt_gets_a_new_key(
    db: AsyncSession, settings: Settings
) -> None:
    order = await make_order(db, settings, [PartSpec(50_000, 42_373)])
    first = await service.start_payment(db, settings, order_number=order.number)
    [payment] = await payments_of(db, order)
    assert (await service.payment_failed(db, payment.id, message="declined")).changed
    assert await order_status(db, order) == PaymentStatus.FAILED
    second = await service.start_payment(db, settings, order_number=order.number)
    assert second.provider_payment_id != first.provider_payment_id
    assert [p.attempt for p in await payments_of(db, order)] == [1, 2]
    [_failed, retry] = await payments_of(db, order)
    await service.payment_succeeded(db, settings, retry.id, amount_minor=50_000, currency="INR")
    with pytest.raises(AlreadyPaid):
        await service.start_payment(db, settings, order_number=order.number)


async def test_the_sandbox_checkout_pays_through_our_own_webhook(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    sign_in: object,
    jobs: JobRunner,
) -> None:
    buyer = await factories.user(db)
    order = await make_order(
        db, settings, [PartSpec(118_000, 100_000), PartSpec(52_500, 50_000)], buyer=buyer
    )
    await sign_in(buyer)  # type: ignore[operator]
    started = await post_form(client, f"/payments/{order.number}/start")
    page = await client.get(started.headers["location"])
    assert page.status_code == 200
    assert "₹1,705.00" in page.text and order.number in page.text
    paid = await post_form(client, started.headers["location"], {"outcome": "succeed"})
    assert paid.status_code == 303
    assert paid.headers["location"].endswith(f"/orders/{order.number}?payment=done")
    events = list(await db.scalars(select(PaymentEvent).order_by(PaymentEvent.id)))
    assert [e.event_type for e in events] == [
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]
    await jobs.run_until_idle()
    assert await order_status(db, order) == PaymentStatus.PAID
    parts = list(await db.scalars(select(OrderPart).where(OrderPart.order_id == order.id)))
    assert {p.state for p in parts} == {PartState.PAID}
    [payment] = await payments_of(db, order)
    assert payment.state == PaymentState.SUCCEEDED
    assert payment.payment_intent_id and payment.payment_intent_id.startswith("pi_sandbox_")
    sales = await db.scalar(
        select(func.count()).where(
            LedgerEntry.order_number == order.number, LedgerEntry.kind == EntryKind.SALE
        )
    )
    assert sales == 2
    # Back on the sandbox page after paying: straight to the order, nothing sent again.
    again = await post_form(client, started.headers["location"], {"outcome": "succeed"})
    assert again.status_code == 303
    assert await db.scalar(select(func.count()).select_from(PaymentEvent)) == 2


async def test_a_declined_sandbox_payment_fails_the_order_and_emails_the_buyer(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    sign_in: object,
    jobs: JobRunner,
) -> None:
    buyer = await factories.user(db, language="hi")
    order = await make_order(db, settings, [PartSpec(30_000, 25_424)], buyer=buyer)
    await sign_in(buyer)  # type: ignore[operator]
    started = await post_form(client, f"/payments/{order.number}/start")
    declined = await post_form(client, started.headers["location"], {"outcome": "fail"})
    assert declined.status_code == 402
    await jobs.run_until_idle()
    assert await order_status(db, order) == PaymentStatus.FAILED
    [(to, subject, body)] = [(m.to, m.subject, m.body) for m in folder_messages(settings.mail_dir)]
    assert to == buyer.email
    # In the buyer's language (Hindi falls back to English where a message is not translated).
    assert order.number in subject and order.number in body


async def test_the_3d_secure_step_can_pass_or_fail(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    sign_in: object,
    jobs: JobRunner,
) -> None:
    buyer = await factories.user(db)
    order = await make_order(db, settings, [PartSpec(30_000, 25_424)], buyer=buyer)
    await sign_in(buyer)  # type: ignore[operator]
    started = await post_form(client, f"/payments/{order.number}/start")
    step = await post_form(client, started.headers["location"], {"outcome": "authenticate"})
    assert step.status_code == 303 and step.headers["location"].endswith("/authenticate")
    page = await client.get(step.headers["location"])
    assert "Complete authentication" in page.text
    failed = await post_form(client, step.headers["location"], {"outcome": "fail"})
    assert failed.status_code == 402
    await jobs.run_until_idle()
    assert await order_status(db, order) == PaymentStatus.FAILED

    retry = await post_form(client, f"/payments/{order.number}/start")
    assert retry.headers["location"] != started.headers["location"]
    # The first attempt's page is gone, as an expired Checkout Session is.
    assert (await client.get(started.headers["location"])).status_code == 404
    step = await post_form(client, retry.headers["location"], {"outcome": "authenticate"})
    done = await post_form(client, step.headers["location"], {"outcome": "succeed"})
    assert done.status_code == 303
    await jobs.run_until_idle()
    assert await order_status(db, order) == PaymentStatus.PAID


async def test_another_buyers_order_cannot_be_paid_or_seen(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: object
) -> None:
    order = await make_order(db, settings, [PartSpec(30_000, 25_424)])
    stranger = await factories.user(db)
    await sign_in(stranger)  # type: ignore[operator]
    response = await post_form(client, f"/payments/{order.number}/start")
    assert response.status_code == 404
    assert await payments_of(db, order) == []


async def test_an_offline_payment_waits_for_an_admin_to_record_it(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    sign_in: object,
    app: object,
) -> None:
    offline = with_provider(settings, "offline")
    app.state.settings = offline  # type: ignore[attr-defined]
    buyer = await factories.user(db)
    order = await make_order(db, settings, [PartSpec(118_000, 100_000)], buyer=buyer)
    await sign_in(buyer)  # type: ignore[operator]
    page = await post_form(client, f"/payments/{order.number}/start")
    assert page.status_code == 200
    assert "NEFT" in page.text and order.number in page.text and "1180.00 INR" in page.text
    assert await order_status(db, order) == PaymentStatus.PENDING

    admin = await factories.user(db, role=Role.ADMIN)
    client.cookies.clear()
    await sign_in(admin)  # type: ignore[operator]
    listing = await client.get("/admin/payments")
    assert order.number in listing.text
    [payment] = await payments_of(db, order)
    url = f"/admin/payments/{payment.id}/record"
    wrong = await post_form(
        client, url, {"reference": "UTR123", "paid_on": "2026-12-01", "amount": "1000"}
    )
    assert wrong.status_code == 422
    assert "record the full payment" in wrong.text and 'value="UTR123"' in wrong.text
    bad = await post_form(client, url, {"reference": "", "paid_on": "yesterday", "amount": "x"})
    assert bad.status_code == 422
    assert "Enter the date" in bad.text and "Enter an amount" in bad.text
    assert await order_status(db, order) == PaymentStatus.PENDING
    ok = await post_form(
        client, url, {"reference": "UTR123", "paid_on": "2026-12-01", "amount": "1,180.00"}
    )
    assert ok.status_code == 303
    assert await order_status(db, order) == PaymentStatus.PAID
    [payment] = await payments_of(db, order)
    assert (payment.offline_reference, str(payment.offline_paid_on)) == ("UTR123", "2026-12-01")
    assert payment.recorded_by_user_id == admin.id
    # Recording it again is refused, and the ledger has one sale.
    again = await post_form(
        client, url, {"reference": "UTR123", "paid_on": "2026-12-01", "amount": "1180"}
    )
    assert again.status_code == 409
    assert (
        await db.scalar(
            select(func.count()).where(
                LedgerEntry.order_number == order.number, LedgerEntry.kind == EntryKind.SALE
            )
        )
        == 1
    )


async def api_secret(db: AsyncSession, user: User, scopes: list[str]) -> dict[str, str]:
    _token, secret = await accounts_service.create_api_token(db, user, name="t", scopes=scopes)
    await db.commit()
    return {"authorization": f"Bearer {secret}"}


async def test_the_api_starts_a_payment_and_an_admin_refunds_a_part(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, jobs: JobRunner
) -> None:
    buyer = await factories.user(db)
    order = await make_order(
        db, settings, [PartSpec(118_000, 100_000), PartSpec(52_500, 50_000)], buyer=buyer
    )
    headers = await api_secret(db, buyer, ["orders:write"])
    started = await client.post(f"/api/v1/orders/{order.number}/payment", headers=headers)
    assert started.status_code == 200
    body = started.json()
    assert body["provider"] == "sandbox" and body["redirect_url"].startswith("/payments/sandbox/")
    again = await client.post(f"/api/v1/orders/{order.number}/payment", headers=headers)
    assert again.json() == body
    [payment] = await payments_of(db, order)
    await service.payment_succeeded(db, settings, payment.id, amount_minor=170_500, currency="INR")
    await db.commit()

    admin = await factories.user(db, role=Role.ADMIN)
    admin_headers = await api_secret(db, admin, ["admin"])
    part = await db.scalar(
        select(OrderPart.id).where(OrderPart.order_id == order.id).order_by(OrderPart.id)
    )
    url = f"/api/v1/admin/orders/{order.number}/refunds"
    too_much = await client.post(
        url, headers=admin_headers, json={"order_part_id": part, "amount_minor": 118_001}
    )
    assert too_much.status_code == 422
    assert too_much.json()["error"]["code"] == "refund_too_large"
    refused = await client.post(
        url, headers=headers, json={"order_part_id": part, "amount_minor": 1_000}
    )
    assert refused.status_code == 403
    done = await client.post(
        url, headers=admin_headers, json={"order_part_id": part, "amount_minor": 118_000}
    )
    assert done.status_code == 201, done.text
    [refund] = list(await db.scalars(select(Refund).where(Refund.order_id == order.id)))
    assert refund.provider_refund_id.startswith("re_sandbox_")
    assert refund.requested_by_user_id == admin.id
    reversal = await db.scalar(
        select(func.sum(LedgerEntry.amount_inr_paise)).where(LedgerEntry.order_part_id == part)
    )
    assert reversal == 0  # the whole part refunded: what was owed for it is reversed
    openapi = (await client.get("/openapi.json")).json()["paths"]
    for path in (
        "/api/v1/orders/{order_number}/payment",
        "/api/v1/admin/orders/{order_number}/refunds",
        "/api/v1/seller/ledger",
        "/api/v1/admin/payouts",
        "/api/v1/admin/payouts/{batch_id}/paid",
    ):
        assert path in openapi


async def test_a_refund_in_the_admin_page_keeps_the_input_on_error(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: object
) -> None:
    admin = await factories.user(db, role=Role.ADMIN)
    await sign_in(admin)  # type: ignore[operator]
    order = await make_order(db, settings, [PartSpec(10_000, 8_475)])
    await db.commit()
    unpaid = await post_form(
        client, "/admin/refunds", {"order_number": order.number, "amount": "50"}
    )
    assert unpaid.status_code == 422
    assert "no payment that can be refunded" in unpaid.text and order.number in unpaid.text
    unknown = await post_form(client, "/admin/refunds", {"order_number": "OD-NOPE", "amount": "5"})
    assert unknown.status_code == 422 and "no such order" in unknown.text
    events = await db.scalar(select(func.count()).select_from(PaymentEvent))
    assert events == 0
    assert EventState.FLAGGED  # the admin page also lists flagged events (tests in test_webhook)


async def test_stripe_attempts_use_the_order_as_idempotency_key_and_close_the_last_page(
    db: AsyncSession, settings: Settings
) -> None:
    with recording_server() as server:
        stripe = settings.model_copy(
            update={
                "payment_provider": "stripe",
                "stripe_secret_key": "sk_test_recorded",
                "stripe_api_base": server.url,
            }
        )
        order = await make_order(db, settings, [PartSpec(118_000, 100_000)])
        session = {
            "id": "cs_test_first",
            "object": "checkout.session",
            "status": "open",
            "url": "https://checkout.stripe.com/c/pay/cs_test_first",
        }
        server.reply("POST", "/v1/checkout/sessions", session)
        first = await service.start_payment(db, stripe, order_number=order.number)
        again = await service.start_payment(db, stripe, order_number=order.number)
        assert first == again and first.redirect_url == session["url"]
        assert len(server.requests) == 1  # the stored attempt is reused without a call
        assert server.requests[0].headers["idempotency-key"] == f"stripe-{order.number}-1"
        assert server.requests[0].form["metadata[order_number]"] == order.number

        [payment] = await payments_of(db, order)
        await service.payment_failed(db, payment.id, message="declined")
        server.reply("GET", "/v1/checkout/sessions/cs_test_first", session)
        server.reply(
            "POST", "/v1/checkout/sessions/cs_test_first/expire", {**session, "status": "expired"}
        )
        server.reply("POST", "/v1/checkout/sessions", {**session, "id": "cs_test_second"})
        second = await service.start_payment(db, stripe, order_number=order.number)
        assert second.provider_payment_id == "cs_test_second"
        assert [(r.method, r.path) for r in server.requests[1:]] == [
            ("GET", "/v1/checkout/sessions/cs_test_first"),
            ("POST", "/v1/checkout/sessions/cs_test_first/expire"),
            ("POST", "/v1/checkout/sessions"),
        ]
        assert server.requests[-1].headers["idempotency-key"] == f"stripe-{order.number}-2"


async def test_a_cancelled_order_cannot_be_paid(db: AsyncSession, settings: Settings) -> None:
    order = await make_order(db, settings, [PartSpec(30_000, 25_424)])
    for part in await db.scalars(select(OrderPart).where(OrderPart.order_id == order.id)):
        part.state = PartState.CANCELLED
    await db.flush()
    with pytest.raises(OrderCancelled):
        await service.start_payment(db, settings, order_number=order.number)
    assert await payments_of(db, order) == []
