"""GST tax invoices: one per seller part, numbered per seller per financial year (April-March),
rendered as HTML and as a PDF by WeasyPrint (HarfBuzz shapes Devanagari; Noto fonts).

The number is issued when the part ships (the time of supply for goods). The counter row is
incremented by one UPDATE that holds its lock until commit, so numbers have no gaps and no
duplicates under concurrency; a rolled-back shipment rolls its number back too.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import begin_write, utcnow
from app.listings.sale_models import SaleUnit
from app.orders import repository
from app.orders.errors import OrderNotFound
from app.orders.models import Invoice, Order, OrderLine, OrderPart
from app.reference.models import State
from app.sellers.models import Seller

IST_OFFSET_MINUTES = 330


def financial_year(moment: datetime) -> int:
    """The Indian financial year (April to March, Indian time) as its starting year."""
    from datetime import timedelta

    local = moment + timedelta(minutes=IST_OFFSET_MINUTES)
    return local.year if local.month >= 4 else local.year - 1


def invoice_number(year: int, sequence: int) -> str:
    """ "INV/2627/000042": 15 characters, within GST's limit of 16."""
    return f"INV/{year % 100:02d}{(year + 1) % 100:02d}/{sequence:06d}"


async def allocate_number(
    session: AsyncSession, seller_id: int, moment: datetime
) -> tuple[int, int, str]:
    """The seller's next invoice number in the financial year of ``moment``: (year, sequence,
    number). Other documents that are GST invoices of the same seller (a purchase order's
    invoice) take their numbers from the same series."""
    year = financial_year(moment)
    sequence = await repository.next_invoice_sequence(session, seller_id, year)
    return year, sequence, invoice_number(year, sequence)


async def issue(session: AsyncSession, part: OrderPart) -> Invoice:
    await begin_write(session)
    existing = await repository.invoice_of_part(session, part.id)
    if existing is not None:
        return existing
    now = utcnow()
    year, sequence, number = await allocate_number(session, part.seller_id, now)
    invoice = Invoice(
        part_id=part.id,
        seller_id=part.seller_id,
        financial_year=year,
        sequence=sequence,
        number=number,
        issued_at=now,
    )
    session.add(invoice)
    await session.flush()
    return invoice


@dataclass
class InvoiceView:
    invoice: Invoice
    order: Order
    part: OrderPart
    lines: list[OrderLine]
    seller: Seller
    seller_state: State
    place_of_supply: State | None
    units: dict[str, SaleUnit]

    @property
    def intra_state(self) -> bool:
        return self.part.cgst_inr_paise + self.part.sgst_inr_paise > 0 or (
            self.place_of_supply is not None
            and self.place_of_supply.id == self.seller_state.id
            and not self.order.is_export
        )

    @property
    def shipping_taxable(self) -> int:
        line_taxable = sum(line.taxable_paise for line in self.lines)
        return self.part.taxable_inr_paise - line_taxable


async def load(session: AsyncSession, part: OrderPart) -> InvoiceView:
    invoice = await repository.invoice_of_part(session, part.id)
    if invoice is None:
        raise OrderNotFound("This part has no invoice yet: it is issued when the seller ships.")
    order = await repository.order_by_id(session, part.order_id)
    seller = await repository.seller_with_state(session, part.seller_id)
    seller_state = await repository.state_by_id(session, part.seller_state_id)
    assert order is not None and seller is not None and seller_state is not None
    place = (
        await repository.state_by_id(session, order.ship_state_id) if order.ship_state_id else None
    )
    units = {u.code: u for u in await repository.units(session)}
    lines = await repository.order_lines_of_part(session, part.id)
    return InvoiceView(invoice, order, part, lines, seller, seller_state, place, units)


def render_pdf(html: str, base_url: str) -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string=html, base_url=base_url).write_pdf())


async def pdf(html: str, base_url: str) -> bytes:
    return await asyncio.to_thread(render_pdf, html, base_url)
