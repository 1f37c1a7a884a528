"""JSON API of procurement: organisations, members, addresses, verification, direct purchase,
purchase orders and every step on them, the audit trail and incidents; on the same services as
the pages. Included with ``require_user`` (API tokens only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.accounts.deps import AdminUser, CurrentUser
from app.db import SessionDep
from app.errors import error_responses
from app.inputs import Id
from app.procurement.audit import service as audit
from app.procurement.organisations import service as organisations
from app.procurement.organisations.schemas import (
    AddressIn,
    MemberIn,
    OrganisationIn,
    OrganisationOut,
)
from app.procurement.purchase_orders import direct, documents, service
from app.procurement.purchase_orders.deps import SettingsDep
from app.procurement.purchase_orders.models import Incident, PurchaseOrder
from app.procurement.purchase_orders.schemas import (
    AuditRecordOut,
    DeliveryIn,
    DirectPurchaseIn,
    DirectQuoteOut,
    IncidentOut,
    PaymentIn,
    PurchaseOrderOut,
    ReasonIn,
    SplitWarningOut,
)
from app.sellers import repository as sellers_repository

router = APIRouter(
    prefix="/api/v1/procurement",
    tags=["procurement"],
    responses=error_responses(401, 403, 404, 409, 422),
)


def po_out(po: PurchaseOrder) -> PurchaseOrderOut:
    return PurchaseOrderOut.model_validate(po)


# Organisations ------------------------------------------------------------------------------------


@router.get("/organisations", summary="Organisations where the caller holds a role")
async def my_organisations(session: SessionDep, user: CurrentUser) -> list[OrganisationOut]:
    orgs = await organisations.organisations_of(session, user.id)
    out = []
    for org in orgs:
        roles = await organisations.roles_in(session, user_id=user.id, organisation_id=org.id)
        out.append(OrganisationOut.of(org, sorted(r.value for r in roles)))
    return out


@router.post(
    "/organisations", status_code=201, summary="Register an organisation (you become its admin)"
)
async def create_organisation(
    session: SessionDep, user: CurrentUser, body: OrganisationIn
) -> OrganisationOut:
    org = await organisations.create_organisation(
        session,
        user=user,
        data=organisations.OrganisationInput(
            name=body.name, kind=body.kind, gstin=body.gstin, state_id=body.state_id
        ),
    )
    return OrganisationOut.of(org, ["org_admin"])


@router.get("/organisations/{organisation_id}", summary="One of the caller's organisations")
async def organisation(
    session: SessionDep, user: CurrentUser, organisation_id: Id
) -> dict[str, Any]:
    org = await organisations.member_organisation(
        session, user_id=user.id, organisation_id=organisation_id
    )
    roles = await organisations.roles_in(session, user_id=user.id, organisation_id=org.id)
    return {
        "organisation": OrganisationOut.of(org, sorted(r.value for r in roles)).model_dump(),
        "members": [
            {
                "membership_id": m.id,
                "user_id": u.id,
                "name": u.display_name,
                "role": m.role.value,
                "approval_limit_paise": m.approval_limit_paise,
            }
            for m, u in await organisations.members(session, org.id)
        ],
        "addresses": [
            {
                "id": a.id,
                "consignee_user_id": a.consignee_user_id,
                "label": a.label,
                "line1": a.line1,
                "line2": a.line2,
                "city": a.city,
                "district_id": a.district_id,
                "state_id": a.state_id,
                "pin": a.pin,
            }
            for a in await organisations.addresses_of(session, org.id)
        ],
    }


@router.post(
    "/organisations/{organisation_id}/members", status_code=201, summary="Add roles to a member"
)
async def add_member(
    session: SessionDep, user: CurrentUser, organisation_id: Id, body: MemberIn
) -> dict[str, Any]:
    added = await organisations.add_member(
        session,
        actor=user,
        organisation_id=organisation_id,
        email=body.email,
        roles=body.roles,
        approval_limit_paise=body.approval_limit_paise,
    )
    return {"membership_ids": [m.id for m in added], "roles": [m.role.value for m in added]}


@router.post(
    "/organisations/{organisation_id}/addresses",
    status_code=201,
    summary="Add a consignee's delivery address",
)
async def add_address(
    session: SessionDep, user: CurrentUser, organisation_id: Id, body: AddressIn
) -> dict[str, Any]:
    address = await organisations.add_delivery_address(
        session,
        actor=user,
        organisation_id=organisation_id,
        data=organisations.AddressInput(
            consignee_user_id=body.consignee_user_id,
            label=body.label,
            line1=body.line1,
            line2=body.line2,
            city=body.city,
            district_id=body.district_id,
            pin=body.pin,
        ),
    )
    return {"id": address.id, "state_id": address.state_id}


@router.post(
    "/organisations/{organisation_id}/verify", summary="Verify a government organisation (admins)"
)
async def verify_organisation(
    session: SessionDep, admin: AdminUser, organisation_id: Id
) -> OrganisationOut:
    org = await organisations.verify_organisation(
        session, admin=admin, organisation_id=organisation_id
    )
    return OrganisationOut.of(org, [])


# Direct purchase ----------------------------------------------------------------------------------


@router.post(
    "/direct-purchases/quote", summary="Price a direct purchase and name the mode required"
)
async def quote_direct(
    session: SessionDep, settings: SettingsDep, user: CurrentUser, body: DirectPurchaseIn
) -> DirectQuoteOut:
    quote = await direct.quote(
        session,
        settings,
        user=user,
        listing_id=body.listing_id,
        quantity=body.quantity,
        organisation_id=body.organisation_id,
        consignee_user_id=body.consignee_user_id,
        delivery_address_id=body.delivery_address_id,
    )
    return DirectQuoteOut(
        unit_price_paise=quote.unit_price_paise,
        goods_paise=quote.priced.goods,
        shipping_paise=quote.priced.shipping,
        cgst_paise=quote.priced.cgst,
        sgst_paise=quote.priced.sgst,
        igst_paise=quote.priced.igst,
        total_paise=quote.priced.total,
        mode_required=quote.mode,
        direct_allowed=quote.allowed,
        split_warning=None
        if quote.split is None
        else SplitWarningOut(
            earlier_order_numbers=quote.earlier_numbers,
            earlier_total_paise=quote.split.earlier_total_paise,
            this_total_paise=quote.split.this_total_paise,
            total_paise=quote.split.total_paise,
            limit_paise=quote.split.limit_paise,
            window_days=quote.split.window_days,
            message=direct.split_message(quote.split),
        ),
    )


@router.post("/direct-purchases", status_code=201, summary="Issue a PO by direct purchase")
async def place_direct(
    session: SessionDep, settings: SettingsDep, user: CurrentUser, body: DirectPurchaseIn
) -> PurchaseOrderOut:
    po = await direct.place(
        session,
        settings,
        user=user,
        listing_id=body.listing_id,
        quantity=body.quantity,
        organisation_id=body.organisation_id,
        consignee_user_id=body.consignee_user_id,
        delivery_address_id=body.delivery_address_id,
        delivery_by=body.delivery_by,
        separate_need=body.separate_need,
    )
    return po_out(po)


# Purchase orders ----------------------------------------------------------------------------------


@router.get("/purchase-orders", summary="POs of the caller's organisations and to their shop")
async def purchase_orders(session: SessionDep, user: CurrentUser) -> list[PurchaseOrderOut]:
    pos = {po.id: po for po in await service.of_user(session, user)}
    seller = await sellers_repository.seller_of_user(session, user.id)
    if seller is not None:
        pos.update({po.id: po for po in await service.of_seller(session, seller.id)})
    out = []
    for po_id in sorted(pos, reverse=True):
        loaded = await service.po_by_id(session, po_id)
        if loaded is not None:
            out.append(po_out(loaded))
    return out


@router.get("/purchase-orders/{number}", summary="One purchase order")
async def purchase_order(session: SessionDep, user: CurrentUser, number: str) -> PurchaseOrderOut:
    po, _viewer = await service.visible_po(session, user, number)
    return po_out(po)


@router.post("/purchase-orders/{number}/accept", summary="The seller accepts the PO")
async def accept(
    session: SessionDep, settings: SettingsDep, user: CurrentUser, number: str
) -> PurchaseOrderOut:
    po = await service.seller_accept(session, settings, user=user, number=number)
    return po_out(po)


@router.post("/purchase-orders/{number}/decline", summary="The seller declines the PO")
async def decline(
    session: SessionDep, settings: SettingsDep, user: CurrentUser, number: str, body: ReasonIn
) -> PurchaseOrderOut:
    po = await service.seller_decline(
        session, settings, user=user, number=number, reason=body.reason
    )
    return po_out(po)


@router.post("/purchase-orders/{number}/cancel", summary="The buyer cancels an unanswered PO")
async def cancel(
    session: SessionDep, user: CurrentUser, number: str, body: ReasonIn
) -> PurchaseOrderOut:
    po = await service.buyer_cancel(session, user=user, number=number, reason=body.reason)
    return po_out(po)


@router.post(
    "/purchase-orders/{number}/deliveries", status_code=201, summary="The seller records a delivery"
)
async def delivery(
    session: SessionDep, user: CurrentUser, number: str, body: DeliveryIn
) -> PurchaseOrderOut:
    quantities: dict[int, int] = {}
    for line in body.lines:
        quantities[line.line_id] = quantities.get(line.line_id, 0) + line.quantity
    await service.record_delivery(
        session,
        user=user,
        number=number,
        quantities=quantities,
        delivered_on=body.delivered_on,
        challan=body.challan,
    )
    po, _viewer = await service.visible_po(session, user, number)
    return po_out(po)


@router.post("/purchase-orders/{number}/receipt", summary="A consignee records provisional receipt")
async def receipt(
    session: SessionDep, settings: SettingsDep, user: CurrentUser, number: str
) -> PurchaseOrderOut:
    return po_out(await service.provisional_receipt(session, settings, user=user, number=number))


@router.post("/purchase-orders/{number}/goods-acceptance", summary="A consignee accepts the goods")
async def goods_acceptance(
    session: SessionDep, settings: SettingsDep, user: CurrentUser, number: str
) -> PurchaseOrderOut:
    return po_out(await service.accept_goods(session, settings, user=user, number=number))


@router.post("/purchase-orders/{number}/goods-rejection", summary="A consignee rejects the goods")
async def goods_rejection(
    session: SessionDep, settings: SettingsDep, user: CurrentUser, number: str, body: ReasonIn
) -> PurchaseOrderOut:
    po = await service.reject_goods(session, settings, user=user, number=number, reason=body.reason)
    return po_out(po)


@router.post("/purchase-orders/{number}/invoice", summary="The seller issues the GST invoice")
async def invoice(
    session: SessionDep, settings: SettingsDep, user: CurrentUser, number: str
) -> PurchaseOrderOut:
    return po_out(await service.issue_invoice(session, settings, user=user, number=number))


@router.post("/purchase-orders/{number}/payment", summary="The paying authority records payment")
async def payment(
    session: SessionDep, settings: SettingsDep, user: CurrentUser, number: str, body: PaymentIn
) -> PurchaseOrderOut:
    po = await service.record_payment(
        session, settings, user=user, number=number, reference=body.reference, paid_on=body.paid_on
    )
    return po_out(po)


@router.get("/purchase-orders/{number}/audit", summary="The PO's audit trail (org admins)")
async def audit_trail(session: SessionDep, user: CurrentUser, number: str) -> list[AuditRecordOut]:
    po, _viewer = await documents.trail_for_export(session, user, number)
    return [
        AuditRecordOut(
            id=r.id,
            created_at=r.created_at,
            action=r.action,
            actor_user_id=r.actor_user_id,
            actor_role=r.actor_role,
            subject=r.subject,
            subject_id=r.subject_id,
            values=r.details,
        )
        for r in await audit.trail(session, po.id)
    ]


@router.get("/incidents", summary="Incidents on POs the caller can see")
async def incidents(session: SessionDep, user: CurrentUser) -> list[IncidentOut]:
    pos = {po.id: po for po in await service.of_user(session, user)}
    seller = await sellers_repository.seller_of_user(session, user.id)
    if seller is not None:
        pos.update({po.id: po for po in await service.of_seller(session, seller.id)})
    found: list[Incident] = await service.incidents(session, sorted(pos))
    return [
        IncidentOut(
            purchase_order_number=pos[i.purchase_order_id].number,
            kind=i.kind.value,
            due_on=i.due_on,
            raised_at=i.raised_at,
            resolved_at=i.resolved_at,
        )
        for i in found
    ]
