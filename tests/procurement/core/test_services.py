"""Rules of the procurement core services: organisations and roles, the PO state machine,
separation of duties, a consignee of another organisation, deliveries that cannot exceed the
order, direct purchase within its limit, approval limits, and incidents for missed deadlines."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role as AccountRole
from app.config import Settings
from app.errors import Conflict, FormErrors
from app.jobs import Job
from app.procurement.audit import service as audit
from app.procurement.organisations import service as organisations
from app.procurement.organisations.errors import OrganisationNotFound, RoleRequired
from app.procurement.organisations.models import Membership, OrgKind, Role
from app.procurement.purchase_orders import direct, service
from app.procurement.purchase_orders.errors import (
    PurchaseOrderNotFound,
    SeparationOfDuties,
    TransitionNotAllowed,
)
from app.procurement.purchase_orders.models import IncidentKind, POState, PurchaseOrder
from app.procurement.purchase_orders.schemas import POLine
from tests import factories
from tests.procurement.core.conftest import (
    Office,
    add_roles,
    in_days,
    make_office,
    make_organisation,
)


async def issue(
    db: AsyncSession, settings: Settings, office: Office, quantity: int = 2
) -> PurchaseOrder:
    return await service.create_purchase_order(
        db,
        organisation_id=office.organisation.id,
        buyer_user_id=office.buyer.id,
        consignee_user_id=office.consignee.id,
        delivery_address_id=office.address.id,
        seller_id=office.shop.up_seller.id,
        lines=[POLine(office.shop.glass.id, quantity, 105_000)],
        mode="direct",
        source="test",
        source_id=None,
        justification=None,
        delivery_by=in_days(7),
        settings=settings,
    )


async def delivered(db: AsyncSession, settings: Settings, office: Office) -> PurchaseOrder:
    po = await issue(db, settings, office)
    await service.seller_accept(db, settings, user=office.shop.up_owner, number=po.number)
    await service.record_delivery(
        db,
        user=office.shop.up_owner,
        number=po.number,
        quantities={po.lines[0].id: 2},
        delivered_on=in_days(0),
    )
    return po


# Organisations ------------------------------------------------------------------------------------


async def test_the_creator_is_org_admin_and_government_kinds_wait_for_verification(
    db: AsyncSession,
) -> None:
    user = await factories.user(db)
    org = await organisations.create_organisation(
        db,
        user=user,
        data=organisations.OrganisationInput(name="  Ministry  of Textiles ", kind="ministry"),
    )
    assert org.name == "Ministry of Textiles" and org.is_government and not org.can_issue_orders
    member = await organisations.require_role(
        db, user_id=user.id, organisation_id=org.id, role=Role.ORG_ADMIN
    )
    assert member.user_id == user.id
    with pytest.raises(RoleRequired):
        await organisations.require_role(db, user_id=user.id, organisation_id=org.id, role="buyer")
    admin = await factories.user(db, role=AccountRole.ADMIN)
    await organisations.verify_organisation(db, admin=admin, organisation_id=org.id)
    assert org.can_issue_orders and org.verified_by == admin.id
    company = await organisations.create_organisation(
        db, user=user, data=organisations.OrganisationInput(name="Crafts Co", kind=OrgKind.COMPANY)
    )
    assert not company.is_government and company.can_issue_orders


async def test_bad_organisation_input_is_a_form_error(db: AsyncSession) -> None:
    user = await factories.user(db)
    with pytest.raises(FormErrors) as raised:
        await organisations.create_organisation(
            db,
            user=user,
            data=organisations.OrganisationInput(
                name="x", kind="club", gstin="123", state_id=999_999
            ),
        )
    assert set(raised.value.errors) == {"name", "kind", "gstin", "state_id"}


async def test_org_admins_add_members_with_several_roles_and_addresses(db: AsyncSession) -> None:
    office = await make_office(db)
    person = await factories.user(db)
    added = await organisations.add_member(
        db,
        actor=office.admin,
        organisation_id=office.organisation.id,
        email=person.email or "",
        roles=["buyer", "consignee"],
        approval_limit_paise=1_000_000,
    )
    assert sorted(m.role for m in added) == [Role.BUYER, Role.CONSIGNEE]
    assert next(m for m in added if m.role == Role.BUYER).approval_limit_paise == 1_000_000
    with pytest.raises(FormErrors):  # no account with that email
        await organisations.add_member(
            db,
            actor=office.admin,
            organisation_id=office.organisation.id,
            email="nobody@example.test",
            roles=["buyer"],
        )
    with pytest.raises(RoleRequired):  # only org admins add members
        await organisations.add_member(
            db,
            actor=office.buyer,
            organisation_id=office.organisation.id,
            email=person.email or "",
            roles=["paying_authority"],
        )
    lucknow = await factories.district(db, "uttar-pradesh", "lucknow")
    address = await organisations.add_delivery_address(
        db,
        actor=office.admin,
        organisation_id=office.organisation.id,
        data=organisations.AddressInput(
            consignee_user_id=person.id,
            line1="Yojana Bhawan",
            city="Lucknow",
            district_id=lucknow.id,
            pin="226001",
        ),
    )
    assert address.state_id == lucknow.state_id
    with pytest.raises(FormErrors) as raised:
        await organisations.add_delivery_address(
            db,
            actor=office.admin,
            organisation_id=office.organisation.id,
            data=organisations.AddressInput(
                consignee_user_id=office.buyer.id,  # not a consignee
                line1="",
                city="",
                district_id=None,
                pin="012345",
            ),
        )
    assert set(raised.value.errors) == {"consignee_user_id", "line1", "city", "district_id", "pin"}
    actions = [r.action for r in await audit.recent(db, office.organisation.id)]
    assert "member.added" in actions and "address.added" in actions


async def test_the_last_org_admin_stays(db: AsyncSession) -> None:
    office = await make_office(db)
    own = await db.scalar(
        select(Membership).where(
            Membership.user_id == office.admin.id, Membership.role == Role.ORG_ADMIN
        )
    )
    assert own is not None
    with pytest.raises(Conflict):
        await organisations.remove_membership(
            db, actor=office.admin, organisation_id=office.organisation.id, membership_id=own.id
        )


# The state machine --------------------------------------------------------------------------------


async def test_only_listed_transitions_happen(db: AsyncSession, settings: Settings) -> None:
    office = await make_office(db)
    seller = office.shop.up_owner
    po = await issue(db, settings, office)
    with pytest.raises(TransitionNotAllowed):  # nothing delivered yet
        await service.provisional_receipt(db, settings, user=office.consignee, number=po.number)
    with pytest.raises(TransitionNotAllowed):
        await service.issue_invoice(db, settings, user=seller, number=po.number)
    await service.seller_accept(db, settings, user=seller, number=po.number)
    with pytest.raises(TransitionNotAllowed):  # accepted twice
        await service.seller_accept(db, settings, user=seller, number=po.number)
    with pytest.raises(TransitionNotAllowed):  # cancelled after the seller accepted
        await service.buyer_cancel(db, user=office.buyer, number=po.number, reason="Changed plan")
    assert set(service.ALLOWED) == set(POState)
    for state in (POState.DECLINED, POState.GOODS_REJECTED, POState.PAID, POState.CANCELLED):
        assert service.ALLOWED[state] == frozenset()


async def test_deliveries_are_partial_and_never_exceed_the_order(
    db: AsyncSession, settings: Settings
) -> None:
    office = await make_office(db)
    seller = office.shop.up_owner
    po = await issue(db, settings, office, quantity=5)
    await service.seller_accept(db, settings, user=seller, number=po.number)
    line = po.lines[0].id
    await service.record_delivery(
        db, user=seller, number=po.number, quantities={line: 3}, delivered_on=in_days(0)
    )
    states = [po.state]
    with pytest.raises(FormErrors):
        await service.record_delivery(
            db, user=seller, number=po.number, quantities={line: 3}, delivered_on=in_days(0)
        )
    with pytest.raises(FormErrors):  # a line of another PO
        await service.record_delivery(
            db, user=seller, number=po.number, quantities={line + 999: 1}, delivered_on=in_days(0)
        )
    with pytest.raises(FormErrors):  # in the future
        await service.record_delivery(
            db, user=seller, number=po.number, quantities={line: 2}, delivered_on=in_days(2)
        )
    await service.record_delivery(
        db, user=seller, number=po.number, quantities={line: 2}, delivered_on=in_days(0)
    )
    states.append(po.state)
    assert states == [POState.PARTLY_DELIVERED, POState.DELIVERED]
    assert po.lines[0].delivered_quantity == 5


async def test_another_seller_cannot_touch_the_po(db: AsyncSession, settings: Settings) -> None:
    office = await make_office(db)
    po = await issue(db, settings, office)
    with pytest.raises(PurchaseOrderNotFound):
        await service.seller_accept(db, settings, user=office.shop.rj_owner, number=po.number)


async def test_a_consignee_cannot_accept_goods_for_another_organisation(
    db: AsyncSession, settings: Settings
) -> None:
    office = await make_office(db)
    po = await delivered(db, settings, office)
    other = await make_organisation(db)
    stranger_consignee = await factories.user(db)
    await add_roles(db, other, stranger_consignee, Role.CONSIGNEE)
    with pytest.raises(PurchaseOrderNotFound):
        await service.provisional_receipt(db, settings, user=stranger_consignee, number=po.number)
    with pytest.raises(RoleRequired):  # a member of the organisation without the role
        await service.provisional_receipt(db, settings, user=office.payer, number=po.number)
    await service.provisional_receipt(db, settings, user=office.consignee, number=po.number)
    with pytest.raises(PurchaseOrderNotFound):
        await service.accept_goods(db, settings, user=stranger_consignee, number=po.number)
    assert po.state == POState.RECEIVED
    assert po.acceptance_due == in_days(settings.procurement_acceptance_days)


async def test_rejection_needs_a_reason_and_ends_the_po(
    db: AsyncSession, settings: Settings
) -> None:
    office = await make_office(db)
    po = await delivered(db, settings, office)
    await service.provisional_receipt(db, settings, user=office.consignee, number=po.number)
    with pytest.raises(FormErrors):
        await service.reject_goods(
            db, settings, user=office.consignee, number=po.number, reason=" "
        )
    await service.reject_goods(
        db, settings, user=office.consignee, number=po.number, reason="Bangles broken in transit"
    )
    assert po.state == POState.GOODS_REJECTED
    with pytest.raises(TransitionNotAllowed):
        await service.issue_invoice(db, settings, user=office.shop.up_owner, number=po.number)


# Separation of duties -----------------------------------------------------------------------------


async def invoiced(db: AsyncSession, settings: Settings, office: Office) -> PurchaseOrder:
    po = await delivered(db, settings, office)
    await service.provisional_receipt(db, settings, user=office.consignee, number=po.number)
    await service.accept_goods(db, settings, user=office.consignee, number=po.number)
    await service.issue_invoice(db, settings, user=office.shop.up_owner, number=po.number)
    return po


async def test_the_orderer_may_not_pay_above_the_separation_limit(
    db: AsyncSession, settings: Settings
) -> None:
    office = await make_office(db)
    await add_roles(db, office.organisation, office.buyer, Role.PAYING_AUTHORITY)
    po = await invoiced(db, settings, office)
    strict = settings.model_copy(update={"procurement_separation_limit_paise": po.total_paise - 1})
    with pytest.raises(SeparationOfDuties):
        await service.record_payment(
            db, strict, user=office.buyer, number=po.number, reference="UTR1", paid_on=in_days(0)
        )
    await service.record_payment(
        db, strict, user=office.payer, number=po.number, reference="UTR123", paid_on=in_days(0)
    )
    assert po.state == POState.PAID and po.paid_by_user_id == office.payer.id


async def test_the_orderer_may_pay_within_the_separation_limit(
    db: AsyncSession, settings: Settings
) -> None:
    office = await make_office(db)
    await add_roles(db, office.organisation, office.buyer, Role.PAYING_AUTHORITY)
    po = await invoiced(db, settings, office)
    assert po.total_paise <= settings.procurement_separation_limit_paise
    with pytest.raises(FormErrors):  # before the invoice
        await service.record_payment(
            db,
            settings,
            user=office.buyer,
            number=po.number,
            reference="UTR9",
            paid_on=in_days(-400),
        )
    await service.record_payment(
        db, settings, user=office.buyer, number=po.number, reference="UTR9", paid_on=in_days(0)
    )
    assert po.state == POState.PAID


# Direct purchase and limits -----------------------------------------------------------------------


async def test_direct_purchase_only_within_the_direct_limit(
    db: AsyncSession, settings: Settings
) -> None:
    office = await make_office(db)
    args = {
        "user": office.buyer,
        "listing_id": office.shop.glass.id,
        "organisation_id": office.organisation.id,
        "consignee_user_id": office.consignee.id,
        "delivery_address_id": office.address.id,
    }
    small = await direct.quote(db, settings, quantity=10, **args)  # type: ignore[arg-type]
    assert small.unit_price_paise == 95_000 and small.allowed  # the tier price for 10
    big = await direct.quote(db, settings, quantity=60, **args)  # type: ignore[arg-type]
    assert big.priced.total == 60 * 95_000 and big.mode == "l1" and not big.allowed
    with pytest.raises(FormErrors) as raised:
        await direct.place(db, settings, quantity=60, delivery_by=in_days(5), **args)  # type: ignore[arg-type]
    assert "L1 comparison" in raised.value.errors["quantity"]
    huge = await direct.quote(db, settings, quantity=1100, **args)  # type: ignore[arg-type]
    assert huge.mode == "bid"
    po = await direct.place(db, settings, quantity=10, delivery_by=in_days(5), **args)  # type: ignore[arg-type]
    assert po.mode == "direct" and po.total_paise == 950_000 and po.source == "listing"


async def test_a_buyer_stays_within_their_approval_limit(
    db: AsyncSession, settings: Settings
) -> None:
    office = await make_office(db)
    membership = await db.scalar(select(Membership).where(Membership.user_id == office.buyer.id))
    assert membership is not None
    await organisations.set_approval_limit(
        db,
        actor=office.admin,
        organisation_id=office.organisation.id,
        membership_id=membership.id,
        approval_limit_paise=200_000,
    )
    with pytest.raises(FormErrors):
        await issue(db, settings, office, quantity=2)  # 2 x Rs 1,050 = Rs 2,100 > Rs 2,000


async def test_an_outsider_cannot_issue_for_the_organisation(
    db: AsyncSession, settings: Settings
) -> None:
    office = await make_office(db)
    outsider = await factories.user(db)
    with pytest.raises(RoleRequired):
        await direct.quote(
            db,
            settings,
            user=outsider,
            listing_id=office.shop.glass.id,
            quantity=2,
            organisation_id=office.organisation.id,
            consignee_user_id=office.consignee.id,
            delivery_address_id=office.address.id,
        )
    with pytest.raises(OrganisationNotFound):
        await organisations.member_organisation(
            db, user_id=outsider.id, organisation_id=office.organisation.id
        )


# Incidents ----------------------------------------------------------------------------------------


async def test_missed_deadlines_raise_incidents_once_and_are_resolved(
    db: AsyncSession, settings: Settings
) -> None:
    office = await make_office(db)
    po = await issue(db, settings, office)
    await db.flush()
    jobs = list(await db.scalars(select(Job).where(Job.kind == service.DEADLINE_JOB)))
    assert len(jobs) == 2  # the answer deadline and the delivery date
    assert await service.scan_deadlines(db, po.accept_by) == 0  # not missed on the day itself
    late = po.delivery_by + timedelta(days=1)
    assert await service.scan_deadlines(db, late) == 2  # no answer, nothing delivered
    assert await service.scan_deadlines(db, late) == 0  # once per kind
    kinds = {i.kind for i in await service.incidents(db, [po.id])}
    assert kinds == {IncidentKind.LATE_ACCEPTANCE, IncidentKind.LATE_DELIVERY}
    await service.seller_accept(db, settings, user=office.shop.up_owner, number=po.number)
    await service.record_delivery(
        db,
        user=office.shop.up_owner,
        number=po.number,
        quantities={po.lines[0].id: 2},
        delivered_on=in_days(0),
    )
    assert all(i.resolved_at is not None for i in await service.incidents(db, [po.id]))
    trail = [r.action for r in await audit.trail(db, po.id)]
    assert trail.count("incident.raised") == 2
    system = next(r for r in await audit.trail(db, po.id) if r.action == "incident.raised")
    assert system.actor_user_id is None and system.actor_role == "system"


async def test_an_unpaid_invoice_becomes_overdue(db: AsyncSession, settings: Settings) -> None:
    office = await make_office(db)
    po = await invoiced(db, settings, office)
    assert po.payment_due is not None
    raised = await service.check_deadlines(db, po.id, po.payment_due + timedelta(days=1))
    assert [i.kind for i in raised] == [IncidentKind.OVERDUE_PAYMENT]
