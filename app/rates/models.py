"""Exchange rates: rupees per unit of a foreign currency, with history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class ExchangeRate(Base):
    """How many rupees one unit of a foreign currency buys, from a date on (history is kept).

    Stored as an integer number of millionths of a rupee so no float or database-specific
    decimal type is involved; conversions use Decimal.
    """

    __tablename__ = "exchange_rates"
    __table_args__ = (UniqueConstraint("currency", "effective_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), index=True)
    inr_per_unit_micros: Mapped[int] = mapped_column(BigInteger)
    effective_date: Mapped[date]
    source: Mapped[str] = mapped_column(String(120), default="admin")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
