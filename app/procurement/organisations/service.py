"""Buyer organisations: creation (the creator becomes org admin), verification of government
organisations by a platform admin, members in roles, approval limits, delivery addresses.

Every change is audited (app/procurement/audit)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as accounts_repository
from app.accounts import service as accounts_service
from app.accounts.models import User
from app.db import begin_write, utcnow
from app.errors import Conflict, FormErrors
from app.i18n import gettext as _
from app.jobs import enqueue
from app.procurement.audit import service as audit
from app.procurement.organisations import repository
from app.procurement.organisations.errors import OrganisationNotFound, RoleRequired
from app.procurement.organisations.models import (
    GOVERNMENT_KINDS,
    DeliveryAddress,
    Membership,
    Organisation,
    OrgKind,
    Role,
)

GSTIN_PATTERN = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")
PIN_PATTERN = re.compile(r"^[1-9][0-9]{5}$")
MEMBER_EMAIL_JOB = "procurement.member_added_email"


async def require_role(
    session: AsyncSession, *, user_id: int, organisation_id: int, role: Role | str
) -> Membership:
    """The user's membership in that role, else 403 (also when the organisation does not exist,
    so nobody learns which organisations exist)."""
    found = await repository.membership(
        session, organisation_id=organisation_id, user_id=user_id, role=Role(role)
    )
    if found is None:
        raise RoleRequired(
            _("You need the %(role)s role in this organisation.", role=role_label(Role(role)))
        )
    return found


async def memberships_of(session: AsyncSession, user_id: int) -> list[Membership]:
    return await repository.memberships_of_user(session, user_id)


async def roles_in(session: AsyncSession, *, user_id: int, organisation_id: int) -> set[Role]:
    return {
        m.role
        for m in await repository.memberships_of_user(session, user_id)
        if m.organisation_id == organisation_id
    }


def role_label(role: Role) -> str:
    return {
        Role.BUYER: _("buyer"),
        Role.CONSIGNEE: _("consignee"),
        Role.PAYING_AUTHORITY: _("paying authority"),
        Role.ORG_ADMIN: _("organisation admin"),
    }[role]


def kind_label(kind: OrgKind) -> str:
    return {
        OrgKind.MINISTRY: _("Ministry"),
        OrgKind.DEPARTMENT: _("Department"),
        OrgKind.PSU: _("Public sector undertaking"),
        OrgKind.STATE_AGENCY: _("State agency"),
        OrgKind.COMPANY: _("Company"),
    }[kind]


@dataclass(frozen=True)
class OrganisationInput:
    name: str
    kind: str
    gstin: str = ""
    state_id: int | None = None


async def get_organisation(session: AsyncSession, organisation_id: int) -> Organisation:
    org = await repository.organisation_by_id(session, organisation_id)
    if org is None:
        raise OrganisationNotFound()
    return org


async def member_organisation(
    session: AsyncSession, *, user_id: int, organisation_id: int
) -> Organisation:
    """The organisation if the user holds any role in it, else 404."""
    if not await roles_in(session, user_id=user_id, organisation_id=organisation_id):
        raise OrganisationNotFound()
    return await get_organisation(session, organisation_id)


async def _check_organisation(
    session: AsyncSession, data: OrganisationInput
) -> tuple[str, OrgKind, str | None, int | None]:
    errors: dict[str, str] = {}
    name = " ".join(data.name.split())
    if not 2 <= len(name) <= 200:
        errors["name"] = _("Enter the organisation's name (2 to 200 characters).")
    try:
        kind = OrgKind(data.kind)
    except ValueError:
        errors["kind"] = _("Choose what kind of organisation it is.")
        kind = OrgKind.COMPANY
    gstin = data.gstin.strip().upper() or None
    if gstin is not None and not GSTIN_PATTERN.match(gstin):
        errors["gstin"] = _(
            "Enter a 15-character GSTIN such as 07AAAAA0000A1Z5, or leave it empty."
        )
    state_id = data.state_id
    if state_id is not None and await repository.state_by_id(session, state_id) is None:
        errors["state_id"] = _("Choose a State or Union Territory from the list.")
    if errors:
        raise FormErrors(errors)
    return name, kind, gstin, state_id


async def create_organisation(
    session: AsyncSession, *, user: User, data: OrganisationInput
) -> Organisation:
    """A new organisation; its creator is its first org admin. Government kinds start
    unverified: they cannot issue purchase orders until a platform admin verifies them."""
    await begin_write(session)
    name, kind, gstin, state_id = await _check_organisation(session, data)
    org = Organisation(
        name=name,
        kind=kind,
        is_government=kind in GOVERNMENT_KINDS,
        gstin=gstin,
        state_id=state_id,
        created_by_user_id=user.id,
        created_at=utcnow(),
    )
    session.add(org)
    await session.flush()
    session.add(
        Membership(
            organisation_id=org.id, user_id=user.id, role=Role.ORG_ADMIN, added_by_user_id=user.id
        )
    )
    await session.flush()
    await audit.record(
        session,
        organisation_id=org.id,
        action="organisation.created",
        actor_user_id=user.id,
        actor_role=Role.ORG_ADMIN.value,
        subject="organisation",
        subject_id=org.id,
        values={"name": name, "kind": kind, "gstin": gstin, "state_id": state_id},
    )
    return org


async def verify_organisation(
    session: AsyncSession, *, admin: User, organisation_id: int
) -> Organisation:
    await begin_write(session)
    org = await get_organisation(session, organisation_id)
    if org.verified_at is not None:
        return org
    org.verified_at = utcnow()
    org.verified_by = admin.id
    await session.flush()
    await audit.record(
        session,
        organisation_id=org.id,
        action="organisation.verified",
        actor_user_id=admin.id,
        actor_role=audit.ADMIN_ROLE,
        subject="organisation",
        subject_id=org.id,
        values={"name": org.name, "kind": org.kind},
    )
    return org


async def unverified_government(session: AsyncSession) -> list[Organisation]:
    return [
        o for o in await repository.organisations(session) if o.is_government and not o.verified_at
    ]


async def all_organisations(session: AsyncSession) -> list[Organisation]:
    return await repository.organisations(session)


async def organisations_of(session: AsyncSession, user_id: int) -> list[Organisation]:
    ids = sorted(
        {m.organisation_id for m in await repository.memberships_of_user(session, user_id)}
    )
    return await repository.organisations(session, ids)


def _parse_roles(roles: Iterable[str]) -> list[Role]:
    parsed: list[Role] = []
    for value in roles:
        try:
            role = Role(value)
        except ValueError:
            raise FormErrors({"roles": _("Choose roles from the list.")}) from None
        if role not in parsed:
            parsed.append(role)
    if not parsed:
        raise FormErrors({"roles": _("Choose at least one role.")})
    return parsed


def _check_limit(limit_paise: int | None) -> None:
    if limit_paise is not None and limit_paise < 0:
        raise FormErrors(
            {"approval_limit": _("Enter an amount of zero or more, or leave it empty.")}
        )


async def add_member(
    session: AsyncSession,
    *,
    actor: User,
    organisation_id: int,
    email: str,
    roles: Iterable[str],
    approval_limit_paise: int | None = None,
) -> list[Membership]:
    """Give the account with that email the roles (an org admin only); the person is told by
    email. Roles they already hold are kept as they are."""
    await begin_write(session)
    await require_role(
        session, user_id=actor.id, organisation_id=organisation_id, role=Role.ORG_ADMIN
    )
    FormErrors.collect(lambda: _parse_roles(roles), lambda: _check_limit(approval_limit_paise))
    wanted = _parse_roles(roles)
    try:
        normalised = accounts_service.normalise_email(email)
    except FormErrors:
        raise FormErrors({"email": _("Enter an email address like name@example.gov.in.")}) from None
    member = await accounts_repository.user_by_email(session, normalised)
    if member is None or not member.is_active:
        raise FormErrors(
            {
                "email": _(
                    "No account uses %(email)s yet. Ask them to register at /account/register "
                    "and then add them.",
                    email=normalised,
                )
            }
        )
    added: list[Membership] = []
    for role in wanted:
        existing = await repository.membership(
            session, organisation_id=organisation_id, user_id=member.id, role=role
        )
        if existing is not None:
            continue
        row = Membership(
            organisation_id=organisation_id,
            user_id=member.id,
            role=role,
            approval_limit_paise=approval_limit_paise if role == Role.BUYER else None,
            added_by_user_id=actor.id,
            created_at=utcnow(),
        )
        session.add(row)
        added.append(row)
    if not added:
        raise FormErrors({"roles": _("They already hold every role you chose.")})
    await session.flush()
    await audit.record(
        session,
        organisation_id=organisation_id,
        action="member.added",
        actor_user_id=actor.id,
        actor_role=Role.ORG_ADMIN.value,
        subject="user",
        subject_id=member.id,
        values={
            "email": normalised,
            "roles": [m.role for m in added],
            "approval_limit_paise": approval_limit_paise,
        },
    )
    enqueue(
        session,
        MEMBER_EMAIL_JOB,
        {
            "organisation_id": organisation_id,
            "user_id": member.id,
            "roles": [m.role.value for m in added],
        },
    )
    return added


async def remove_membership(
    session: AsyncSession, *, actor: User, organisation_id: int, membership_id: int
) -> None:
    await begin_write(session)
    await require_role(
        session, user_id=actor.id, organisation_id=organisation_id, role=Role.ORG_ADMIN
    )
    target = await session.get(Membership, membership_id)
    if target is None or target.organisation_id != organisation_id:
        raise OrganisationNotFound(_("No such membership in this organisation."))
    if (
        target.role == Role.ORG_ADMIN
        and await repository.count_role(session, organisation_id, Role.ORG_ADMIN) <= 1
    ):
        raise Conflict(_("An organisation keeps at least one organisation admin."))
    await repository.delete_membership(session, target.id)
    await audit.record(
        session,
        organisation_id=organisation_id,
        action="member.role_removed",
        actor_user_id=actor.id,
        actor_role=Role.ORG_ADMIN.value,
        subject="user",
        subject_id=target.user_id,
        values={"role": target.role},
    )


async def set_approval_limit(
    session: AsyncSession,
    *,
    actor: User,
    organisation_id: int,
    membership_id: int,
    approval_limit_paise: int | None,
) -> Membership:
    await begin_write(session)
    await require_role(
        session, user_id=actor.id, organisation_id=organisation_id, role=Role.ORG_ADMIN
    )
    _check_limit(approval_limit_paise)
    target = await session.get(Membership, membership_id)
    if target is None or target.organisation_id != organisation_id or target.role != Role.BUYER:
        raise OrganisationNotFound(_("No such buyer in this organisation."))
    before = target.approval_limit_paise
    target.approval_limit_paise = approval_limit_paise
    await session.flush()
    await audit.record(
        session,
        organisation_id=organisation_id,
        action="member.approval_limit_set",
        actor_user_id=actor.id,
        actor_role=Role.ORG_ADMIN.value,
        subject="user",
        subject_id=target.user_id,
        values={"before_paise": before, "approval_limit_paise": approval_limit_paise},
    )
    return target


@dataclass(frozen=True)
class AddressInput:
    consignee_user_id: int | None
    line1: str
    city: str
    district_id: int | None
    pin: str
    line2: str = ""
    label: str = ""


async def add_delivery_address(
    session: AsyncSession, *, actor: User, organisation_id: int, data: AddressInput
) -> DeliveryAddress:
    """An org admin sets a delivery address for one of the organisation's consignees; the State
    comes from the district (reference data)."""
    await begin_write(session)
    await require_role(
        session, user_id=actor.id, organisation_id=organisation_id, role=Role.ORG_ADMIN
    )
    errors: dict[str, str] = {}
    consignee_ok = data.consignee_user_id is not None and await repository.membership(
        session,
        organisation_id=organisation_id,
        user_id=data.consignee_user_id,
        role=Role.CONSIGNEE,
    )
    if not consignee_ok:
        errors["consignee_user_id"] = _("Choose one of this organisation's consignees.")
    line1 = " ".join(data.line1.split())
    city = " ".join(data.city.split())
    if not 3 <= len(line1) <= 200:
        errors["line1"] = _("Enter the address (building, street), 3 to 200 characters.")
    if not 2 <= len(city) <= 120:
        errors["city"] = _("Enter the town or city.")
    district = (
        await repository.district_by_id(session, data.district_id) if data.district_id else None
    )
    if district is None:
        errors["district_id"] = _("Choose the district from the list.")
    pin = data.pin.strip().replace(" ", "")
    if not PIN_PATTERN.match(pin):
        errors["pin"] = _("Enter a 6-digit PIN code that does not start with 0.")
    if len(data.line2) > 200 or len(data.label) > 120:
        errors["line2"] = _("That is too long.")
    if errors:
        raise FormErrors(errors)
    assert district is not None and data.consignee_user_id is not None
    address = DeliveryAddress(
        organisation_id=organisation_id,
        consignee_user_id=data.consignee_user_id,
        label=" ".join(data.label.split()),
        line1=line1,
        line2=" ".join(data.line2.split()),
        city=city,
        district_id=district.id,
        state_id=district.state_id,
        pin=pin,
        created_at=utcnow(),
    )
    session.add(address)
    await session.flush()
    await audit.record(
        session,
        organisation_id=organisation_id,
        action="address.added",
        actor_user_id=actor.id,
        actor_role=Role.ORG_ADMIN.value,
        subject="delivery_address",
        subject_id=address.id,
        values={
            "consignee_user_id": address.consignee_user_id,
            "line1": address.line1,
            "city": city,
            "district": district.name,
            "pin": pin,
        },
    )
    return address


async def addresses_of(
    session: AsyncSession, organisation_id: int, consignee_user_id: int | None = None
) -> list[DeliveryAddress]:
    return await repository.addresses(session, organisation_id, consignee_user_id)


async def members(session: AsyncSession, organisation_id: int) -> list[tuple[Membership, User]]:
    return await repository.members(session, organisation_id)
