"""The cart: one per account, or per anonymous visitor (a random token in a cookie), merged into
the account's cart when the visitor signs in. Quantities respect MOQ, stock and price tiers; a
line whose listing became unavailable or changed price is flagged, never silently changed."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.errors import FormErrors, NotFound
from app.i18n import gettext as _
from app.listings.models import Listing
from app.orders import repository
from app.orders.models import Cart, CartLine
from app.orders.pricing import PricedLine, PricedPart, price_parts
from app.orders.schemas import MAX_QUANTITY

MAX_LINES = 100


def _agreed_quantity_fixed() -> str:
    return _(
        "This item is in your cart at an agreed price for an agreed quantity. Remove it first "
        "to buy it at the listed price."
    )


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def find(session: AsyncSession, *, user_id: int | None, token: str | None) -> Cart | None:
    if user_id is not None:
        return await repository.cart_of_user(session, user_id)
    if token:
        return await repository.cart_by_token_hash(session, hash_token(token))
    return None


async def open_cart(
    session: AsyncSession, *, user_id: int | None, token: str | None
) -> tuple[Cart, str | None]:
    """The caller's cart, created if needed; the second value is a new anonymous token to set."""
    cart = await find(session, user_id=user_id, token=token)
    if cart is not None:
        return cart, None
    fresh = None
    if user_id is None:
        fresh = new_token()
        cart = Cart(token_hash=hash_token(fresh))
    else:
        cart = Cart(user_id=user_id)
    cart.lines = []
    session.add(cart)
    await session.flush()
    return cart, fresh


async def merge_anonymous(session: AsyncSession, user_id: int, token: str) -> bool:
    """Move an anonymous cart's lines into the account's cart (quantities add up, within stock
    and the limits). Returns whether there was an anonymous cart."""
    anonymous = await repository.cart_by_token_hash(session, hash_token(token))
    if anonymous is None:
        return False
    cart, _token = await open_cart(session, user_id=user_id, token=None)
    by_listing = {line.listing_id: line for line in cart.lines}
    for line in anonymous.lines:
        mine = by_listing.get(line.listing_id)
        if mine is not None and mine.is_agreed:
            continue  # the account's line holds an agreed quantity at an agreed price
        if mine is None:
            cart.lines.append(
                CartLine(
                    listing_id=line.listing_id,
                    quantity=line.quantity,
                    seen_unit_price_paise=line.seen_unit_price_paise,
                )
            )
        else:
            mine.quantity = min(MAX_QUANTITY, mine.quantity + line.quantity)
    await session.delete(anonymous)
    await session.flush()
    return True


def _check_quantity(listing: Listing, quantity: int) -> None:
    if quantity < listing.moq:
        raise FormErrors({"quantity": _("The minimum order is %(moq)s.", moq=listing.moq)})
    if quantity > MAX_QUANTITY:
        raise FormErrors({"quantity": _("That quantity is too large.")})
    if not listing.made_to_order and quantity > listing.stock:
        raise FormErrors({"quantity": _("Only %(stock)s left in stock.", stock=listing.stock)})


async def _buyable(session: AsyncSession, listing_id: int) -> Listing:
    listing = (await repository.sellable_listings(session, [listing_id])).get(listing_id)
    if listing is None or not repository.is_buyable(listing):
        raise NotFound(_("That product is not available."))
    return listing


async def add(session: AsyncSession, cart: Cart, listing_id: int, quantity: int | None) -> CartLine:
    """Add units (the MOQ when no quantity is given) of a listing; adds to an existing line."""
    listing = await _buyable(session, listing_id)
    line = next((x for x in cart.lines if x.listing_id == listing_id), None)
    if line is not None and line.is_agreed:
        raise FormErrors({"quantity": _agreed_quantity_fixed()})
    wanted = (quantity if quantity is not None else listing.moq) + (line.quantity if line else 0)
    _check_quantity(listing, wanted)
    price = _current_unit_price(listing, wanted)
    if line is None:
        if len(cart.lines) >= MAX_LINES:
            raise FormErrors({"quantity": _("Your cart is full.")})
        line = CartLine(listing_id=listing_id, quantity=wanted, seen_unit_price_paise=price)
        cart.lines.append(line)
    else:
        line.quantity = wanted
        line.seen_unit_price_paise = price
    cart.updated_at = utcnow()
    await session.flush()
    return line


async def set_quantity(session: AsyncSession, cart: Cart, listing_id: int, quantity: int) -> None:
    """Set a line's quantity (0 removes it; a listing not yet in the cart is added)."""
    line = next((x for x in cart.lines if x.listing_id == listing_id), None)
    if quantity <= 0:
        if line is not None:
            cart.lines.remove(line)
            await session.flush()
        return
    if line is not None and line.is_agreed:
        if quantity == line.quantity:
            return
        raise FormErrors({"quantity": _agreed_quantity_fixed()})
    listing = await _buyable(session, listing_id)
    _check_quantity(listing, quantity)
    if line is None:
        if len(cart.lines) >= MAX_LINES:
            raise FormErrors({"quantity": _("Your cart is full.")})
        line = CartLine(listing_id=listing_id, quantity=quantity, seen_unit_price_paise=0)
        cart.lines.append(line)
    line.quantity = quantity
    line.seen_unit_price_paise = _current_unit_price(listing, quantity)
    await session.flush()


async def add_agreed(
    session: AsyncSession,
    cart: Cart,
    listing_id: int,
    quantity: int,
    unit_price_paise: int,
    agreement: str,
) -> CartLine:
    """Put an agreed quantity at an agreed GST-inclusive unit price in the cart (for example an
    accepted quote), replacing any line of the same listing. The caller vouches for the price;
    no form or API body reaches this function."""
    listing = await _buyable(session, listing_id)
    _check_quantity(listing, quantity)
    line = next((x for x in cart.lines if x.listing_id == listing_id), None)
    if line is None:
        if len(cart.lines) >= MAX_LINES:
            raise FormErrors({"quantity": _("Your cart is full.")})
        line = CartLine(listing_id=listing_id, quantity=quantity, seen_unit_price_paise=0)
        cart.lines.append(line)
    line.quantity = quantity
    line.seen_unit_price_paise = unit_price_paise
    line.agreed_unit_price_paise = unit_price_paise
    line.agreement = agreement[:80]
    cart.updated_at = utcnow()
    await session.flush()
    return line


def agreed_prices(cart: Cart) -> dict[int, int]:
    """Listing id -> agreed unit price of the cart's agreed lines."""
    return {
        line.listing_id: line.agreed_unit_price_paise
        for line in cart.lines
        if line.agreed_unit_price_paise is not None
    }


async def remove(session: AsyncSession, cart: Cart, listing_id: int) -> None:
    line = next((x for x in cart.lines if x.listing_id == listing_id), None)
    if line is not None:
        cart.lines.remove(line)
        await session.flush()


def _current_unit_price(listing: Listing, quantity: int) -> int:
    from app.orders.pricing import unit_price

    return unit_price(listing.price_paise, listing.price_tiers, quantity)


# The cart as the buyer sees it -------------------------------------------------------------------


@dataclass
class LineView:
    line: CartLine
    listing: Listing
    priced: PricedLine | None  # None when the listing can no longer be bought
    unavailable: bool = False
    price_changed: bool = False
    problem: str = ""  # a quantity problem (below the MOQ, above the stock)

    @property
    def needs_review(self) -> bool:
        return self.unavailable or self.price_changed or bool(self.problem)


@dataclass
class CartView:
    cart: Cart | None
    lines: list[LineView] = field(default_factory=list)
    parts: list[PricedPart] = field(default_factory=list)

    @property
    def needs_review(self) -> bool:
        return any(line.needs_review for line in self.lines)

    @property
    def goods(self) -> int:
        return sum(part.goods for part in self.parts)

    @property
    def shipping(self) -> int:
        return sum(part.shipping for part in self.parts)

    @property
    def total(self) -> int:
        return sum(part.total for part in self.parts)

    @property
    def saving(self) -> int:
        return sum(part.saving for part in self.parts)

    @property
    def count(self) -> int:
        return sum(line.line.quantity for line in self.lines)

    def lines_of(self, seller_id: int) -> list[LineView]:
        return [x for x in self.lines if x.listing.seller_id == seller_id]


async def view(session: AsyncSession, cart: Cart | None) -> CartView:
    """Price the cart as it stands and flag every line that changed since the buyer saw it."""
    result = CartView(cart)
    if cart is None or not cart.lines:
        return result
    listings = await repository.sellable_listings(session, [x.listing_id for x in cart.lines])
    rates = await repository.gst_rates(session, utcnow().date())
    shipping = await repository.shipping_terms(
        session, list({x.seller_id for x in listings.values()})
    )
    items: list[tuple[Listing, int]] = []
    for line in cart.lines:
        listing = listings[line.listing_id]
        entry = LineView(line, listing, None)
        result.lines.append(entry)
        if not repository.is_buyable(listing) or not listing.in_stock:
            entry.unavailable = True
            continue
        try:
            _check_quantity(listing, line.quantity)
        except FormErrors as exc:
            entry.problem = exc.errors["quantity"]
        items.append((listing, line.quantity))
    result.parts = price_parts(items, rates, shipping, None, agreed_prices=agreed_prices(cart))
    priced = {p.listing.id: p for part in result.parts for p in part.lines}
    for entry in result.lines:
        entry.priced = priced.get(entry.listing.id)
        if entry.priced is not None:
            entry.price_changed = entry.priced.unit_price != entry.line.seen_unit_price_paise
    return result


async def acknowledge(session: AsyncSession, cart: Cart) -> None:
    """The buyer has seen the current prices: record them and drop unavailable lines."""
    current = await view(session, cart)
    for entry in current.lines:
        if entry.unavailable:
            cart.lines.remove(entry.line)
        elif entry.priced is not None:
            entry.line.seen_unit_price_paise = entry.priced.unit_price
    await session.flush()
