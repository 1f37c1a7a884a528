"""A direct purchase that, with the organisation's recent direct purchases of the same item,
crosses the direct limit (one demand split to dodge it): warned in the quote, refused until the
buyer confirms it is a separate need, then recorded and audited. Service, page and API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.config import Settings
from app.errors import FormErrors
from app.procurement.audit.models import AuditRecord
from app.procurement.organisations.models import DeliveryAddress, Role
from app.procurement.purchase_orders import direct
from app.procurement.purchase_orders.models import PurchaseOrder, SplitEvent
from tests.helpers import post_form
from tests.procurement.core.conftest import (
    Office,
    add_roles,
    in_days,
    make_office,
    make_organisation,
)
from tests.procurement.core.test_api import bearer

SignIn = Callable[[User], Awaitable[str]]
QUANTITY = 30  # 30 x Rs 950 (tier price) = Rs 28,500: under the Rs 50,000 limit, two are over


async def _quote(
    db: AsyncSession, settings: Settings, office: Office, where: DeliveryAddress | None = None
) -> direct.DirectQuote:
    where = where or office.address
    return await direct.quote(
        db,
        settings,
        user=office.buyer,
        listing_id=office.shop.glass.id,
        quantity=QUANTITY,
        organisation_id=where.organisation_id,
        consignee_user_id=where.consignee_user_id,
        delivery_address_id=where.id,
    )


async def _place(
    db: AsyncSession,
    settings: Settings,
    office: Office,
    where: DeliveryAddress | None = None,
    *,
    separate_need: bool = False,
) -> PurchaseOrder:
    where = where or office.address
    return await direct.place(
        db,
        settings,
        user=office.buyer,
        listing_id=office.shop.glass.id,
        quantity=QUANTITY,
        organisation_id=where.organisation_id,
        consignee_user_id=where.consignee_user_id,
        delivery_address_id=where.id,
        delivery_by=in_days(10),
        separate_need=separate_need,
    )


async def _po_count(db: AsyncSession) -> int:
    return await db.scalar(select(func.count()).select_from(PurchaseOrder)) or 0


async def test_split_direct_purchase_is_warned_refused_then_recorded(
    db: AsyncSession, settings: Settings
) -> None:
    office = await make_office(db)
    # The same buyer in another organisation, which buys the same item first.
    other = await make_organisation(db)
    await add_roles(db, other, office.buyer, Role.BUYER)
    other_address = DeliveryAddress(
        organisation_id=other.id,
        consignee_user_id=office.consignee.id,
        line1="Collectorate",
        city="Agra",
        district_id=office.address.district_id,
        state_id=office.address.state_id,
        pin="282001",
    )
    await add_roles(db, other, office.consignee, Role.CONSIGNEE)
    db.add(other_address)
    await db.flush()
    elsewhere = await _place(db, settings, office, other_address)
    assert elsewhere.total_paise == 2_850_000

    # The other organisation's order does not count: the first purchase here is not warned.
    first_quote = await _quote(db, settings, office)
    assert first_quote.allowed and first_quote.split is None
    first = await _place(db, settings, office)

    # The second one, under the limit alone, crosses it with the first: warned.
    second_quote = await _quote(db, settings, office)
    split = second_quote.split
    assert second_quote.allowed and split is not None
    assert split.earlier_order_ids == [first.id] and second_quote.earlier_numbers == [first.number]
    assert split.earlier_total_paise == 2_850_000 and split.total_paise == 5_700_000
    assert split.limit_paise == settings.procurement_direct_limit_paise
    assert split.window_days == settings.procurement_split_window_days

    before = await _po_count(db)
    with pytest.raises(FormErrors) as refused:
        await _place(db, settings, office)
    assert "separate_need" in refused.value.errors
    assert await _po_count(db) == before

    second = await _place(db, settings, office, separate_need=True)
    event = await db.scalar(select(SplitEvent).where(SplitEvent.purchase_order_id == second.id))
    assert event is not None and event.organisation_id == office.organisation.id
    assert event.earlier_order_ids == [first.id] and event.user_id == office.buyer.id
    assert event.this_total_paise == 2_850_000
    audited = await db.scalar(
        select(AuditRecord).where(
            AuditRecord.organisation_id == office.organisation.id,
            AuditRecord.action == "split_purchase_detected",
            AuditRecord.subject_id == event.id,
        )
    )
    assert audited is not None and audited.actor_user_id == office.buyer.id
    # Nothing was recorded for the unwarned purchases.
    assert await db.scalar(select(func.count()).select_from(SplitEvent)) == 1


async def test_split_warning_on_the_direct_purchase_page(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    office = await make_office(db)
    first = await _place(db, settings, office)
    await db.commit()
    await sign_in(office.buyer)
    url = f"/procurement/direct/{office.shop.glass.id}"
    form = {
        "quantity": str(QUANTITY),
        "delivery_address_id": str(office.address.id),
        "delivery_by": in_days(10).isoformat(),
    }
    preview = await post_form(client, url, {**form, "action": "preview"})
    assert preview.status_code == 200
    assert 'data-split-total="5700000"' in preview.text and first.number in preview.text
    assert "₹50,000.00" in preview.text and "30 days" in preview.text
    assert 'name="separate_need"' in preview.text
    # The same from a link with the quantity and address in the query.
    linked = await client.get(
        url, params={"quantity": QUANTITY, "delivery_address_id": office.address.id}
    )
    assert linked.status_code == 200 and 'data-split-total="5700000"' in linked.text

    before = await _po_count(db)
    refused = await post_form(client, url, {**form, "action": "issue"})
    assert refused.status_code == 422
    assert 'id="f-separate_need-error"' in refused.text and 'data-split-total="' in refused.text
    assert f'value="{QUANTITY}"' in refused.text  # input kept
    assert await _po_count(db) == before

    issued = await post_form(client, url, {**form, "separate_need": "yes", "action": "issue"})
    assert issued.status_code == 303, issued.text
    number = issued.headers["location"].rsplit("/", 1)[1]
    po = await db.scalar(select(PurchaseOrder).where(PurchaseOrder.number == number))
    assert po is not None
    event = await db.scalar(select(SplitEvent).where(SplitEvent.purchase_order_id == po.id))
    assert event is not None and event.earlier_order_ids == [first.id]


async def test_split_warning_in_the_api(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    office = await make_office(db)
    auth = await bearer(db, office.buyer)
    await db.commit()
    api = "/api/v1/procurement/direct-purchases"
    body = {
        "listing_id": office.shop.glass.id,
        "quantity": QUANTITY,
        "organisation_id": office.organisation.id,
        "consignee_user_id": office.consignee.id,
        "delivery_address_id": office.address.id,
        "delivery_by": in_days(10).isoformat(),
    }
    quote = await client.post(f"{api}/quote", json=body, headers=auth)
    assert quote.status_code == 200 and quote.json()["split_warning"] is None
    first = await client.post(api, json=body, headers=auth)
    assert first.status_code == 201, first.text

    warned = (await client.post(f"{api}/quote", json=body, headers=auth)).json()["split_warning"]
    assert warned["earlier_order_numbers"] == [first.json()["number"]]
    assert warned["total_paise"] == 5_700_000 and warned["limit_paise"] == 5_000_000
    assert "not allowed" in warned["message"]

    refused = await client.post(api, json=body, headers=auth)
    assert refused.status_code == 422
    assert "separate_need" in refused.text
    confirmed = await client.post(api, json={**body, "separate_need": True}, headers=auth)
    assert confirmed.status_code == 201, confirmed.text
    po = await db.scalar(
        select(PurchaseOrder).where(PurchaseOrder.number == confirmed.json()["number"])
    )
    assert po is not None
    assert await db.scalar(select(SplitEvent).where(SplitEvent.purchase_order_id == po.id))


async def test_procurement_home_links_to_requirements_and_seller_bids(
    client: httpx.AsyncClient, db: AsyncSession, sign_in: SignIn
) -> None:
    office = await make_office(db)
    await db.commit()
    await sign_in(office.buyer)
    buyer_home = (await client.get("/procurement")).text
    assert 'href="/procurement/requirements"' in buyer_home
    assert 'href="/seller/bids"' not in buyer_home
    await sign_in(office.shop.up_owner)
    seller_home = (await client.get("/procurement")).text
    assert 'href="/seller/bids"' in seller_home
    assert 'href="/procurement/requirements"' not in seller_home
