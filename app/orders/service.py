"""Order life: the state machine of each seller part, the payment callbacks the payments domain
calls, and what buyers and sellers see. Every transition is a compare-and-set on the part's state
and is recorded (who, when, from, to), so duplicate or concurrent callers change state once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.db import begin_write, utcnow
from app.errors import Conflict, FormErrors
from app.i18n import gettext as _
from app.orders import emails, repository, scheduling, stock
from app.orders.errors import OrderNotFound, TransitionNotAllowed
from app.orders.models import (
    ActorKind,
    Order,
    OrderPart,
    OrderPartEvent,
    PartState,
    PaymentStatus,
)
from app.orders.schemas import PartSaleFacts

ALLOWED: dict[PartState, frozenset[PartState]] = {
    PartState.PLACED: frozenset({PartState.PAID, PartState.CANCELLED}),
    PartState.PAID: frozenset({PartState.ACCEPTED, PartState.CANCELLED}),
    PartState.ACCEPTED: frozenset({PartState.PACKED, PartState.CANCELLED}),
    PartState.PACKED: frozenset({PartState.SHIPPED, PartState.CANCELLED}),
    PartState.SHIPPED: frozenset({PartState.DELIVERED, PartState.REFUNDED}),
    PartState.DELIVERED: frozenset({PartState.COMPLETED, PartState.REFUNDED}),
    PartState.COMPLETED: frozenset({PartState.REFUNDED}),
    PartState.CANCELLED: frozenset({PartState.REFUNDED}),
    PartState.REFUNDED: frozenset(),
}
# What the seller may do next, in the order of the queue.
SELLER_STEPS = {
    PartState.PAID: PartState.ACCEPTED,
    PartState.ACCEPTED: PartState.PACKED,
    PartState.PACKED: PartState.SHIPPED,
    PartState.SHIPPED: PartState.DELIVERED,
    PartState.DELIVERED: PartState.COMPLETED,
}
BUYER_CANCELLABLE = frozenset({PartState.PLACED, PartState.PAID})
SELLER_CANCELLABLE = frozenset({PartState.PAID, PartState.ACCEPTED, PartState.PACKED})
NOT_SHIPPED = frozenset({PartState.PLACED, PartState.PAID, PartState.ACCEPTED, PartState.PACKED})


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    user_id: int | None = None


SYSTEM = Actor(ActorKind.SYSTEM)


async def transition(
    session: AsyncSession,
    part: OrderPart,
    to: PartState,
    actor: Actor,
    *,
    note: str = "",
    expect: PartState | None = None,
    values: dict[str, object] | None = None,
    **more: object,
) -> bool:
    """Move a part to ``to`` if allowed from its current state; record it and email about it.
    Returns False (no change) when another caller moved it first."""
    values = {**(values or {}), **more}
    current = expect or part.state
    if to not in ALLOWED[current]:
        raise TransitionNotAllowed()
    if not await repository.set_part_state(session, part.id, current, to, **values):
        return False
    part.state = to
    for key, value in values.items():
        setattr(part, key, value)
    event = OrderPartEvent(
        part_id=part.id,
        from_state=current,
        to_state=to,
        actor_kind=actor.kind,
        actor_user_id=actor.user_id,
        note=note,
    )
    session.add(event)
    await session.flush()
    emails.queue(session, event.id)
    return True


async def get_order(session: AsyncSession, number: str) -> Order:
    order = await repository.order_by_number(session, number)
    if order is None:
        raise OrderNotFound()
    return order


async def buyer_order(session: AsyncSession, user: User, number: str) -> Order:
    order = await repository.order_by_number(session, number)
    if order is None or order.buyer_user_id != user.id:
        raise OrderNotFound()  # another buyer's order is "not found", not "forbidden"
    return order


# Payment callbacks (the payments domain's webhook job calls these) -------------------------------


async def payable_amount(session: AsyncSession, *, order_number: str) -> tuple[int, str]:
    order = await get_order(session, order_number)
    return order.total_minor, order.currency


async def on_payment_succeeded(
    session: AsyncSession,
    *,
    order_number: str,
    provider: str,
    provider_payment_id: str,
    amount_minor: int,
    currency: str,
) -> bool:
    await begin_write(session)
    order = await get_order(session, order_number)
    if amount_minor != order.total_minor or currency.upper() != order.currency:
        raise Conflict(f"payment of {amount_minor} {currency} does not match {order.number}")
    changed = False
    for old in (PaymentStatus.PENDING, PaymentStatus.FAILED):
        if await repository.set_payment_status(
            session,
            order.id,
            old,
            PaymentStatus.PAID,
            paid_at=utcnow(),
            payment_provider=provider,
            provider_payment_id=provider_payment_id,
        ):
            changed = True
            break
    if not changed:
        return False
    order.payment_status = PaymentStatus.PAID
    # A payment that arrives after the reservation expired takes the stock again if it is there;
    # parts it cannot supply are cancelled (and so refunded), never oversold.
    short = await stock.retake_released(session, order.id)
    for part in order.parts:
        if part.id in short:
            await transition(
                session,
                part,
                PartState.CANCELLED,
                SYSTEM,
                note="Out of stock: the payment arrived after the reservation expired.",
                expect=PartState.PLACED,
                cancel_reason="out of stock after the reservation expired",
            )
            await stock.restock(session, order.id, part.id)
            scheduling.schedule_refund(session, order.number, part.id)
        else:
            await transition(session, part, PartState.PAID, SYSTEM, expect=PartState.PLACED)
    return True


async def on_payment_failed(
    session: AsyncSession, *, order_number: str, provider_payment_id: str
) -> bool:
    await begin_write(session)
    order = await get_order(session, order_number)
    if not await repository.set_payment_status(
        session, order.id, PaymentStatus.PENDING, PaymentStatus.FAILED
    ):
        return False
    order.payment_status = PaymentStatus.FAILED
    await stock.release(session, order.id)
    return True


async def expire_order(session: AsyncSession, order_id: int) -> bool:
    """The reservation of an unpaid order ran out: release its stock (the order may still be
    paid later; then the stock is checked again)."""
    await begin_write(session)
    order = await repository.order_by_id(session, order_id)
    if order is None or order.payment_status != PaymentStatus.PENDING:
        return False
    if order.reserved_until is not None and order.reserved_until > utcnow():
        return False
    return await stock.release(session, order.id) > 0


async def release_expired(session: AsyncSession, *, limit: int = 500) -> int:
    """Sweep for expired reservations (the per-order job normally does it)."""
    released = 0
    for order_id in await repository.expired_order_ids(session, utcnow(), limit):
        released += int(await expire_order(session, order_id))
    return released


async def on_refund_succeeded(
    session: AsyncSession,
    *,
    order_number: str,
    order_part_id: int | None,
    provider_refund_id: str,
    amount_minor: int,
) -> bool:
    """A refund of one part (or, with ``order_part_id`` None, of every part) went through."""
    await begin_write(session)
    order = await get_order(session, order_number)
    parts = [p for p in order.parts if order_part_id is None or p.id == order_part_id]
    if not parts:
        raise OrderNotFound()
    changed = False
    for part in parts:
        if part.state == PartState.REFUNDED or PartState.REFUNDED not in ALLOWED[part.state]:
            continue
        shipped = part.state not in NOT_SHIPPED and part.state != PartState.CANCELLED
        refunded = part.total_inr_paise
        if order_part_id is not None and order.currency == "INR":
            refunded = amount_minor
        if await transition(
            session,
            part,
            PartState.REFUNDED,
            SYSTEM,
            refunded_inr_paise=refunded,
            provider_refund_id=provider_refund_id,
        ):
            changed = True
            if not shipped:
                await stock.restock(session, order.id, part.id)
    if changed and all(p.state == PartState.REFUNDED for p in order.parts):
        await repository.set_payment_status(
            session, order.id, PaymentStatus.PAID, PaymentStatus.REFUNDED
        )
    return changed


async def ledger_facts(session: AsyncSession, *, order_number: str) -> list[PartSaleFacts]:
    order = await get_order(session, order_number)
    return [
        PartSaleFacts(
            order_part_id=part.id,
            seller_id=part.seller_id,
            gross_inr_minor=part.total_inr_paise,
            taxable_inr_minor=part.taxable_inr_paise,
            tax_inr_minor=part.tax_inr_paise,
            shipped_at=part.shipped_at,
        )
        for part in order.parts
    ]


# Buyer and seller actions -------------------------------------------------------------------------


async def buyer_cancel(session: AsyncSession, user: User, number: str) -> list[OrderPart]:
    """Cancel every part not yet accepted. Paid parts then need a refund (returned)."""
    await begin_write(session)
    order = await buyer_order(session, user, number)
    cancellable = [p for p in order.parts if p.state in BUYER_CANCELLABLE]
    if not cancellable:
        raise TransitionNotAllowed(
            _("This order can no longer be cancelled: a seller accepted it.")
        )
    paid = []
    for part in cancellable:
        was = part.state
        if await transition(
            session,
            part,
            PartState.CANCELLED,
            Actor(ActorKind.BUYER, user.id),
            cancel_reason="cancelled by the buyer",
        ):
            if was == PartState.PAID:
                paid.append(part)
                scheduling.schedule_refund(session, order.number, part.id)
            await stock.restock(session, order.id, part.id)
    if all(p.state == PartState.CANCELLED for p in order.parts):
        await repository.set_payment_status(
            session, order.id, PaymentStatus.PENDING, PaymentStatus.FAILED
        )
    return paid


async def seller_part(session: AsyncSession, seller_id: int, part_id: int) -> OrderPart:
    part = await repository.seller_part(session, seller_id, part_id)
    if part is None:
        raise OrderNotFound()
    return part


async def seller_advance(
    session: AsyncSession,
    user: User,
    seller_id: int,
    part_id: int,
    to: PartState | str,
    *,
    carrier: str = "",
    tracking_number: str = "",
) -> OrderPart:
    await begin_write(session)
    part = await seller_part(session, seller_id, part_id)  # another seller's part: 404 first
    if to not in PartState.__members__.values() or SELLER_STEPS.get(part.state) != to:
        raise TransitionNotAllowed()
    values: dict[str, object] = {}
    to = PartState(to)
    if to == PartState.SHIPPED:
        carrier, tracking_number = carrier.strip(), tracking_number.strip()
        errors = {}
        if not 2 <= len(carrier) <= 80:
            errors["carrier"] = _("Name the carrier (India Post, a courier...).")
        if not 4 <= len(tracking_number) <= 80:
            errors["tracking_number"] = _("Enter the tracking number.")
        if errors:
            raise FormErrors(errors)
        values = {"carrier": carrier, "tracking_number": tracking_number, "shipped_at": utcnow()}
    elif to == PartState.DELIVERED:
        values = {"delivered_at": utcnow()}
    await transition(session, part, to, Actor(ActorKind.SELLER, user.id), values=values)
    if to == PartState.SHIPPED:
        from app.orders import invoices

        await invoices.issue(session, part)
    return part


async def seller_cancel(
    session: AsyncSession, user: User, seller_id: int, part_id: int, reason: str
) -> OrderPart:
    await begin_write(session)
    part = await seller_part(session, seller_id, part_id)
    reason = reason.strip()
    if not 3 <= len(reason) <= 500:
        raise FormErrors({"reason": _("Tell the buyer why you cancel (3 to 500 characters).")})
    if part.state not in SELLER_CANCELLABLE:
        raise TransitionNotAllowed()
    await transition(
        session,
        part,
        PartState.CANCELLED,
        Actor(ActorKind.SELLER, user.id),
        note=reason,
        cancel_reason=reason,
    )
    await stock.restock(session, part.order_id, part.id)
    scheduling.schedule_refund(
        session, part.order.number, part.id
    )  # every cancellable part is paid
    return part


# What the pages show -----------------------------------------------------------------------------


@dataclass
class SellerQueue:
    new: list[OrderPart]
    to_pack: list[OrderPart]
    to_ship: list[OrderPart]
    in_transit: list[OrderPart]
    counts: dict[PartState, int]
    sales_30d: tuple[int, int]


async def seller_queue(session: AsyncSession, seller_id: int) -> SellerQueue:
    parts = await repository.seller_parts(
        session,
        seller_id,
        [PartState.PAID, PartState.ACCEPTED, PartState.PACKED, PartState.SHIPPED],
    )
    since = utcnow() - timedelta(days=30)
    return SellerQueue(
        new=[p for p in parts if p.state == PartState.PAID],
        to_pack=[p for p in parts if p.state == PartState.ACCEPTED],
        to_ship=[p for p in parts if p.state == PartState.PACKED],
        in_transit=[p for p in parts if p.state == PartState.SHIPPED],
        counts=await repository.seller_part_counts(session, seller_id),
        sales_30d=await repository.seller_sales(session, seller_id, since),
    )


async def timeline(session: AsyncSession, order: Order) -> dict[int, list[OrderPartEvent]]:
    events = await repository.part_events(session, [p.id for p in order.parts])
    result: dict[int, list[OrderPartEvent]] = {p.id: [] for p in order.parts}
    for event in events:
        result[event.part_id].append(event)
    return result


def reservation_left(order: Order, now: datetime | None = None) -> timedelta | None:
    if order.payment_status != PaymentStatus.PENDING or order.reserved_until is None:
        return None
    return max(timedelta(), order.reserved_until - (now or utcnow()))


def payable(order: Order) -> bool:
    """The buyer may (still or again) pay: unpaid, and some part is waiting for the payment."""
    return order.payment_status in (PaymentStatus.PENDING, PaymentStatus.FAILED) and any(
        p.state == PartState.PLACED for p in order.parts
    )
