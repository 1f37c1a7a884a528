"""Which buying mode the rules require for a purchase of a given total (GST-inclusive paise)."""

from __future__ import annotations

from typing import Literal

from app.config import Settings

BuyingMode = Literal["direct", "l1", "bid"]
BUYING_MODES: tuple[BuyingMode, ...] = ("direct", "l1", "bid")


def buying_mode_for(total_paise: int, settings: Settings) -> BuyingMode:
    """Direct up to the direct limit, L1 comparison up to the L1 limit, a bid above it."""
    if total_paise <= settings.procurement_direct_limit_paise:
        return "direct"
    if total_paise <= settings.procurement_l1_limit_paise:
        return "l1"
    return "bid"


def separation_applies(total_paise: int, settings: Settings) -> bool:
    """Whether the user who raised a PO of this total is barred from recording its payment."""
    return total_paise > settings.procurement_separation_limit_paise
