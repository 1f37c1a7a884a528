"""Checkout: the delivery address, the quote (per seller part and overall, in INR or the buyer's
currency at a rate locked into the order) and placing the order, which reserves the stock.

Prices, quantities and totals are never read from the form: the server prices the cart again.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from babel import Locale
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.config import Settings
from app.db import begin_write, utcnow
from app.errors import FormErrors
from app.i18n import current_language
from app.i18n import gettext as _
from app.listings.models import Listing
from app.money import BASE_CURRENCY
from app.orders import cart as cart_service
from app.orders import repository, stock
from app.orders.errors import CartNeedsReview, EmptyCart
from app.orders.models import (
    ActorKind,
    Cart,
    Order,
    OrderLine,
    OrderPart,
    OrderPartEvent,
    PartState,
)
from app.orders.pricing import Destination, PricedPart, price_parts
from app.rates import service as fx
from app.reference.models import State
from app.sellers.identifiers import InvalidIdentifier, validate_gstin

ORDER_NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
FIELDS = (
    "name",
    "phone",
    "line1",
    "line2",
    "city",
    "state",
    "pin_code",
    "country",
    "region",
    "postal_code",
    "gstin",
    "currency",
)

# First digit of the PIN code by State (LGD code): India Post's postal regions.
PIN_REGION_BY_STATE = {
    **dict.fromkeys((1, 2, 3, 4, 6, 7, 37), "1"),
    **dict.fromkeys((5, 9), "2"),
    **dict.fromkeys((8, 24, 25, 26, 38), "3"),
    **dict.fromkeys((22, 23, 27, 30), "4"),
    **dict.fromkeys((28, 29, 36), "5"),
    **dict.fromkeys((31, 32, 33, 34), "6"),
    **dict.fromkeys((11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 35), "7"),
    **dict.fromkeys((10, 20), "8"),
}


def new_order_number() -> str:
    """Random, so numbers reveal nothing about volumes: 32^10 (about 10^15) possibilities."""
    return "OD-" + "".join(secrets.choice(ORDER_NUMBER_ALPHABET) for _ in range(10))


def country_name(code: str, language: str | None = None) -> str:
    locale = Locale.parse("hi" if (language or current_language()) == "hi" else "en")
    return str(locale.territories.get(code, code))


@dataclass(frozen=True)
class Address:
    name: str
    phone: str
    line1: str
    line2: str
    city: str
    state: State | None
    region: str
    postal_code: str
    country: str
    gstin: str | None


def parse_address(values: dict[str, str], states: list[State], countries: set[str]) -> Address:
    """Validate the form; every problem is a field error (the form keeps the input)."""
    get = {key: (values.get(key) or "").strip() for key in FIELDS}
    errors: dict[str, str] = {}
    country = get["country"].upper() or "IN"
    if country != "IN" and country not in countries:
        errors["country"] = _("We cannot deliver to that country yet.")
    if not 2 <= len(get["name"]) <= 140:
        errors["name"] = _("Enter the name of the person receiving the parcel.")
    if not 3 <= len(get["line1"]) <= 200:
        errors["line1"] = _("Enter the house, street and area.")
    if len(get["line2"]) > 200:
        errors["line2"] = _("That line is too long.")
    if not 2 <= len(get["city"]) <= 120:
        errors["city"] = _("Enter the town or city.")
    phone = re.sub(r"[\s-]", "", get["phone"])
    if phone and not re.fullmatch(r"\+?[0-9]{8,15}", phone):
        errors["phone"] = _("Enter a phone number of 8 to 15 digits.")
    state: State | None = None
    postal = get["pin_code"] if country == "IN" else get["postal_code"]
    if country == "IN":
        state = next((s for s in states if s.slug == get["state"]), None)
        if state is None:
            errors["state"] = _("Choose the State or Union Territory.")
        if not re.fullmatch(r"[1-9][0-9]{5}", postal):
            errors["pin_code"] = _("A PIN code has 6 digits and does not start with 0.")
        elif state is not None and PIN_REGION_BY_STATE.get(state.lgd_code, postal[0]) != postal[0]:
            errors["pin_code"] = _("That PIN code is not in %(state)s.", state=state.name)
    elif not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 -]{1,10}", postal):
        errors["postal_code"] = _("Enter the postal code.")
    gstin: str | None = None
    if get["gstin"]:
        if country != "IN":
            errors["gstin"] = _("A GSTIN is only for deliveries in India.")
        else:
            try:
                gstin = validate_gstin(get["gstin"])
            except InvalidIdentifier as exc:
                errors["gstin"] = str(exc)
    if errors:
        raise FormErrors(errors)
    return Address(
        name=get["name"],
        phone=phone,
        line1=get["line1"],
        line2=get["line2"],
        city=get["city"],
        state=state,
        region=get["region"][:120] if country != "IN" else "",
        postal_code=postal.upper(),
        country=country,
        gstin=gstin,
    )


@dataclass
class Quote:
    parts: list[PricedPart]
    currency: str
    rate: fx.Rate | None  # None: INR

    @property
    def goods(self) -> int:
        return sum(p.goods for p in self.parts)

    @property
    def shipping(self) -> int:
        return sum(p.shipping for p in self.parts)

    @property
    def tax(self) -> int:
        return sum(p.tax for p in self.parts)

    @property
    def total(self) -> int:
        return sum(p.total for p in self.parts)

    def charged(self, paise: int) -> int:
        return fx.from_inr(paise, self.rate) if self.rate else paise


async def quote(session: AsyncSession, cart: Cart, address: Address, currency: str) -> Quote:
    """Price the cart for the address. Refuses a cart that changed since the buyer saw it."""
    view = await cart_service.view(session, cart)
    if not view.lines:
        raise EmptyCart()
    if view.needs_review:
        raise CartNeedsReview()
    zone = None
    if address.country != "IN":
        zone = (await repository.zone_countries(session)).get(address.country)
    destination = Destination(address.country, address.state.id if address.state else None, zone)
    items = [(line.listing, line.line.quantity) for line in view.lines]
    seller_ids = list({listing.seller_id for listing, _ in items})
    rates = await repository.gst_rates(session, utcnow().date())
    shipping = await repository.shipping_terms(session, seller_ids)
    export_rates = await repository.export_rates(session, seller_ids, zone) if zone else None
    parts = price_parts(
        items,
        rates,
        shipping,
        destination,
        export_rates,
        agreed_prices=cart_service.agreed_prices(cart),
    )
    if destination.is_export:
        not_exported = [
            line.listing.title
            for line in view.lines
            if not line.listing.export_ready
            or (line.listing.ships_to and address.country not in line.listing.ships_to)
        ]
        if not_exported or not all(part.ships for part in parts):
            raise FormErrors(
                {
                    "country": _(
                        "Some items in your cart are not shipped to %(country)s. Remove them "
                        "or choose another address.",
                        country=country_name(address.country),
                    )
                }
            )
    rate = None
    if currency != BASE_CURRENCY:
        rate = (await fx.current_rates(session, utcnow().date())).get(currency)
    return Quote(parts, currency if rate else BASE_CURRENCY, rate)


async def place_order(
    session: AsyncSession,
    settings: Settings,
    *,
    buyer: User,
    cart: Cart,
    address: Address,
    currency: str,
) -> Order:
    """Create the order (one part per seller) and reserve its stock, all or nothing."""
    await begin_write(session)
    # Lock the listings before anything reads their stock or refers to them (fixed order).
    await repository.lock_listings(session, sorted({line.listing_id for line in cart.lines}))
    priced = await quote(session, cart, address, currency)
    now = utcnow()
    expires = now + timedelta(minutes=settings.reservation_minutes)
    agreements = {line.listing_id: line.agreement for line in cart.lines if line.is_agreed}
    async with session.begin_nested():  # an OutOfStock rolls back the order and the stock taken
        order = Order(
            number=new_order_number(),
            buyer_user_id=buyer.id,
            buyer_email=buyer.email,
            buyer_language=buyer.language,
            currency=priced.currency,
            inr_per_unit_micros=(
                int(priced.rate.inr_per_unit * fx.MICROS) if priced.rate else 1_000_000
            ),
            goods_inr_paise=priced.goods,
            shipping_inr_paise=priced.shipping,
            tax_inr_paise=priced.tax,
            total_inr_paise=priced.total,
            total_minor=priced.charged(priced.total),
            is_export=address.country != "IN",
            buyer_gstin=address.gstin,
            ship_name=address.name,
            ship_phone=address.phone,
            ship_line1=address.line1,
            ship_line2=address.line2,
            ship_city=address.city,
            ship_state_id=address.state.id if address.state else None,
            ship_region=address.region,
            ship_postal_code=address.postal_code,
            ship_country=address.country,
            reserved_until=expires,
        )
        order.parts = []
        session.add(order)
        await session.flush()
        items: list[tuple[int, Listing, int]] = []
        for part in priced.parts:
            row = OrderPart(
                order_id=order.id,
                seller_id=part.seller_id,
                state=PartState.PLACED,
                seller_state_id=part.seller_state_id,
                seller_gstin=part.lines[0].listing.seller.gstin,
                goods_inr_paise=part.goods,
                shipping_inr_paise=part.shipping,
                taxable_inr_paise=part.taxable,
                cgst_inr_paise=part.cgst,
                sgst_inr_paise=part.sgst,
                igst_inr_paise=part.igst,
                total_inr_paise=part.total,
                dispatch_days=part.dispatch_days,
            )
            row.lines = [
                OrderLine(
                    listing_id=line.listing.id,
                    title=line.listing.title,
                    title_hi=line.listing.title_hi,
                    unit_code=line.listing.unit_code,
                    hsn_code=line.listing.hsn_code or "",
                    gst_rate_bp=line.rate_bp,
                    quantity=line.quantity,
                    list_unit_price_paise=line.list_unit_price,
                    unit_price_paise=line.unit_price,
                    total_paise=line.total,
                    taxable_paise=line.taxable,
                    tax_paise=line.tax,
                    agreement=agreements.get(line.listing.id, ""),
                )
                for line in part.lines
            ]
            order.parts.append(row)
            session.add(row)
            await session.flush()
            session.add(
                OrderPartEvent(
                    part_id=row.id,
                    from_state=None,
                    to_state=PartState.PLACED,
                    actor_kind=ActorKind.BUYER,
                    actor_user_id=buyer.id,
                )
            )
            items.extend((row.id, line.listing, line.quantity) for line in part.lines)
        await stock.reserve(session, order_id=order.id, items=items, expires_at=expires)
        cart.lines.clear()
        await session.flush()
    from app.orders import scheduling

    scheduling.schedule_expiry(session, order.id, expires - now)
    return order
