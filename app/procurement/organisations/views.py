"""Pages of buyer organisations: create one, its members and delivery addresses (org admins
change them), and the platform admins' verification of government organisations.

``router`` is included with ``require_user`` and ``admin_router`` with ``require_admin``
(app/main.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import AdminUser, CurrentUser
from app.db import SessionDep
from app.errors import FormErrors
from app.i18n import gettext as _
from app.inputs import form_int
from app.money import InvalidAmount, to_minor
from app.procurement.organisations import repository, service
from app.procurement.organisations.models import OrgKind, Role
from app.web import flash, redirect_to, templates_of

router = APIRouter(include_in_schema=False)
admin_router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=300)]
LongText = Annotated[str, Form(max_length=2000)]


def kind_options() -> list[tuple[str, str]]:
    return [(kind.value, service.kind_label(kind)) for kind in OrgKind]


def role_options() -> list[tuple[str, str]]:
    return [(role.value, service.role_label(role)) for role in Role]


def parse_rupees(text: str, field: str) -> int | None:
    """An optional amount in rupees (e.g. "50000" or "50,000.50") as paise; blank is None."""
    value = text.strip().replace(",", "")
    if not value:
        return None
    try:
        return to_minor(value)
    except InvalidAmount:
        raise FormErrors({field: _("Enter an amount in rupees, like 50000.")}) from None


@router.get("/procurement/organisations/new", name="procurement_org_new")
async def organisation_new(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    return await _render_new(request, session, {}, {})


async def _render_new(
    request: Request, session: SessionDep, values: dict[str, str], errors: dict[str, str]
) -> Response:
    return templates_of(request).render(
        request,
        "procurement/organisations/new.html",
        {
            "values": values,
            "errors": errors,
            "kinds": kind_options(),
            "states": [(s.id, s.name) for s in await repository.states(session)],
        },
        status_code=422 if errors else 200,
    )


@router.post("/procurement/organisations", name="procurement_org_create")
async def organisation_create(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    name: Text = "",
    kind: Text = "",
    gstin: Text = "",
    state_id: Text = "",
) -> Response:
    values = {"name": name, "kind": kind, "gstin": gstin, "state_id": state_id}
    try:
        org = await service.create_organisation(
            session,
            user=user,
            data=service.OrganisationInput(
                name=name, kind=kind, gstin=gstin, state_id=form_int(state_id, low=1)
            ),
        )
    except FormErrors as exc:
        return await _render_new(request, session, values, exc.errors)
    if org.is_government:
        flash(
            request,
            _(
                "Organisation created. A platform administrator will verify it; until then it "
                "cannot issue purchase orders."
            ),
            "success",
        )
    else:
        flash(request, _("Organisation created."), "success")
    return redirect_to(request, "procurement_org", organisation_id=org.id)


async def _render_org(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    organisation_id: int,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    org = await service.member_organisation(
        session, user_id=user.id, organisation_id=organisation_id
    )
    roles = await service.roles_in(session, user_id=user.id, organisation_id=org.id)
    members = await service.members(session, org.id)
    consignees = {u.id: u for m, u in members if m.role == Role.CONSIGNEE}
    addresses = await service.addresses_of(session, org.id)
    districts = {}
    for address in addresses:
        district = await repository.district_by_id(session, address.district_id)
        if district is not None:
            districts[address.id] = district.name
    is_admin = Role.ORG_ADMIN in roles
    return templates_of(request).render(
        request,
        "procurement/organisations/show.html",
        {
            "org": org,
            "roles": roles,
            "is_org_admin": is_admin,
            "members": members,
            "consignees": consignees,
            "consignee_options": [(u.id, u.display_name) for u in consignees.values()],
            "addresses": addresses,
            "address_districts": districts,
            "kind_label": service.kind_label(org.kind),
            "role_label": service.role_label,
            "role_options": role_options(),
            "district_options": (
                [(d.id, d.name) for d in await repository.districts(session)] if is_admin else []
            ),
            "errors": errors or {},
            "values": values or {},
        },
        status_code=422 if errors else 200,
    )


@router.get("/procurement/organisations/{organisation_id}", name="procurement_org")
async def organisation_page(
    request: Request, session: SessionDep, user: CurrentUser, organisation_id: int
) -> Response:
    return await _render_org(request, session, user, organisation_id)


@router.post(
    "/procurement/organisations/{organisation_id}/members", name="procurement_org_member_add"
)
async def member_add(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    organisation_id: int,
    email: Text = "",
    roles: Annotated[list[str] | None, Form(max_length=10)] = None,
    approval_limit: Text = "",
) -> Response:
    values = {"email": email, "approval_limit": approval_limit}
    try:
        limit = parse_rupees(approval_limit, "approval_limit")
        await service.add_member(
            session,
            actor=user,
            organisation_id=organisation_id,
            email=email,
            roles=roles or [],
            approval_limit_paise=limit,
        )
    except FormErrors as exc:
        return await _render_org(request, session, user, organisation_id, exc.errors, values)
    flash(request, _("Member added. They are told by email."), "success")
    return redirect_to(request, "procurement_org", organisation_id=organisation_id)


@router.post(
    "/procurement/organisations/{organisation_id}/members/{membership_id}/remove",
    name="procurement_org_member_remove",
)
async def member_remove(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    organisation_id: int,
    membership_id: int,
) -> Response:
    await service.remove_membership(
        session, actor=user, organisation_id=organisation_id, membership_id=membership_id
    )
    flash(request, _("Role removed."), "success")
    return redirect_to(request, "procurement_org", organisation_id=organisation_id)


@router.post(
    "/procurement/organisations/{organisation_id}/members/{membership_id}/limit",
    name="procurement_org_member_limit",
)
async def member_limit(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    organisation_id: int,
    membership_id: int,
    approval_limit: Text = "",
) -> Response:
    try:
        await service.set_approval_limit(
            session,
            actor=user,
            organisation_id=organisation_id,
            membership_id=membership_id,
            approval_limit_paise=parse_rupees(approval_limit, "approval_limit"),
        )
    except FormErrors as exc:
        return await _render_org(request, session, user, organisation_id, exc.errors)
    flash(request, _("Approval limit saved."), "success")
    return redirect_to(request, "procurement_org", organisation_id=organisation_id)


@router.post(
    "/procurement/organisations/{organisation_id}/addresses", name="procurement_org_address_add"
)
async def address_add(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    organisation_id: int,
    consignee_user_id: Text = "",
    label: Text = "",
    line1: Text = "",
    line2: Text = "",
    city: Text = "",
    district_id: Text = "",
    pin: Text = "",
) -> Response:
    values = {
        "consignee_user_id": consignee_user_id,
        "label": label,
        "line1": line1,
        "line2": line2,
        "city": city,
        "district_id": district_id,
        "pin": pin,
    }
    try:
        await service.add_delivery_address(
            session,
            actor=user,
            organisation_id=organisation_id,
            data=service.AddressInput(
                consignee_user_id=form_int(consignee_user_id, low=1),
                label=label,
                line1=line1,
                line2=line2,
                city=city,
                district_id=form_int(district_id, low=1),
                pin=pin,
            ),
        )
    except FormErrors as exc:
        return await _render_org(request, session, user, organisation_id, exc.errors, values)
    flash(request, _("Delivery address added."), "success")
    return redirect_to(request, "procurement_org", organisation_id=organisation_id)


# Platform admins -----------------------------------------------------------------------------


@admin_router.post(
    "/admin/procurement/organisations/{organisation_id}/verify",
    name="admin_procurement_org_verify",
)
async def organisation_verify(
    request: Request, session: SessionDep, admin: AdminUser, organisation_id: int
) -> Response:
    org = await service.verify_organisation(session, admin=admin, organisation_id=organisation_id)
    flash(request, _("%(name)s is verified.", name=org.name), "success")
    return redirect_to(request, "admin_procurement")
