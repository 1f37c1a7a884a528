"""Quotes test helpers: the orders tests' shop (two sellers, a buyer) and a quote on its glass."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.procurement.quotes import service
from app.procurement.quotes.models import Quote
from tests import factories
from tests.orders.conftest import Shop, make_shop


def in_days(days: int) -> date:
    return service.today_in_india() + timedelta(days=days)


async def firozabad_id(db: AsyncSession) -> int:
    return (await factories.district(db)).id


async def request_values(db: AsyncSession, **overrides: str) -> dict[str, str]:
    values = {
        "quantity": "40",
        "specifications": "Red and gold, packed in dozens, our logo on the box",
        "country": "IN",
        "district_id": str(await firozabad_id(db)),
        "wanted_by": in_days(30).isoformat(),
    }
    values.update(overrides)
    return values


@dataclass
class Quoted:
    shop: Shop
    quote: Quote


async def quoted(db: AsyncSession, *, offer: bool = False) -> Quoted:
    """The shop and a buyer's request for 40 dozen glass bangles (the listing has 50 in stock)."""
    shop = await make_shop(db)
    quote = await service.request_quote(db, shop.buyer, shop.glass.id, await request_values(db))
    if offer:
        await service.make_offer(
            db,
            shop.up_owner,
            quote.id,
            service.OfferInput(unit_price_paise=80_000, lead_time_days=5, valid_until=in_days(7)),
        )
    return Quoted(shop, quote)
