"""The seller ledger: entries on a paid order, reversals on refunds, append-only in the database,
payout batches and their CSV, and the seller's statement."""

from __future__ import annotations

import csv
import io
from datetime import date

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from app.config import Settings
from app.db import utcnow
from app.orders.ledger import rates, service
from app.orders.ledger import repository as ledger_repository
from app.orders.ledger.models import AppendOnlyError, BatchState, EntryKind, LedgerEntry
from app.orders.payments import service as payments_service
from app.orders.payments.errors import RefundTooLarge
from app.orders.payments.models import Payment
from tests import factories
from tests.helpers import post_form
from tests.orders.payments.conftest import PartSpec, make_order


def test_rates_follow_their_effective_dates() -> None:
    assert rates.rate_on(rates.TCS_SECTION_52, date(2018, 9, 30)) == 0
    assert rates.rate_on(rates.TCS_SECTION_52, date(2024, 7, 9)) == 100  # 1%
    assert rates.rate_on(rates.TCS_SECTION_52, date(2024, 7, 10)) == 50  # 0.5%
    assert rates.rate_on(rates.TDS_SECTION_194O, date(2024, 9, 30)) == 100  # 1%
    assert rates.rate_on(rates.TDS_SECTION_194O, date(2024, 10, 1)) == 10  # 0.1%
    assert rates.rate_on(rates.TDS_SECTION_194O_WITHOUT_PAN, date(2026, 1, 1)) == 500


def test_rates_round_half_up_to_the_paisa() -> None:
    assert service.apply_rate(100_001, 50) == 500  # 500.005 paise
    assert service.apply_rate(100_100, 50) == 501  # 500.5 paise, half up
    assert service.apply_rate(99_900, 50) == 500  # 499.5 -> 500
    assert service.apply_rate(118_000, 500) == 5_900


async def entries_of(db: AsyncSession, number: str) -> list[tuple[EntryKind, int, int | None]]:
    rows = await db.execute(
        select(LedgerEntry.kind, LedgerEntry.amount_inr_paise, LedgerEntry.rate_basis_points)
        .where(LedgerEntry.order_number == number)
        .order_by(LedgerEntry.id)
    )
    return list(rows.all())


async def pay(db: AsyncSession, settings: Settings, number: str) -> Payment:
    await payments_service.start_payment(db, settings, order_number=number)
    payment = await db.scalar(select(Payment).where(Payment.order_number == number))
    assert payment is not None
    outcome = await payments_service.payment_succeeded(
        db, settings, payment.id, amount_minor=payment.amount_minor, currency=payment.currency
    )
    assert outcome.changed
    return payment


async def test_a_paid_order_owes_each_seller_its_sale_less_commission_tcs_and_tds(
    db: AsyncSession, settings: Settings
) -> None:
    order = await make_order(
        db,
        settings,
        [
            PartSpec(118_000, 100_000),  # registered seller with a PAN
            PartSpec(52_500, 50_000, gstin=None, pan=None),  # unregistered, no PAN
        ],
    )
    await pay(db, settings, order.number)
    today = utcnow().date()
    tcs = rates.rate_on(rates.TCS_SECTION_52, today)
    tds = rates.rate_on(rates.TDS_SECTION_194O, today)
    assert await entries_of(db, order.number) == [
        (EntryKind.SALE, 118_000, None),
        (EntryKind.COMMISSION, -5_900, 500),  # 5% of the GST-inclusive sale
        (EntryKind.TCS, -service.apply_rate(100_000, tcs), tcs),  # on the taxable value
        (EntryKind.TDS, -service.apply_rate(100_000, tds), tds),
        (EntryKind.SALE, 52_500, None),
        (EntryKind.COMMISSION, -2_625, 500),
        # no GSTIN: no TCS; no PAN: TDS at 5%
        (EntryKind.TDS, -2_500, 500),
    ]
    # Recording the same sale again writes nothing.
    assert await service.record_sale(db, settings, order_number=order.number, paid_on=today) == 0


async def test_refunds_reverse_in_proportion_and_the_last_one_exactly(
    db: AsyncSession, settings: Settings
) -> None:
    order = await make_order(db, settings, [PartSpec(100_001, 84_747), PartSpec(50_000, 42_373)])
    await pay(db, settings, order.number)
    parts = sorted(
        {
            p
            for p in (
                await db.scalars(
                    select(LedgerEntry.order_part_id).where(
                        LedgerEntry.order_number == order.number
                    )
                )
            )
            if p is not None
        }
    )
    first = parts[0]
    await payments_service.refund(
        db, settings, order_number=order.number, order_part_id=first, amount_minor=33_333
    )
    sums = await ledger_repository.part_sums(db, first)
    assert sums[EntryKind.REFUND] == -33_333
    assert sums[EntryKind.COMMISSION_REFUND] == service.apply_rate(
        -sums[EntryKind.COMMISSION], 0
    ) + round(-sums[EntryKind.COMMISSION] * 33_333 / 100_001)
    # Too much is refused and changes nothing.
    with pytest.raises(RefundTooLarge):
        await payments_service.refund(
            db, settings, order_number=order.number, order_part_id=first, amount_minor=66_669
        )
    await payments_service.refund(
        db, settings, order_number=order.number, order_part_id=first, amount_minor=66_668
    )
    sums = await ledger_repository.part_sums(db, first)
    for original, reversal in service.REVERSAL.items():
        assert sums.get(original, 0) + sums.get(reversal, 0) == 0, original
    # The other part is untouched.
    other = await ledger_repository.part_sums(db, parts[1])
    assert EntryKind.REFUND not in other


async def test_the_ledger_refuses_update_and_delete_in_the_database(
    db: AsyncSession, settings: Settings
) -> None:
    order = await make_order(db, settings, [PartSpec(10_000, 8_475)])
    await pay(db, settings, order.number)
    entry = await db.scalar(select(LedgerEntry).where(LedgerEntry.order_number == order.number))
    assert entry is not None
    entry_id, amount = entry.id, entry.amount_inr_paise
    for statement in (
        "UPDATE ledger_entries SET amount_inr_paise = 1 WHERE id = :id",
        "DELETE FROM ledger_entries WHERE id = :id",
    ):
        savepoint = await db.begin_nested()
        with pytest.raises((DBAPIError, IntegrityError), match="append-only"):
            await db.execute(text(statement), {"id": entry_id})
        await savepoint.rollback()
    if db.get_bind().dialect.name == "postgresql":
        savepoint = await db.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            await db.execute(text("TRUNCATE ledger_entries CASCADE"))
        await savepoint.rollback()
    db.expire_all()
    found = await db.scalar(select(LedgerEntry).where(LedgerEntry.id == entry_id))
    assert found is not None and found.amount_inr_paise == amount
    # The ORM refuses before the database is asked (last: a failed flush ends the session).
    found.amount_inr_paise = 1
    with pytest.raises(AppendOnlyError):
        await db.flush()


async def test_a_payout_batch_pays_what_is_owed_once_and_exports_the_bank_file(
    db: AsyncSession, settings: Settings
) -> None:
    order = await make_order(db, settings, [PartSpec(118_000, 100_000)])
    await pay(db, settings, order.number)
    [owed] = await service.owed(db)
    expected = sum(a for _, a, _ in await entries_of(db, order.number))
    assert owed.balance_inr_paise == expected > 0
    admin = await factories.user(db, role=Role.ADMIN)

    batch = await service.create_batch(db, created_by=admin.id)
    assert batch.total_inr_paise == expected
    [item] = batch.items
    assert (item.ifsc, item.account_last4) == ("SBIN0001234", "7890")
    assert [o.balance_inr_paise for o in await service.owed(db)] == []  # all taken
    with pytest.raises(service.NothingToPay):
        await service.create_batch(db, created_by=admin.id)

    rows = list(csv.reader(io.StringIO(service.batch_csv(settings, batch))))
    assert rows[0] == list(service.CSV_HEADER)
    assert rows[1][1:] == [
        "Sunita Devi",
        "001234567890",
        "SBIN0001234",
        f"{expected / 100:.2f}",
        f"ODOP-PAYOUT-{batch.id}-{item.seller_id}",
    ]
    paid = await service.mark_paid(db, batch_id=batch.id, paid_by=admin.id, bank_reference="UTR1")
    assert (paid.state, paid.bank_reference) == (BatchState.PAID, "UTR1")


def test_the_csv_does_not_let_a_name_become_a_spreadsheet_formula() -> None:
    assert service._formula_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert service._formula_safe("Sunita") == "Sunita"


async def test_admin_pages_create_mark_and_export_a_batch(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: object
) -> None:
    order = await make_order(db, settings, [PartSpec(50_000, 42_373)])
    await pay(db, settings, order.number)
    admin = await factories.user(db, role=Role.ADMIN)
    await sign_in(admin)  # type: ignore[operator]
    page = await client.get("/admin/payouts")
    assert page.status_code == 200 and "Create a payout batch" in page.text
    created = await post_form(client, "/admin/payouts")
    assert created.status_code == 303
    detail = await client.get(created.headers["location"])
    assert "SBIN0001234" in detail.text and "001234567890" not in detail.text
    batch_id = int(created.headers["location"].rsplit("/", 1)[1])
    exported = await client.get(f"/admin/payouts/{batch_id}/export.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    assert "001234567890" in exported.text
    marked = await post_form(client, f"/admin/payouts/{batch_id}/paid", {"bank_reference": "UTR9"})
    assert marked.status_code == 303
    assert "UTR9" in (await client.get(f"/admin/payouts/{batch_id}")).text


async def test_the_seller_sees_their_ledger_on_the_dashboard_and_the_api(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: object
) -> None:
    order = await make_order(db, settings, [PartSpec(118_000, 100_000)])
    await pay(db, settings, order.number)
    [owed] = await service.owed(db)
    owner = await factories.user(db)
    seller = await ledger_repository.seller_by_id(db, owed.seller_id)
    assert seller is not None
    seller.owner_user_id = owner.id
    await db.flush()
    await sign_in(owner)  # type: ignore[operator]
    page = await client.get("/seller/ledger")
    assert page.status_code == 200
    assert order.number in page.text and "Platform commission" in page.text
    assert "₹1,180.00" in page.text

    from app.accounts import service as accounts_service

    _token, secret = await accounts_service.create_api_token(
        db, owner, name="t", scopes=["seller:read"]
    )
    await db.commit()
    client.cookies.clear()
    api = await client.get("/api/v1/seller/ledger", headers={"authorization": f"Bearer {secret}"})
    assert api.status_code == 200
    body = api.json()
    assert body["balance_inr_paise"] == owed.balance_inr_paise
    assert {e["kind"] for e in body["entries"]} == {"sale", "commission", "tcs", "tds"}
