"""JSON API of the ledger: a seller's statement; payout batches for administrators.

Included in app/main.py with ``dependencies=[Depends(require_user)]``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from app.accounts.deps import AdminUser, require_scope
from app.accounts.models import User
from app.config import Settings
from app.db import SessionDep
from app.errors import error_responses
from app.inputs import Id
from app.orders.ledger import repository, service
from app.sellers.deps import current_seller

router = APIRouter(
    prefix="/api/v1", tags=["ledger"], responses=error_responses(401, 403, 404, 409, 422)
)
Reader = Annotated[User, require_scope("seller:read")]


class PaidIn(BaseModel):
    bank_reference: str = Field(default="", max_length=80)


@router.get("/seller/ledger", summary="Your ledger: what you are owed, entry by entry")
async def seller_ledger(session: SessionDep, user: Reader) -> dict[str, Any]:
    seller = await current_seller(session, user)
    ledger = await service.seller_ledger(session, seller.id)
    return {
        "balance_inr_paise": ledger.balance_inr_paise,
        "entries": [service.entry_dict(entry) for entry in ledger.entries],
    }


@router.get("/admin/payouts", summary="What each seller is owed, and the payout batches")
async def payouts(request: Request, session: SessionDep, admin: AdminUser) -> dict[str, Any]:
    return {
        "owed": [
            {
                "seller_id": o.seller_id,
                "seller_name": o.seller_name,
                "balance_inr_paise": o.balance_inr_paise,
                "has_bank_details": o.has_bank_details,
            }
            for o in await service.owed(session)
        ],
        "batches": [
            {"id": b.id, "state": b.state.value, "total_inr_paise": b.total_inr_paise}
            for b in await repository.batches(session)
        ],
    }


@router.post("/admin/payouts", status_code=201, summary="Create a payout batch of what is owed")
async def create_payout(request: Request, session: SessionDep, admin: AdminUser) -> dict[str, Any]:
    return service.batch_dict(await service.create_batch(session, created_by=admin.id))


@router.get("/admin/payouts/{batch_id}", summary="One payout batch")
async def payout(
    request: Request, session: SessionDep, admin: AdminUser, batch_id: Id
) -> dict[str, Any]:
    return service.batch_dict(await service.get_batch(session, batch_id))


@router.post("/admin/payouts/{batch_id}/paid", summary="Mark a payout batch as paid")
async def payout_paid(
    request: Request, session: SessionDep, admin: AdminUser, batch_id: Id, body: PaidIn
) -> dict[str, Any]:
    batch = await service.mark_paid(
        session, batch_id=batch_id, paid_by=admin.id, bank_reference=body.bank_reference
    )
    return service.batch_dict(await service.get_batch(session, batch.id))


@router.get(
    "/admin/payouts/{batch_id}/export.csv",
    summary="The batch as a CSV for the bank",
    response_class=Response,
)
async def payout_csv(
    request: Request, session: SessionDep, admin: AdminUser, batch_id: Id
) -> Response:
    settings: Settings = request.app.state.settings
    batch = await service.get_batch(session, batch_id)
    return Response(service.batch_csv(settings, batch), media_type="text/csv; charset=utf-8")
