"""JSON API of the buying modes, on the same services as the pages.

Included with ``require_user`` (personal API tokens). Before a bid closes, no response carries a
quote's price, quantity, lead time or the ranking: the values are sealed in the database too.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from app.accounts.deps import require_admin, require_scope
from app.accounts.models import User
from app.db import SessionDep
from app.errors import error_responses
from app.inputs import Id
from app.procurement.buying import service
from app.procurement.buying.deps import SettingsDep, StorageDep
from app.procurement.buying.models import Requirement
from app.procurement.buying.ranking import Offer
from app.procurement.buying.schemas import AwardIn, OrderIn, QuoteIn, RequirementIn
from app.procurement.purchase_orders.models import PurchaseOrder, SplitEvent
from app.sellers.deps import CurrentSeller

Reader = Annotated[User, require_scope("orders:read")]
Writer = Annotated[User, require_scope("orders:write")]
SellerReader = Annotated[User, require_scope("seller:read")]
SellerWriter = Annotated[User, require_scope("seller:write")]

router = APIRouter(
    prefix="/api/v1",
    tags=["procurement buying"],
    responses=error_responses(401, 403, 404, 409, 422),
)


def _requirement_json(requirement: Requirement) -> dict[str, Any]:
    return {
        "id": requirement.id,
        "organisation_id": requirement.organisation_id,
        "method": requirement.method.value,
        "status": requirement.status.value,
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
        "closed": service.is_closed(requirement),
        "sample_required": requirement.sample_required,
        "sample_details": requirement.sample_details,
        "justification": requirement.justification,
    }


def _offer_json(offer: Offer) -> dict[str, object]:
    return offer.as_json()


def _po_json(order: PurchaseOrder) -> dict[str, Any]:
    return {"id": order.id, "number": order.number, "seller_id": order.seller_id}


@router.get("/procurement/requirements", summary="Requirements of the caller's organisations")
async def list_requirements(session: SessionDep, user: Reader) -> list[dict[str, Any]]:
    return [_requirement_json(r) for r in await service.requirements_of_user(session, user)]


@router.post(
    "/procurement/requirements",
    status_code=201,
    summary="Raise a requirement (L1 comparison, or a bid published at once)",
)
async def create_requirement(
    session: SessionDep, settings: SettingsDep, user: Writer, body: RequirementIn
) -> dict[str, Any]:
    requirement = await service.create_requirement(
        session, settings, user=user, data=body.to_input()
    )
    return _requirement_json(requirement)


@router.get("/procurement/requirements/{requirement_id}", summary="One requirement")
async def get_requirement(session: SessionDep, user: Reader, requirement_id: Id) -> dict[str, Any]:
    return _requirement_json(await service.member_requirement(session, user, requirement_id))


@router.post(
    "/procurement/requirements/{requirement_id}/comparisons",
    status_code=201,
    summary="Rank the eligible offers by landed price now (kept and audited as shown)",
)
async def compare(
    session: SessionDep, settings: SettingsDep, user: Writer, requirement_id: Id
) -> dict[str, Any]:
    requirement = await service.member_requirement(session, user, requirement_id)
    view = await service.show_comparison(session, settings, user=user, requirement=requirement)
    return {
        "comparison_id": view.comparison.id,
        "enough_offers": view.enough,
        "minimum_offers": view.minimum,
        "mode_for_l1_total": view.mode_for_l1,
        "offers": [_offer_json(offer) for offer in view.offers],
    }


@router.post(
    "/procurement/requirements/{requirement_id}/order",
    status_code=201,
    summary="Order from a shown comparison: L1, or another offer with a justification",
)
async def order(
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    user: Writer,
    requirement_id: Id,
    body: OrderIn,
) -> dict[str, Any]:
    purchase_order = await service.order_l1(
        session,
        settings,
        storage,
        user=user,
        requirement_id=requirement_id,
        comparison_id=body.comparison_id,
        listing_id=body.listing_id,
        justification=body.justification,
    )
    return _po_json(purchase_order)


@router.get(
    "/procurement/requirements/{requirement_id}/bids",
    summary="Bids received: only their number before closing; ranked after",
)
async def bids(
    session: SessionDep, settings: SettingsDep, user: Reader, requirement_id: Id
) -> dict[str, Any]:
    requirement = await service.member_requirement(session, user, requirement_id)
    view = await service.bids_view(session, settings, user=user, requirement=requirement)
    return {
        "closed": view.closed,
        "count": view.count,
        "offers": [_offer_json(offer) for offer in view.offers],
    }


@router.post(
    "/procurement/requirements/{requirement_id}/award",
    status_code=201,
    summary="Award a closed bid (quantities per bid); one purchase order per seller",
)
async def award(
    session: SessionDep,
    settings: SettingsDep,
    user: Writer,
    requirement_id: Id,
    body: AwardIn,
) -> list[dict[str, Any]]:
    allocations: dict[int, int] = {}
    for line in body.allocations:
        allocations[line.bid_id] = allocations.get(line.bid_id, 0) + line.quantity
    orders = await service.award(
        session,
        settings,
        user=user,
        requirement_id=requirement_id,
        allocations=allocations,
        justification=body.justification,
    )
    return [_po_json(o) for o in orders]


@router.get("/seller/bids", summary="Open bids the caller's seller may quote for")
async def seller_bids(
    session: SessionDep, user: SellerReader, seller: CurrentSeller
) -> list[dict[str, Any]]:
    return [
        {**_requirement_json(r), "my_bid_revision": bid.revision if bid else None}
        for r, bid in await service.open_bids_for_seller(session, seller)
    ]


def _own_bid_json(own: service.OwnBid | None) -> dict[str, Any] | None:
    if own is None:
        return None
    return {
        "id": own.bid.id,
        "listing_id": own.bid.listing_id,
        "revision": own.bid.revision,
        "unit_price_paise": own.values.unit_price_paise,
        "quantity": own.values.quantity,
        "lead_time_days": own.values.lead_time_days,
        "valid_until": own.values.valid_until.isoformat(),
        "awarded_quantity": own.bid.awarded_quantity,
    }


@router.get("/seller/bids/{requirement_id}", summary="A bid and the caller's own sealed quote")
async def seller_bid(
    session: SessionDep,
    settings: SettingsDep,
    user: SellerReader,
    seller: CurrentSeller,
    requirement_id: Id,
) -> dict[str, Any]:
    requirement = await service.seller_requirement(session, seller, requirement_id)
    own = await service.own_bid(session, settings, seller, requirement)
    return {**_requirement_json(requirement), "my_bid": _own_bid_json(own)}


@router.put(
    "/seller/bids/{requirement_id}",
    summary="Submit or revise the caller's sealed quote (refused after closing)",
)
async def submit_bid(
    session: SessionDep,
    settings: SettingsDep,
    user: SellerWriter,
    seller: CurrentSeller,
    requirement_id: Id,
    body: QuoteIn,
) -> dict[str, Any]:
    await service.submit_bid(
        session,
        settings,
        user=user,
        seller=seller,
        requirement_id=requirement_id,
        data=body.to_input(),
    )
    requirement = await service.seller_requirement(session, seller, requirement_id)
    own = await service.own_bid(session, settings, seller, requirement)
    return {**_requirement_json(requirement), "my_bid": _own_bid_json(own)}


def _split_json(event: SplitEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "organisation_id": event.organisation_id,
        "user_id": event.user_id,
        "listing_id": event.listing_id,
        "odop_product_id": event.odop_product_id,
        "purchase_order_id": event.purchase_order_id,
        "earlier_order_ids": event.earlier_order_ids,
        "earlier_total_paise": event.earlier_total_paise,
        "this_total_paise": event.this_total_paise,
        "limit_paise": event.limit_paise,
        "window_days": event.window_days,
        "created_at": event.created_at.isoformat(),
    }


@router.get(
    "/admin/procurement/split-events",
    dependencies=[Depends(require_admin)],
    summary="Split purchases detected (admins)",
)
async def split_events(session: SessionDep) -> list[dict[str, Any]]:
    return [_split_json(e) for e in await service.split_events(session)]
