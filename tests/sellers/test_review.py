"""The admin's review (issue 14): no default decision, and an approval message that says what
approval changed for this seller's listings; a seller made by mobile number is told by text."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.config import Settings
from app.db import utcnow
from app.jobs import JobRunner
from app.listings import service as listings
from app.sellers.models import SellerStatus
from app.sms import folder_messages
from tests import factories
from tests.factories import onboarded_seller
from tests.helpers import folder_bodies, post_form

SignIn = Callable[[User], Awaitable[str]]


async def test_the_decision_has_no_default(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    _owner, seller = await onboarded_seller(db, settings)
    await sign_in(await factories.user(db, role=Role.ADMIN))
    page = (await client.get(f"/admin/sellers/{seller.id}")).text
    assert page.count('name="decision"') == 3 and 'type="radio"' in page
    decision_form = page.split('id="f-decision"', 1)[1].split("</fieldset>", 1)[0]
    assert "checked" not in decision_form and "selected" not in decision_form
    none_chosen = await post_form(client, f"/admin/sellers/{seller.id}/decision", {})
    assert none_chosen.status_code == 422 and "Choose a decision." in none_chosen.text
    await db.refresh(seller)
    assert seller.status == SellerStatus.SUBMITTED


async def approve(client: httpx.AsyncClient, seller_id: int) -> None:
    response = await post_form(
        client, f"/admin/sellers/{seller_id}/decision", {"decision": "approve"}
    )
    assert response.status_code == 303


async def test_approval_email_for_a_seller_with_only_a_draft(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    sign_in: SignIn,
    jobs: JobRunner,
) -> None:
    _owner, seller = await onboarded_seller(db, settings)
    await listings.create(db, seller, listings.parse({"title": "Glass vase", "price_inr": "500"}))
    await db.commit()
    await sign_in(await factories.user(db, role=Role.ADMIN))
    await approve(client, seller.id)
    await jobs.run_until_idle()
    [body] = [b for to, subject, b in folder_bodies(settings) if subject.startswith("You are")]
    assert "draft listings (1)" in body and "publish them" in body
    assert "now visible" not in body


async def test_approval_email_for_a_seller_with_no_listing(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    sign_in: SignIn,
    jobs: JobRunner,
) -> None:
    _owner, seller = await onboarded_seller(db, settings)
    await sign_in(await factories.user(db, role=Role.ADMIN))
    await approve(client, seller.id)
    await jobs.run_until_idle()
    [body] = [b for to, subject, b in folder_bodies(settings) if subject.startswith("You are")]
    assert "Add your first listing" in body and "now visible" not in body


async def test_a_seller_without_email_hears_the_decision_by_text(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    sign_in: SignIn,
    jobs: JobRunner,
) -> None:
    phone_owner = await factories.user(
        db, email=None, password_hash=None, phone="+919811112222", phone_verified_at=utcnow()
    )
    _owner, seller = await onboarded_seller(db, settings, owner=phone_owner)
    assert seller.status == SellerStatus.SUBMITTED  # a verified number may submit
    await sign_in(await factories.user(db, role=Role.ADMIN))
    await approve(client, seller.id)
    await jobs.run_until_idle()
    [text] = [m.text for m in folder_messages(settings.sms_dir) if m.to == "+919811112222"]
    assert "is verified" in text and "/sell" in text
