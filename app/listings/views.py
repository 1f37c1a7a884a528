"""The seller dashboard under /seller: overview, listings, photos, CSV import and export.

Included in app/main.py with ``dependencies=[Depends(require_user)]``. Every listing is loaded
through ``listings.get_owned`` (filtered by the caller's seller): another seller's id is a 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import SessionDep
from app.errors import FormErrors
from app.i18n import gettext as _
from app.i18n import localized_name
from app.inputs import Id
from app.listings import repository as repo
from app.listings import service as listings
from app.listings.deps import OwnedListing
from app.listings.models import UNITS, Listing
from app.listings.schemas import FORM_FIELDS, as_text
from app.sellers import repository, service
from app.sellers.deps import CurrentSeller, public_storage, settings_of
from app.sellers.models import Seller
from app.storage import Storage
from app.web import flash, redirect_to, templates_of

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=5000)]
SettingsDep = Annotated[Settings, Depends(settings_of)]
StorageDep = Annotated[Storage, Depends(public_storage)]


@router.get("/seller", name="seller_dashboard")
async def overview(request: Request, session: SessionDep, seller: CurrentSeller) -> HTMLResponse:
    documents = await repository.documents(session, seller.id)
    claims = await repository.claims(session, seller.id)
    step_list = service.steps(seller, documents, claims)
    return templates_of(request).render(
        request,
        "listings/dashboard.html",
        {
            "seller": seller,
            "missing": service.missing(step_list),
            "status_labels": service.status_labels(),
            "counts": await repo.status_counts(session, seller.id),
            "low_stock": await repo.low_stock(session, seller.id),
        },
        headers={"cache-control": "no-store"},
    )


@router.get("/seller/listings", name="seller_listings")
async def listing_index(
    request: Request, session: SessionDep, seller: CurrentSeller
) -> HTMLResponse:
    return templates_of(request).render(
        request,
        "listings/index.html",
        {
            "seller": seller,
            "listings": await repo.listings_of(session, seller.id),
            "listing_labels": listings.status_labels(),
            "errors": {},
            "import_errors": [],
        },
        headers={"cache-control": "no-store"},
    )


async def _form_page(
    request: Request,
    session: AsyncSession,
    seller: Seller,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    listing: Listing | None = None,
    status: int = 200,
) -> HTMLResponse:
    categories = await repo.categories(session)
    products = await repo.odop_products_of_district(session, seller.district_id)
    gi_tags = await repository.verified_gi_tags(session, seller.id)
    members = await repository.members(session, seller.id) if seller.is_collective else []
    return templates_of(request).render(
        request,
        "listings/form.html",
        {
            "seller": seller,
            "listing": listing,
            "values": values,
            "errors": errors,
            "category_options": [(c.id, localized_name(c)) for c in categories],
            "product_options": [(p.id, localized_name(p)) for p in products],
            "gi_options": [(t.id, localized_name(t)) for t in gi_tags],
            "member_options": [(m.id, m.name) for m in members],
            "gst_rates": [(rate, f"{rate} %") for rate in listings.GST_RATES],
            "listing_labels": listings.status_labels(),
            "tier_rows": tier_rows(values.get("price_tiers", "")),
            "units_options": unit_options(),
        },
        status_code=status,
        headers={"cache-control": "no-store"},
    )


def unit_options() -> list[tuple[str, str]]:
    labels = {
        "piece": _("Piece"),
        "kg": _("Kilogram"),
        "litre": _("Litre"),
        "metre": _("Metre"),
        "pair": _("Pair"),
        "set": _("Set"),
        "pack": _("Pack"),
        "g": _("Gram"),
        "dozen": _("Dozen"),
    }
    return [(unit, labels[unit]) for unit in UNITS]


TIER_ROWS = 3  # empty quantity-price rows the form offers beyond those filled


def tier_rows(text: str) -> list[tuple[str, str]]:
    """The ``price_tiers`` text ("10:1100, 50:1000") as (quantity, price) rows for the form,
    with empty rows to fill."""
    rows = []
    for part in text.split(","):
        if part.strip():
            quantity, _sep, price = part.partition(":")
            rows.append((quantity.strip(), price.strip()))
    return rows + [("", "")] * max(1, TIER_ROWS - len(rows))


async def _form_values(request: Request) -> dict[str, str]:
    form = await request.form()
    values = {
        name: value.strip() if isinstance(value := form.get(name, ""), str) else ""
        for name in FORM_FIELDS
    }
    # The form sends bulk prices as rows of quantity and price; they become the one text the
    # validator reads (a half-filled row is kept so that the validator reports it).
    quantities = [str(q).strip() for q in form.getlist("tier_quantity")]
    tier_prices = [str(p).strip() for p in form.getlist("tier_price")]
    if quantities or tier_prices:
        pairs = zip(quantities, tier_prices, strict=False)
        values["price_tiers"] = ", ".join(f"{q}:{p}" for q, p in pairs if q or p)
    return values


@router.get("/seller/listings/new", name="seller_listing_new")
async def new_listing(request: Request, session: SessionDep, seller: CurrentSeller) -> Response:
    return await _form_page(request, session, seller, {"moq": "1", "gst_rate": "5"}, {})


@router.post("/seller/listings/new")
async def create_listing(
    request: Request,
    session: SessionDep,
    seller: CurrentSeller,
    settings: SettingsDep,
    storage: StorageDep,
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    values = await _form_values(request)
    try:
        listing = await listings.create(session, seller, listings.parse(values))
    except FormErrors as exc:
        return await _form_page(request, session, seller, values, exc.errors, status=422)
    files = [(p.filename or "", await p.read()) for p in photos or [] if p.filename]
    if files:
        try:
            await listings.add_photos(session, settings, storage, listing, files)
        except FormErrors as exc:
            # The listing is saved (the transaction commits); only the photos need another go.
            listing = await listings.get_owned(session, seller, listing.id)
            return await _form_page(
                request, session, seller, as_text(listing), exc.errors, listing=listing, status=422
            )
    flash(
        request,
        _("Listing saved as a draft with its photos.")
        if files
        else _("Listing saved as a draft. Add photos, then publish it."),
    )
    return redirect_to(request, "seller_listing_edit", listing_id=listing.id)


@router.get("/seller/listings/{listing_id}", name="seller_listing_edit")
async def edit_listing(
    request: Request, session: SessionDep, seller: CurrentSeller, listing: OwnedListing
) -> Response:
    return await _form_page(request, session, seller, as_text(listing), {}, listing=listing)


@router.post("/seller/listings/{listing_id}")
async def update_listing(
    request: Request, session: SessionDep, seller: CurrentSeller, listing: OwnedListing
) -> Response:
    values = await _form_values(request)
    try:
        await listings.update(session, seller, listing, listings.parse(values))
    except FormErrors as exc:
        return await _form_page(
            request, session, seller, values, exc.errors, listing=listing, status=422
        )
    flash(request, _("Listing saved."))
    return redirect_to(request, "seller_listing_edit", listing_id=listing.id)


@router.post("/seller/listings/{listing_id}/duplicate", name="seller_listing_duplicate")
async def duplicate_listing(
    request: Request, session: SessionDep, seller: CurrentSeller, listing: OwnedListing
) -> Response:
    copy = await listings.duplicate(session, seller, listing)
    flash(request, _("Copied as a new draft (photos are not copied)."))
    return redirect_to(request, "seller_listing_edit", listing_id=copy.id)


@router.post("/seller/listings/{listing_id}/publish", name="seller_listing_publish")
async def publish_listing(
    request: Request, session: SessionDep, seller: CurrentSeller, listing: OwnedListing
) -> Response:
    await listings.publish(session, seller, listing)
    flash(request, _("Published: buyers can see this listing."))
    return redirect_to(request, "seller_listing_edit", listing_id=listing.id)


@router.post("/seller/listings/{listing_id}/unpublish", name="seller_listing_unpublish")
async def unpublish_listing(
    request: Request, session: SessionDep, seller: CurrentSeller, listing: OwnedListing
) -> Response:
    await listings.unpublish(session, listing)
    flash(request, _("Unpublished: buyers no longer see this listing."))
    return redirect_to(request, "seller_listing_edit", listing_id=listing.id)


@router.post("/seller/listings/{listing_id}/delete", name="seller_listing_delete")
async def delete_listing(
    request: Request,
    session: SessionDep,
    seller: CurrentSeller,
    storage: StorageDep,
    listing: OwnedListing,
) -> Response:
    await listings.delete(session, storage, listing)
    flash(request, _("Listing deleted."))
    return redirect_to(request, "seller_listings")


@router.post("/seller/listings/{listing_id}/photos", name="seller_listing_photos")
async def upload_photos(
    request: Request,
    session: SessionDep,
    seller: CurrentSeller,
    settings: SettingsDep,
    storage: StorageDep,
    listing: OwnedListing,
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    files = [(p.filename or "", await p.read()) for p in photos or [] if p.filename]
    try:
        await listings.add_photos(session, settings, storage, listing, files)
    except FormErrors as exc:
        return await _form_page(
            request,
            session,
            seller,
            as_text(listing),
            exc.errors,
            listing=listing,
            status=422,
        )
    flash(request, _("Photos added."))
    return redirect_to(request, "seller_listing_edit", listing_id=listing.id)


@router.post(
    "/seller/listings/{listing_id}/photos/{image_id}/move", name="seller_listing_photo_move"
)
async def move_photo(
    request: Request,
    session: SessionDep,
    seller: CurrentSeller,
    listing: OwnedListing,
    image_id: Id,
    direction: Annotated[str, Form(max_length=10)] = "up",
) -> Response:
    await listings.move_photo(session, listing, image_id, -1 if direction == "up" else 1)
    return redirect_to(request, "seller_listing_edit", listing_id=listing.id)


@router.post(
    "/seller/listings/{listing_id}/photos/{image_id}/delete", name="seller_listing_photo_delete"
)
async def delete_photo(
    request: Request,
    session: SessionDep,
    seller: CurrentSeller,
    storage: StorageDep,
    listing: OwnedListing,
    image_id: Id,
) -> Response:
    await listings.delete_photo(session, storage, listing, image_id)
    flash(request, _("Photo removed."))
    return redirect_to(request, "seller_listing_edit", listing_id=listing.id)


@router.get("/seller/export.csv", name="seller_listings_csv")
async def export(session: SessionDep, seller: CurrentSeller) -> Response:
    body = listings.export_csv(await repo.listings_of(session, seller.id))
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="{seller.slug}-listings.csv"',
            "cache-control": "no-store",
        },
    )


@router.post("/seller/import", name="seller_listings_import")
async def import_listings(
    request: Request,
    session: SessionDep,
    seller: CurrentSeller,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    raw = await file.read() if file is not None else b""
    result = await listings.import_csv(session, seller, raw)
    if result.errors or not raw:
        errors = result.errors or [(0, "", _("Choose a CSV file."))]
        return templates_of(request).render(
            request,
            "listings/index.html",
            {
                "seller": seller,
                "listings": await repo.listings_of(session, seller.id),
                "listing_labels": listings.status_labels(),
                "errors": {},
                "import_errors": errors,
            },
            status_code=422,
        )
    flash(
        request,
        _(
            "Imported: %(created)s new, %(updated)s updated.",
            created=result.created,
            updated=result.updated,
        ),
    )
    return redirect_to(request, "seller_listings")
