"""JSON API for the cart, checkout and orders, on the same services as the pages.

Included with ``require_user``: the API authenticates with personal tokens only (no cookies)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.accounts.deps import CurrentUser
from app.db import SessionDep
from app.errors import error_responses
from app.inputs import Id
from app.money import BASE_CURRENCY
from app.orders import cart as cart_service
from app.orders import checkout, repository, service
from app.orders.deps import SettingsDep
from app.orders.models import Cart, Order
from app.orders.schemas import CartLineIn, CheckoutIn, QuantityIn

router = APIRouter(
    prefix="/api/v1", tags=["orders"], responses=error_responses(401, 403, 404, 409, 422)
)


async def _cart_json(session: SessionDep, cart: Cart | None) -> dict[str, Any]:
    view = await cart_service.view(session, cart)
    return {
        "lines": [
            {
                "listing_id": entry.listing.id,
                "title": entry.listing.title,
                "seller_id": entry.listing.seller_id,
                "unit": entry.listing.unit_code,
                "quantity": entry.line.quantity,
                "unit_price_paise": entry.priced.unit_price if entry.priced else None,
                "seen_unit_price_paise": entry.line.seen_unit_price_paise,
                "saving_paise": entry.priced.saving if entry.priced else 0,
                "total_paise": entry.priced.total if entry.priced else None,
                "unavailable": entry.unavailable,
                "price_changed": entry.price_changed,
                "problem": entry.problem or None,
            }
            for entry in view.lines
        ],
        "parts": [
            {
                "seller_id": part.seller_id,
                "goods_paise": part.goods,
                "shipping_paise": part.shipping,
                "total_paise": part.total,
            }
            for part in view.parts
        ],
        "total_paise": view.total,
        "saving_paise": view.saving,
        "needs_review": view.needs_review,
    }


def _order_json(order: Order) -> dict[str, Any]:
    return {
        "number": order.number,
        "payment_status": order.payment_status.value,
        "currency": order.currency,
        "inr_per_unit": order.inr_per_unit_micros / 1_000_000,
        "total_minor": order.total_minor,
        "total_inr_paise": order.total_inr_paise,
        "goods_inr_paise": order.goods_inr_paise,
        "shipping_inr_paise": order.shipping_inr_paise,
        "tax_inr_paise": order.tax_inr_paise,
        "is_export": order.is_export,
        "reserved_until": order.reserved_until.isoformat() if order.reserved_until else None,
        "parts": [
            {
                "id": part.id,
                "seller_id": part.seller_id,
                "state": part.state.value,
                "goods_inr_paise": part.goods_inr_paise,
                "shipping_inr_paise": part.shipping_inr_paise,
                "taxable_inr_paise": part.taxable_inr_paise,
                "cgst_inr_paise": part.cgst_inr_paise,
                "sgst_inr_paise": part.sgst_inr_paise,
                "igst_inr_paise": part.igst_inr_paise,
                "total_inr_paise": part.total_inr_paise,
                "carrier": part.carrier,
                "tracking_number": part.tracking_number,
                "lines": [
                    {
                        "listing_id": line.listing_id,
                        "title": line.title,
                        "unit": line.unit_code,
                        "hsn_code": line.hsn_code,
                        "gst_rate_bp": line.gst_rate_bp,
                        "quantity": line.quantity,
                        "unit_price_paise": line.unit_price_paise,
                        "total_paise": line.total_paise,
                    }
                    for line in part.lines
                ],
            }
            for part in order.parts
        ],
    }


@router.get("/cart", summary="The caller's cart, priced, with changed lines flagged")
async def get_cart(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    return await _cart_json(session, await cart_service.find(session, user_id=user.id, token=None))


@router.post("/cart/lines", status_code=201, summary="Add units of a listing (MOQ by default)")
async def add_line(session: SessionDep, user: CurrentUser, body: CartLineIn) -> dict[str, Any]:
    cart, _token = await cart_service.open_cart(session, user_id=user.id, token=None)
    await cart_service.add(session, cart, body.listing_id, body.quantity)
    return await _cart_json(session, cart)


@router.put("/cart/lines/{listing_id}", summary="Set a line's quantity (0 removes it)")
async def set_line(
    session: SessionDep, user: CurrentUser, listing_id: Id, body: QuantityIn
) -> dict[str, Any]:
    cart, _token = await cart_service.open_cart(session, user_id=user.id, token=None)
    await cart_service.set_quantity(session, cart, listing_id, body.quantity)
    return await _cart_json(session, cart)


@router.delete("/cart/lines/{listing_id}", summary="Remove a line")
async def delete_line(session: SessionDep, user: CurrentUser, listing_id: Id) -> dict[str, Any]:
    cart, _token = await cart_service.open_cart(session, user_id=user.id, token=None)
    await cart_service.remove(session, cart, listing_id)
    return await _cart_json(session, cart)


@router.post("/cart/review", summary="Accept changed prices; drop unavailable lines")
async def review_cart(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    cart, _token = await cart_service.open_cart(session, user_id=user.id, token=None)
    await cart_service.acknowledge(session, cart)
    return await _cart_json(session, cart)


@router.post("/checkout", status_code=201, summary="Place the order and reserve its stock")
async def place(
    session: SessionDep, settings: SettingsDep, user: CurrentUser, body: CheckoutIn
) -> dict[str, Any]:
    """Prices and totals are computed by the server from the cart; none are accepted here."""
    cart, _token = await cart_service.open_cart(session, user_id=user.id, token=None)
    values = {key: str(value) for key, value in body.model_dump().items()}
    address = checkout.parse_address(
        values, await repository.states(session), set(await repository.zone_countries(session))
    )
    order = await checkout.place_order(
        session,
        settings,
        buyer=user,
        cart=cart,
        address=address,
        currency=body.currency.upper() or BASE_CURRENCY,
    )
    return _order_json(await service.get_order(session, order.number))


@router.get("/orders", summary="The caller's orders, newest first")
async def list_orders(session: SessionDep, user: CurrentUser) -> list[dict[str, Any]]:
    return [
        {
            "number": o.number,
            "payment_status": o.payment_status.value,
            "total_inr_paise": o.total_inr_paise,
            "created_at": o.created_at.isoformat(),
        }
        for o in await repository.orders_of_buyer(session, user.id)
    ]


@router.get("/orders/{number}", summary="One of the caller's orders with its parts")
async def get_order(session: SessionDep, user: CurrentUser, number: str) -> dict[str, Any]:
    order = await service.buyer_order(session, user, number)
    result = _order_json(order)
    timeline = await service.timeline(session, order)
    for part in result["parts"]:
        part["events"] = [
            {
                "from": e.from_state.value if e.from_state else None,
                "to": e.to_state.value,
                "actor": e.actor_kind.value,
                "at": e.created_at.isoformat(),
                "note": e.note,
            }
            for e in timeline[part["id"]]
        ]
    return result


@router.post("/orders/{number}/cancel", summary="Cancel the parts no seller accepted yet")
async def cancel(session: SessionDep, user: CurrentUser, number: str) -> dict[str, Any]:
    await service.buyer_cancel(session, user, number)
    return _order_json(await service.get_order(session, number))
