"""Rules of the buying modes: requirements (demands), L1 comparisons and orders, sealed bids,
their opening and award, and split-purchase detection. No HTTP here; views and api share it.

Every step is written to the procurement audit trail with the values the actor saw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.config import Settings
from app.db import begin_write, utcnow
from app.errors import Forbidden, FormErrors
from app.i18n import gettext as _
from app.jobs import enqueue
from app.listings import sale_terms
from app.orders import repository as orders_repository
from app.procurement import rules
from app.procurement.audit import service as audit
from app.procurement.buying import repository, sealing, sheets
from app.procurement.buying.errors import (
    AboveL1Limit,
    AlreadyDecided,
    BidClosed,
    BidsSealed,
    ComparisonOutdated,
    NotEnoughOffers,
    RequirementNotFound,
)
from app.procurement.buying.models import (
    Bid,
    BuyingMethod,
    Comparison,
    Requirement,
    RequirementStatus,
)
from app.procurement.buying.ranking import Offer, listing_offer, quoted_offer, rank
from app.procurement.organisations import service as organisations
from app.procurement.organisations.models import Role
from app.procurement.purchase_orders import service as purchase_orders
from app.procurement.purchase_orders.models import PurchaseOrder, SplitEvent
from app.procurement.purchase_orders.schemas import POLine
from app.sellers.models import Seller
from app.storage import Storage

BUYER = Role.BUYER
SELLER = "seller"
PUBLISHED_JOB = "procurement.bid_published"
DECIDED_JOB = "procurement.bid_decided"
MAX_QUANTITY = 1_000_000
MIN_BID_HOURS = 1  # a bid stays open at least this long after publishing


# Requirements -------------------------------------------------------------------------------------


@dataclass
class RequirementInput:
    organisation_id: int
    method: BuyingMethod
    title: str
    quantity: int
    delivery_address_id: int
    delivery_by: date
    odop_product_id: int | None = None
    gi_tag_id: int | None = None
    category_id: int | None = None
    seller_district_id: int | None = None
    specifications: str = ""
    closes_at: datetime | None = None
    sample_required: bool = False
    sample_details: str = ""


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def create_requirement(
    session: AsyncSession, settings: Settings, *, user: User, data: RequirementInput
) -> Requirement:
    """Raise a demand for a verified organisation; a bid is published at once (sellers told)."""
    await organisations.require_role(
        session, user_id=user.id, organisation_id=data.organisation_id, role=BUYER
    )
    organisation = await repository.organisation(session, data.organisation_id)
    if organisation is None or not organisation.can_issue_orders:
        raise Forbidden(_("A government organisation must be verified before it buys."))
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = _("Name what you need.")
    if not 1 <= data.quantity <= MAX_QUANTITY:
        errors["quantity"] = _("Enter a quantity from 1 to %(max)s.", max=MAX_QUANTITY)
    if data.odop_product_id is None and data.gi_tag_id is None and data.category_id is None:
        errors["odop_product_id"] = _("Choose an ODOP product, a GI tag or a category.")
    if data.odop_product_id is not None and not await repository.odop_product(
        session, data.odop_product_id
    ):
        errors["odop_product_id"] = _("Choose an ODOP product from the list.")
    if data.gi_tag_id is not None and not await repository.gi_tag(session, data.gi_tag_id):
        errors["gi_tag_id"] = _("Choose a GI tag from the list.")
    if data.category_id is not None and not await repository.category(session, data.category_id):
        errors["category_id"] = _("Choose a category from the list.")
    if data.seller_district_id is not None and not await repository.district(
        session, data.seller_district_id
    ):
        errors["seller_district_id"] = _("Choose a district from the list.")
    address = await repository.delivery_address(
        session, data.organisation_id, data.delivery_address_id
    )
    if address is None:
        errors["delivery_address_id"] = _("Choose one of your organisation's delivery addresses.")
    now = utcnow()
    if data.delivery_by <= now.date():
        errors["delivery_by"] = _("The delivery date must be in the future.")
    closes_at = _as_utc(data.closes_at) if data.closes_at else None
    if data.method == BuyingMethod.BID:
        if closes_at is None:
            errors["closes_at"] = _("Set when the bid closes.")
        elif closes_at < now + timedelta(hours=MIN_BID_HOURS):
            errors["closes_at"] = _("The bid must stay open at least an hour.")
        elif closes_at.date() > data.delivery_by:
            errors["closes_at"] = _("The bid must close before the delivery date.")
    else:
        closes_at = None
    if errors:
        raise FormErrors(errors)
    assert address is not None
    requirement = Requirement(
        organisation_id=data.organisation_id,
        buyer_user_id=user.id,
        method=data.method,
        status=RequirementStatus.OPEN,
        title=data.title.strip(),
        odop_product_id=data.odop_product_id,
        gi_tag_id=data.gi_tag_id,
        category_id=data.category_id,
        seller_district_id=data.seller_district_id,
        specifications=data.specifications.strip(),
        quantity=data.quantity,
        delivery_address_id=data.delivery_address_id,
        delivery_district_id=address.district_id,
        delivery_by=data.delivery_by,
        closes_at=closes_at,
        sample_required=data.sample_required if data.method == BuyingMethod.BID else False,
        sample_details=data.sample_details.strip() if data.method == BuyingMethod.BID else "",
    )
    session.add(requirement)
    await session.flush()
    await audit.record(
        session,
        organisation_id=requirement.organisation_id,
        action="demand",
        actor_user_id=user.id,
        actor_role=BUYER,
        subject="requirement",
        subject_id=requirement.id,
        values=_requirement_values(requirement),
    )
    if requirement.method == BuyingMethod.BID:
        enqueue(session, PUBLISHED_JOB, {"requirement_id": requirement.id})
    return requirement


def _requirement_values(requirement: Requirement) -> dict[str, object]:
    return {
        "method": requirement.method.value,
        "title": requirement.title,
        "odop_product_id": requirement.odop_product_id,
        "gi_tag_id": requirement.gi_tag_id,
        "category_id": requirement.category_id,
        "seller_district_id": requirement.seller_district_id,
        "specifications": requirement.specifications,
        "quantity": requirement.quantity,
        "delivery_address_id": requirement.delivery_address_id,
        "delivery_district_id": requirement.delivery_district_id,
        "delivery_by": requirement.delivery_by.isoformat(),
        "closes_at": requirement.closes_at.isoformat() if requirement.closes_at else None,
        "sample_required": requirement.sample_required,
        "sample_details": requirement.sample_details,
    }


async def requirements_of_user(session: AsyncSession, user: User) -> list[Requirement]:
    memberships = await organisations.memberships_of(session, user.id)
    return await repository.requirements_of(
        session, sorted({m.organisation_id for m in memberships})
    )


async def member_requirement(
    session: AsyncSession, user: User, requirement_id: int, *, for_update: bool = False
) -> Requirement:
    """A requirement of one of the user's organisations (any role sees it); else not found."""
    requirement = await repository.requirement(session, requirement_id, for_update=for_update)
    if requirement is None:
        raise RequirementNotFound()
    memberships = await organisations.memberships_of(session, user.id)
    if requirement.organisation_id not in {m.organisation_id for m in memberships}:
        raise RequirementNotFound()
    return requirement


async def buyer_requirement(session: AsyncSession, user: User, requirement_id: int) -> Requirement:
    """A requirement of the user's organisation where the user is a buyer: 404 for outsiders,
    403 for members without the buyer role."""
    requirement = await member_requirement(session, user, requirement_id)
    await _require_buyer(session, user, requirement)
    return requirement


async def _require_buyer(session: AsyncSession, user: User, requirement: Requirement) -> None:
    await organisations.require_role(
        session, user_id=user.id, organisation_id=requirement.organisation_id, role=BUYER
    )


def is_closed(requirement: Requirement, now: datetime | None = None) -> bool:
    return requirement.closes_at is not None and (now or utcnow()) >= requirement.closes_at


# L1 comparison ------------------------------------------------------------------------------------


async def ranked_offers(session: AsyncSession, requirement: Requirement) -> list[Offer]:
    """Every eligible seller's best offer for the requirement's quantity, L1 first."""
    listings = await repository.eligible_listings(session, requirement)
    if not listings:
        return []
    district = await repository.district(session, requirement.delivery_district_id)
    assert district is not None
    rates = await sale_terms.gst_rates_on(session, utcnow().date())
    shipping = await orders_repository.shipping_terms(
        session, sorted({listing.seller_id for listing in listings})
    )
    return rank(
        listing_offer(listing, requirement.quantity, rates, shipping, district.state_id)
        for listing in listings
    )


@dataclass
class ComparisonView:
    comparison: Comparison
    offers: list[Offer]
    enough: bool  # at least procurement_min_l1_offers sellers
    minimum: int
    mode_for_l1: rules.BuyingMode | None  # the buying mode the L1 total needs

    @property
    def l1(self) -> Offer | None:
        return self.offers[0] if self.offers else None


async def show_comparison(
    session: AsyncSession, settings: Settings, *, user: User, requirement: Requirement
) -> ComparisonView:
    """Rank the offers now, keep them as shown and audit what the buyer saw."""
    await _require_buyer(session, user, requirement)
    if requirement.method != BuyingMethod.L1:
        raise RequirementNotFound()
    await begin_write(session)  # a comparison is kept and audited even when shown by a GET
    offers = await ranked_offers(session, requirement)
    comparison = Comparison(
        requirement_id=requirement.id,
        shown_to_user_id=user.id,
        shown_at=utcnow(),
        offers=[offer.as_json() for offer in offers],
    )
    session.add(comparison)
    await session.flush()
    minimum = settings.procurement_min_l1_offers
    await audit.record(
        session,
        organisation_id=requirement.organisation_id,
        action="comparison_shown",
        actor_user_id=user.id,
        actor_role=BUYER,
        subject="requirement",
        subject_id=requirement.id,
        values={"comparison_id": comparison.id, "minimum": minimum, "offers": comparison.offers},
    )
    return _comparison_view(comparison, settings)


def _comparison_view(comparison: Comparison, settings: Settings) -> ComparisonView:
    offers = [Offer.from_json(values) for values in comparison.offers]
    minimum = settings.procurement_min_l1_offers
    return ComparisonView(
        comparison,
        offers,
        len(offers) >= minimum,
        minimum,
        rules.buying_mode_for(offers[0].landed_paise, settings) if offers else None,
    )


async def ordered_comparison(
    session: AsyncSession, settings: Settings, requirement: Requirement
) -> ComparisonView | None:
    comparison = await repository.ordered_comparison(session, requirement.id)
    return _comparison_view(comparison, settings) if comparison else None


async def comparison_of(
    session: AsyncSession, settings: Settings, requirement: Requirement, comparison_id: int
) -> ComparisonView:
    comparison = await repository.comparison(session, requirement.id, comparison_id)
    if comparison is None:
        raise RequirementNotFound()
    return _comparison_view(comparison, settings)


async def order_l1(
    session: AsyncSession,
    settings: Settings,
    storage: Storage,
    *,
    user: User,
    requirement_id: int,
    comparison_id: int,
    listing_id: int,
    justification: str,
) -> PurchaseOrder:
    """Order from an offer of a shown comparison: L1, or another with a written justification.

    The price is the comparison's, checked again against today's prices; the comparison sheet
    (CSV and PDF) is saved with the purchase order."""
    requirement = await member_requirement(session, user, requirement_id, for_update=True)
    await _require_buyer(session, user, requirement)
    if requirement.method != BuyingMethod.L1:
        raise RequirementNotFound()
    if requirement.status != RequirementStatus.OPEN:
        raise AlreadyDecided()
    comparison = await repository.comparison(session, requirement.id, comparison_id)
    if comparison is None:
        raise ComparisonOutdated()
    view = _comparison_view(comparison, settings)
    if not view.enough:
        raise NotEnoughOffers()
    chosen = next((offer for offer in view.offers if offer.listing_id == listing_id), None)
    if chosen is None:
        raise FormErrors({"listing_id": _("Choose one of the offers compared.")})
    justification = justification.strip()
    if chosen.rank != 1 and not justification:
        raise FormErrors(
            {"justification": _("Explain in writing why you choose an offer other than L1.")}
        )
    current = {offer.listing_id: offer for offer in await ranked_offers(session, requirement)}
    for offer in view.offers:
        now = current.get(offer.listing_id)
        if now is None or (now.unit_price_paise, now.landed_paise) != (
            offer.unit_price_paise,
            offer.landed_paise,
        ):
            raise ComparisonOutdated()
    if rules.buying_mode_for(chosen.landed_paise, settings) == "bid":
        raise AboveL1Limit()
    l1 = view.offers[0]
    history = await _history(session, requirement)
    order = await _raise_po(
        session,
        settings,
        requirement,
        user=user,
        offer=chosen,
        quantity=requirement.quantity,
        mode="l1",
        source="l1_comparison",
        justification=justification if chosen.rank != 1 else None,
        shipping_paise=chosen.shipping_paise,
    )
    comparison.chosen_listing_id = chosen.listing_id
    comparison.purchase_order_id = order.id
    requirement.status = RequirementStatus.ORDERED
    requirement.justification = justification if chosen.rank != 1 else None
    requirement.decided_at = utcnow()
    if chosen.rank != 1:
        await audit.record(
            session,
            organisation_id=requirement.organisation_id,
            action="justification",
            actor_user_id=user.id,
            actor_role=BUYER,
            subject="requirement",
            subject_id=requirement.id,
            values={
                "comparison_id": comparison.id,
                "chosen": chosen.as_json(),
                "l1": l1.as_json(),
                "justification": justification,
            },
            purchase_order_id=order.id,
        )
    await audit.record(
        session,
        organisation_id=requirement.organisation_id,
        action="award",
        actor_user_id=user.id,
        actor_role=BUYER,
        subject="requirement",
        subject_id=requirement.id,
        values={
            "method": "l1",
            "history": history,
            "comparison_id": comparison.id,
            "listing_id": chosen.listing_id,
            "seller_id": chosen.seller_id,
            "rank": chosen.rank,
            "quantity": requirement.quantity,
            "unit_price_paise": chosen.unit_price_paise,
            "landed_paise": chosen.landed_paise,
        },
        purchase_order_id=order.id,
    )
    comparison.sheet_csv_key, comparison.sheet_pdf_key = await sheets.save(
        storage, requirement, view, chosen_listing_id=chosen.listing_id, order_number=order.number
    )
    await session.flush()
    return order


async def _raise_po(
    session: AsyncSession,
    settings: Settings,
    requirement: Requirement,
    *,
    user: User,
    offer: Offer,
    quantity: int,
    mode: rules.BuyingMode,
    source: str,
    justification: str | None,
    shipping_paise: int | None,
) -> PurchaseOrder:
    """``shipping_paise``: the compared shipping (L1); None lets the PO apply the seller's
    terms to the awarded quantity (a bid split across sellers)."""
    address = await repository.address(session, requirement.delivery_address_id)
    assert address is not None  # addresses are never deleted under a requirement (RESTRICT)
    return await purchase_orders.create_purchase_order(
        session,
        organisation_id=requirement.organisation_id,
        buyer_user_id=user.id,
        consignee_user_id=address.consignee_user_id,
        delivery_address_id=requirement.delivery_address_id,
        seller_id=offer.seller_id,
        lines=[
            POLine(
                listing_id=offer.listing_id,
                quantity=quantity,
                unit_price_paise=offer.unit_price_paise,
            )
        ],
        mode=mode,
        source=source,
        source_id=requirement.id,
        justification=justification,
        delivery_by=requirement.delivery_by,
        settings=settings,
        shipping_paise=shipping_paise,
    )


# Bids (RFQ) ---------------------------------------------------------------------------------------


@dataclass
class QuoteInput:
    listing_id: int
    unit_price_paise: int
    quantity: int
    lead_time_days: int
    valid_until: date


async def open_bids_for_seller(
    session: AsyncSession, seller: Seller
) -> list[tuple[Requirement, Bid | None]]:
    """Open bids this seller is eligible for, with the seller's own sealed bid if any."""
    mine = await repository.bids_of_seller(session, seller.id)
    found = []
    for requirement in await repository.open_bids(session, utcnow()):
        if seller.id in await repository.eligible_seller_ids(session, requirement):
            found.append((requirement, mine.get(requirement.id)))
    return found


async def seller_requirement(
    session: AsyncSession, seller: Seller, requirement_id: int
) -> Requirement:
    """A bid requirement the seller is eligible for (open or closed); else not found."""
    requirement = await repository.requirement(session, requirement_id)
    if requirement is None or requirement.method != BuyingMethod.BID:
        raise RequirementNotFound()
    eligible = seller.id in await repository.eligible_seller_ids(session, requirement)
    if not eligible and await repository.bid_of_seller(session, requirement.id, seller.id) is None:
        raise RequirementNotFound()
    return requirement


@dataclass
class OwnBid:
    """The seller's own bid, unsealed for its author only."""

    bid: Bid
    values: sealing.SealedValues


async def own_bid(
    session: AsyncSession, settings: Settings, seller: Seller, requirement: Requirement
) -> OwnBid | None:
    bid = await repository.bid_of_seller(session, requirement.id, seller.id)
    if bid is None:
        return None
    values = sealing.unseal(settings.secret_key, requirement.id, seller.id, bid.sealed)
    return OwnBid(bid, values)


async def submit_bid(
    session: AsyncSession,
    settings: Settings,
    *,
    user: User,
    seller: Seller,
    requirement_id: int,
    data: QuoteInput,
) -> Bid:
    """Submit or revise the seller's sealed bid; refused once the bid has closed."""
    requirement = await repository.requirement(session, requirement_id, for_update=True)
    if requirement is None or requirement.method != BuyingMethod.BID:
        raise RequirementNotFound()
    if seller.id not in await repository.eligible_seller_ids(session, requirement):
        raise RequirementNotFound()
    if requirement.status != RequirementStatus.OPEN or is_closed(requirement):
        raise BidClosed()
    errors: dict[str, str] = {}
    listing = await repository.eligible_listing_of_seller(
        session, requirement, seller.id, data.listing_id
    )
    if listing is None:
        errors["listing_id"] = _("Choose one of your listings that meets the requirement.")
    if not 1 <= data.unit_price_paise <= 10**12:
        errors["unit_price"] = _("Enter a unit price above zero.")
    if not 1 <= data.quantity <= requirement.quantity:
        errors["quantity"] = _(
            "Enter how many you can supply, from 1 to %(max)s.", max=requirement.quantity
        )
    if not 0 <= data.lead_time_days <= 365:
        errors["lead_time_days"] = _("Enter a lead time from 0 to 365 days.")
    assert requirement.closes_at is not None
    if data.valid_until <= requirement.closes_at.date():
        errors["valid_until"] = _("The quote must stay valid after the bid closes.")
    if errors:
        raise FormErrors(errors)
    values = sealing.SealedValues(
        data.unit_price_paise, data.quantity, data.lead_time_days, data.valid_until
    )
    token = sealing.seal(settings.secret_key, requirement.id, seller.id, values)
    bid = await repository.bid_of_seller(session, requirement.id, seller.id)
    if bid is None:
        bid = Bid(
            requirement_id=requirement.id,
            seller_id=seller.id,
            listing_id=data.listing_id,
            sealed=token,
            revision=1,
        )
        session.add(bid)
    else:
        bid.listing_id = data.listing_id
        bid.sealed = token
        bid.revision += 1
    await session.flush()
    await audit.record(
        session,
        organisation_id=requirement.organisation_id,
        action="bid_submitted",
        actor_user_id=user.id,
        actor_role=SELLER,
        subject="bid",
        subject_id=bid.id,
        values={
            "requirement_id": requirement.id,
            "seller_id": seller.id,
            "revision": bid.revision,
            "sealed_sha256": sealing.fingerprint(token),
        },
    )
    return bid


@dataclass
class BidsView:
    requirement: Requirement
    closed: bool
    count: int
    offers: list[Offer] = field(default_factory=list)  # ranked, only once opened


async def bids_view(
    session: AsyncSession, settings: Settings, *, user: User, requirement: Requirement
) -> BidsView:
    """What the buyer's organisation sees of the bids: before closing, only how many; after
    closing, the bids are opened (once, audited) and ranked by landed price per unit."""
    if requirement.method != BuyingMethod.BID:
        raise RequirementNotFound()
    count = await repository.bid_count(session, requirement.id)
    if not is_closed(requirement):
        return BidsView(requirement, False, count)
    if requirement.opened_at is None:
        if not await repository.is_buyer(session, user.id, requirement.organisation_id):
            return BidsView(requirement, True, count)  # a buyer opens them
        await begin_write(session)  # the first look after closing may be a GET
        await _open_bids(session, settings, user=user, requirement=requirement)
    return BidsView(requirement, True, count, await _ranked_bids(session, requirement))


async def _open_bids(
    session: AsyncSession, settings: Settings, *, user: User, requirement: Requirement
) -> None:
    bids = await repository.bids_of(session, requirement.id)
    for bid in bids:
        values = sealing.unseal(settings.secret_key, requirement.id, bid.seller_id, bid.sealed)
        bid.unit_price_paise = values.unit_price_paise
        bid.quantity = values.quantity
        bid.lead_time_days = values.lead_time_days
        bid.valid_until = values.valid_until
    requirement.opened_at = utcnow()
    await session.flush()
    ranked = await _ranked_bids(session, requirement)
    await audit.record(
        session,
        organisation_id=requirement.organisation_id,
        action="bids_opened",
        actor_user_id=user.id,
        actor_role=BUYER,
        subject="requirement",
        subject_id=requirement.id,
        values={"bids": len(bids), "ranking": [offer.as_json() for offer in ranked]},
    )


async def _ranked_bids(session: AsyncSession, requirement: Requirement) -> list[Offer]:
    bids = [bid for bid in await repository.bids_of(session, requirement.id) if bid.quantity]
    if not bids:
        return []
    listings = await repository.listings_by_id(session, sorted({b.listing_id for b in bids}))
    rates = await sale_terms.gst_rates_on(session, utcnow().date())
    shipping = await orders_repository.shipping_terms(
        session, sorted({bid.seller_id for bid in bids})
    )
    offers = []
    for bid in bids:
        assert bid.unit_price_paise is not None and bid.quantity is not None
        offers.append(
            quoted_offer(
                listings[bid.listing_id],
                unit_price_paise=bid.unit_price_paise,
                quantity=bid.quantity,
                lead_time_days=bid.lead_time_days or 0,
                rates=rates,
                terms=shipping.get(bid.seller_id),
                bid_id=bid.id,
                valid_until=bid.valid_until,
            )
        )
    return rank(offers)


async def award(
    session: AsyncSession,
    settings: Settings,
    *,
    user: User,
    requirement_id: int,
    allocations: dict[int, int],
    justification: str,
) -> list[PurchaseOrder]:
    """Award the closed bid: ``allocations`` is bid id -> quantity. The whole quantity must be
    allocated; skipping a better-ranked bid that could supply more needs a written justification.
    One purchase order per seller, at the seller's quoted price; every bidder is told."""
    requirement = await member_requirement(session, user, requirement_id, for_update=True)
    await _require_buyer(session, user, requirement)
    if requirement.method != BuyingMethod.BID:
        raise RequirementNotFound()
    if not is_closed(requirement):
        raise BidsSealed()
    if requirement.status != RequirementStatus.OPEN:
        raise AlreadyDecided()
    view = await bids_view(session, settings, user=user, requirement=requirement)
    by_bid = {offer.bid_id: offer for offer in view.offers}
    chosen = {bid_id: qty for bid_id, qty in allocations.items() if qty > 0}
    errors: dict[str, str] = {}
    for bid_id, quantity in chosen.items():
        offer = by_bid.get(bid_id)
        if offer is None:
            errors["allocations"] = _("Award only bids of this requirement.")
        elif quantity > offer.quantity:
            errors["allocations"] = _(
                "%(seller)s offered %(count)s at most.", seller=offer.seller, count=offer.quantity
            )
    if not errors and sum(chosen.values()) != requirement.quantity:
        errors["allocations"] = _(
            "Allocate exactly %(quantity)s in all.", quantity=requirement.quantity
        )
    if errors:
        raise FormErrors(errors)
    justification = justification.strip()
    greedy = _greedy_allocation(view.offers, requirement.quantity)
    follows_ranking = greedy == chosen
    if not follows_ranking and not justification:
        raise FormErrors(
            {
                "justification": _(
                    "Explain in writing why you award other than in the order of the ranking."
                )
            }
        )
    history = await _history(session, requirement)
    orders = []
    for offer in view.offers:
        awarded = chosen.get(offer.bid_id or 0)
        if not awarded:
            continue
        order = await _raise_po(
            session,
            settings,
            requirement,
            user=user,
            offer=offer,
            quantity=awarded,
            mode="bid",
            source="bid",
            justification=None if follows_ranking else justification,
            shipping_paise=None,
        )
        bid = await repository.bid_of_seller(session, requirement.id, offer.seller_id)
        assert bid is not None
        bid.awarded_quantity = awarded
        bid.purchase_order_id = order.id
        orders.append(order)
    requirement.status = RequirementStatus.AWARDED
    requirement.justification = None if follows_ranking else justification
    requirement.decided_at = utcnow()
    await session.flush()
    if not follows_ranking:
        await audit.record(
            session,
            organisation_id=requirement.organisation_id,
            action="justification",
            actor_user_id=user.id,
            actor_role=BUYER,
            subject="requirement",
            subject_id=requirement.id,
            values={
                "ranking_allocation": {str(k): v for k, v in greedy.items()},
                "chosen_allocation": {str(k): v for k, v in chosen.items()},
                "justification": justification,
            },
        )
    for order in orders:
        await audit.record(
            session,
            organisation_id=requirement.organisation_id,
            action="award",
            actor_user_id=user.id,
            actor_role=BUYER,
            subject="requirement",
            subject_id=requirement.id,
            values={
                "method": "bid",
                "history": history,
                "seller_id": order.seller_id,
                "allocations": {
                    str(offer.bid_id): chosen[offer.bid_id]
                    for offer in view.offers
                    if offer.bid_id in chosen and offer.seller_id == order.seller_id
                },
                "offers": [
                    offer.as_json() for offer in view.offers if offer.seller_id == order.seller_id
                ],
            },
            purchase_order_id=order.id,
        )
    enqueue(session, DECIDED_JOB, {"requirement_id": requirement.id})
    return orders


async def _history(session: AsyncSession, requirement: Requirement) -> list[dict[str, object]]:
    """The requirement's audit records so far (demand, comparisons, sealed bids, opening),
    referenced from the award so that the purchase order's own trail shows every step."""
    records = await repository.requirement_history(
        session, requirement.organisation_id, requirement.id
    )
    return [
        {
            "audit_id": record.id,
            "action": record.action,
            "actor_role": record.actor_role,
            "actor_user_id": record.actor_user_id,
            "at": record.created_at.isoformat(),
        }
        for record in records
    ]


def _greedy_allocation(offers: Sequence[Offer], quantity: int) -> dict[int, int]:
    """The award that follows the ranking: L1 supplies what it can, then L2, and so on."""
    allocation: dict[int, int] = {}
    left = quantity
    for offer in offers:
        if left <= 0:
            break
        take = min(left, offer.quantity)
        allocation[offer.bid_id or 0] = take
        left -= take
    return allocation


# Split purchases ----------------------------------------------------------------------------------


async def split_events(session: AsyncSession) -> list[SplitEvent]:
    return await repository.split_events(session)
