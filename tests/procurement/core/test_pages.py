"""A direct purchase through the pages, each party signed in in turn: the officer issues the PO,
the seller accepts and delivers in two parts, the consignee receives and accepts, the seller
invoices, the paying authority pays, and the org admin exports the trail."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.config import Settings
from app.jobs import JobRunner
from app.mail import folder_messages
from app.orders.ledger.models import EntryKind, LedgerEntry
from app.procurement.purchase_orders.models import PurchaseOrder
from tests.helpers import post_form
from tests.procurement.core.conftest import in_days, make_office

SignIn = Callable[[User], Awaitable[str]]


async def test_direct_purchase_end_to_end_through_the_pages(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    sign_in: SignIn,
    jobs: JobRunner,
) -> None:
    office = await make_office(db)
    glass = office.shop.glass
    await db.commit()

    await sign_in(office.buyer)
    form = await client.get(f"/procurement/direct/{glass.id}")
    assert form.status_code == 200 and "Central store" in form.text
    # A tampered price is ignored: the server prices 12 at the tier price (Rs 950).
    preview = await post_form(
        client,
        f"/procurement/direct/{glass.id}",
        {
            "quantity": "12",
            "delivery_address_id": str(office.address.id),
            "delivery_by": in_days(10).isoformat(),
            "unit_price_paise": "1",
            "total_paise": "1",
            "action": "preview",
        },
    )
    assert preview.status_code == 200
    assert 'data-quote-total="1140000"' in preview.text  # 12 x 95,000 paise, ships free
    issued = await post_form(
        client,
        f"/procurement/direct/{glass.id}",
        {
            "quantity": "12",
            "delivery_address_id": str(office.address.id),
            "delivery_by": in_days(10).isoformat(),
            "unit_price_paise": "1",
            "action": "issue",
        },
    )
    assert issued.status_code == 303, issued.text
    url = issued.headers["location"]
    number = url.rsplit("/", 1)[1]
    po = await db.scalar(select(PurchaseOrder).where(PurchaseOrder.number == number))
    assert po is not None and po.total_paise == 1_140_000
    line_id = (await client.get(url)).text.split('data-delivered="')[1].split('"')[0]

    await sign_in(office.shop.up_owner)
    assert (await post_form(client, f"{url}/accept")).status_code == 303
    too_many = await post_form(
        client,
        f"{url}/deliveries",
        {f"line_{line_id}": "13", "delivered_on": in_days(0).isoformat()},
    )
    assert too_many.status_code == 422 and "Deliver from 0 to 12" in too_many.text
    for quantity in ("5", "7"):
        done = await post_form(
            client,
            f"{url}/deliveries",
            {
                f"line_{line_id}": quantity,
                "delivered_on": in_days(0).isoformat(),
                "challan": "DC-1",
            },
        )
        assert done.status_code == 303, done.text

    await sign_in(office.consignee)
    assert (await post_form(client, f"{url}/receipt")).status_code == 303
    assert (await post_form(client, f"{url}/accept-goods")).status_code == 303

    await sign_in(office.shop.up_owner)
    assert (await post_form(client, f"{url}/invoice")).status_code == 303
    invoice = await client.get(f"{url}/invoice")
    assert invoice.status_code == 200 and "INV/" in invoice.text and number in invoice.text

    await sign_in(office.payer)
    paid = await post_form(
        client, f"{url}/payment", {"reference": "UTR123456789", "paid_on": in_days(0).isoformat()}
    )
    assert paid.status_code == 303, paid.text
    page = await client.get(url)
    assert 'data-state="paid"' in page.text

    entries = list(await db.scalars(select(LedgerEntry).where(LedgerEntry.order_number == number)))
    sale = next(e for e in entries if e.kind == EntryKind.SALE)
    assert sale.amount_inr_paise == 1_140_000 and sale.seller_id == office.shop.up_seller.id

    await sign_in(office.admin)
    csv_export = await client.get(f"{url}/audit.csv")
    assert csv_export.status_code == 200
    actions = [row.split(",")[2] for row in csv_export.text.strip().splitlines()[1:]]
    assert actions == [
        "purchase_order.issued",
        "purchase_order.accepted_by_seller",
        "purchase_order.delivery_recorded",
        "purchase_order.delivery_recorded",
        "purchase_order.provisionally_received",
        "purchase_order.goods_accepted",
        "purchase_order.invoiced",
        "purchase_order.paid",
    ]
    pdf = await client.get(f"{url}/audit.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # The buyer may see the PO but not export its trail.
    await sign_in(office.buyer)
    assert (await client.get(f"{url}/audit.csv")).status_code == 403
    # The parties were emailed through the outbox (the deadline checks are not due yet).
    await jobs.run_until_idle()
    mail = [m.to for m in folder_messages(settings.mail_dir)]
    assert office.shop.up_owner.email in mail and office.buyer.email in mail
