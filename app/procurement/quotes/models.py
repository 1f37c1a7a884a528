"""A quote: one buyer, one listing (so one seller), a state machine with recorded transitions, a
message thread with attachments. Prices are INR paise, GST-inclusive like listing prices."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts import models as _account_models  # noqa: F401 - quotes refer to users
from app.db import Base, TimestampMixin, str_enum, utcnow
from app.listings import models as _listing_models  # noqa: F401 - quotes refer to listings
from app.reference import models as _reference_models  # noqa: F401 - delivery district
from app.sellers import models as _seller_models  # noqa: F401 - quotes refer to sellers


class QuoteState(enum.StrEnum):
    REQUESTED = "requested"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class QuoteSide(enum.StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    SYSTEM = "system"  # the expiry job


class Quote(TimestampMixin, Base):
    __tablename__ = "quotes"
    __table_args__ = (
        Index("ix_quotes_buyer", "buyer_user_id", "id"),
        Index("ix_quotes_seller_queue", "seller_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    # The listing's seller when the quote was asked for: who may answer it.
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    state: Mapped[QuoteState] = mapped_column(
        str_enum(QuoteState, "quote_state"), default=QuoteState.REQUESTED
    )
    quantity: Mapped[int]
    specifications: Mapped[str] = mapped_column(Text, default="")
    delivery_country: Mapped[str] = mapped_column(String(2), default="IN")
    delivery_district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    wanted_by: Mapped[date]
    # The current offer (a re-offer replaces it; every offer is kept in the events).
    unit_price_paise: Mapped[int | None] = mapped_column(BigInteger)
    lead_time_days: Mapped[int | None]
    valid_until: Mapped[date | None]  # the last day (Indian time) the offer can be accepted
    offers_made: Mapped[int] = mapped_column(default=0)
    accepted_at: Mapped[datetime | None]

    @property
    def reference(self) -> str:
        return f"Q-{self.id}"

    @property
    def total_paise(self) -> int | None:
        return None if self.unit_price_paise is None else self.unit_price_paise * self.quantity


class QuoteEvent(Base):
    """One recorded transition: who (side and user), when, from, to, and the offer made."""

    __tablename__ = "quote_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[QuoteState | None] = mapped_column(str_enum(QuoteState, "quote_event_from"))
    to_state: Mapped[QuoteState] = mapped_column(str_enum(QuoteState, "quote_event_to"))
    side: Mapped[QuoteSide] = mapped_column(str_enum(QuoteSide, "quote_side"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    unit_price_paise: Mapped[int | None] = mapped_column(BigInteger)
    lead_time_days: Mapped[int | None]
    valid_until: Mapped[date | None]
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuoteMessage(Base):
    __tablename__ = "quote_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), index=True)
    side: Mapped[QuoteSide] = mapped_column(str_enum(QuoteSide, "quote_message_side"))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    attachments: Mapped[list[QuoteAttachment]] = relationship(
        lazy="raise", order_by="QuoteAttachment.id", cascade="all, delete-orphan"
    )


class QuoteAttachment(Base):
    """A file sent in a message: checked and stripped like sellers' documents, kept private."""

    __tablename__ = "quote_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("quote_messages.id", ondelete="CASCADE"), index=True
    )
    storage_key: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(60))
    size_bytes: Mapped[int]
