"""JSON API of payments: a buyer starts paying their order; an administrator refunds.

Included in app/main.py with ``dependencies=[Depends(require_user)]``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.accounts.deps import AdminUser, require_scope
from app.accounts.models import User
from app.config import Settings
from app.db import SessionDep
from app.errors import error_responses
from app.inputs import MAX_BIGINT, Id
from app.orders.payments import service

router = APIRouter(
    prefix="/api/v1", tags=["payments"], responses=error_responses(401, 403, 404, 409, 422)
)
Writer = Annotated[User, require_scope("orders:write")]


class PaymentStartOut(BaseModel):
    provider: str
    provider_payment_id: str
    redirect_url: str | None = Field(description="Send the buyer here; null for offline payment")
    instructions: str | None = Field(description="Offline payment: how to pay")


class RefundIn(BaseModel):
    order_part_id: Id | None = Field(
        default=None, description="One seller's part of the order; null refunds the whole order"
    )
    amount_minor: int = Field(
        gt=0, le=MAX_BIGINT, description="In the order's currency minor units (paise)"
    )
    reason: str = Field(default="", max_length=2000)


@router.post(
    "/orders/{order_number}/payment",
    summary="Start paying an order (a repeated call returns the same payment)",
    response_model=PaymentStartOut,
)
async def start_payment(
    request: Request, session: SessionDep, user: Writer, order_number: str
) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    number = await service.owned_order_number(session, order_number, user.id)
    started = await service.start_payment(session, settings, order_number=number)
    return {
        "provider": started.provider,
        "provider_payment_id": started.provider_payment_id,
        "redirect_url": started.redirect_url,
        "instructions": started.instructions,
    }


@router.post(
    "/admin/orders/{order_number}/refunds",
    status_code=201,
    summary="Refund an order or one seller's part through the payment provider",
)
async def refund(
    request: Request, session: SessionDep, admin: AdminUser, order_number: str, body: RefundIn
) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    await service.refund(
        session,
        settings,
        order_number=order_number,
        order_part_id=body.order_part_id,
        amount_minor=body.amount_minor,
        requested_by=admin.id,
        reason=body.reason,
    )
    return {"order_number": order_number, "refunded_minor": body.amount_minor}
