"""Quote rules: who may do what, the state machine, the offer, the thread, and acceptance into
the buyer's cart at the agreed price. No HTTP here; pages and the API share these functions.

States and the only transitions (each recorded in ``quote_events`` with side, user and time):

    requested -> offered (seller) | declined (seller) | withdrawn (buyer)
    offered   -> offered (seller re-offers) | accepted (buyer, offer still valid)
                 | declined (either side) | expired (job, validity passed) | withdrawn (buyer)
    expired   -> offered (seller re-offers) | declined (either side) | withdrawn (buyer)
    accepted, declined, withdrawn: final
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.config import Settings
from app.db import utcnow
from app.errors import FormErrors
from app.i18n import gettext as _
from app.inputs import form_int
from app.jobs import enqueue
from app.listings.models import Listing, ListingStatus
from app.money import MAX_AMOUNT, InvalidAmount, to_minor
from app.orders import cart as cart_service
from app.orders import repository as orders_repository
from app.orders.schemas import MAX_QUANTITY
from app.procurement.quotes import repository
from app.procurement.quotes.errors import OfferExpired, QuoteNotFound, QuoteStepNotAllowed
from app.procurement.quotes.models import (
    Quote,
    QuoteAttachment,
    QuoteEvent,
    QuoteMessage,
    QuoteSide,
    QuoteState,
)
from app.reference.models import District
from app.sellers import uploads
from app.sellers.models import Seller, SellerStatus
from app.storage import Storage

INDIA = ZoneInfo("Asia/Kolkata")
MAX_SPECIFICATIONS = 4000
MAX_MESSAGE = 4000
MAX_ATTACHMENTS = 3
MAX_LEAD_TIME_DAYS = 365
MAX_VALIDITY_DAYS = 180
MAX_WANTED_BY_DAYS = 730
EMAIL_JOB = "quotes.email"
EXPIRE_JOB = "quotes.expire_offer"

S = QuoteState
# Who may move a quote from which state to which; the system only expires offers.
STEPS: dict[QuoteSide, dict[QuoteState, frozenset[QuoteState]]] = {
    QuoteSide.SELLER: {
        S.REQUESTED: frozenset({S.OFFERED, S.DECLINED}),
        S.OFFERED: frozenset({S.OFFERED, S.DECLINED}),
        S.EXPIRED: frozenset({S.OFFERED, S.DECLINED}),
    },
    QuoteSide.BUYER: {
        S.REQUESTED: frozenset({S.WITHDRAWN}),
        S.OFFERED: frozenset({S.ACCEPTED, S.DECLINED, S.WITHDRAWN}),
        S.EXPIRED: frozenset({S.DECLINED, S.WITHDRAWN}),
    },
    QuoteSide.SYSTEM: {S.OFFERED: frozenset({S.EXPIRED})},
}
TRANSITIONS: dict[QuoteState, frozenset[QuoteState]] = {
    state: frozenset().union(*(steps.get(state, frozenset()) for steps in STEPS.values()))
    for state in QuoteState
}


def today_in_india(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(INDIA).date()


def offer_is_valid(quote: Quote, today: date | None = None) -> bool:
    return quote.valid_until is not None and quote.valid_until >= (today or today_in_india())


def state_labels() -> dict[QuoteState, str]:
    return {
        S.REQUESTED: _("Waiting for the seller's offer"),
        S.OFFERED: _("Offer made"),
        S.ACCEPTED: _("Accepted"),
        S.DECLINED: _("Declined"),
        S.EXPIRED: _("Offer expired"),
        S.WITHDRAWN: _("Withdrawn"),
    }


def allowed(quote: Quote, side: QuoteSide, to: QuoteState) -> bool:
    return to in STEPS[side].get(quote.state, frozenset())


# Asking for a quote -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestInput:
    quantity: int
    specifications: str
    country: str
    district_id: int | None
    wanted_by: date


def parse_date(text: str | None) -> date | None:
    value = (text or "").strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


async def quotable_listing(session: AsyncSession, listing_id: int) -> Listing:
    """A public listing (published, by a verified seller); anything else is a 404."""
    listing = await repository.listing(session, listing_id)
    if (
        listing is None
        or listing.status != ListingStatus.PUBLISHED
        or listing.seller.status != SellerStatus.VERIFIED
    ):
        raise QuoteNotFound(_("That product is not available."))
    return listing


async def parse_request(
    session: AsyncSession, listing: Listing, values: dict[str, str]
) -> RequestInput:
    """Check the request form (or API body, as strings); every problem is a field error."""
    errors: dict[str, str] = {}
    quantity = form_int(values.get("quantity"), low=1, high=MAX_QUANTITY)
    if quantity is None:
        errors["quantity"] = _(
            "Enter the quantity as a whole number up to %(max)s.", max=MAX_QUANTITY
        )
    elif quantity < listing.moq:
        errors["quantity"] = _("The minimum order is %(moq)s.", moq=listing.moq)
    specifications = (values.get("specifications") or "").strip()
    if len(specifications) > MAX_SPECIFICATIONS:
        errors["specifications"] = _(
            "Keep the specifications under %(n)s characters.", n=MAX_SPECIFICATIONS
        )
    country = (values.get("country") or "IN").strip().upper() or "IN"
    district_id: int | None = None
    if country == "IN":
        state_id = form_int(values.get("state_id"), low=1)
        district_id = form_int(values.get("district_id"), low=1)
        district = await repository.district(session, district_id) if district_id else None
        if district is None or (state_id is not None and district.state_id != state_id):
            errors["district_id"] = _("Choose the district to deliver to.")
            district_id = None
    elif country not in await orders_repository.zone_countries(session):
        errors["country"] = _("We cannot deliver to that country yet.")
    today = today_in_india()
    wanted_by = parse_date(values.get("wanted_by"))
    if wanted_by is None:
        errors["wanted_by"] = _("Enter the date as year-month-day, for example 2027-03-31.")
    elif wanted_by <= today:
        errors["wanted_by"] = _("The date must be in the future.")
    elif wanted_by > today + timedelta(days=MAX_WANTED_BY_DAYS):
        errors["wanted_by"] = _("The date must be within two years.")
    if errors:
        raise FormErrors(errors)
    assert quantity is not None and wanted_by is not None
    return RequestInput(quantity, specifications, country, district_id, wanted_by)


async def request_quote(
    session: AsyncSession, buyer: User, listing_id: int, values: dict[str, str]
) -> Quote:
    listing = await quotable_listing(session, listing_id)
    if listing.seller.owner_user_id == buyer.id:
        raise QuoteStepNotAllowed(_("This is your own listing."))
    data = await parse_request(session, listing, values)
    if await repository.open_quote_of(session, buyer.id, listing.id) is not None:
        raise FormErrors(
            {"form": _("You already have an open quote for this product. Continue it instead.")}
        )
    quote = Quote(
        buyer_user_id=buyer.id,
        listing_id=listing.id,
        seller_id=listing.seller_id,
        state=S.REQUESTED,
        quantity=data.quantity,
        specifications=data.specifications,
        delivery_country=data.country,
        delivery_district_id=data.district_id,
        wanted_by=data.wanted_by,
    )
    session.add(quote)
    await session.flush()
    event = _record(session, quote, None, S.REQUESTED, QuoteSide.BUYER, buyer.id)
    await session.flush()
    _email(session, "event", event.id)
    return quote


# Who is asking ------------------------------------------------------------------------------------


async def side_of(session: AsyncSession, user: User, quote: Quote) -> QuoteSide:
    """The caller's side of the quote; anyone else (administrators too) gets a 404."""
    if quote.buyer_user_id == user.id:
        return QuoteSide.BUYER
    seller = await repository.seller_of_user(session, user.id)
    if seller is not None and seller.id == quote.seller_id:
        return QuoteSide.SELLER
    raise QuoteNotFound()


async def _party(
    session: AsyncSession, user: User, quote_id: int, *, lock: bool = False
) -> tuple[Quote, QuoteSide]:
    quote = await repository.quote(session, quote_id, lock=lock)
    if quote is None:
        raise QuoteNotFound()
    return quote, await side_of(session, user, quote)


# Transitions --------------------------------------------------------------------------------------


def _record(
    session: AsyncSession,
    quote: Quote,
    from_state: QuoteState | None,
    to_state: QuoteState,
    side: QuoteSide,
    user_id: int | None,
    note: str = "",
) -> QuoteEvent:
    event = QuoteEvent(
        quote_id=quote.id,
        from_state=from_state,
        to_state=to_state,
        side=side,
        actor_user_id=user_id,
        note=note,
    )
    if to_state == S.OFFERED:
        event.unit_price_paise = quote.unit_price_paise
        event.lead_time_days = quote.lead_time_days
        event.valid_until = quote.valid_until
    session.add(event)
    return event


async def _move(
    session: AsyncSession,
    quote: Quote,
    to: QuoteState,
    side: QuoteSide,
    user_id: int | None,
    note: str = "",
) -> QuoteEvent:
    if not allowed(quote, side, to):
        raise QuoteStepNotAllowed()
    from_state = quote.state
    quote.state = to
    quote.updated_at = utcnow()
    event = _record(session, quote, from_state, to, side, user_id, note)
    await session.flush()
    _email(session, "event", event.id)
    return event


@dataclass(frozen=True)
class OfferInput:
    unit_price_paise: int
    lead_time_days: int
    valid_until: date


def parse_offer(values: dict[str, str]) -> OfferInput:
    """The offer form: a price in rupees (GST included), days, a date."""
    errors: dict[str, str] = {}
    price: int | None = None
    try:
        price = to_minor(values.get("unit_price") or "")
    except InvalidAmount:
        errors["unit_price"] = _("Enter the price per unit in rupees, for example 950 or 950.50.")
    lead = form_int(values.get("lead_time_days"), low=0, high=MAX_LEAD_TIME_DAYS)
    valid_until = parse_date(values.get("valid_until"))
    try:
        data = check_offer(price or 0, lead, valid_until)
    except FormErrors as exc:
        errors = {**exc.errors, **errors}
    if errors:
        raise FormErrors(errors)
    return data


def check_offer(
    unit_price_paise: int, lead_time_days: int | None, valid_until: date | None
) -> OfferInput:
    errors: dict[str, str] = {}
    if not 1 <= unit_price_paise <= int(MAX_AMOUNT) * 100:
        errors["unit_price"] = _("Enter a price above zero.")
    if lead_time_days is None or not 0 <= lead_time_days <= MAX_LEAD_TIME_DAYS:
        errors["lead_time_days"] = _(
            "Enter the days until dispatch, from 0 to %(max)s.", max=MAX_LEAD_TIME_DAYS
        )
    today = today_in_india()
    if valid_until is None:
        errors["valid_until"] = _("Enter the date as year-month-day, for example 2027-03-31.")
    elif valid_until < today:
        errors["valid_until"] = _("The offer cannot end in the past.")
    elif valid_until > today + timedelta(days=MAX_VALIDITY_DAYS):
        errors["valid_until"] = _(
            "An offer can be valid for %(n)s days at most.", n=MAX_VALIDITY_DAYS
        )
    if errors:
        raise FormErrors(errors)
    assert lead_time_days is not None and valid_until is not None
    return OfferInput(unit_price_paise, lead_time_days, valid_until)


async def make_offer(
    session: AsyncSession, user: User, quote_id: int, offer: OfferInput, note: str = ""
) -> Quote:
    """The seller's offer, or a new one replacing it (while the quote is not accepted)."""
    quote, side = await _party(session, user, quote_id, lock=True)
    if not allowed(quote, side, S.OFFERED):
        raise QuoteStepNotAllowed()
    listing = await repository.listing(session, quote.listing_id)
    if listing is not None and not listing.made_to_order and quote.quantity > listing.stock:
        raise FormErrors(
            {
                "unit_price": _(
                    "You have %(stock)s in stock but the buyer asks for %(quantity)s. Raise the "
                    "listing's stock (or make it made to order) before you offer.",
                    stock=listing.stock,
                    quantity=quote.quantity,
                )
            }
        )
    quote.unit_price_paise = offer.unit_price_paise
    quote.lead_time_days = offer.lead_time_days
    quote.valid_until = offer.valid_until
    quote.offers_made += 1
    await _move(session, quote, S.OFFERED, side, user.id, note[:MAX_MESSAGE])
    end_of_validity = datetime.combine(offer.valid_until + timedelta(days=1), time(), INDIA)
    enqueue(
        session,
        EXPIRE_JOB,
        {"quote_id": quote.id, "offer": quote.offers_made},
        delay=max(timedelta(), end_of_validity.astimezone(UTC) - utcnow()),
    )
    return quote


async def accept(session: AsyncSession, user: User, quote_id: int) -> Quote:
    """The buyer accepts a valid offer: the quoted quantity at the quoted unit price goes into
    the buyer's cart as an agreed line, and the buyer checks out as usual."""
    quote, side = await _party(session, user, quote_id, lock=True)
    if quote.state == S.OFFERED and not offer_is_valid(quote):
        raise OfferExpired()
    if not allowed(quote, side, S.ACCEPTED):
        raise QuoteStepNotAllowed()
    assert quote.unit_price_paise is not None
    cart, _token = await cart_service.open_cart(session, user_id=user.id, token=None)
    try:
        await cart_service.add_agreed(
            session, cart, quote.listing_id, quote.quantity, quote.unit_price_paise, quote.reference
        )
    except FormErrors as exc:
        raise QuoteStepNotAllowed(
            _("The quote cannot go into your cart: %(problem)s", problem=exc.message)
        ) from None
    quote.accepted_at = utcnow()
    await _move(session, quote, S.ACCEPTED, side, user.id)
    return quote


async def decline(session: AsyncSession, user: User, quote_id: int, reason: str = "") -> Quote:
    quote, side = await _party(session, user, quote_id, lock=True)
    await _move(session, quote, S.DECLINED, side, user.id, reason.strip()[:MAX_MESSAGE])
    return quote


async def withdraw(session: AsyncSession, user: User, quote_id: int) -> Quote:
    quote, side = await _party(session, user, quote_id, lock=True)
    await _move(session, quote, S.WITHDRAWN, side, user.id)
    return quote


async def expire(session: AsyncSession, quote_id: int, offer: int | None = None) -> bool:
    """Expire an offer whose last valid day has passed; idempotent. ``offer`` is the number of
    the offer the job was scheduled for: a re-offer since then has its own job."""
    quote = await repository.quote(session, quote_id, lock=True)
    if quote is None or quote.state != S.OFFERED or offer_is_valid(quote):
        return False
    if offer is not None and offer != quote.offers_made:
        return False
    await _move(session, quote, S.EXPIRED, QuoteSide.SYSTEM, None)
    return True


async def expire_due(session: AsyncSession) -> int:
    """Expire every offer past its validity (a sweep, besides each offer's own job)."""
    count = 0
    for quote_id in await repository.offers_due_to_expire(session, today_in_india()):
        count += await expire(session, quote_id)
    return count


# Messages -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def _safe_filename(name: str, extension: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name.rsplit(".", 1)[0]).strip("-.")[:80] or "file"
    return f"{stem}.{extension}"


async def post_message(
    session: AsyncSession,
    settings: Settings,
    storage: Storage,
    user: User,
    quote_id: int,
    body: str,
    files: Sequence[Upload] = (),
) -> QuoteMessage:
    """A message in the thread, with up to three PDF, JPEG or PNG files (checked, images
    re-encoded without metadata, as sellers' documents are), emailed to the other side."""
    quote, side = await _party(session, user, quote_id)
    text = body.strip()
    files = [f for f in files if f.data or f.filename]
    errors: dict[str, str] = {}
    if not text and not files:
        errors["body"] = _("Write a message or attach a file.")
    elif len(text) > MAX_MESSAGE:
        errors["body"] = _("Keep the message under %(n)s characters.", n=MAX_MESSAGE)
    if len(files) > MAX_ATTACHMENTS:
        errors["files"] = _("Attach at most %(n)s files to one message.", n=MAX_ATTACHMENTS)
    checked: list[tuple[Upload, uploads.CheckedFile]] = []
    if "files" not in errors:
        for upload in files:
            try:
                checked.append((upload, uploads.check_document(settings, upload.data)))
            except uploads.BadUpload as exc:
                errors["files"] = exc.message
                break
    if errors:
        raise FormErrors(errors)
    message = QuoteMessage(quote_id=quote.id, side=side, author_user_id=user.id, body=text)
    message.attachments = []
    for upload, file in checked:
        key = uploads.new_key(f"quotes/{quote.id}", file.extension)
        uploads.save_with_transaction(session, storage, key, file.data)
        message.attachments.append(
            QuoteAttachment(
                storage_key=key,
                filename=_safe_filename(upload.filename, file.extension),
                content_type=file.content_type,
                size_bytes=len(file.data),
            )
        )
    session.add(message)
    quote.updated_at = utcnow()
    await session.flush()
    _email(session, "message", message.id)
    return message


async def attachment(
    session: AsyncSession, user: User, quote_id: int, attachment_id: int
) -> QuoteAttachment:
    quote, _side = await _party(session, user, quote_id)
    found = await repository.attachment(session, quote.id, attachment_id)
    if found is None:
        raise QuoteNotFound()
    return found


def _email(session: AsyncSession, kind: str, row_id: int) -> None:
    enqueue(session, EMAIL_JOB, {"kind": kind, "id": row_id})


# Reading ------------------------------------------------------------------------------------------


@dataclass
class Thread:
    quote: Quote
    side: QuoteSide
    listing: Listing
    seller: Seller
    district: District | None
    events: list[QuoteEvent] = field(default_factory=list)
    messages: list[QuoteMessage] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)  # the buyer's orders at the agreed price

    @property
    def offer_valid(self) -> bool:
        return offer_is_valid(self.quote)

    def can(self, to: QuoteState) -> bool:
        if to == S.ACCEPTED and not self.offer_valid:
            return False
        return allowed(self.quote, self.side, to)


async def thread(session: AsyncSession, user: User, quote_id: int) -> Thread:
    quote, side = await _party(session, user, quote_id)
    listing = await repository.listing(session, quote.listing_id)
    seller = await repository.seller(session, quote.seller_id)
    assert listing is not None and seller is not None
    district = (
        await repository.district(session, quote.delivery_district_id)
        if quote.delivery_district_id
        else None
    )
    result = Thread(quote, side, listing, seller, district)
    result.events = await repository.events(session, quote.id)
    result.messages = await repository.messages(session, quote.id)
    if quote.state == S.ACCEPTED and side == QuoteSide.BUYER:
        result.orders = await repository.orders_with_agreement(session, user.id, quote.reference)
    return result


@dataclass
class Summary:
    quote: Quote
    listing: Listing | None
    seller: Seller | None
    district: District | None


async def summaries(session: AsyncSession, quotes: Sequence[Quote]) -> list[Summary]:
    listings = await repository.listings(session, [q.listing_id for q in quotes])
    sellers = await repository.sellers(session, [q.seller_id for q in quotes])
    districts = await repository.districts(
        session, [q.delivery_district_id for q in quotes if q.delivery_district_id]
    )
    return [
        Summary(
            q,
            listings.get(q.listing_id),
            sellers.get(q.seller_id),
            districts.get(q.delivery_district_id) if q.delivery_district_id else None,
        )
        for q in quotes
    ]


async def buyer_quotes(session: AsyncSession, user: User) -> list[Summary]:
    return await summaries(session, await repository.quotes_of_buyer(session, user.id))


async def seller_quotes(
    session: AsyncSession, seller: Seller, states: Sequence[QuoteState] | None = None
) -> list[Summary]:
    return await summaries(session, await repository.quotes_of_seller(session, seller.id, states))
