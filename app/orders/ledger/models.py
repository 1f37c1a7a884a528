"""The append-only seller ledger and payout batches. Amounts are INR paise, signed: positive is
owed to the seller, negative is deducted from what they are owed (or paid out)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from app.db import Base, str_enum, utcnow
from app.orders import models as _order_models  # noqa: F401 - entries refer to order parts

# Entries also refer to ``refunds`` (app/orders/payments/models.py) by table name only: payments
# writes the ledger, so the ledger does not import payments (app/all_models.py loads both).


class EntryKind(enum.StrEnum):
    SALE = "sale"  # the part's GST-inclusive goods and shipping
    COMMISSION = "commission"  # the platform's fee
    TCS = "tcs"  # GST section 52, collected by the e-commerce operator
    TDS = "tds"  # Income-tax section 194-O, deducted by the e-commerce operator
    REFUND = "refund"  # a sale given back to the buyer
    COMMISSION_REFUND = "commission_refund"  # the fee, TCS and TDS on a refunded sale, returned
    TCS_REFUND = "tcs_refund"
    TDS_REFUND = "tds_refund"
    PAYOUT = "payout"  # paid (or being paid) to the seller's bank account in a payout batch


class LedgerEntry(Base):
    """One line of what a seller is owed. Never updated or deleted (triggers refuse it in the
    database; corrections are new entries). ``effect_key`` names the effect the entry records
    (a part's sale, a refund's reversal, a batch's payout), so replaying an event cannot write it
    twice."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    kind: Mapped[EntryKind] = mapped_column(str_enum(EntryKind, "ledger_entry_kind"))
    amount_inr_paise: Mapped[int] = mapped_column(BigInteger)
    # What a rate was applied to, and the rate (basis points), for commission, TCS and TDS.
    base_inr_paise: Mapped[int | None] = mapped_column(BigInteger)
    rate_basis_points: Mapped[int | None]
    order_number: Mapped[str | None] = mapped_column(String(16), index=True)
    order_part_id: Mapped[int | None] = mapped_column(ForeignKey("order_parts.id"), index=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"))
    payout_batch_id: Mapped[int | None] = mapped_column(ForeignKey("payout_batches.id"))
    effect_key: Mapped[str] = mapped_column(String(120), unique=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(LedgerEntry, "before_update")
@event.listens_for(LedgerEntry, "before_delete")
def _refuse_ledger_changes(_mapper: Mapper[LedgerEntry], _conn: object, _row: object) -> None:
    raise AppendOnlyError("the seller ledger is append-only")


class BatchState(enum.StrEnum):
    CREATED = "created"  # amounts fixed, bank transfer not yet confirmed
    PAID = "paid"


class PayoutBatch(Base):
    __tablename__ = "payout_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[BatchState] = mapped_column(
        str_enum(BatchState, "payout_batch_state"), default=BatchState.CREATED, index=True
    )
    total_inr_paise: Mapped[int] = mapped_column(BigInteger)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None]
    paid_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    bank_reference: Mapped[str] = mapped_column(String(80), default="")

    items: Mapped[list[PayoutItem]] = relationship(lazy="raise", order_by="PayoutItem.id")


class PayoutItem(Base):
    """One seller's transfer in a batch, with the bank details as they were at creation (the
    account number stays encrypted; the CSV export decrypts it)."""

    __tablename__ = "payout_items"
    __table_args__ = (UniqueConstraint("batch_id", "seller_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batches.id"), index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    amount_inr_paise: Mapped[int] = mapped_column(BigInteger)
    seller_name: Mapped[str] = mapped_column(String(200))
    account_holder: Mapped[str] = mapped_column(String(140))
    ifsc: Mapped[str] = mapped_column(String(11))
    account_encrypted: Mapped[str] = mapped_column(String(200))
    account_last4: Mapped[str] = mapped_column(String(4))
