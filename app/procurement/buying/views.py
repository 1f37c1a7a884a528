"""Pages of the buying modes: a buyer's requirements, the L1 comparison and order, the bid and
its award; the seller's open bids and sealed quote; the admins' list of split purchases.

Included with ``require_user`` (``admin_router`` with ``require_admin``). A requirement is seen
only by members of its organisation (others get 404); acting on it needs the buyer role.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentUser
from app.accounts.models import User
from app.db import SessionDep
from app.errors import FormErrors
from app.i18n import gettext as _
from app.inputs import Id, form_int
from app.procurement.buying import repository, schemas, service
from app.procurement.buying.deps import SettingsDep, StorageDep
from app.procurement.buying.errors import RequirementNotFound
from app.procurement.buying.models import BuyingMethod, Requirement, RequirementStatus
from app.sellers.deps import CurrentSeller
from app.web import flash, redirect_to, templates_of

router = APIRouter(include_in_schema=False)
admin_router = APIRouter(include_in_schema=False)


def _no_store(response: Response) -> Response:
    response.headers["cache-control"] = "no-store"
    return response


async def _form_context(session: SessionDep, user: User) -> dict[str, Any]:
    return {
        "organisations": await repository.buyer_organisations(session, user.id),
        "addresses": await repository.addresses_for_buyer(session, user.id),
        "products": await repository.odop_products(session),
        "gi_tags": await repository.gi_tags(session),
        "categories": await repository.categories(session),
        "districts": await repository.districts(session),
    }


async def _render_new(
    request: Request,
    session: SessionDep,
    user: User,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
) -> Response:
    context = await _form_context(session, user)
    response = templates_of(request).render(
        request,
        "procurement/buying/new.html",
        {**context, "values": values, "errors": errors or {}},
        status_code=422 if errors else 200,
    )
    return _no_store(response)


@router.get("/procurement/requirements", name="buying_requirements")
async def requirements_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    requirements = await service.requirements_of_user(session, user)
    response = templates_of(request).render(
        request,
        "procurement/buying/requirements.html",
        {
            "requirements": requirements,
            "can_raise": bool(await repository.buyer_organisations(session, user.id)),
        },
    )
    return _no_store(response)


@router.get("/procurement/requirements/new", name="buying_new")
async def new_requirement(
    request: Request, session: SessionDep, user: CurrentUser, like: Id | None = None
) -> Response:
    """``like``: start from an earlier requirement (an L1 with too few offers becomes a bid)."""
    values: dict[str, str] = {"method": "l1"}
    if like is not None:
        try:
            earlier = await service.member_requirement(session, user, like)
        except RequirementNotFound:
            earlier = None
        if earlier is not None:
            values = _values_of(earlier)
            values["method"] = "bid"
    return await _render_new(request, session, user, values)


def _values_of(requirement: Requirement) -> dict[str, str]:
    def text(value: object) -> str:
        return "" if value is None else str(value)

    return {
        "organisation_id": text(requirement.organisation_id),
        "title": requirement.title,
        "odop_product_id": text(requirement.odop_product_id),
        "gi_tag_id": text(requirement.gi_tag_id),
        "category_id": text(requirement.category_id),
        "seller_district_id": text(requirement.seller_district_id),
        "specifications": requirement.specifications,
        "quantity": text(requirement.quantity),
        "delivery_address_id": text(requirement.delivery_address_id),
        "delivery_by": requirement.delivery_by.isoformat(),
    }


@router.post("/procurement/requirements", name="buying_create")
async def create_requirement(
    request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    try:
        data = schemas.parse_requirement_form(values)
        requirement = await service.create_requirement(session, settings, user=user, data=data)
    except FormErrors as exc:
        return await _render_new(request, session, user, values, exc.errors)
    if requirement.method == BuyingMethod.BID:
        flash(request, _("Your bid is published; eligible sellers are told."), "success")
    else:
        flash(request, _("Your requirement is saved. Compare the offers below."), "success")
    return redirect_to(request, "buying_requirement", requirement_id=requirement.id)


async def _render_requirement(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: User,
    requirement: Requirement,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    context: dict[str, Any] = {
        "requirement": requirement,
        "errors": errors or {},
        "values": values or {},
        "is_buyer": await repository.is_buyer(session, user.id, requirement.organisation_id),
        "comparison": None,
        "ordered": None,
        "bids": None,
    }
    if requirement.method == BuyingMethod.L1:
        if requirement.status == RequirementStatus.OPEN and context["is_buyer"]:
            context["comparison"] = await service.show_comparison(
                session, settings, user=user, requirement=requirement
            )
        else:
            context["ordered"] = await service.ordered_comparison(session, settings, requirement)
    else:
        context["bids"] = await service.bids_view(
            session, settings, user=user, requirement=requirement
        )
    response = templates_of(request).render(
        request,
        "procurement/buying/requirement.html",
        context,
        status_code=422 if errors else 200,
    )
    return _no_store(response)


@router.get("/procurement/requirements/{requirement_id}", name="buying_requirement")
async def requirement_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    requirement_id: Id,
) -> Response:
    requirement = await service.member_requirement(session, user, requirement_id)
    return await _render_requirement(request, session, settings, user, requirement)


@router.post("/procurement/requirements/{requirement_id}/order", name="buying_order")
async def order(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    user: CurrentUser,
    requirement_id: Id,
) -> Response:
    requirement = await service.buyer_requirement(session, user, requirement_id)
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    comparison_id = form_int(values.get("comparison_id"), low=1)
    listing_id = form_int(values.get("listing_id"), low=1)
    try:
        if comparison_id is None or listing_id is None:
            raise FormErrors({"listing_id": _("Choose one of the offers compared.")})
        purchase_order = await service.order_l1(
            session,
            settings,
            storage,
            user=user,
            requirement_id=requirement_id,
            comparison_id=comparison_id,
            listing_id=listing_id,
            justification=values.get("justification", "")[: schemas.TEXT_MAX],
        )
    except FormErrors as exc:
        return await _render_requirement(
            request, session, settings, user, requirement, exc.errors, values
        )
    flash(
        request,
        _("Purchase order %(number)s is raised.", number=purchase_order.number),
        "success",
    )
    return redirect_to(request, "buying_requirement", requirement_id=requirement_id)


@router.post("/procurement/requirements/{requirement_id}/award", name="buying_award")
async def award(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    requirement_id: Id,
) -> Response:
    requirement = await service.buyer_requirement(session, user, requirement_id)
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    try:
        allocations = schemas.parse_allocations(
            {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}
        )
        orders = await service.award(
            session,
            settings,
            user=user,
            requirement_id=requirement_id,
            allocations=allocations,
            justification=values.get("justification", "")[: schemas.TEXT_MAX],
        )
    except FormErrors as exc:
        return await _render_requirement(
            request, session, settings, user, requirement, exc.errors, values
        )
    flash(
        request,
        _(
            "Awarded: purchase orders %(numbers)s are raised.",
            numbers=", ".join(o.number for o in orders),
        ),
        "success",
    )
    return redirect_to(request, "buying_requirement", requirement_id=requirement_id)


async def _sheet(
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    user: User,
    requirement_id: int,
    comparison_id: int,
    kind: str,
) -> Response:
    requirement = await service.member_requirement(session, user, requirement_id)
    view = await service.comparison_of(session, settings, requirement, comparison_id)
    key = view.comparison.sheet_csv_key if kind == "csv" else view.comparison.sheet_pdf_key
    if key is None or not storage.exists(key):
        raise RequirementNotFound()
    media = "text/csv; charset=utf-8" if kind == "csv" else "application/pdf"
    name = f"comparison-{requirement.id}-{comparison_id}.{kind}"
    return Response(
        storage.read(key),
        media_type=media,
        headers={
            "content-disposition": f'attachment; filename="{name}"',
            "cache-control": "no-store",
        },
    )


@router.get(
    "/procurement/requirements/{requirement_id}/comparisons/{comparison_id}.csv",
    name="buying_sheet_csv",
)
async def sheet_csv(
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    user: CurrentUser,
    requirement_id: Id,
    comparison_id: Id,
) -> Response:
    return await _sheet(session, settings, storage, user, requirement_id, comparison_id, "csv")


@router.get(
    "/procurement/requirements/{requirement_id}/comparisons/{comparison_id}.pdf",
    name="buying_sheet_pdf",
)
async def sheet_pdf(
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    user: CurrentUser,
    requirement_id: Id,
    comparison_id: Id,
) -> Response:
    return await _sheet(session, settings, storage, user, requirement_id, comparison_id, "pdf")


# Sellers ------------------------------------------------------------------------------------------


@router.get("/seller/bids", name="seller_bids")
async def seller_bids(request: Request, session: SessionDep, seller: CurrentSeller) -> Response:
    found = await service.open_bids_for_seller(session, seller)
    response = templates_of(request).render(
        request, "procurement/buying/seller_bids.html", {"found": found}
    )
    return _no_store(response)


async def _render_seller_bid(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    seller: CurrentSeller,
    requirement: Requirement,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    own = await service.own_bid(session, settings, seller, requirement)
    if values is None:
        values = {}
        if own is not None:
            values = {
                "listing_id": str(own.bid.listing_id),
                "unit_price": f"{own.values.unit_price_paise // 100}."
                f"{own.values.unit_price_paise % 100:02d}",
                "quantity": str(own.values.quantity),
                "lead_time_days": str(own.values.lead_time_days),
                "valid_until": own.values.valid_until.isoformat(),
            }
    response = templates_of(request).render(
        request,
        "procurement/buying/seller_bid.html",
        {
            "requirement": requirement,
            "own": own,
            "closed": service.is_closed(requirement)
            or requirement.status != RequirementStatus.OPEN,
            "listing_options": [
                (listing.id, listing.title)
                for listing in await repository.eligible_listings_of_seller(
                    session, requirement, seller.id
                )
            ],
            "values": values,
            "errors": errors or {},
        },
        status_code=422 if errors else 200,
    )
    return _no_store(response)


@router.get("/seller/bids/{requirement_id}", name="seller_bid")
async def seller_bid(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    seller: CurrentSeller,
    requirement_id: Id,
) -> Response:
    requirement = await service.seller_requirement(session, seller, requirement_id)
    return await _render_seller_bid(request, session, settings, seller, requirement)


@router.post("/seller/bids/{requirement_id}", name="seller_bid_submit")
async def submit_bid(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    seller: CurrentSeller,
    requirement_id: Id,
) -> Response:
    requirement = await service.seller_requirement(session, seller, requirement_id)
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    try:
        data = schemas.parse_quote_form(values)
        bid = await service.submit_bid(
            session, settings, user=user, seller=seller, requirement_id=requirement_id, data=data
        )
    except FormErrors as exc:
        return await _render_seller_bid(
            request, session, settings, seller, requirement, values, exc.errors
        )
    if bid.revision > 1:
        flash(request, _("Your sealed quote is revised."), "success")
    else:
        flash(request, _("Your sealed quote is submitted."), "success")
    return redirect_to(request, "seller_bid", requirement_id=requirement_id)


# Admins -------------------------------------------------------------------------------------------


@admin_router.get("/admin/procurement/splits", name="admin_split_events")
async def split_events(request: Request, session: SessionDep) -> Response:
    events = await service.split_events(session)
    response = templates_of(request).render(
        request, "procurement/buying/admin_splits.html", {"events": events}
    )
    return _no_store(response)
