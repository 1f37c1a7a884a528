"""Pages: the cart, checkout, the buyer's orders and invoices, and the seller's order queue.

The cart and add-to-cart work for anonymous visitors; checkout and orders need a signed-in user
(``require_user`` on the router in app/main.py). Every form works without JavaScript.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.deps import CurrentUser
from app.db import SessionDep
from app.errors import FormErrors
from app.i18n import gettext as _
from app.money import BASE_CURRENCY
from app.orders import cart as cart_service
from app.orders import checkout, invoices, repository, service
from app.orders.deps import CART_COOKIE, CartDep, SettingsDep
from app.orders.errors import CartNeedsReview, EmptyCart, OutOfStock
from app.orders.schemas import MAX_QUANTITY
from app.preferences import selected_currency
from app.sellers.deps import CurrentSeller
from app.web import flash, redirect_to, templates_of

# Cart pages: anonymous visitors too. Add-to-cart is checked by origin (web.CSRF_ORIGIN_ONLY_PATHS).
cart_router = APIRouter(include_in_schema=False)
# Checkout, orders and the seller's queue: signed in, CSRF token on every form.
router = APIRouter(include_in_schema=False)
Quantity = Annotated[int | None, Form(ge=0, le=MAX_QUANTITY)]
ListingId = Annotated[int, Form(ge=1)]
Text = Annotated[str, Form(max_length=500)]


def _finish(request: Request, response: Response) -> Response:
    if getattr(request.state, "drop_cart_cookie", False):
        response.delete_cookie(CART_COOKIE)
    response.headers["cache-control"] = "no-store"
    return response


async def _render_cart(
    request: Request, session: SessionDep, ctx: CartDep, errors: dict[str, str] | None = None
) -> Response:
    view = await cart_service.view(session, ctx.cart)
    units = {u.code: u for u in await repository.units(session)}
    response = templates_of(request).render(
        request,
        "orders/cart.html",
        {"view": view, "units": units, "errors": errors or {}},
        status_code=422 if errors else 200,
    )
    return _finish(request, response)


@cart_router.get("/cart", name="cart")
async def cart_page(request: Request, session: SessionDep, ctx: CartDep) -> Response:
    return await _render_cart(request, session, ctx)


@cart_router.post("/cart/add", name="cart_add")
async def cart_add(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: CartDep,
    listing_id: ListingId,
    quantity: Quantity = None,
) -> Response:
    cart, token = await cart_service.open_cart(
        session, user_id=ctx.user.id if ctx.user else None, token=ctx.token
    )
    ctx.cart = cart
    try:
        await cart_service.add(session, cart, listing_id, quantity)
    except FormErrors as exc:
        return await _render_cart(request, session, ctx, exc.errors)
    flash(request, _("Added to your cart."), "success")
    response = redirect_to(request, "cart")
    if token:
        ctx.set_cookie(response, token, settings)
    return _finish(request, response)


@cart_router.post("/cart/update", name="cart_update")
async def cart_update(
    request: Request,
    session: SessionDep,
    ctx: CartDep,
    listing_id: ListingId,
    quantity: Annotated[int, Form(ge=0, le=MAX_QUANTITY)],
) -> Response:
    if ctx.cart is None:
        return _finish(request, redirect_to(request, "cart"))
    try:
        await cart_service.set_quantity(session, ctx.cart, listing_id, quantity)
    except FormErrors as exc:
        return await _render_cart(request, session, ctx, exc.errors)
    flash(request, _("Your cart is updated."), "success")
    return _finish(request, redirect_to(request, "cart"))


@cart_router.post("/cart/remove", name="cart_remove")
async def cart_remove(
    request: Request, session: SessionDep, ctx: CartDep, listing_id: ListingId
) -> Response:
    if ctx.cart is not None:
        await cart_service.remove(session, ctx.cart, listing_id)
    return _finish(request, redirect_to(request, "cart"))


@cart_router.post("/cart/review", name="cart_review")
async def cart_review(request: Request, session: SessionDep, ctx: CartDep) -> Response:
    """The buyer has seen the changed prices and unavailable items: accept the cart as it is."""
    if ctx.cart is not None:
        await cart_service.acknowledge(session, ctx.cart)
    return _finish(request, redirect_to(request, "cart"))


# Checkout -----------------------------------------------------------------------------------------


async def _render_checkout(
    request: Request,
    session: SessionDep,
    ctx: CartDep,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    view = await cart_service.view(session, ctx.cart)
    states = await repository.states(session)
    countries = await repository.zone_countries(session)
    settings = request.app.state.settings
    response = templates_of(request).render(
        request,
        "orders/checkout.html",
        {
            "view": view,
            "values": values,
            "errors": errors or {},
            "states": states,
            "countries": sorted(
                ((code, checkout.country_name(code)) for code in countries),
                key=lambda pair: pair[1],
            ),
            "order_currencies": [BASE_CURRENCY, *settings.display_currencies],
        },
        status_code=status_code,
    )
    return _finish(request, response)


@router.get("/checkout", name="checkout")
async def checkout_page(
    request: Request, session: SessionDep, ctx: CartDep, user: CurrentUser
) -> Response:
    view = await cart_service.view(session, ctx.cart)
    if not view.lines or view.needs_review:
        return _finish(request, redirect_to(request, "cart"))
    values = {"name": user.display_name, "country": "IN", "currency": selected_currency(request)}
    return await _render_checkout(request, session, ctx, values)


@router.post("/checkout", name="checkout_place")
async def checkout_place(
    request: Request, session: SessionDep, settings: SettingsDep, ctx: CartDep, user: CurrentUser
) -> Response:
    form = await request.form()
    values = {key: str(form.get(key) or "")[:300] for key in checkout.FIELDS}
    if ctx.cart is None:
        return _finish(request, redirect_to(request, "cart"))
    try:
        address = checkout.parse_address(
            values, await repository.states(session), set(await repository.zone_countries(session))
        )
        order = await checkout.place_order(
            session,
            settings,
            buyer=user,
            cart=ctx.cart,
            address=address,
            currency=values["currency"] or BASE_CURRENCY,
        )
    except FormErrors as exc:
        return await _render_checkout(request, session, ctx, values, exc.errors, 422)
    except (CartNeedsReview, EmptyCart, OutOfStock) as exc:
        flash(request, exc.message, "error")
        return _finish(request, redirect_to(request, "cart"))
    flash(request, _("Your order is placed. Pay now to confirm it."), "success")
    return _finish(request, redirect_to(request, "order", number=order.number))


# The buyer's orders -------------------------------------------------------------------------------


@router.get("/orders", name="orders")
async def orders_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    orders = await repository.orders_of_buyer(session, user.id)
    return _finish(
        request, templates_of(request).render(request, "orders/orders.html", {"orders": orders})
    )


@router.get("/orders/{number}", name="order")
async def order_page(
    request: Request, session: SessionDep, user: CurrentUser, number: str
) -> Response:
    order = await service.buyer_order(session, user, number)
    sellers = await _sellers(session, [p.seller_id for p in order.parts])
    return _finish(
        request,
        templates_of(request).render(
            request,
            "orders/order.html",
            {
                "order": order,
                "timeline": await service.timeline(session, order),
                "sellers": sellers,
                "units": {u.code: u for u in await repository.units(session)},
                "cancellable": any(p.state in service.BUYER_CANCELLABLE for p in order.parts),
                "payable": service.payable(order),
                "reservation_left": service.reservation_left(order),
                "invoiced": {
                    p.id
                    for p in order.parts
                    if await repository.invoice_of_part(session, p.id) is not None
                },
            },
        ),
    )


@router.post("/orders/{number}/cancel", name="order_cancel")
async def order_cancel(
    request: Request, session: SessionDep, user: CurrentUser, number: str
) -> Response:
    await service.buyer_cancel(session, user, number)
    flash(request, _("Your order is cancelled."), "success")
    return _finish(request, redirect_to(request, "order", number=number))


async def _sellers(session: SessionDep, ids: list[int]) -> dict[int, object]:
    result: dict[int, object] = {}
    for seller_id in set(ids):
        result[seller_id] = await repository.seller_with_state(session, seller_id)
    return result


async def _invoice_response(
    request: Request,
    session: SessionDep,
    part_id: int,
    seller_id: int | None,
    as_pdf: bool,
    user_id: int | None = None,
) -> Response:
    part = (
        await repository.seller_part(session, seller_id, part_id)
        if seller_id is not None
        else await repository.buyer_part(session, user_id or 0, part_id)
    )
    if part is None:
        from app.orders.errors import OrderNotFound

        raise OrderNotFound()
    view = await invoices.load(session, part)
    html = (
        templates_of(request)
        .env.get_template("orders/invoice.html")
        .render({"v": view, "request": request})
    )
    if not as_pdf:
        return _finish(request, HTMLResponse(html))
    body = await invoices.pdf(html, str(request.base_url))
    filename = view.invoice.number.replace("/", "-") + ".pdf"
    return _finish(
        request,
        Response(
            body,
            media_type="application/pdf",
            headers={"content-disposition": f'attachment; filename="{filename}"'},
        ),
    )


@router.get("/orders/{number}/invoices/{part_id}.pdf", name="order_invoice_pdf")
async def order_invoice_pdf(
    request: Request, session: SessionDep, user: CurrentUser, number: str, part_id: int
) -> Response:
    await service.buyer_order(session, user, number)
    return await _invoice_response(request, session, part_id, None, True, user.id)


@router.get("/orders/{number}/invoices/{part_id}", name="order_invoice")
async def order_invoice(
    request: Request, session: SessionDep, user: CurrentUser, number: str, part_id: int
) -> Response:
    await service.buyer_order(session, user, number)
    return await _invoice_response(request, session, part_id, None, False, user.id)


# The seller's queue -------------------------------------------------------------------------------


@router.get("/seller/orders", name="seller_orders")
async def seller_orders(request: Request, session: SessionDep, seller: CurrentSeller) -> Response:
    queue = await service.seller_queue(session, seller.id)
    return _finish(
        request,
        templates_of(request).render(
            request,
            "orders/seller_orders.html",
            {"queue": queue, "seller": seller, "steps": service.SELLER_STEPS, "errors": {}},
        ),
    )


@router.post("/seller/orders/{part_id}/advance", name="seller_order_advance")
async def seller_order_advance(
    request: Request,
    session: SessionDep,
    seller: CurrentSeller,
    user: CurrentUser,
    part_id: int,
    to: Annotated[str, Form(max_length=20)] = "",
    carrier: Annotated[str, Form(max_length=80)] = "",
    tracking_number: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    try:
        await service.seller_advance(
            session, user, seller.id, part_id, to, carrier=carrier, tracking_number=tracking_number
        )
    except FormErrors as exc:
        flash(request, "; ".join(exc.errors.values()), "error")
        return _finish(request, redirect_to(request, "seller_orders"))
    flash(request, _("Order updated."), "success")
    return _finish(request, redirect_to(request, "seller_orders"))


@router.post("/seller/orders/{part_id}/cancel", name="seller_order_cancel")
async def seller_order_cancel(
    request: Request,
    session: SessionDep,
    seller: CurrentSeller,
    user: CurrentUser,
    part_id: int,
    reason: Text = "",
) -> Response:
    try:
        await service.seller_cancel(session, user, seller.id, part_id, reason)
    except FormErrors as exc:
        flash(request, "; ".join(exc.errors.values()), "error")
        return _finish(request, redirect_to(request, "seller_orders"))
    flash(request, _("The order part is cancelled."), "success")
    return _finish(request, redirect_to(request, "seller_orders"))


@router.get("/seller/orders/{part_id}/invoice", name="seller_order_invoice")
async def seller_order_invoice(
    request: Request, session: SessionDep, seller: CurrentSeller, part_id: int
) -> Response:
    return await _invoice_response(request, session, part_id, seller.id, False)


@router.get("/seller/orders/{part_id}/invoice.pdf", name="seller_order_invoice_pdf")
async def seller_order_invoice_pdf(
    request: Request, session: SessionDep, seller: CurrentSeller, part_id: int
) -> Response:
    return await _invoice_response(request, session, part_id, seller.id, True)
