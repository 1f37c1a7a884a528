"""Sellers' own listings: validation, create/edit/duplicate/publish/unpublish/delete, photos,
CSV import and export. Every change emits ``listings.events.listing_changed``.

Forms, CSV rows and the JSON API all arrive as text fields and go through ``parse``, so the
three agree on what a valid listing is.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import insert_with_unique_slug, utcnow
from app.errors import Conflict, FormErrors, NotFound
from app.i18n import gettext as _
from app.inputs import form_int
from app.listings import events
from app.listings import repository as repo
from app.listings.models import UNITS, Listing, ListingImage, ListingStatus, PriceTier
from app.listings.schemas import CSV_COLUMNS, as_text
from app.money import InvalidAmount, rupees_to_paise
from app.sellers import events as seller_events
from app.sellers import uploads
from app.sellers.models import Seller, SellerStatus
from app.storage import Storage
from app.text import slugify

GST_RATES = ("0", "5", "12", "18", "28")
MAX_TIERS = 3
MAX_QUANTITY = 10_000_000  # a tier from more pieces than any stock is a typo
MAX_CSV_ROWS = 1000
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass
class ListingData:
    title: str
    description: str
    price_paise: int
    title_hi: str | None = None
    description_hi: str | None = None
    category_id: int | None = None
    odop_product_id: int | None = None
    gi_tag_id: int | None = None
    member_id: int | None = None
    moq: int = 1
    unit: str = "piece"
    stock: int = 0
    made_to_order: bool = False
    lead_time_days: int = 3
    sku: str | None = None
    hsn_code: str | None = None
    gst_rate_bp: int = 0
    weight_grams: int | None = None
    dimensions_mm: str | None = None
    export_ready: bool = False
    hs_code: str | None = None
    ships_to: list[str] = field(default_factory=list)
    tiers: list[tuple[int, int]] = field(default_factory=list)  # (min quantity, paise)


def _paise(text: str) -> int | None:
    try:
        return rupees_to_paise(text)
    except InvalidAmount:
        return None


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on", "y"}


def _int(
    values: Mapping[str, str], name: str, errors: dict[str, str], *, low: int, high: int
) -> int | None:
    text = values.get(name, "").strip()
    if not text:
        return None
    number = form_int(text, low=low, high=high)
    if number is None:
        errors[name] = _("Enter a whole number from %(low)s to %(high)s.", low=low, high=high)
    return number


def parse(values: Mapping[str, str]) -> ListingData:
    """Text fields (form, CSV row or API) to ``ListingData``; raises ``FormErrors``."""
    errors: dict[str, str] = {}
    title = " ".join(values.get("title", "").split())
    if not 3 <= len(title) <= 200:
        errors["title"] = _("Give the product a title of 3 to 200 characters.")
    title_hi = " ".join(values.get("title_hi", "").split()) or None
    if title_hi and len(title_hi) > 200:
        errors["title_hi"] = _("Use at most 200 characters.")
    description = values.get("description", "").strip()
    if len(description) > 5000:
        errors["description"] = _("Use at most 5000 characters.")
    description_hi = values.get("description_hi", "").strip() or None
    if description_hi and len(description_hi) > 5000:
        errors["description_hi"] = _("Use at most 5000 characters.")
    price = _paise(values.get("price_inr", ""))
    if price is None or not 100 <= price <= 10**10:
        errors["price_inr"] = _("Enter the price in rupees, for example 1250 or 1250.50.")
    moq = _int(values, "moq", errors, low=1, high=100_000) or 1
    stock = _int(values, "stock", errors, low=0, high=10_000_000) or 0
    unit = values.get("unit", "").strip().lower() or "piece"
    if unit not in UNITS:
        errors["unit"] = _("Choose a unit from the list.")
    lead = _int(values, "lead_time_days", errors, low=0, high=365)
    weight = _int(values, "weight_grams", errors, low=1, high=1_000_000)
    sku = values.get("sku", "").strip() or None
    if sku and not re.fullmatch(r"[A-Za-z0-9._/-]{1,64}", sku):
        errors["sku"] = _("A SKU has up to 64 letters, digits, dots, dashes or slashes.")
    hsn = values.get("hsn_code", "").strip() or None
    if hsn and not re.fullmatch(r"[0-9]{4}(?:[0-9]{2}){0,2}", hsn):
        errors["hsn_code"] = _("An HSN code has 4, 6 or 8 digits.")
    gst = values.get("gst_rate", "0").strip() or "0"
    if gst not in GST_RATES:
        errors["gst_rate"] = _("Choose a GST rate: 0, 5, 12, 18 or 28 %.")
    dimensions = values.get("dimensions_mm", "").replace(" ", "").lower() or None
    if dimensions and not re.fullmatch(r"[0-9]{1,5}x[0-9]{1,5}x[0-9]{1,5}", dimensions):
        errors["dimensions_mm"] = _("Write dimensions in millimetres as length x width x height.")
    export_ready = _truthy(values.get("export_ready", ""))
    hs_code = values.get("hs_code", "").strip() or None
    if hs_code and not re.fullmatch(r"[0-9]{6,10}", hs_code):
        errors["hs_code"] = _("An HS code has 6 to 10 digits.")
    ships_to = sorted(
        {c.strip().upper() for c in re.split(r"[,\s]+", values.get("ships_to", "")) if c.strip()}
    )
    if any(not _COUNTRY.fullmatch(code) for code in ships_to):
        errors["ships_to"] = _("List countries as two-letter codes separated by commas (US, GB).")
    if export_ready and not hs_code:
        errors["hs_code"] = _("Export-ready listings need an HS code.")
    tiers = _parse_tiers(values.get("price_tiers", ""), moq, price, errors)
    ids: dict[str, int | None] = {}
    for name in ("category_id", "odop_product_id", "gi_tag_id", "member_id"):
        text = values.get(name, "").strip()
        ids[name] = form_int(text, low=1)
        if text and ids[name] is None:
            errors[name] = _("Choose from the list.")
    if errors:
        raise FormErrors(errors)
    assert price is not None
    return ListingData(
        title=title,
        title_hi=title_hi,
        description=description,
        description_hi=description_hi,
        price_paise=price,
        moq=moq,
        unit=unit,
        stock=stock,
        made_to_order=_truthy(values.get("made_to_order", "")),
        lead_time_days=3 if lead is None else lead,
        sku=sku,
        hsn_code=hsn,
        gst_rate_bp=int(gst) * 100,
        weight_grams=weight,
        dimensions_mm=dimensions,
        export_ready=export_ready,
        hs_code=hs_code,
        ships_to=ships_to,
        tiers=tiers,
        **ids,
    )


def _parse_tiers(
    text: str, moq: int, price: int | None, errors: dict[str, str]
) -> list[tuple[int, int]]:
    """``"10:1100, 50:1000"``: from 10 pieces ₹1100 each, from 50 ₹1000 each."""
    tiers: list[tuple[int, int]] = []
    for part in [p for p in re.split(r"[,;\n]+", text) if p.strip()]:
        quantity, _sep, amount = part.partition(":")
        paise = _paise(amount)
        count = form_int(quantity, low=1, high=MAX_QUANTITY)
        if count is None or paise is None:
            errors["price_tiers"] = _(
                "Write quantity prices as quantity:price, separated by commas (10:1100, 50:1000)."
            )
            return []
        tiers.append((count, paise))
    tiers.sort()
    quantities = [q for q, _p in tiers]
    if len(set(quantities)) != len(quantities) or len(tiers) > MAX_TIERS * 2:
        errors["price_tiers"] = _("Each quantity may appear once (at most 6 tiers).")
    elif price is not None and any(
        q <= moq or p >= price or (i and p >= tiers[i - 1][1]) for i, (q, p) in enumerate(tiers)
    ):
        errors["price_tiers"] = _(
            "Quantity prices must be for more than the minimum order and cheaper as the "
            "quantity grows."
        )
    return tiers


async def _check_references(session: AsyncSession, seller: Seller, data: ListingData) -> None:
    errors: dict[str, str] = {}
    if data.category_id is not None and not await repo.category_exists(session, data.category_id):
        errors["category_id"] = _("Choose a category from the list.")
    if data.odop_product_id is not None and not await repo.odop_product_in_district(
        session, data.odop_product_id, seller.district_id
    ):
        errors["odop_product_id"] = _("Choose an ODOP product of your district.")
    if data.gi_tag_id is not None and not await repo.has_verified_claim(
        session, seller.id, data.gi_tag_id
    ):
        errors["gi_tag_id"] = _("You can only use a GI tag whose claim has been verified.")
    if data.member_id is not None and not await repo.member_of(session, data.member_id, seller.id):
        errors["member_id"] = _("Choose one of your members.")
    if data.sku and await repo.sku_taken(session, seller.id, data.sku, exclude_id=None):
        errors["sku"] = _("You already have a listing with this SKU.")
    if errors:
        raise FormErrors(errors)


def _apply(listing: Listing, seller: Seller, data: ListingData) -> None:
    for item in fields(ListingData):
        if item.name != "tiers":
            setattr(listing, item.name, getattr(data, item.name))
    listing.state_id = seller.state_id
    listing.district_id = seller.district_id
    # Keep rows whose quantity stays: the unit of work inserts before it deletes, so replacing
    # a tier by an equal quantity would trip the (listing, min_quantity) unique constraint.
    wanted = dict(data.tiers)
    kept = []
    for tier in listing.price_tiers:
        if tier.min_quantity in wanted:
            tier.price_paise = wanted.pop(tier.min_quantity)
            kept.append(tier)
    listing.price_tiers = kept + [
        PriceTier(min_quantity=q, price_paise=p) for q, p in sorted(wanted.items())
    ]


async def _save_with_unique_slug(session: AsyncSession, listing: Listing, seller: Seller) -> None:
    base = slugify(f"{listing.title} {seller.slug}", max_length=200)
    await insert_with_unique_slug(session, listing, base, repo.listing_slug_taken)


async def create(session: AsyncSession, seller: Seller, data: ListingData) -> Listing:
    await _check_references(session, seller, data)
    listing = Listing(seller_id=seller.id, status=ListingStatus.DRAFT, images=[])
    _apply(listing, seller, data)
    await _save_with_unique_slug(session, listing, seller)
    events.listing_changed(session, listing.id)
    return listing


async def update(
    session: AsyncSession, seller: Seller, listing: Listing, data: ListingData
) -> None:
    sku = data.sku
    data.sku = None if sku == listing.sku else sku  # unchanged SKU is not a clash with itself
    try:
        await _check_references(session, seller, data)
    finally:
        data.sku = sku
    _apply(listing, seller, data)
    await session.flush()
    events.listing_changed(session, listing.id)


async def get_owned(session: AsyncSession, seller: Seller, listing_id: int) -> Listing:
    listing = await repo.owned_listing(session, seller.id, listing_id)
    if listing is None:
        raise NotFound()
    return listing


async def duplicate(session: AsyncSession, seller: Seller, listing: Listing) -> Listing:
    copy = Listing(seller_id=seller.id, status=ListingStatus.DRAFT, images=[])
    data = parse(as_text(listing))
    data.title = _("Copy of %(title)s", title=listing.title)[:200]
    data.sku = None
    _apply(copy, seller, data)
    await _save_with_unique_slug(session, copy, seller)
    events.listing_changed(session, copy.id)
    return copy


async def publish(session: AsyncSession, seller: Seller, listing: Listing) -> None:
    if seller.status != SellerStatus.VERIFIED:
        raise Conflict(_("Listings can be published once your seller account is verified."))
    listing.status = ListingStatus.PUBLISHED
    listing.published_at = listing.published_at or utcnow()
    await session.flush()
    events.listing_changed(session, listing.id)


async def unpublish(session: AsyncSession, listing: Listing) -> None:
    listing.status = ListingStatus.UNPUBLISHED
    await session.flush()
    events.listing_changed(session, listing.id)


async def delete(session: AsyncSession, storage: Storage, listing: Listing) -> None:
    for image in listing.images:
        uploads.remove_after_commit(session, storage, image.storage_key)
        uploads.remove_after_commit(session, storage, image.thumb_key)
    listing_id = listing.id
    await session.delete(listing)
    await session.flush()
    events.listing_changed(session, listing_id)


# Photos -------------------------------------------------------------------------------------------


async def add_photos(
    session: AsyncSession,
    settings: Settings,
    storage: Storage,
    listing: Listing,
    photos: Sequence[tuple[str, bytes]],
) -> None:
    if not photos:
        raise FormErrors({"photos": _("Choose a photo to upload.")})
    if len(listing.images) + len(photos) > settings.listing_max_photos:
        raise FormErrors(
            {"photos": _("A listing can have at most %(n)s photos.", n=settings.listing_max_photos)}
        )
    variants = []
    for _name, data in photos:  # check every photo before storing any
        try:
            variants.append(uploads.photo_variants(settings, data))
        except uploads.BadUpload as exc:
            raise FormErrors({"photos": exc.message}) from None
    position = max((image.position for image in listing.images), default=-1)
    for variant in variants:
        position += 1
        full_key = uploads.new_key(f"listings/{listing.id}", "jpg")
        thumb_key = full_key.replace(".jpg", "-thumb.jpg")
        uploads.save_with_transaction(session, storage, full_key, variant.full)
        uploads.save_with_transaction(session, storage, thumb_key, variant.thumb)
        listing.images.append(
            ListingImage(
                position=position,
                storage_key=full_key,
                thumb_key=thumb_key,
                width=variant.width,
                height=variant.height,
                alt=listing.title[:255],
            )
        )
    await session.flush()
    events.listing_changed(session, listing.id)


async def move_photo(session: AsyncSession, listing: Listing, image_id: int, step: int) -> None:
    images = sorted(listing.images, key=lambda image: (image.position, image.id))
    index = next((i for i, image in enumerate(images) if image.id == image_id), None)
    if index is None:
        raise NotFound()
    target = index + step
    if 0 <= target < len(images):
        images[index], images[target] = images[target], images[index]
    for position, image in enumerate(images):
        image.position = position
    await session.flush()
    events.listing_changed(session, listing.id)


async def delete_photo(
    session: AsyncSession, storage: Storage, listing: Listing, image_id: int
) -> None:
    image = next((image for image in listing.images if image.id == image_id), None)
    if image is None:
        raise NotFound()
    listing.images.remove(image)
    await session.flush()
    uploads.remove_after_commit(session, storage, image.storage_key)
    uploads.remove_after_commit(session, storage, image.thumb_key)
    events.listing_changed(session, listing.id)


# CSV ----------------------------------------------------------------------------------------------


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _defuse(value: str) -> str:
    """Spreadsheets run cells that start like a formula; an apostrophe makes them text."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _restore(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_START) else value


def export_csv(listings: Sequence[Listing]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for listing in listings:
        writer.writerow({key: _defuse(value) for key, value in as_text(listing).items()})
    return out.getvalue()


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (row, column, message)


async def import_csv(session: AsyncSession, seller: Seller, raw: bytes) -> ImportResult:
    """Create or update (by SKU) every row, or nothing: any row error saves no row."""
    result = ImportResult()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append((0, "", _("Save the file as CSV in UTF-8.")))
        return result
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("sku", "title", "price_inr") if c not in (reader.fieldnames or [])]
    if missing:
        result.errors.append((1, ", ".join(missing), _("These columns are missing.")))
        return result
    rows: list[tuple[int, ListingData]] = []
    skus: set[str] = set()
    for number, row in enumerate(reader, start=2):
        if number - 1 > MAX_CSV_ROWS:
            result.errors.append((number, "", _("At most 1000 rows per file.")))
            break
        values = {key: _restore(value or "") for key, value in row.items() if key in CSV_COLUMNS}
        try:
            data = parse(values)
        except FormErrors as exc:
            result.errors.extend(
                (number, column, message) for column, message in exc.errors.items()
            )
            continue
        if not data.sku:
            result.errors.append((number, "sku", _("Every row needs a SKU.")))
        elif data.sku in skus:
            result.errors.append((number, "sku", _("This SKU appears twice in the file.")))
        else:
            skus.add(data.sku)
            rows.append((number, data))
    if result.errors:
        return result
    existing = {
        listing.sku: listing for listing in await repo.listings_by_sku(session, seller.id, skus)
    }
    savepoint = await session.begin_nested()
    for number, data in rows:
        listing = existing.get(data.sku)
        try:
            if listing is None:
                await create(session, seller, data)
                result.created += 1
            else:
                await update(session, seller, listing, data)
                result.updated += 1
        except FormErrors as exc:
            result.errors.extend((number, column, msg) for column, msg in exc.errors.items())
    if result.errors:
        await savepoint.rollback()
        result.created = result.updated = 0
    else:
        await savepoint.commit()
    return result


def as_dict(listing: Listing) -> dict[str, Any]:
    """A listing as the JSON API shows it."""
    return {
        "id": listing.id,
        "slug": listing.slug,
        "status": listing.status.value,
        **as_text(listing),
        "price_paise": listing.price_paise,
        "images": [
            {"url": f"/media/{i.storage_key}", "thumb_url": f"/media/{i.thumb_key}"}
            for i in listing.images
        ],
    }


def status_labels() -> dict[str, str]:
    return {
        ListingStatus.DRAFT: _("Draft"),
        ListingStatus.PUBLISHED: _("Published"),
        ListingStatus.UNPUBLISHED: _("Unpublished"),
    }


# What a seller change does to the seller's listings, in the same transaction -------------------


@seller_events.on_seller_moved
async def _follow_seller(session: AsyncSession, seller: Seller) -> None:
    moved = await repo.move_listings(session, seller.id, seller.state_id, seller.district_id)
    for listing_id in moved:
        events.listing_changed(session, listing_id)


@seller_events.on_standing_changed
async def _announce_listings(session: AsyncSession, seller: Seller) -> None:
    for listing_id in await repo.listing_ids_of_seller(session, seller.id):
        events.listing_changed(session, listing_id)


@seller_events.listing_counter
async def _published_and_drafts(session: AsyncSession, seller_id: int) -> tuple[int, int]:
    counts = await repo.status_counts(session, seller_id)
    return counts.get(ListingStatus.PUBLISHED, 0), counts.get(ListingStatus.DRAFT, 0)
