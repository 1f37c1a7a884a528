"""Purchase orders: issue (from any buying mode), the seller's answer, deliveries, the
consignee's provisional receipt and final acceptance or rejection, the seller's GST invoice, the
paying authority's payment (which writes the seller's ledger), and incidents for missed
deadlines.

The state machine allows only the transitions in ``ALLOWED``; each step locks the PO row, checks
the actor's role, changes state, and appends an audit record (who, role, when, values seen)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.config import Settings
from app.db import begin_write, utcnow
from app.errors import FormErrors
from app.i18n import gettext as _
from app.jobs import enqueue
from app.orders import invoices
from app.orders import repository as orders_repository
from app.orders.ledger import service as ledger_service
from app.procurement.audit import service as audit
from app.procurement.organisations import repository as org_repository
from app.procurement.organisations import service as organisations
from app.procurement.organisations.errors import NotVerified
from app.procurement.organisations.models import Organisation, Role
from app.procurement.purchase_orders import emails, repository
from app.procurement.purchase_orders.errors import (
    PurchaseOrderNotFound,
    SeparationOfDuties,
    TransitionNotAllowed,
)
from app.procurement.purchase_orders.models import (
    Delivery,
    DeliveryLine,
    Incident,
    IncidentKind,
    POState,
    PurchaseOrder,
    PurchaseOrderLine,
)
from app.procurement.purchase_orders.pricing import PricedPO, price_po
from app.procurement.purchase_orders.schemas import POLine
from app.procurement.rules import BuyingMode, separation_applies
from app.web import format_inr

__all__ = ["POLine", "create_purchase_order"]

ALLOWED: dict[POState, frozenset[POState]] = {
    POState.ISSUED: frozenset({POState.ACCEPTED, POState.DECLINED, POState.CANCELLED}),
    POState.ACCEPTED: frozenset({POState.PARTLY_DELIVERED, POState.DELIVERED}),
    POState.PARTLY_DELIVERED: frozenset({POState.PARTLY_DELIVERED, POState.DELIVERED}),
    POState.DELIVERED: frozenset({POState.RECEIVED}),
    POState.RECEIVED: frozenset({POState.GOODS_ACCEPTED, POState.GOODS_REJECTED}),
    POState.GOODS_ACCEPTED: frozenset({POState.INVOICED}),
    POState.INVOICED: frozenset({POState.PAID}),
    POState.DECLINED: frozenset(),
    POState.GOODS_REJECTED: frozenset(),
    POState.PAID: frozenset(),
    POState.CANCELLED: frozenset(),
}
OPEN_STATES = (
    POState.ISSUED,
    POState.ACCEPTED,
    POState.PARTLY_DELIVERED,
    POState.DELIVERED,
    POState.RECEIVED,
    POState.GOODS_ACCEPTED,
    POState.INVOICED,
)
PO_NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
DEADLINE_JOB = "procurement.check_deadlines"
MAX_QUANTITY = 1_000_000


def new_po_number() -> str:
    """Random, so numbers reveal nothing about volumes (31^10, about 8 * 10^14)."""
    return "PO-" + "".join(secrets.choice(PO_NUMBER_ALPHABET) for _ in range(10))


def check_transition(po: PurchaseOrder, new: POState) -> None:
    if new not in ALLOWED[po.state]:
        raise TransitionNotAllowed(
            _(
                "Purchase order %(number)s is %(state)s: that step is not possible now.",
                number=po.number,
                state=state_label(po.state),
            )
        )


def state_label(state: POState) -> str:
    return {
        POState.ISSUED: _("issued, waiting for the seller"),
        POState.ACCEPTED: _("accepted by the seller"),
        POState.DECLINED: _("declined by the seller"),
        POState.PARTLY_DELIVERED: _("partly delivered"),
        POState.DELIVERED: _("delivered"),
        POState.RECEIVED: _("provisionally received"),
        POState.GOODS_ACCEPTED: _("goods accepted"),
        POState.GOODS_REJECTED: _("goods rejected"),
        POState.INVOICED: _("invoiced"),
        POState.PAID: _("paid"),
        POState.CANCELLED: _("cancelled"),
    }[state]


def _po_values(po: PurchaseOrder) -> dict[str, object]:
    return {"number": po.number, "state": po.state, "total_paise": po.total_paise}


async def _audit(
    session: AsyncSession,
    po: PurchaseOrder,
    action: str,
    *,
    actor_user_id: int | None,
    actor_role: str,
    values: dict[str, object],
) -> None:
    await audit.record(
        session,
        organisation_id=po.organisation_id,
        action=action,
        actor_user_id=actor_user_id,
        actor_role=actor_role,
        subject="purchase_order",
        subject_id=po.id,
        values={**_po_values(po), **values},
        purchase_order_id=po.id,
    )


def _schedule_check(session: AsyncSession, po: PurchaseOrder, due: date) -> None:
    """A deadline check the day after ``due`` (the job raises an incident if it was missed)."""
    today = utcnow().date()
    delay = timedelta(days=max(0, (due - today).days + 1))
    enqueue(session, DEADLINE_JOB, {"purchase_order_id": po.id}, delay=delay)


# Issue --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueContext:
    organisation: Organisation
    seller_state_id: int
    seller_gstin: str | None


async def price_lines(
    session: AsyncSession,
    *,
    seller_id: int,
    lines: Sequence[POLine],
    place_of_supply_state_id: int,
    shipping_paise: int | None = None,
) -> PricedPO:
    """Price lines of one seller for a delivery State; refuses listings that cannot be bought
    (unpublished, another seller's, seller not verified) and impossible quantities or prices."""
    if not lines:
        raise FormErrors({"lines": _("A purchase order needs at least one item.")})
    listings = await orders_repository.sellable_listings(
        session, sorted({line.listing_id for line in lines})
    )
    items = []
    for line in lines:
        listing = listings.get(line.listing_id)
        if listing is None or not orders_repository.is_buyable(listing):
            raise FormErrors({"listing_id": _("That product is not available to buy now.")})
        if listing.seller_id != seller_id:
            raise FormErrors({"listing_id": _("A purchase order is to one seller only.")})
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise FormErrors({"quantity": _("Enter a quantity from 1 to 1,000,000.")})
        if line.quantity < listing.moq:
            raise FormErrors({"quantity": _("The minimum order is %(moq)s.", moq=listing.moq)})
        if line.unit_price_paise <= 0:
            raise FormErrors({"unit_price": _("The unit price must be more than zero.")})
        items.append((listing, line.quantity, line.unit_price_paise))
    seller = next(iter(listings.values())).seller
    rates = await orders_repository.gst_rates(session, utcnow().date())
    terms = (await orders_repository.shipping_terms(session, [seller_id])).get(seller_id)
    return price_po(
        items,
        rates,
        terms,
        seller_state_id=seller.state_id,
        place_of_supply_state_id=place_of_supply_state_id,
        shipping_paise=shipping_paise,
    )


async def check_parties(
    session: AsyncSession,
    *,
    organisation_id: int,
    buyer_user_id: int,
    consignee_user_id: int,
    delivery_address_id: int,
) -> tuple[Organisation, int, int | None]:
    """The organisation (verified if government), the buyer's role and limit, the consignee's
    role and address; returns (organisation, delivery State id, buyer's approval limit)."""
    buyer = await organisations.require_role(
        session, user_id=buyer_user_id, organisation_id=organisation_id, role=Role.BUYER
    )
    organisation = await organisations.get_organisation(session, organisation_id)
    if not organisation.can_issue_orders:
        raise NotVerified()
    consignee = await org_repository.membership(
        session, organisation_id=organisation_id, user_id=consignee_user_id, role=Role.CONSIGNEE
    )
    address = await org_repository.address_by_id(session, delivery_address_id)
    errors: dict[str, str] = {}
    if consignee is None:
        errors["consignee_user_id"] = _("Choose one of your organisation's consignees.")
    if (
        address is None
        or address.organisation_id != organisation_id
        or address.consignee_user_id != consignee_user_id
    ):
        errors["delivery_address_id"] = _("Choose one of the consignee's delivery addresses.")
    if errors:
        raise FormErrors(errors)
    assert address is not None
    return organisation, address.state_id, buyer.approval_limit_paise


async def create_purchase_order(
    session: AsyncSession,
    *,
    organisation_id: int,
    buyer_user_id: int,
    consignee_user_id: int,
    delivery_address_id: int,
    seller_id: int,
    lines: Sequence[POLine],
    mode: BuyingMode,
    source: str,
    source_id: int | None,
    justification: str | None,
    delivery_by: date,
    settings: Settings | None = None,
    shipping_paise: int | None = None,
    terms: str = "",
) -> PurchaseOrder:
    """Issue a PO to one seller at the given unit prices (offered or awarded; computed by the
    caller on the server). GST is recomputed here from each listing's HSN/GST rate data, the
    title, unit and HSN are frozen, the PO gets a random number, is audited, and the seller is
    told by email. ``settings`` gives the acceptance deadline (defaults apply without it)."""
    await begin_write(session)
    organisation, place_state_id, limit = await check_parties(
        session,
        organisation_id=organisation_id,
        buyer_user_id=buyer_user_id,
        consignee_user_id=consignee_user_id,
        delivery_address_id=delivery_address_id,
    )
    today = utcnow().date()
    if not today < delivery_by <= today + timedelta(days=366):
        raise FormErrors(
            {"delivery_by": _("Choose a delivery date after today and within a year.")}
        )
    priced = await price_lines(
        session,
        seller_id=seller_id,
        lines=lines,
        place_of_supply_state_id=place_state_id,
        shipping_paise=shipping_paise,
    )
    if limit is not None and priced.total > limit:
        raise FormErrors(
            {
                "quantity": _(
                    "This order (%(total)s) is above your approval limit (%(limit)s).",
                    total=format_inr(priced.total),
                    limit=format_inr(limit),
                )
            }
        )
    address = await org_repository.address_by_id(session, delivery_address_id)
    district = (
        await org_repository.district_by_id(session, address.district_id) if address else None
    )
    assert address is not None and district is not None
    seller = priced.lines[0].listing.seller
    accept_days = settings.procurement_po_accept_days if settings else 7
    number = new_po_number()
    while await repository.number_taken(session, number):
        number = new_po_number()
    po = PurchaseOrder(
        number=number,
        organisation_id=organisation.id,
        buyer_user_id=buyer_user_id,
        consignee_user_id=consignee_user_id,
        delivery_address_id=address.id,
        seller_id=seller_id,
        mode=mode,
        source=source,
        source_id=source_id,
        justification=justification,
        state=POState.ISSUED,
        terms=terms,
        ship_to="\n".join(
            part for part in (address.label, address.line1, address.line2, address.city) if part
        ),
        ship_district=district.name,
        ship_state_id=address.state_id,
        ship_pin=address.pin,
        buyer_gstin=organisation.gstin,
        seller_state_id=seller.state_id,
        seller_gstin=seller.gstin,
        goods_paise=priced.goods,
        shipping_paise=priced.shipping,
        taxable_paise=priced.taxable,
        cgst_paise=priced.cgst,
        sgst_paise=priced.sgst,
        igst_paise=priced.igst,
        total_paise=priced.total,
        delivery_by=delivery_by,
        accept_by=today + timedelta(days=accept_days),
    )
    session.add(po)
    await session.flush()
    units = {u.code: u for u in await orders_repository.units(session)}
    for line in priced.lines:
        session.add(
            PurchaseOrderLine(
                purchase_order_id=po.id,
                listing_id=line.listing.id,
                title=line.listing.title,
                title_hi=line.listing.title_hi,
                unit_code=line.listing.unit_code if line.listing.unit_code in units else "piece",
                hsn_code=line.listing.hsn_code or "",
                gst_rate_bp=line.rate_bp,
                quantity=line.quantity,
                unit_price_paise=line.unit_price,
                total_paise=line.total,
                taxable_paise=line.taxable,
                tax_paise=line.tax,
            )
        )
    await session.flush()
    await _audit(
        session,
        po,
        "purchase_order.issued",
        actor_user_id=buyer_user_id,
        actor_role=Role.BUYER.value,
        values={
            "mode": mode,
            "source": source,
            "source_id": source_id,
            "justification": justification,
            "seller_id": seller_id,
            "consignee_user_id": consignee_user_id,
            "ship_to": po.ship_to,
            "ship_pin": po.ship_pin,
            "delivery_by": delivery_by,
            "lines": [
                {
                    "listing_id": line.listing.id,
                    "title": line.listing.title,
                    "quantity": line.quantity,
                    "unit_price_paise": line.unit_price,
                    "gst_rate_bp": line.rate_bp,
                    "tax_paise": line.tax,
                }
                for line in priced.lines
            ],
            "shipping_paise": priced.shipping,
            "cgst_paise": priced.cgst,
            "sgst_paise": priced.sgst,
            "igst_paise": priced.igst,
        },
    )
    emails.queue(session, po.id, "issued")
    _schedule_check(session, po, po.accept_by)
    _schedule_check(session, po, po.delivery_by)
    return await _with_lines(session, po)


async def _with_lines(session: AsyncSession, po: PurchaseOrder) -> PurchaseOrder:
    await session.refresh(po, attribute_names=["lines"])
    return po


# Who sees a PO ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """How a user relates to a PO: their roles in its organisation, seller, platform admin."""

    roles: frozenset[Role]
    is_seller: bool
    is_admin: bool

    @property
    def can_view(self) -> bool:
        return bool(self.roles) or self.is_seller or self.is_admin


async def viewer(session: AsyncSession, user: User, po: PurchaseOrder) -> Viewer:
    roles = await organisations.roles_in(
        session, user_id=user.id, organisation_id=po.organisation_id
    )
    seller = await repository.seller_by_id(session, po.seller_id)
    return Viewer(
        frozenset(roles),
        seller is not None and seller.owner_user_id == user.id,
        user.is_admin,
    )


async def visible_po(
    session: AsyncSession, user: User, number: str
) -> tuple[PurchaseOrder, Viewer]:
    """The PO if the user may see it (a member of its organisation, its seller, an admin);
    404 otherwise, so nobody learns which numbers exist."""
    po = await repository.by_number(session, number)
    if po is None:
        raise PurchaseOrderNotFound()
    seen_by = await viewer(session, user, po)
    if not seen_by.can_view:
        raise PurchaseOrderNotFound()
    return po, seen_by


async def _locked(session: AsyncSession, number: str) -> PurchaseOrder:
    await begin_write(session)
    po = await repository.by_number(session, number, lock=True)
    if po is None:
        raise PurchaseOrderNotFound()
    return po


async def _seller_po(session: AsyncSession, user: User, number: str) -> PurchaseOrder:
    po = await _locked(session, number)
    seller = await repository.seller_by_id(session, po.seller_id)
    if seller is None or seller.owner_user_id != user.id:
        raise PurchaseOrderNotFound()
    return po


async def _member_po(session: AsyncSession, user: User, number: str, role: Role) -> PurchaseOrder:
    """The locked PO if the user holds ``role`` in its organisation: 404 for someone with no
    part in it, 403 for a member without the role."""
    po = await _locked(session, number)
    roles = await organisations.roles_in(
        session, user_id=user.id, organisation_id=po.organisation_id
    )
    if not roles:
        raise PurchaseOrderNotFound()
    await organisations.require_role(
        session, user_id=user.id, organisation_id=po.organisation_id, role=role
    )
    return po


async def require_seller(session: AsyncSession, user: User, number: str) -> PurchaseOrder:
    """The PO if the user is its seller (before a form is read), else 404."""
    return await _seller_po(session, user, number)


async def require_member_role(
    session: AsyncSession, user: User, number: str, role: Role
) -> PurchaseOrder:
    """The PO if the user holds ``role`` in its organisation (before a form is read)."""
    return await _member_po(session, user, number, role)


def _reason(text: str, field: str = "reason") -> str:
    reason = " ".join(text.split())
    if not 3 <= len(reason) <= 2000:
        raise FormErrors({field: _("Give the reason (3 to 2,000 characters).")})
    return reason


# The seller's answer ------------------------------------------------------------------------------


async def seller_accept(
    session: AsyncSession, settings: Settings, *, user: User, number: str
) -> PurchaseOrder:
    po = await _seller_po(session, user, number)
    check_transition(po, POState.ACCEPTED)
    po.state = POState.ACCEPTED
    po.seller_answered_at = utcnow()
    await _resolve(session, po, IncidentKind.LATE_ACCEPTANCE)
    await session.flush()
    await _audit(
        session,
        po,
        "purchase_order.accepted_by_seller",
        actor_user_id=user.id,
        actor_role=audit.SELLER_ROLE,
        values={"accept_by": po.accept_by, "late": utcnow().date() > po.accept_by},
    )
    emails.queue(session, po.id, "accepted")
    return po


async def seller_decline(
    session: AsyncSession, settings: Settings, *, user: User, number: str, reason: str
) -> PurchaseOrder:
    po = await _seller_po(session, user, number)
    text = _reason(reason)
    check_transition(po, POState.DECLINED)
    po.state = POState.DECLINED
    po.seller_answered_at = utcnow()
    po.decline_reason = text
    await _resolve(session, po, IncidentKind.LATE_ACCEPTANCE)
    await session.flush()
    await _audit(
        session,
        po,
        "purchase_order.declined_by_seller",
        actor_user_id=user.id,
        actor_role=audit.SELLER_ROLE,
        values={"reason": text},
    )
    emails.queue(session, po.id, "declined")
    return po


async def buyer_cancel(
    session: AsyncSession, *, user: User, number: str, reason: str
) -> PurchaseOrder:
    """The buyer withdraws a PO the seller has not answered yet."""
    po = await _member_po(session, user, number, Role.BUYER)
    text = _reason(reason)
    check_transition(po, POState.CANCELLED)
    po.state = POState.CANCELLED
    po.cancel_reason = text
    await _resolve(session, po, IncidentKind.LATE_ACCEPTANCE)
    await session.flush()
    await _audit(
        session,
        po,
        "purchase_order.cancelled",
        actor_user_id=user.id,
        actor_role=Role.BUYER.value,
        values={"reason": text},
    )
    emails.queue(session, po.id, "cancelled")
    return po


# Deliveries ---------------------------------------------------------------------------------------


async def record_delivery(
    session: AsyncSession,
    *,
    user: User,
    number: str,
    quantities: dict[int, int],
    delivered_on: date,
    challan: str = "",
) -> Delivery:
    """The seller records a consignment: quantities per PO line (partial allowed; never more
    than what is left to deliver of a line)."""
    po = await _seller_po(session, user, number)
    lines = {line.id: line for line in po.lines}
    errors: dict[str, str] = {}
    if any(line_id not in lines for line_id in quantities):
        errors["lines"] = _("Those items are not on this purchase order.")
    for line_id, quantity in quantities.items():
        line = lines.get(line_id)
        if line is not None and not 0 <= quantity <= line.quantity - line.delivered_quantity:
            errors[f"line_{line_id}"] = _(
                "Deliver from 0 to %(left)s of %(title)s (what is left of the order).",
                left=line.quantity - line.delivered_quantity,
                title=line.title,
            )
    if not errors and sum(quantities.values()) == 0:
        errors["lines"] = _("Enter how many units of at least one item you delivered.")
    today = utcnow().date()
    if not po.created_at.date() <= delivered_on <= today:
        errors["delivered_on"] = _(
            "Choose the day of delivery: not before the order, not later than today."
        )
    if len(challan) > 80:
        errors["challan"] = _("Keep the delivery note number under 80 characters.")
    if errors:
        raise FormErrors(errors)
    complete = all(
        line.delivered_quantity + quantities.get(line.id, 0) == line.quantity for line in po.lines
    )
    new_state = POState.DELIVERED if complete else POState.PARTLY_DELIVERED
    check_transition(po, new_state)
    for line_id, quantity in quantities.items():
        lines[line_id].delivered_quantity += quantity
    delivery = Delivery(
        purchase_order_id=po.id,
        delivered_on=delivered_on,
        challan=" ".join(challan.split()),
        recorded_by_user_id=user.id,
        created_at=utcnow(),
    )
    session.add(delivery)
    await session.flush()
    for line_id, quantity in quantities.items():
        if quantity:
            session.add(DeliveryLine(delivery_id=delivery.id, line_id=line_id, quantity=quantity))
    po.state = new_state
    if complete:
        po.delivered_at = utcnow()
        await _resolve(session, po, IncidentKind.LATE_DELIVERY)
    await session.flush()
    await _audit(
        session,
        po,
        "purchase_order.delivery_recorded",
        actor_user_id=user.id,
        actor_role=audit.SELLER_ROLE,
        values={
            "delivery_id": delivery.id,
            "delivered_on": delivered_on,
            "challan": delivery.challan,
            "quantities": {str(k): v for k, v in quantities.items() if v},
            "complete": complete,
            "late": delivered_on > po.delivery_by,
        },
    )
    emails.queue(session, po.id, "delivered" if complete else "partly_delivered")
    return delivery


# Receipt and acceptance ---------------------------------------------------------------------------


async def provisional_receipt(
    session: AsyncSession, settings: Settings, *, user: User, number: str
) -> PurchaseOrder:
    """A consignee of the PO's organisation confirms the goods arrived (not yet inspected)."""
    po = await _member_po(session, user, number, Role.CONSIGNEE)
    check_transition(po, POState.RECEIVED)
    now = utcnow()
    po.state = POState.RECEIVED
    po.received_at = now
    po.received_by_user_id = user.id
    po.acceptance_due = now.date() + timedelta(days=settings.procurement_acceptance_days)
    await session.flush()
    await _audit(
        session,
        po,
        "purchase_order.provisionally_received",
        actor_user_id=user.id,
        actor_role=Role.CONSIGNEE.value,
        values={
            "acceptance_due": po.acceptance_due,
            "delivered": {line.title: line.delivered_quantity for line in po.lines},
        },
    )
    emails.queue(session, po.id, "received")
    _schedule_check(session, po, po.acceptance_due)
    return po


async def accept_goods(
    session: AsyncSession, settings: Settings, *, user: User, number: str
) -> PurchaseOrder:
    po = await _member_po(session, user, number, Role.CONSIGNEE)
    check_transition(po, POState.GOODS_ACCEPTED)
    po.state = POState.GOODS_ACCEPTED
    po.decided_at = utcnow()
    po.decided_by_user_id = user.id
    await _resolve(session, po, IncidentKind.LATE_DECISION)
    await session.flush()
    await _audit(
        session,
        po,
        "purchase_order.goods_accepted",
        actor_user_id=user.id,
        actor_role=Role.CONSIGNEE.value,
        values={"acceptance_due": po.acceptance_due},
    )
    emails.queue(session, po.id, "goods_accepted")
    return po


async def reject_goods(
    session: AsyncSession, settings: Settings, *, user: User, number: str, reason: str
) -> PurchaseOrder:
    po = await _member_po(session, user, number, Role.CONSIGNEE)
    text = _reason(reason)
    check_transition(po, POState.GOODS_REJECTED)
    po.state = POState.GOODS_REJECTED
    po.decided_at = utcnow()
    po.decided_by_user_id = user.id
    po.rejection_reason = text
    await _resolve(session, po, IncidentKind.LATE_DECISION)
    await session.flush()
    await _audit(
        session,
        po,
        "purchase_order.goods_rejected",
        actor_user_id=user.id,
        actor_role=Role.CONSIGNEE.value,
        values={"reason": text},
    )
    emails.queue(session, po.id, "goods_rejected")
    return po


# Invoice and payment ------------------------------------------------------------------------------


async def issue_invoice(
    session: AsyncSession, settings: Settings, *, user: User, number: str
) -> PurchaseOrder:
    """The seller's GST invoice against the accepted PO: numbered from the seller's own series
    (the orders invoices' counter, per financial year, no gaps)."""
    po = await _seller_po(session, user, number)
    check_transition(po, POState.INVOICED)
    now = utcnow()
    year, sequence, invoice_number = await invoices.allocate_number(session, po.seller_id, now)
    po.state = POState.INVOICED
    po.invoice_number = invoice_number
    po.invoice_financial_year = year
    po.invoice_sequence = sequence
    po.invoiced_at = now
    po.payment_due = now.date() + timedelta(days=settings.procurement_payment_due_days)
    await session.flush()
    await _audit(
        session,
        po,
        "purchase_order.invoiced",
        actor_user_id=user.id,
        actor_role=audit.SELLER_ROLE,
        values={"invoice_number": invoice_number, "payment_due": po.payment_due},
    )
    emails.queue(session, po.id, "invoiced")
    _schedule_check(session, po, po.payment_due)
    return po


async def record_payment(
    session: AsyncSession,
    settings: Settings,
    *,
    user: User,
    number: str,
    reference: str,
    paid_on: date,
) -> PurchaseOrder:
    """The paying authority records the payment; the seller's ledger gets the sale (less
    commission, TCS, TDS). Above the separation limit, whoever raised the PO may not do this."""
    po = await _member_po(session, user, number, Role.PAYING_AUTHORITY)
    if po.buyer_user_id == user.id and separation_applies(po.total_paise, settings):
        raise SeparationOfDuties(
            _(
                "You raised purchase order %(number)s: above %(limit)s another paying "
                "authority must record its payment.",
                number=po.number,
                limit=format_inr(settings.procurement_separation_limit_paise),
            )
        )
    errors: dict[str, str] = {}
    text = " ".join(reference.split())
    if not 3 <= len(text) <= 80:
        errors["reference"] = _("Enter the payment reference (UTR, cheque or voucher number).")
    today = utcnow().date()
    start = (po.invoiced_at or po.created_at).date()
    if not start <= paid_on <= today:
        errors["paid_on"] = _("Choose the day of payment: not before the invoice, not after today.")
    if errors:
        raise FormErrors(errors)
    check_transition(po, POState.PAID)
    po.state = POState.PAID
    po.payment_reference = text
    po.paid_on = paid_on
    po.paid_by_user_id = user.id
    await _resolve(session, po, IncidentKind.OVERDUE_PAYMENT)
    await session.flush()
    entries = await ledger_service.record_supply(
        session,
        settings,
        seller_id=po.seller_id,
        reference=po.number,
        gross_inr_paise=po.total_paise,
        taxable_inr_paise=po.taxable_paise,
        paid_on=paid_on,
    )
    await _audit(
        session,
        po,
        "purchase_order.paid",
        actor_user_id=user.id,
        actor_role=Role.PAYING_AUTHORITY.value,
        values={
            "reference": text,
            "paid_on": paid_on,
            "payment_due": po.payment_due,
            "late": po.payment_due is not None and paid_on > po.payment_due,
            "ledger_entries": entries,
        },
    )
    emails.queue(session, po.id, "paid")
    return po


# Incidents ----------------------------------------------------------------------------------------


async def _resolve(session: AsyncSession, po: PurchaseOrder, kind: IncidentKind) -> None:
    incident = await repository.incident(session, po.id, kind)
    if incident is not None and incident.resolved_at is None:
        incident.resolved_at = utcnow()


def missed_deadlines(po: PurchaseOrder, today: date) -> list[tuple[IncidentKind, date]]:
    missed: list[tuple[IncidentKind, date]] = []
    if po.state == POState.ISSUED and po.accept_by < today:
        missed.append((IncidentKind.LATE_ACCEPTANCE, po.accept_by))
    if (
        po.state in (POState.ISSUED, POState.ACCEPTED, POState.PARTLY_DELIVERED)
        and po.delivery_by < today
    ):
        missed.append((IncidentKind.LATE_DELIVERY, po.delivery_by))
    if po.state == POState.RECEIVED and po.acceptance_due and po.acceptance_due < today:
        missed.append((IncidentKind.LATE_DECISION, po.acceptance_due))
    if po.state == POState.INVOICED and po.payment_due and po.payment_due < today:
        missed.append((IncidentKind.OVERDUE_PAYMENT, po.payment_due))
    return missed


async def check_deadlines(
    session: AsyncSession, po_id: int, today: date | None = None
) -> list[Incident]:
    """Raise an incident for each deadline the PO has missed by ``today`` (once per kind)."""
    await begin_write(session)
    po = await repository.by_id(session, po_id, lock=True)
    if po is None:
        return []
    raised: list[Incident] = []
    for kind, due in missed_deadlines(po, today or utcnow().date()):
        if await repository.incident(session, po.id, kind) is not None:
            continue
        incident = Incident(purchase_order_id=po.id, kind=kind, due_on=due, raised_at=utcnow())
        session.add(incident)
        await session.flush()
        await _audit(
            session,
            po,
            "incident.raised",
            actor_user_id=None,
            actor_role=audit.SYSTEM_ROLE,
            values={"kind": kind, "due_on": due},
        )
        emails.queue(session, po.id, f"incident:{kind.value}")
        raised.append(incident)
    return raised


async def scan_deadlines(session: AsyncSession, today: date | None = None) -> int:
    """Check every PO that may have missed a deadline; returns how many incidents were raised."""
    day = today or utcnow().date()
    count = 0
    for po_id in await repository.due_for_check(session, day):
        count += len(await check_deadlines(session, po_id, day))
    return count


# What people see ----------------------------------------------------------------------------------


async def of_user(
    session: AsyncSession, user: User, *, open_only: bool = False
) -> list[PurchaseOrder]:
    org_ids = sorted(
        {m.organisation_id for m in await organisations.memberships_of(session, user.id)}
    )
    return await repository.of_organisations(
        session, org_ids, states=OPEN_STATES if open_only else None
    )


async def of_seller(session: AsyncSession, seller_id: int) -> list[PurchaseOrder]:
    return await repository.of_seller(session, seller_id)


async def deliveries(session: AsyncSession, po: PurchaseOrder) -> list[Delivery]:
    return await repository.deliveries(session, po.id)


async def incidents(session: AsyncSession, po_ids: Sequence[int]) -> list[Incident]:
    return await repository.incidents_of(session, po_ids)


async def open_incidents(session: AsyncSession) -> list[Incident]:
    return await repository.open_incidents(session)


async def recent(session: AsyncSession) -> list[PurchaseOrder]:
    return await repository.recent(session)


async def po_by_id(session: AsyncSession, po_id: int) -> PurchaseOrder | None:
    return await repository.by_id(session, po_id)
