"""What each seller is owed, as append-only ledger entries, and payout batches.

On a paid order, each seller part gets: the sale (GST-inclusive goods and shipping, what the buyer
paid for that part), minus the platform's commission on it, minus TCS (GST section 52, on the
taxable value, for GST-registered sellers) and TDS (section 194-O, on the taxable value). A refund
writes reversing entries in proportion to what was refunded; the last refund of a part reverses
exactly what is left, so rounding never leaves a stray paisa. Rates come from app/orders/ledger/
rates.py by the day the order was paid.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import begin_write, utcnow
from app.errors import Conflict, NotFound
from app.money import round_minor
from app.orders import service as orders_service
from app.orders.ledger import rates, repository
from app.orders.ledger.models import BatchState, EntryKind, LedgerEntry, PayoutBatch, PayoutItem
from app.sellers import crypto
from app.sellers.models import Seller

REVERSAL = {
    EntryKind.SALE: EntryKind.REFUND,
    EntryKind.COMMISSION: EntryKind.COMMISSION_REFUND,
    EntryKind.TCS: EntryKind.TCS_REFUND,
    EntryKind.TDS: EntryKind.TDS_REFUND,
}


def apply_rate(base_paise: int, basis_points: int) -> int:
    return round_minor(Decimal(base_paise) * basis_points / 10_000)


def _round_fraction(value: Fraction) -> int:
    return round_minor(Decimal(value.numerator) / Decimal(value.denominator))


def _sale_rows(
    settings: Settings,
    seller: Seller,
    *,
    gross: int,
    taxable: int,
    paid_on: date,
    common: dict[str, Any],
    key: str,
) -> list[dict[str, Any]]:
    """The sale and what is withheld from it (commission, TCS, TDS) for one supply."""
    rows: list[dict[str, Any]] = [
        {**common, "kind": EntryKind.SALE, "amount_inr_paise": gross, "effect_key": f"sale:{key}"}
    ]
    withheld = [(EntryKind.COMMISSION, gross, settings.platform_commission_basis_points)]
    if seller.gstin:  # TCS is collected on supplies of GST-registered sellers
        withheld.append((EntryKind.TCS, taxable, rates.rate_on(rates.TCS_SECTION_52, paid_on)))
    tds = rates.TDS_SECTION_194O if seller.pan else rates.TDS_SECTION_194O_WITHOUT_PAN
    withheld.append((EntryKind.TDS, taxable, rates.rate_on(tds, paid_on)))
    for kind, base, basis_points in withheld:
        if basis_points == 0:
            continue
        rows.append(
            {
                **common,
                "kind": kind,
                "amount_inr_paise": -apply_rate(base, basis_points),
                "base_inr_paise": base,
                "rate_basis_points": basis_points,
                "effect_key": f"{kind.value}:{key}",
            }
        )
    return rows


async def record_sale(
    session: AsyncSession, settings: Settings, *, order_number: str, paid_on: date
) -> int:
    """Entries for every part of a paid order; returns how many were new (0 on a replay)."""
    rows: list[dict[str, Any]] = []
    for facts in await orders_service.ledger_facts(session, order_number=order_number):
        seller = await repository.seller_by_id(session, facts.seller_id)
        if seller is None:
            raise NotFound("seller of an order part")
        part = facts.order_part_id
        common = {"seller_id": facts.seller_id, "order_number": order_number, "order_part_id": part}
        rows += _sale_rows(
            settings,
            seller,
            gross=facts.gross_inr_minor,
            taxable=facts.taxable_inr_minor,
            paid_on=paid_on,
            common=common,
            key=f"part:{part}",
        )
    return await repository.add_entries_once(session, rows)


async def record_supply(
    session: AsyncSession,
    settings: Settings,
    *,
    seller_id: int,
    reference: str,
    gross_inr_paise: int,
    taxable_inr_paise: int,
    paid_on: date,
) -> int:
    """Entries for a paid supply that is not an order part (a purchase order, paid later by
    the buyer): the same sale, commission, TCS and TDS; ``reference`` (at most 16 characters)
    is kept as the entries' order number. Returns how many were new (0 on a replay)."""
    seller = await repository.seller_by_id(session, seller_id)
    if seller is None:
        raise NotFound("seller of a supply")
    rows = _sale_rows(
        settings,
        seller,
        gross=gross_inr_paise,
        taxable=taxable_inr_paise,
        paid_on=paid_on,
        common={"seller_id": seller_id, "order_number": reference},
        key=f"supply:{reference}",
    )
    return await repository.add_entries_once(session, rows)


async def part_shares(
    session: AsyncSession, *, order_number: str, total_minor: int
) -> dict[int, int]:
    """Each part's share of what the buyer was charged (in the charged currency), in proportion
    to its INR amount; the last part takes the rounding remainder so the shares add up."""
    facts = await orders_service.ledger_facts(session, order_number=order_number)
    gross = sum(f.gross_inr_minor for f in facts)
    shares: dict[int, int] = {}
    given = 0
    for index, f in enumerate(facts):
        if index == len(facts) - 1:
            share = total_minor - given
        else:
            share = _round_fraction(Fraction(total_minor * f.gross_inr_minor, gross or 1))
        shares[f.order_part_id] = share
        given += share
    return shares


REFUND_FAILED_PREFIX = "refund_failed:"


async def record_refund(
    session: AsyncSession,
    *,
    order_number: str,
    refund_id: int,
    order_part_id: int | None,
    amount_minor: int,
    total_minor: int,
) -> int:
    """Reverse the sale, commission, TCS and TDS of the refunded parts, in proportion: a part
    refund is a fraction of its part's share of the charge, a whole-order refund the same
    fraction of every part."""
    facts = await orders_service.ledger_facts(session, order_number=order_number)
    shares = await part_shares(session, order_number=order_number, total_minor=total_minor)
    rows: list[dict[str, Any]] = []
    for f in facts:
        if order_part_id is not None and f.order_part_id != order_part_id:
            continue
        sums = await repository.part_sums(session, f.order_part_id)
        sale = sums.get(EntryKind.SALE, 0)
        # The fraction of this part refunded before, plus this refund's.
        before = Fraction(-sums.get(EntryKind.REFUND, 0), sale) if sale else Fraction(0)
        whole = total_minor if order_part_id is None else shares[f.order_part_id]
        ratio = min(Fraction(1), before + Fraction(amount_minor, whole or 1))
        for original, reversal in REVERSAL.items():
            recorded = sums.get(original, 0)
            if recorded == 0:
                continue
            target = -_round_fraction(recorded * ratio)
            amount = target - sums.get(reversal, 0)
            if amount == 0:
                continue
            rows.append(
                {
                    "seller_id": f.seller_id,
                    "order_number": order_number,
                    "order_part_id": f.order_part_id,
                    "refund_id": refund_id,
                    "kind": reversal,
                    "amount_inr_paise": amount,
                    "effect_key": f"{reversal.value}:refund:{refund_id}:part:{f.order_part_id}",
                }
            )
    return await repository.add_entries_once(session, rows)


async def reinstate_refund(session: AsyncSession, *, refund_id: int) -> int:
    """A refund failed at the provider: the buyer kept nothing back, so the seller is owed again
    what its reversal entries took. Each is answered by an entry of the same kind and the
    opposite amount (the ledger is append-only), keyed so that it is written once."""
    rows = [
        {
            "seller_id": entry.seller_id,
            "order_number": entry.order_number,
            "order_part_id": entry.order_part_id,
            "refund_id": refund_id,
            "kind": entry.kind,
            "amount_inr_paise": -entry.amount_inr_paise,
            "effect_key": f"{REFUND_FAILED_PREFIX}{entry.effect_key}",
        }
        for entry in await repository.entries_of_refund(session, refund_id)
        if not entry.effect_key.startswith(REFUND_FAILED_PREFIX)
    ]
    return await repository.add_entries_once(session, rows)


# What sellers see ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SellerLedger:
    entries: list[LedgerEntry]
    balance_inr_paise: int


async def seller_ledger(session: AsyncSession, seller_id: int) -> SellerLedger:
    return SellerLedger(
        entries=await repository.entries_of_seller(session, seller_id),
        balance_inr_paise=await repository.balance_of(session, seller_id),
    )


def entry_dict(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": entry.kind.value,
        "amount_inr_paise": entry.amount_inr_paise,
        "base_inr_paise": entry.base_inr_paise,
        "rate_basis_points": entry.rate_basis_points,
        "order_number": entry.order_number,
        "order_part_id": entry.order_part_id,
        "payout_batch_id": entry.payout_batch_id,
        "created_at": entry.created_at.isoformat(),
    }


# Payout batches -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Owed:
    seller_id: int
    seller_name: str
    balance_inr_paise: int
    has_bank_details: bool


async def owed(session: AsyncSession) -> list[Owed]:
    return [
        Owed(
            seller.id,
            seller.display_name,
            balance,
            bool(seller.bank_account_encrypted and seller.bank_ifsc),
        )
        for seller, balance, _last in await repository.balances(session)
        if balance != 0
    ]


class NothingToPay(Conflict):
    code = "nothing_to_pay"
    title = "No seller with bank details is owed anything"


async def create_batch(session: AsyncSession, *, created_by: int | None) -> PayoutBatch:
    """A batch of every positive balance of a seller with bank details. Each payout is also a
    ledger entry keyed by the seller's newest entry, so two administrators creating batches at
    once cannot pay the same balance twice: the second gets a 409."""
    await begin_write(session)
    batch = PayoutBatch(total_inr_paise=0, created_by_user_id=created_by)
    repository.add(session, batch)
    total = 0
    items = []
    for seller, balance, last_id in await repository.balances(session):
        if balance <= 0 or not (seller.bank_account_encrypted and seller.bank_ifsc):
            continue
        items.append((seller, balance, last_id))
    if not items:
        raise NothingToPay()
    await repository.flush(session)
    for seller, balance, last_id in items:
        repository.add(
            session,
            PayoutItem(
                batch_id=batch.id,
                seller_id=seller.id,
                amount_inr_paise=balance,
                seller_name=seller.legal_name,
                account_holder=seller.bank_account_holder or seller.legal_name,
                ifsc=seller.bank_ifsc or "",
                account_encrypted=seller.bank_account_encrypted or "",
                account_last4=seller.bank_account_last4 or "",
            ),
        )
        repository.add(
            session,
            LedgerEntry(
                seller_id=seller.id,
                kind=EntryKind.PAYOUT,
                amount_inr_paise=-balance,
                payout_batch_id=batch.id,
                effect_key=f"payout:seller:{seller.id}:through:{last_id}",
                note="",
            ),
        )
        total += balance
    batch.total_inr_paise = total
    try:
        await repository.flush(session)
    except IntegrityError as exc:
        raise Conflict("Another payout batch took these balances a moment ago") from exc
    found = await repository.batch(session, batch.id)
    assert found is not None
    return found


async def get_batch(session: AsyncSession, batch_id: int) -> PayoutBatch:
    found = await repository.batch(session, batch_id)
    if found is None:
        raise NotFound("There is no such payout batch")
    return found


async def mark_paid(
    session: AsyncSession, *, batch_id: int, paid_by: int, bank_reference: str
) -> PayoutBatch:
    batch = await repository.batch(session, batch_id, lock=True)
    if batch is None:
        raise NotFound("There is no such payout batch")
    if batch.state == BatchState.PAID:
        return batch
    batch.state = BatchState.PAID
    batch.paid_at = utcnow()
    batch.paid_by_user_id = paid_by
    batch.bank_reference = bank_reference.strip()[:80]
    await repository.flush(session)
    return batch


CSV_HEADER = ("seller_name", "account_holder", "account_number", "ifsc", "amount_inr", "reference")


def _formula_safe(value: str) -> str:
    """A spreadsheet must not run a name like "=HYPERLINK(...)" as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def batch_csv(settings: Settings, batch: PayoutBatch) -> str:
    """The bank's bulk-transfer file: one row per seller, account numbers decrypted."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for item in batch.items:
        writer.writerow(
            (
                _formula_safe(item.seller_name),
                _formula_safe(item.account_holder),
                crypto.decrypt(settings.secret_key, item.account_encrypted),
                item.ifsc,
                f"{Decimal(item.amount_inr_paise) / 100:.2f}",
                f"ODOP-PAYOUT-{batch.id}-{item.seller_id}",
            )
        )
    return out.getvalue()


def batch_dict(batch: PayoutBatch) -> dict[str, Any]:
    return {
        "id": batch.id,
        "state": batch.state.value,
        "total_inr_paise": batch.total_inr_paise,
        "created_at": batch.created_at.isoformat(),
        "paid_at": batch.paid_at.isoformat() if batch.paid_at else None,
        "bank_reference": batch.bank_reference,
        "items": [
            {
                "seller_id": item.seller_id,
                "seller_name": item.seller_name,
                "amount_inr_paise": item.amount_inr_paise,
                "ifsc": item.ifsc,
                "account_last4": item.account_last4,
            }
            for item in batch.items
        ],
    }
