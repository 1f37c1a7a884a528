"""Withholding rates of the e-commerce operator, with the dates they took effect.

Sources (checked December 2026):
- TCS, CGST Act section 52(1): 1% of the net value of taxable supplies (0.5% CGST + 0.5% SGST, or
  1% IGST) from 1 October 2018 (Notification 52/2018-Central Tax, 02/2018-Integrated Tax); 0.5%
  from 10 July 2024 (Notification 15/2024-Central Tax and 01/2024-Integrated Tax, 10 July 2024,
  on the 53rd GST Council's recommendation).
- TDS, Income-tax Act section 194-O: 1% of the gross amount of sales from 1 October 2020 (Finance
  Act 2020); 0.1% from 1 October 2024 (Finance (No. 2) Act 2024, clause 61 of the Bill); 5% when
  the seller has given no PAN (section 206AA(1A)). CBDT Circular 17/2020 leaves out the GST shown
  separately on the invoice, so both are applied to the taxable value here.

A new rate is a new row with its start date; orders keep the rate of the day they were paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class RateFrom:
    starts: date
    basis_points: int  # 1% = 100


TCS_SECTION_52 = (
    RateFrom(date(2018, 10, 1), 100),
    RateFrom(date(2024, 7, 10), 50),
)
TDS_SECTION_194O = (
    RateFrom(date(2020, 10, 1), 100),
    RateFrom(date(2024, 10, 1), 10),
)
TDS_SECTION_194O_WITHOUT_PAN = (RateFrom(date(2020, 10, 1), 500),)


def rate_on(schedule: tuple[RateFrom, ...], day: date) -> int:
    """The rate in force on ``day`` (0 before the first entry: nothing was withheld then)."""
    current = 0
    for entry in sorted(schedule, key=lambda e: e.starts):
        if entry.starts <= day:
            current = entry.basis_points
    return current
