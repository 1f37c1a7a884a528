"""The procurement audit trail: one row per action, never changed or deleted (triggers in the
database refuse UPDATE and DELETE on SQLite and PostgreSQL; migration 1001)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from app.db import Base, utcnow


class AuditRecord(Base):
    __tablename__ = "procurement_audit"
    __table_args__ = (Index("ix_procurement_audit_po", "purchase_order_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # Without a foreign key, so the trail outlives nothing it points at and needs no other table.
    purchase_order_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(60))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(32))  # a membership role, seller, admin, system
    subject: Mapped[str] = mapped_column(String(40))  # what was acted on: purchase_order, ...
    subject_id: Mapped[int]
    details: Mapped[dict[str, Any]] = mapped_column(JSON)  # the values the actor saw and chose
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(AuditRecord, "before_update")
@event.listens_for(AuditRecord, "before_delete")
def _refuse_audit_changes(_mapper: Mapper[AuditRecord], _conn: object, _row: object) -> None:
    raise AppendOnlyError("the procurement audit trail is append-only")
