"""create_purchase_order prices on the server from the listing's GST data, and the audit trail
is append-only in the database (triggers), not only in the ORM."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.errors import FormErrors
from app.procurement.audit import service as audit
from app.procurement.organisations.errors import NotVerified, RoleRequired
from app.procurement.purchase_orders import service
from app.procurement.purchase_orders.models import POState
from app.procurement.purchase_orders.schemas import POLine
from app.procurement.rules import buying_mode_for
from tests.procurement.core.conftest import in_days, make_office


def test_buying_mode_follows_the_limits(settings: Settings) -> None:
    assert buying_mode_for(5_000_000, settings) == "direct"
    assert buying_mode_for(5_000_001, settings) == "l1"
    assert buying_mode_for(100_000_000, settings) == "l1"
    assert buying_mode_for(100_000_001, settings) == "bid"


async def test_create_purchase_order_recomputes_gst_and_freezes_lines(
    db: AsyncSession, settings: Settings
) -> None:
    office = await make_office(db)
    glass = office.shop.glass
    po = await service.create_purchase_order(
        db,
        organisation_id=office.organisation.id,
        buyer_user_id=office.buyer.id,
        consignee_user_id=office.consignee.id,
        delivery_address_id=office.address.id,
        seller_id=office.shop.up_seller.id,
        lines=[POLine(listing_id=glass.id, quantity=10, unit_price_paise=90_000)],
        mode="direct",
        source="test",
        source_id=None,
        justification=None,
        delivery_by=in_days(14),
        settings=settings,
    )
    assert po.state == POState.ISSUED
    assert po.number.startswith("PO-") and len(po.number) == 13
    # 10 x Rs 900 = Rs 9,000 of goods.
    assert po.goods_paise == 900_000
    assert po.shipping_paise == 0  # the seller ships free above Rs 5,000
    line = po.lines[0]
    assert (line.title, line.hsn_code, line.unit_code) == (
        "Firozabad glass bangles",
        "6913",
        "dozen",
    )
    # Agra and Firozabad are both in Uttar Pradesh: CGST + SGST, halves of the contained GST.
    assert po.igst_paise == 0 and po.cgst_paise + po.sgst_paise == line.tax_paise
    assert po.cgst_paise - po.sgst_paise in (0, 1)
    assert po.total_paise == po.taxable_paise + po.tax_paise
    trail = await audit.trail(db, po.id)
    assert [r.action for r in trail] == ["purchase_order.issued"]
    assert trail[0].actor_user_id == office.buyer.id and trail[0].actor_role == "buyer"
    assert trail[0].details["lines"][0]["unit_price_paise"] == 90_000


async def test_only_buyers_of_verified_organisations_issue(
    db: AsyncSession, settings: Settings
) -> None:
    office = await make_office(db, verified=False)
    args: dict[str, Any] = {
        "organisation_id": office.organisation.id,
        "consignee_user_id": office.consignee.id,
        "delivery_address_id": office.address.id,
        "seller_id": office.shop.up_seller.id,
        "lines": [POLine(listing_id=office.shop.glass.id, quantity=2, unit_price_paise=105_000)],
        "mode": "direct",
        "source": "test",
        "source_id": None,
        "justification": None,
        "delivery_by": in_days(5),
    }
    with pytest.raises(NotVerified):
        await service.create_purchase_order(db, buyer_user_id=office.buyer.id, **args)
    with pytest.raises(RoleRequired):
        await service.create_purchase_order(db, buyer_user_id=office.consignee.id, **args)


async def test_a_po_is_to_one_seller(db: AsyncSession) -> None:
    office = await make_office(db)
    with pytest.raises(FormErrors):
        await service.create_purchase_order(
            db,
            organisation_id=office.organisation.id,
            buyer_user_id=office.buyer.id,
            consignee_user_id=office.consignee.id,
            delivery_address_id=office.address.id,
            seller_id=office.shop.up_seller.id,
            lines=[POLine(listing_id=office.shop.quilt.id, quantity=1, unit_price_paise=1)],
            mode="direct",
            source="test",
            source_id=None,
            justification=None,
            delivery_by=in_days(5),
        )


@pytest.mark.parametrize(
    "statement", ["UPDATE procurement_audit SET action = 'x'", "DELETE FROM procurement_audit"]
)
async def test_audit_is_append_only_in_the_database(db: AsyncSession, statement: str) -> None:
    office = await make_office(db)
    await audit.record(
        db,
        organisation_id=office.organisation.id,
        action="test.action",
        actor_user_id=office.admin.id,
        actor_role="org_admin",
        subject="organisation",
        subject_id=office.organisation.id,
        values={"seen": 1},
    )
    await db.flush()
    with pytest.raises((DBAPIError, IntegrityError)) as raised:
        async with db.begin_nested():
            await db.execute(text(statement))
    assert "append-only" in str(raised.value)
    assert len(list(await db.scalars(text("SELECT id FROM procurement_audit")))) >= 1
