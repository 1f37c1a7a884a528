"""Errors of quotes; each carries its HTTP status (see app/errors.py)."""

from __future__ import annotations

from app.errors import Conflict, NotFound


class QuoteNotFound(NotFound):
    title = "We could not find that quote"


class QuoteStepNotAllowed(Conflict):
    code = "quote_step_not_allowed"
    title = "That step is not possible for this quote now"


class OfferExpired(Conflict):
    code = "offer_expired"
    title = "This offer has expired. Ask the seller for a new one."
