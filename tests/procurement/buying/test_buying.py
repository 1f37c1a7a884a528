"""L1 comparison, bids with sealed quotes, award, split detection: by page, API and service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts_service
from app.accounts.models import Role as AccountRole
from app.accounts.models import User
from app.config import Settings
from app.db import utcnow
from app.jobs import JobRunner
from app.listings.models import Listing, ListingStatus
from app.procurement.audit.models import AuditRecord
from app.procurement.buying import repository, service
from app.procurement.buying.models import Bid, BuyingMethod, Requirement, RequirementStatus
from app.procurement.purchase_orders import service as po_service
from app.procurement.purchase_orders import splits
from app.procurement.purchase_orders.models import PurchaseOrder
from app.procurement.purchase_orders.schemas import POLine
from app.sellers.models import SellerStatus
from app.storage import LocalStorage
from tests import factories
from tests.helpers import post_form, start_session
from tests.procurement.buying.conftest import Buying, make_buying

# Distinctive sealed prices: no page or API may show them before closing.
SEALED = (123_457, 118_803, 131_129)


def _as_text(paise: int) -> list[str]:
    rupees, fraction = divmod(paise, 100)
    return [str(paise), f"{rupees:,}.{fraction:02d}", f"{rupees}.{fraction:02d}"]


async def _requirement_form(b: Buying, **changes: str) -> dict[str, str | list[str]]:
    return {
        "organisation_id": str(b.organisation.id),
        "method": "l1",
        "title": "Glass vases for the state guest house",
        "odop_product_id": str(b.product.id),
        "specifications": "Hand-blown, 25 cm",
        "quantity": "10",
        "delivery_address_id": str(b.address.id),
        "delivery_by": b.delivery_by().isoformat(),
        **changes,
    }


async def _audit_actions(db: AsyncSession, organisation_id: int) -> list[str]:
    rows = await db.scalars(
        select(AuditRecord.action)
        .where(AuditRecord.organisation_id == organisation_id)
        .order_by(AuditRecord.id)
    )
    return list(rows)


async def _latest_requirement(db: AsyncSession) -> Requirement:
    found = await db.scalar(select(Requirement).order_by(Requirement.id.desc()).limit(1))
    assert found is not None
    return found


async def _po_count(db: AsyncSession) -> int:
    return await db.scalar(select(func.count()).select_from(PurchaseOrder)) or 0


# Eligibility --------------------------------------------------------------------------------------


def _requirement(b: Buying, **values: Any) -> Requirement:
    base: dict[str, Any] = {
        "organisation_id": b.organisation.id,
        "buyer_user_id": b.buyer.id,
        "method": BuyingMethod.L1,
        "title": "x",
        "odop_product_id": b.product.id,
        "quantity": 10,
        "delivery_address_id": b.address.id,
        "delivery_district_id": b.address.district_id,
        "delivery_by": b.delivery_by(),
    }
    base.update(values)
    return Requirement(**base)


async def test_eligible_listings_follow_product_district_stock_and_verification(
    db: AsyncSession,
) -> None:
    b = await make_buying(db)
    ids = {listing.id for listing in b.listings}
    found = await repository.eligible_listings(db, _requirement(b))
    assert {listing.id for listing in found} == ids
    # Another district's sellers only: none of Firozabad's.
    jaipur = await factories.district(db, "rajasthan", "jaipur")
    assert not await repository.eligible_listings(db, _requirement(b, seller_district_id=jaipur.id))
    # More than the stock: not for L1 (made-to-order listings would be).
    assert not await repository.eligible_listings(db, _requirement(b, quantity=501))
    # A suspended seller and an unpublished listing drop out.
    b.sellers[0].status = SellerStatus.SUSPENDED
    b.listings[1].status = ListingStatus.UNPUBLISHED
    await db.flush()
    found = await repository.eligible_listings(db, _requirement(b))
    assert {listing.id for listing in found} == {b.listings[2].id}


async def test_a_gi_requirement_needs_a_verified_gi_claim(db: AsyncSession) -> None:
    b = await make_buying(db)
    from app.reference.models import GiTag
    from app.sellers.models import ClaimStatus, SellerGiClaim

    gi = await db.scalar(select(GiTag).where(GiTag.slug == "firozabad-glass"))
    assert gi is not None
    for listing in b.listings:
        listing.gi_tag_id = gi.id
    db.add(
        SellerGiClaim(
            seller_id=b.sellers[0].id,
            gi_tag_id=gi.id,
            authorised_user_number="AU-1",
            status=ClaimStatus.VERIFIED,
        )
    )
    await db.flush()
    requirement = _requirement(b, odop_product_id=None, gi_tag_id=gi.id)
    found = await repository.eligible_listings(db, requirement)
    assert [listing.id for listing in found] == [b.listings[0].id]


# L1 comparison ------------------------------------------------------------------------------------


async def _raise_l1_by_page(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, b: Buying, **changes: str
) -> Requirement:
    await start_session(client, db, settings, b.buyer)
    response = await post_form(
        client, "/procurement/requirements", await _requirement_form(b, **changes)
    )
    assert response.status_code == 303, response.text
    return await _latest_requirement(db)


async def test_l1_ranks_by_landed_price_and_orders_from_l1_with_a_saved_sheet(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    b = await make_buying(db)
    requirement = await _raise_l1_by_page(client, db, settings, b)
    page = await client.get(f"/procurement/requirements/{requirement.id}")
    assert page.status_code == 200
    # Seller 2 has the lowest unit price but its shipping makes seller 1 L1.
    order = [b.listings[0].id, b.listings[1].id, b.listings[2].id]
    positions = [page.text.index(f'data-offer="{lid}"') for lid in order]
    assert positions == sorted(positions)
    assert "₹10,000.00" in page.text and "₹10,200.00" in page.text  # landed: 1000000, 1020000
    view = await service.ranked_offers(db, requirement)
    comparison_id = int(page.text.split('name="comparison_id" value="')[1].split('"')[0])
    response = await post_form(
        client,
        f"/procurement/requirements/{requirement.id}/order",
        {"comparison_id": str(comparison_id), "listing_id": str(view[0].listing_id)},
    )
    assert response.status_code == 303, response.text
    po = await db.scalar(select(PurchaseOrder).where(PurchaseOrder.source_id == requirement.id))
    assert po is not None and po.seller_id == b.sellers[0].id and po.mode == "l1"
    assert po.total_paise == 1_000_000
    await db.refresh(requirement)
    assert requirement.status == RequirementStatus.ORDERED
    actions = await _audit_actions(db, b.organisation.id)
    assert actions[0] == "demand" and "comparison_shown" in actions and "award" in actions
    assert "justification" not in actions
    sheet = await client.get(
        f"/procurement/requirements/{requirement.id}/comparisons/{comparison_id}.csv"
    )
    assert sheet.status_code == 200
    lines = sheet.text.splitlines()
    assert lines[0].startswith("rank,seller") and len(lines) == 4
    assert lines[1].endswith(",yes") and "1000000" in lines[1]
    pdf = await client.get(
        f"/procurement/requirements/{requirement.id}/comparisons/{comparison_id}.pdf"
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_choosing_other_than_l1_needs_a_written_justification(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    b = await make_buying(db)
    requirement = await _raise_l1_by_page(client, db, settings, b)
    page = await client.get(f"/procurement/requirements/{requirement.id}")
    comparison_id = page.text.split('name="comparison_id" value="')[1].split('"')[0]
    url = f"/procurement/requirements/{requirement.id}/order"
    data: dict[str, str | list[str]] = {
        "comparison_id": comparison_id,
        "listing_id": str(b.listings[2].id),
    }
    refused = await post_form(client, url, {**data, "justification": "   "})
    assert refused.status_code == 422
    assert "Explain in writing" in refused.text
    assert await _po_count(db) == 0
    reason = "Only this seller can deliver before the inauguration."
    accepted = await post_form(client, url, {**data, "justification": reason})
    assert accepted.status_code == 303
    po = await db.scalar(select(PurchaseOrder).where(PurchaseOrder.source_id == requirement.id))
    assert po is not None and po.seller_id == b.sellers[2].id and po.justification == reason
    await db.refresh(requirement)
    assert requirement.justification == reason
    record = await db.scalar(
        select(AuditRecord).where(
            AuditRecord.organisation_id == b.organisation.id,
            AuditRecord.action == "justification",
        )
    )
    assert record is not None and record.purchase_order_id == po.id


async def test_fewer_offers_than_the_minimum_offers_a_bid_and_refuses_the_order(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    b = await make_buying(db)
    b.listings[2].status = ListingStatus.UNPUBLISHED
    await db.commit()
    requirement = await _raise_l1_by_page(client, db, settings, b)
    page = await client.get(f"/procurement/requirements/{requirement.id}")
    assert "data-not-enough" in page.text and f"like={requirement.id}" in page.text
    assert "Raise the purchase order" not in page.text
    bid_form = await client.get(f"/procurement/requirements/new?like={requirement.id}")
    assert 'value="bid"\n                 checked' in bid_form.text or "checked" in bid_form.text
    comparison_id = page.text.split('name="comparison_id" value="')[1].split('"')[0]
    response = await post_form(
        client,
        f"/procurement/requirements/{requirement.id}/order",
        {"comparison_id": comparison_id, "listing_id": str(b.listings[0].id)},
    )
    assert response.status_code == 409 and await _po_count(db) == 0


async def test_an_outdated_comparison_and_a_total_above_the_l1_limit_are_refused(
    db: AsyncSession, settings: Settings, tmp_path: Any
) -> None:
    b = await make_buying(db)
    data = service.RequirementInput(
        organisation_id=b.organisation.id,
        method=BuyingMethod.L1,
        title="Vases",
        quantity=10,
        delivery_address_id=b.address.id,
        delivery_by=b.delivery_by(),
        odop_product_id=b.product.id,
    )
    storage = LocalStorage(tmp_path)
    requirement = await service.create_requirement(db, settings, user=b.buyer, data=data)
    view = await service.show_comparison(db, settings, user=b.buyer, requirement=requirement)
    b.listings[0].price_paise = 90_000  # the price changed after the buyer compared
    await db.flush()
    from app.procurement.buying.errors import AboveL1Limit, ComparisonOutdated

    with pytest.raises(ComparisonOutdated):
        await service.order_l1(
            db,
            settings,
            storage,
            user=b.buyer,
            requirement_id=requirement.id,
            comparison_id=view.comparison.id,
            listing_id=b.listings[0].id,
            justification="",
        )
    view = await service.show_comparison(db, settings, user=b.buyer, requirement=requirement)
    low_limit = settings.model_copy(
        update={"procurement_direct_limit_paise": 100, "procurement_l1_limit_paise": 500_000}
    )
    with pytest.raises(AboveL1Limit):
        await service.order_l1(
            db,
            low_limit,
            storage,
            user=b.buyer,
            requirement_id=requirement.id,
            comparison_id=view.comparison.id,
            listing_id=view.offers[0].listing_id,
            justification="",
        )
    assert await _po_count(db) == 0


async def test_requirement_form_errors_keep_the_input(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    b = await make_buying(db)
    await start_session(client, db, settings, b.buyer)
    form = await _requirement_form(
        b, quantity="²", odop_product_id="", delivery_by="tomorrow", title="Keep me"
    )
    response = await post_form(client, "/procurement/requirements", form)
    assert response.status_code == 422
    assert 'value="Keep me"' in response.text and "error-summary" in response.text
    bid = await _requirement_form(b, method="bid", closes_at="")
    response = await post_form(client, "/procurement/requirements", bid)
    assert response.status_code == 422 and "Enter when the bid closes" in response.text
    assert await db.scalar(select(func.count()).select_from(Requirement)) == 0


async def test_only_a_buyer_of_the_organisation_raises_a_requirement(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    b = await make_buying(db)
    for user in (b.consignee, b.other_buyer):
        await start_session(client, db, settings, user)
        response = await post_form(client, "/procurement/requirements", await _requirement_form(b))
        assert response.status_code in (403, 422), response.status_code
    assert await db.scalar(select(func.count()).select_from(Requirement)) == 0


# Bids ---------------------------------------------------------------------------------------------


async def _tokens(db: AsyncSession, users: dict[str, User]) -> dict[str, str]:
    secrets = {}
    for name, user in users.items():
        _token, secrets[name] = await accounts_service.create_api_token(
            db, user, name="t", scopes=accounts_service.scopes_for(user)
        )
    await db.commit()
    return secrets


async def _publish_bid(client: httpx.AsyncClient, secret: str, b: Buying) -> dict[str, Any]:
    body = {
        "organisation_id": b.organisation.id,
        "method": "bid",
        "title": "Glass vases, sealed bid",
        "odop_product_id": b.product.id,
        "quantity": 100,
        "delivery_address_id": b.address.id,
        "delivery_by": b.delivery_by(40).isoformat(),
        "closes_at": (utcnow() + timedelta(hours=2)).isoformat(),
        "sample_required": True,
        "sample_details": "One piece to the stores before closing",
    }
    response = await client.post(
        "/api/v1/procurement/requirements",
        json=body,
        headers={"authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def _quote(b: Buying, n: int, price: int, quantity: int = 100) -> dict[str, Any]:
    return {
        "listing_id": b.listings[n].id,
        "unit_price_paise": price,
        "quantity": quantity,
        "lead_time_days": 10 + n,
        "valid_until": b.delivery_by(60).isoformat(),
    }


async def _close(db: AsyncSession, requirement_id: int) -> None:
    await db.execute(
        update(Requirement)
        .where(Requirement.id == requirement_id)
        .values(closes_at=utcnow() - timedelta(minutes=1))
    )
    await db.commit()


async def test_sealed_quotes_are_seen_by_nobody_before_closing_by_page_or_api(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, jobs: JobRunner
) -> None:
    b = await make_buying(db)
    admin = await factories.user(db, role=AccountRole.ADMIN)
    users = {
        "buyer": b.buyer,
        "consignee": b.consignee,
        "other_buyer": b.other_buyer,
        "seller0": b.owners[0],
        "seller1": b.owners[1],
        "seller2": b.owners[2],
        "outsider": b.outsider_owner,
        "admin": admin,
    }
    secrets = await _tokens(db, users)
    requirement = await _publish_bid(client, secrets["buyer"], b)
    rid = requirement["id"]
    assert await jobs.run_until_idle() >= 1  # eligible sellers are emailed
    for n, price in enumerate(SEALED):
        auth = {"authorization": f"Bearer {secrets[f'seller{n}']}"}
        response = await client.put(
            f"/api/v1/seller/bids/{rid}", json=_quote(b, n, price), headers=auth
        )
        assert response.status_code == 200, response.text
    # A revision before closing is allowed and replaces the quote.
    revised = await client.put(
        f"/api/v1/seller/bids/{rid}",
        json=_quote(b, 0, SEALED[0]),
        headers={"authorization": f"Bearer {secrets['seller0']}"},
    )
    assert revised.status_code == 200 and revised.json()["my_bid"]["revision"] == 2
    outsider = await client.put(
        f"/api/v1/seller/bids/{rid}",
        json=_quote(b, 0, 1),
        headers={"authorization": f"Bearer {secrets['outsider']}"},
    )
    assert outsider.status_code == 404
    # Nothing in the database either: the plain columns are empty until opening.
    rows = list(await db.scalars(select(Bid).where(Bid.requirement_id == rid)))
    assert len(rows) == 3 and all(row.unit_price_paise is None for row in rows)
    assert all(str(SEALED[0]) not in row.sealed for row in rows)

    api_paths = [
        "/api/v1/procurement/requirements",
        f"/api/v1/procurement/requirements/{rid}",
        f"/api/v1/procurement/requirements/{rid}/bids",
        "/api/v1/seller/bids",
        f"/api/v1/seller/bids/{rid}",
        "/api/v1/admin/procurement/split-events",
    ]
    pages = [
        "/procurement/requirements",
        f"/procurement/requirements/{rid}",
        "/seller/bids",
        f"/seller/bids/{rid}",
        "/admin/procurement/splits",
    ]
    for name, user in users.items():
        own = {SEALED[int(name[-1])]} if name.startswith("seller") else set()
        hidden = [t for price in SEALED if price not in own for t in _as_text(price)]
        for path in api_paths:
            response = await client.get(path, headers={"authorization": f"Bearer {secrets[name]}"})
            assert response.status_code < 500
            assert not any(t in response.text for t in hidden), (name, path)
        client.cookies.clear()
        await start_session(client, db, settings, user)
        for path in pages:
            response = await client.get(path)
            assert response.status_code < 500
            assert not any(t in response.text for t in hidden), (name, path)
        if own:
            mine = await client.get(f"/seller/bids/{rid}")
            assert any(t in mine.text for t in _as_text(next(iter(own))))
        client.cookies.clear()
    bids = await client.get(
        f"/api/v1/procurement/requirements/{rid}/bids",
        headers={"authorization": f"Bearer {secrets['buyer']}"},
    )
    assert bids.json() == {"closed": False, "count": 3, "offers": []}
    actions = await _audit_actions(db, b.organisation.id)
    assert actions.count("bid_submitted") == 4 and "bids_opened" not in actions


async def test_after_closing_quotes_are_refused_then_opened_ranked_and_awarded(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, jobs: JobRunner
) -> None:
    b = await make_buying(db)
    secrets = await _tokens(
        db, {"buyer": b.buyer, **{f"seller{n}": owner for n, owner in enumerate(b.owners)}}
    )
    rid = (await _publish_bid(client, secrets["buyer"], b))["id"]
    # Seller 1 is cheapest but can supply only 60 of 100.
    for n, (price, quantity) in enumerate(((95_000, 100), (90_000, 60), (99_000, 100))):
        response = await client.put(
            f"/api/v1/seller/bids/{rid}",
            json=_quote(b, n, price, quantity),
            headers={"authorization": f"Bearer {secrets[f'seller{n}']}"},
        )
        assert response.status_code == 200, response.text
    await _close(db, rid)
    late = await client.put(
        f"/api/v1/seller/bids/{rid}",
        json=_quote(b, 2, 50_000),
        headers={"authorization": f"Bearer {secrets['seller2']}"},
    )
    assert late.status_code == 409 and late.json()["error"]["code"] == "bid_closed"
    buyer = {"authorization": f"Bearer {secrets['buyer']}"}
    opened = await client.get(f"/api/v1/procurement/requirements/{rid}/bids", headers=buyer)
    offers = opened.json()["offers"]
    assert [o["seller_id"] for o in offers] == [b.sellers[1].id, b.sellers[0].id, b.sellers[2].id]
    assert offers[2]["unit_price_paise"] == 99_000  # the late revision did not count
    # Skipping L2 for L3 without a reason is refused; nothing is ordered.
    award = {
        "allocations": [
            {"bid_id": offers[0]["bid_id"], "quantity": 60},
            {"bid_id": offers[2]["bid_id"], "quantity": 40},
        ]
    }
    refused = await client.post(
        f"/api/v1/procurement/requirements/{rid}/award", json=award, headers=buyer
    )
    assert refused.status_code == 422 and await _po_count(db) == 0
    too_many = {"allocations": [{"bid_id": offers[0]["bid_id"], "quantity": 100}]}
    refused = await client.post(
        f"/api/v1/procurement/requirements/{rid}/award", json=too_many, headers=buyer
    )
    assert refused.status_code == 422 and await _po_count(db) == 0
    # Following the ranking: L1 supplies 60, L2 the other 40; one PO each.
    award["allocations"][1] = {"bid_id": offers[1]["bid_id"], "quantity": 40}
    response = await client.post(
        f"/api/v1/procurement/requirements/{rid}/award", json=award, headers=buyer
    )
    assert response.status_code == 201, response.text
    orders = {o["seller_id"]: o for o in response.json()}
    assert set(orders) == {b.sellers[1].id, b.sellers[0].id}
    po = await db.scalar(select(PurchaseOrder).where(PurchaseOrder.seller_id == b.sellers[1].id))
    assert po is not None and po.mode == "bid"
    await db.refresh(po, ["lines"])
    assert po.lines[0].quantity == 60 and po.lines[0].unit_price_paise == 90_000
    actions = await _audit_actions(db, b.organisation.id)
    assert actions.count("bids_opened") == 1 and actions.count("award") == 2
    # Every bidder is told, the loser too.
    mail_dir = settings.mail_dir
    before = len(list(mail_dir.glob("*.eml"))) if mail_dir.exists() else 0
    await jobs.run_until_idle()
    sent = [p.read_text() for p in mail_dir.glob("*.eml")]
    assert len(sent) - before >= 3
    assert any("awarded to another seller" in text for text in sent)


# Split purchases ----------------------------------------------------------------------------------


async def test_split_direct_purchases_are_detected_recorded_and_shown_to_admins(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    b = await make_buying(db)
    listing: Listing = b.listings[0]
    settings = settings.model_copy(update={"procurement_direct_limit_paise": 1_500_000})
    first = await po_service.create_purchase_order(
        db,
        organisation_id=b.organisation.id,
        buyer_user_id=b.buyer.id,
        consignee_user_id=b.consignee.id,
        delivery_address_id=b.address.id,
        seller_id=b.sellers[0].id,
        lines=[POLine(listing.id, 10, 100_000)],
        mode="direct",
        source="listing",
        source_id=listing.id,
        justification=None,
        delivery_by=b.delivery_by(),
        settings=settings,
    )
    assert first.total_paise == 1_000_000
    # A second purchase of ₹4,000 stays under the limit in sum: no warning.
    quiet = await splits.split_warning(
        db,
        settings,
        organisation_id=b.organisation.id,
        listing_ids=[listing.id],
        total_paise=400_000,
    )
    assert quiet is None
    # Another seller's listing of the same ODOP product, taking the sum over the limit: warned.
    warning = await splits.split_warning(
        db,
        settings,
        organisation_id=b.organisation.id,
        listing_ids=[b.listings[1].id],
        total_paise=600_000,
    )
    assert warning is not None and warning.earlier_order_ids == [first.id]
    assert warning.total_paise == 1_600_000
    # Another organisation's purchases do not count.
    assert (
        await splits.split_warning(
            db,
            settings,
            organisation_id=b.organisation.id + 1000,
            listing_ids=[listing.id],
            total_paise=600_000,
        )
        is None
    )
    event = await splits.record_split(
        db, warning=warning, actor_user_id=b.buyer.id, actor_role="buyer", purchase_order_id=None
    )
    assert "split_purchase_detected" in await _audit_actions(db, b.organisation.id)
    admin = await factories.user(db, role=AccountRole.ADMIN)
    await db.commit()
    await start_session(client, db, settings, admin)
    page = await client.get("/admin/procurement/splits")
    assert page.status_code == 200 and "₹16,000.00" in page.text
    assert str(event.id)
