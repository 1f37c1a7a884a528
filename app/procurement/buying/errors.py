"""Errors of the buying modes; each carries its HTTP status (see app/errors.py)."""

from __future__ import annotations

from app.errors import Conflict, NotFound


class RequirementNotFound(NotFound):
    title = "We could not find that requirement"


class BidsSealed(Conflict):
    code = "bids_sealed"
    title = "The quotes stay sealed until the bid closes"


class BidClosed(Conflict):
    code = "bid_closed"
    title = "This bid has closed; quotes are no longer accepted"


class NotEnoughOffers(Conflict):
    code = "not_enough_offers"
    title = "There are not enough eligible offers for an L1 purchase; run a bid instead"


class AboveL1Limit(Conflict):
    code = "above_l1_limit"
    title = "The total is above the L1 limit; this purchase needs a bid"


class ComparisonOutdated(Conflict):
    code = "comparison_outdated"
    title = "Prices changed since the comparison was shown; please compare again"


class AlreadyDecided(Conflict):
    code = "already_decided"
    title = "This requirement is already ordered, awarded or cancelled"
