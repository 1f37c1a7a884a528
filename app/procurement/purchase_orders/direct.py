"""Direct purchase: a buyer of a verified organisation orders a listing at its tier price for the
quantity, on a purchase order paid later. Allowed only while the total (goods + shipping, GST
included) is within the direct-purchase limit; above it the rules name the mode required."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.config import Settings
from app.errors import FormErrors
from app.i18n import gettext as _
from app.listings.models import Listing
from app.orders import repository as orders_repository
from app.orders.pricing import unit_price
from app.procurement.organisations import repository as org_repository
from app.procurement.organisations.models import Role
from app.procurement.purchase_orders import repository, service, splits
from app.procurement.purchase_orders.models import PurchaseOrder
from app.procurement.purchase_orders.pricing import PricedPO
from app.procurement.purchase_orders.schemas import POLine
from app.procurement.rules import BuyingMode, buying_mode_for
from app.web import format_inr

SOURCE = "listing"


@dataclass(frozen=True)
class DirectQuote:
    listing: Listing
    quantity: int
    unit_price_paise: int
    priced: PricedPO
    mode: BuyingMode
    split: splits.SplitWarning | None = None
    earlier_numbers: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.mode == "direct"


async def buyable_listing(session: AsyncSession, listing_id: int) -> Listing:
    listing = (await orders_repository.sellable_listings(session, [listing_id])).get(listing_id)
    if listing is None or not orders_repository.is_buyable(listing):
        raise FormErrors({"listing_id": _("That product is not available to buy now.")})
    return listing


def mode_message(mode: BuyingMode, total: int, settings: Settings) -> str:
    if mode == "l1":
        return _(
            "This purchase totals %(total)s, above the direct-purchase limit of %(limit)s: the "
            "rules require an L1 comparison of at least %(count)s sellers' offers.",
            total=format_inr(total),
            limit=format_inr(settings.procurement_direct_limit_paise),
            count=settings.procurement_min_l1_offers,
        )
    return _(
        "This purchase totals %(total)s, above the L1 limit of %(limit)s: the rules require a "
        "bid (RFQ).",
        total=format_inr(total),
        limit=format_inr(settings.procurement_l1_limit_paise),
    )


async def quote(
    session: AsyncSession,
    settings: Settings,
    *,
    user: User,
    listing_id: int,
    quantity: int | None,
    organisation_id: int,
    consignee_user_id: int,
    delivery_address_id: int,
) -> DirectQuote:
    """Price a direct purchase on the server (tier price for the quantity, shipping, GST by
    place of supply). Whatever a form posted as a price is never used."""
    _org, place_state_id, _limit = await service.check_parties(
        session,
        organisation_id=organisation_id,
        buyer_user_id=user.id,
        consignee_user_id=consignee_user_id,
        delivery_address_id=delivery_address_id,
    )
    listing = await buyable_listing(session, listing_id)
    if quantity is None or not 1 <= quantity <= service.MAX_QUANTITY:
        raise FormErrors({"quantity": _("Enter a quantity from 1 to 1,000,000.")})
    price = unit_price(listing.price_paise, listing.price_tiers, quantity)
    priced = await service.price_lines(
        session,
        seller_id=listing.seller_id,
        lines=[POLine(listing.id, quantity, price)],
        place_of_supply_state_id=place_state_id,
    )
    mode = buying_mode_for(priced.total, settings)
    split = None
    if mode == "direct":
        split = await splits.split_warning(
            session,
            settings,
            organisation_id=organisation_id,
            listing_ids=[listing.id],
            total_paise=priced.total,
        )
    earlier = await repository.numbers(session, split.earlier_order_ids) if split else {}
    return DirectQuote(
        listing, quantity, price, priced, mode, split, [earlier[i] for i in sorted(earlier)]
    )


def split_message(split: splits.SplitWarning) -> str:
    return _(
        "Your organisation's direct purchases of this item in the last %(days)s days total "
        "%(earlier)s; with this one they come to %(total)s, above the direct-purchase limit of "
        "%(limit)s. Splitting one demand into smaller purchases to stay under a limit is not "
        "allowed. Go on only if this is a separate need; the purchase is recorded for review.",
        days=split.window_days,
        earlier=format_inr(split.earlier_total_paise),
        total=format_inr(split.total_paise),
        limit=format_inr(split.limit_paise),
    )


async def place(
    session: AsyncSession,
    settings: Settings,
    *,
    user: User,
    listing_id: int,
    quantity: int | None,
    organisation_id: int,
    consignee_user_id: int,
    delivery_address_id: int,
    delivery_by: date | None,
    separate_need: bool = False,
) -> PurchaseOrder:
    """Issue the PO. When it and the organisation's recent direct purchases of the same item add
    up to more than the direct limit, the buyer must confirm it is a separate need; the event is
    then recorded (and audited) against the new order."""
    priced = await quote(
        session,
        settings,
        user=user,
        listing_id=listing_id,
        quantity=quantity,
        organisation_id=organisation_id,
        consignee_user_id=consignee_user_id,
        delivery_address_id=delivery_address_id,
    )
    if not priced.allowed:
        raise FormErrors({"quantity": mode_message(priced.mode, priced.priced.total, settings)})
    if delivery_by is None:
        raise FormErrors(
            {"delivery_by": _("Choose a delivery date after today and within a year.")}
        )
    if priced.split is not None and not separate_need:
        raise FormErrors(
            {
                "separate_need": _(
                    "Confirm that this is a separate need, or do not place this order: %(why)s",
                    why=split_message(priced.split),
                )
            }
        )
    po = await service.create_purchase_order(
        session,
        organisation_id=organisation_id,
        buyer_user_id=user.id,
        consignee_user_id=consignee_user_id,
        delivery_address_id=delivery_address_id,
        seller_id=priced.listing.seller_id,
        lines=[POLine(priced.listing.id, priced.quantity, priced.unit_price_paise)],
        mode="direct",
        source=SOURCE,
        source_id=priced.listing.id,
        justification=None,
        delivery_by=delivery_by,
        settings=settings,
    )
    if priced.split is not None:
        await splits.record_split(
            session,
            warning=priced.split,
            actor_user_id=user.id,
            actor_role=Role.BUYER.value,
            purchase_order_id=po.id,
        )
    return po


@dataclass(frozen=True)
class AddressChoice:
    address_id: int
    organisation_id: int
    consignee_user_id: int
    label: str


async def address_choices(session: AsyncSession, user: User) -> list[AddressChoice]:
    """Delivery addresses of every organisation where the user is a buyer, labelled with the
    organisation and the consignee (the direct-purchase form's one choice of where to)."""
    choices: list[AddressChoice] = []
    memberships = await org_repository.memberships_of_user(session, user.id)
    org_ids = sorted({m.organisation_id for m in memberships if m.role.value == "buyer"})
    for org in await org_repository.organisations(session, org_ids):
        addresses = await org_repository.addresses(session, org.id)
        people = await org_repository.users_by_ids(
            session, sorted({a.consignee_user_id for a in addresses})
        )
        for address in addresses:
            person = people.get(address.consignee_user_id)
            name = person.display_name if person else ""
            text = ", ".join(
                p for p in (address.label, address.line1, address.city, address.pin) if p
            )
            choices.append(
                AddressChoice(
                    address.id,
                    org.id,
                    address.consignee_user_id,
                    f"{org.name} — {name}: {text}" + ("" if org.can_issue_orders else " *"),
                )
            )
    return choices
