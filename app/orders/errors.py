"""Errors of the orders domain; each carries its HTTP status (see app/errors.py)."""

from __future__ import annotations

from app.errors import Conflict, NotFound


class OrderNotFound(NotFound):
    title = "We could not find that order"


class CartNeedsReview(Conflict):
    """Something in the cart changed (price, availability, stock) and the buyer has not seen it."""

    code = "cart_needs_review"
    title = "Some items in your cart changed. Please review them before paying."


class OutOfStock(Conflict):
    code = "out_of_stock"
    title = "Some items are no longer available in the quantity you chose"


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"
    title = "That step is not possible for this order now"


class EmptyCart(Conflict):
    code = "empty_cart"
    title = "Your cart is empty"
