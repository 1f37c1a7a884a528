"""The procurement part of the form fuzzer's site (tests/test_form_fuzz.py): an organisation where
the fuzzer's buyer holds every role, an unverified one for the admin to verify, and a purchase
order in each state that shows a form, so every procurement form is found on a page."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.config import Settings
from app.db import utcnow
from app.listings.models import Listing
from app.procurement.organisations.models import (
    DeliveryAddress,
    Membership,
    Organisation,
    OrgKind,
    Role,
)
from app.procurement.purchase_orders import direct, service
from app.procurement.purchase_orders.models import PurchaseOrder
from app.procurement.purchase_orders.schemas import POLine
from tests import factories
from tests.procurement.core.conftest import in_days


async def pages(
    db: AsyncSession, settings: Settings, *, buyer: User, seller_owner: User, listing: Listing
) -> dict[str, list[str]]:
    """Pages to visit per fuzzer role ("buyer", "seller", "admin")."""
    org = Organisation(
        name="Fuzz Department", kind=OrgKind.DEPARTMENT, is_government=True, verified_at=utcnow()
    )
    waiting = Organisation(name="Fuzz Ministry", kind=OrgKind.MINISTRY, is_government=True)
    db.add_all([org, waiting])
    await db.flush()
    for role in Role:
        db.add(Membership(organisation_id=org.id, user_id=buyer.id, role=role))
    place = await factories.district(db, "uttar-pradesh", "agra")
    address = DeliveryAddress(
        organisation_id=org.id,
        consignee_user_id=buyer.id,
        line1="Fuzz Bhawan",
        city="Agra",
        district_id=place.id,
        state_id=place.state_id,
        pin="282002",
    )
    db.add(address)
    await db.flush()

    async def po(unit_price_paise: int = listing.price_paise) -> PurchaseOrder:
        return await service.create_purchase_order(
            db,
            organisation_id=org.id,
            buyer_user_id=buyer.id,
            consignee_user_id=buyer.id,
            delivery_address_id=address.id,
            seller_id=listing.seller_id,
            lines=[POLine(listing.id, 1, unit_price_paise)],
            mode="direct",
            source="fuzz",
            source_id=None,
            justification=None,
            delivery_by=in_days(10),
            settings=settings,
        )

    issued = await po()
    accepted = await po()
    await service.seller_accept(db, settings, user=seller_owner, number=accepted.number)
    stages = []
    for _stage in range(4):
        one = await po()
        await service.seller_accept(db, settings, user=seller_owner, number=one.number)
        await service.record_delivery(
            db,
            user=seller_owner,
            number=one.number,
            quantities={one.lines[0].id: 1},
            delivered_on=in_days(0),
        )
        stages.append(one)
    delivered, received, goods_accepted, invoiced = stages
    for one in (received, goods_accepted, invoiced):
        await service.provisional_receipt(db, settings, user=buyer, number=one.number)
    for one in (goods_accepted, invoiced):
        await service.accept_goods(db, settings, user=buyer, number=one.number)
    await service.issue_invoice(db, settings, user=seller_owner, number=invoiced.number)
    # A large earlier direct purchase of the same item, so that buying one more is warned as a
    # split purchase and the page shows the "separate need" checkbox.
    await po(settings.procurement_direct_limit_paise * 9 // 10)
    split_page = f"/procurement/direct/{listing.id}?quantity=1&delivery_address_id={address.id}"
    one_more = await direct.quote(
        db,
        settings,
        user=buyer,
        listing_id=listing.id,
        quantity=1,
        organisation_id=org.id,
        consignee_user_id=buyer.id,
        delivery_address_id=address.id,
    )
    assert one_more.allowed and one_more.split is not None
    return {
        "buyer": [
            "/procurement",
            "/procurement/organisations/new",
            f"/procurement/organisations/{org.id}",
            f"/procurement/direct/{listing.id}",
            split_page,
            *(f"/procurement/po/{p.number}" for p in (issued, delivered, received, invoiced)),
        ],
        "seller": [
            "/procurement",
            *(f"/procurement/po/{p.number}" for p in (issued, accepted, goods_accepted)),
        ],
        "admin": ["/admin/procurement"],
    }
