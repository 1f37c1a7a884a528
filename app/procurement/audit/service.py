"""Record every procurement action (who, in which role, when, the values they saw and chose),
and export a purchase order's trail as CSV or PDF."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import Enum

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.procurement.audit import repository
from app.procurement.audit.models import AuditRecord

SYSTEM_ROLE = "system"  # the deadline job
SELLER_ROLE = "seller"
ADMIN_ROLE = "platform_admin"


def _plain(value: object) -> object:
    """JSON-safe copy of a value: dates as ISO text, enums by value, mappings and lists deep."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


async def record(
    session: AsyncSession,
    *,
    organisation_id: int,
    action: str,
    actor_user_id: int | None,
    actor_role: str,
    subject: str,
    subject_id: int,
    values: dict[str, object],
    purchase_order_id: int | None = None,
) -> AuditRecord:
    """Append one record to the caller's transaction (it is kept only if that commits).

    ``actor_user_id`` is None only for the system (the deadline job)."""
    row = AuditRecord(
        organisation_id=organisation_id,
        purchase_order_id=purchase_order_id,
        action=action,
        actor_user_id=actor_user_id,
        actor_role=actor_role,
        subject=subject,
        subject_id=subject_id,
        details=_plain(values),
        created_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    return row


async def trail(session: AsyncSession, purchase_order_id: int) -> list[AuditRecord]:
    return await repository.trail_of_purchase_order(session, purchase_order_id)


async def recent(session: AsyncSession, organisation_id: int, limit: int = 50) -> list[AuditRecord]:
    return await repository.recent_of_organisation(session, organisation_id, limit)


CSV_COLUMNS = (
    "id",
    "time_utc",
    "action",
    "actor_user_id",
    "actor",
    "actor_role",
    "subject",
    "subject_id",
    "values",
)


def _formula_safe(value: str) -> str:
    """A spreadsheet must not run a name or a reason like "=HYPERLINK(...)" as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def trail_csv(records: Sequence[AuditRecord], actor_names: Mapping[int, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in records:
        writer.writerow(
            [
                r.id,
                r.created_at.isoformat(),
                r.action,
                r.actor_user_id or "",
                _formula_safe(actor_names.get(r.actor_user_id or 0, "")),
                r.actor_role,
                r.subject,
                r.subject_id,
                _formula_safe(json.dumps(r.details, ensure_ascii=False, sort_keys=True)),
            ]
        )
    return out.getvalue()
