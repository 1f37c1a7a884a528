"""Errors of the payments domain, with their HTTP status."""

from __future__ import annotations

from app.errors import Conflict, NotFound, ValidationFailed


class OrderNotFound(NotFound):
    code = "order_not_found"
    title = "There is no such order"


class AlreadyPaid(Conflict):
    code = "order_already_paid"
    title = "This order is already paid"


class NothingToRefund(Conflict):
    code = "nothing_to_refund"
    title = "This order has no payment that can be refunded"


class RefundTooLarge(ValidationFailed):
    code = "refund_too_large"
    title = "The refund is larger than what is left to refund"


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    title = "There is no such payment"


class PaymentBeingConfirmed(Conflict):
    code = "payment_being_confirmed"
    title = "Your earlier payment went through; it is being confirmed. Please reload in a minute."


class OrderCancelled(Conflict):
    code = "order_cancelled"
    title = "This order is cancelled: there is nothing to pay"
