"""Errors of purchase orders; each carries its HTTP status (see app/errors.py)."""

from __future__ import annotations

from app.errors import Conflict, Forbidden, NotFound


class PurchaseOrderNotFound(NotFound):
    title = "We could not find that purchase order"


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"
    title = "That step is not possible for this purchase order now"


class SeparationOfDuties(Forbidden):
    code = "separation_of_duties"
    title = "The person who raised this purchase order may not record its payment"


class ModeNotAllowed(Conflict):
    code = "buying_mode_required"
    title = "The buying rules require another buying mode for this amount"
