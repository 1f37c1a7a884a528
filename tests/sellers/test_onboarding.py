"""Onboarding through the pages, admin verification, audit log, emails, visibility."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.config import Settings
from app.db import utcnow
from app.errors import FormErrors
from app.jobs import Job, JobRunner
from app.listings.models import ListingStatus
from app.sellers import crypto, repository, service
from app.sellers.models import (
    AppendOnlyError,
    AuditAction,
    ClaimStatus,
    Seller,
    SellerStatus,
    VerificationAudit,
)
from tests import factories
from tests.factories import FPO_PAN, gstin_for, onboarded_seller
from tests.helpers import csrf_token, folder_bodies, post_form
from tests.sellers import files

SignIn = Callable[[User], Awaitable[str]]


async def _upload(
    client: httpx.AsyncClient,
    url: str,
    data: dict[str, str],
    upload: dict[str, tuple[str, bytes, str]],
) -> httpx.Response:
    return await client.post(
        url, data={**data, "csrf_token": await csrf_token(client)}, files=upload
    )


async def test_an_fpo_onboards_through_every_step_and_is_approved(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    sign_in: SignIn,
    jobs: JobRunner,
) -> None:
    owner = await factories.user(db)
    admin = await factories.user(db, role=Role.ADMIN)
    owner_id, admin_id, owner_email = owner.id, admin.id, owner.email
    admin_email = admin.email
    await sign_in(owner)
    place = await factories.district(db)

    start = await client.get("/sell")
    assert start.status_code == 200 and "/sell/profile" in start.text

    # Without JavaScript the district list comes from a round trip.
    districts = await post_form(
        client, "/sell/profile", {"state_id": str(place.state_id), "action": "districts"}
    )
    assert districts.status_code == 200 and "Firozabad" in districts.text

    bad = await post_form(
        client,
        "/sell/profile",
        {"legal_name": "Firozabad Glass FPO", "seller_type": "fpo", "pin_code": "12345"},
    )
    assert bad.status_code == 422
    assert "A PIN code has 6 digits" in bad.text and 'value="Firozabad Glass FPO"' in bad.text

    profile: dict[str, str | list[str]] = {
        "legal_name": "Firozabad Glass Producer Company Ltd",
        "display_name": "Firozabad Glass FPO",
        "seller_type": "fpo",
        "state_id": str(place.state_id),
        "district_id": str(place.id),
        "address": "12 Kanch Mandi, Firozabad",
        "pin_code": "283 203",
        "phone": "98765 43210",
        "email": "fpo@example.test",
        "languages": ["Hindi", "English"],
    }
    saved = await post_form(client, "/sell/profile", profile)
    assert saved.status_code == 303 and saved.headers["location"] == "/sell/identifiers"

    wrong = await post_form(
        client,
        "/sell/identifiers",
        {"pan": FPO_PAN, "gstin": gstin_for(27, FPO_PAN), "cin": "U01400UP2019PTC123456"},
    )
    assert wrong.status_code == 422 and "another state" in wrong.text
    assert "U01400UP2019PTC123456" in wrong.text  # the input is kept
    good = await post_form(
        client,
        "/sell/identifiers",
        {
            "pan": FPO_PAN.lower(),
            "gstin": gstin_for(9, FPO_PAN),
            "cin": "U01400UP2019PTC123456",
        },
    )
    assert good.status_code == 303

    bank = await post_form(
        client,
        "/sell/bank",
        {
            "bank_account_holder": "Firozabad Glass Producer Company Ltd",
            "bank_ifsc": "sbin0001234",
            "account_number": "123456789012",
            "account_number_again": "123456789012",
        },
    )
    assert bank.status_code == 303
    page = await client.get("/sell/bank")
    assert "9012" in page.text and "123456789012" not in page.text

    refused = await post_form(client, "/sell/submit")
    assert refused.status_code == 422 and "Documents" in refused.text

    document = await _upload(
        client,
        "/sell/documents",
        {"kind": "registration"},
        {"file": ("../../registration.pdf", files.pdf(), "application/pdf")},
    )
    assert document.status_code == 303

    seller = await repository.seller_of_user(db, owner.id)
    assert seller is not None
    gi_tags = await repository.gi_tags_for_place(db, seller.state_id, seller.district_id)
    gi_id, gi_name = gi_tags[0].id, gi_tags[0].name
    claim = await _upload(
        client,
        "/sell/gi",
        {"gi_tag_id": str(gi_id), "authorised_user_number": "au/123/2020"},
        {"certificate": ("certificate.png", files.png(), "image/png")},
    )
    assert claim.status_code == 303

    member = await post_form(
        client, "/sell/members", {"name": "Sunita Devi", "craft": "Glass bangles"}
    )
    assert member.status_code == 303

    submitted = await post_form(client, "/sell/submit")
    assert submitted.status_code == 303
    db.expire_all()
    seller = await repository.seller_of_user(db, owner_id)
    assert seller is not None and seller.status == SellerStatus.SUBMITTED
    seller_id = seller.id
    assert seller.bank_account_encrypted and "123456789012" not in seller.bank_account_encrypted
    assert crypto.decrypt(settings.secret_key, seller.bank_account_encrypted) == "123456789012"
    assert (seller.pan, seller.phone, seller.pin_code) == (FPO_PAN, "9876543210", "283203")

    # The owner may download their document; it is served as an attachment.
    documents = await repository.documents(db, seller.id)
    download = await client.get(f"/sell/documents/{documents[0].id}")
    assert download.status_code == 200
    assert download.headers["content-disposition"] == 'attachment; filename="registration.pdf"'
    assert download.content == files.pdf()

    reloaded_admin = await db.get(User, admin_id)
    assert reloaded_admin is not None
    await sign_in(reloaded_admin)
    queue = await client.get("/admin/sellers")
    assert "Firozabad Glass FPO" in queue.text and gi_name in queue.text
    approve = await post_form(
        client, f"/admin/sellers/{seller_id}/decision", {"decision": "approve"}
    )
    assert approve.status_code == 303
    claims = await repository.claims(db, seller_id)
    decided = await post_form(
        client, f"/admin/gi-claims/{claims[0].id}/decision", {"decision": "approve"}
    )
    assert decided.status_code == 303

    db.expire_all()
    seller = await repository.seller_by_id(db, seller_id)
    assert seller is not None and seller.status == SellerStatus.VERIFIED
    claims = await repository.claims(db, seller.id)
    assert claims[0].status == ClaimStatus.VERIFIED
    audit = await repository.audit_log(db, seller.id)
    assert [entry.action for entry in audit] == [
        AuditAction.GI_APPROVED,
        AuditAction.APPROVED,
        AuditAction.SUBMITTED,
    ]
    assert audit[0].actor_user_id == admin_id and audit[2].actor_user_id == owner_id
    history = await client.get(f"/admin/sellers/{seller_id}")
    assert f"Approved · {admin_email}" in history.text

    await jobs.run_until_idle()
    subjects = [subject for to, subject, _body in folder_bodies(settings) if to == owner_email]
    assert "You are a verified seller" in subjects and "Your GI claim is verified" in subjects


async def test_a_rejected_seller_sees_the_reason_fixes_and_resubmits(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    sign_in: SignIn,
    jobs: JobRunner,
) -> None:
    owner, seller = await onboarded_seller(db, settings)
    seller_id = seller.id
    owner.language = "hi"
    owner_email = owner.email
    admin = await factories.user(db, role=Role.ADMIN)
    await sign_in(admin)
    no_reason = await post_form(
        client, f"/admin/sellers/{seller.id}/decision", {"decision": "reject"}
    )
    assert no_reason.status_code == 422 and "Say why" in no_reason.text
    rejected = await post_form(
        client,
        f"/admin/sellers/{seller.id}/decision",
        {"decision": "reject", "reason": "The registration certificate is unreadable."},
    )
    assert rejected.status_code == 303

    await sign_in(owner)
    page = await client.get("/sell")
    assert "The registration certificate is unreadable." in page.text
    upload = await _upload(
        client,
        "/sell/documents",
        {"kind": "registration"},
        {"file": ("clear-scan.png", files.png(), "image/png")},
    )
    assert upload.status_code == 303
    again = await post_form(client, "/sell/submit")
    assert again.status_code == 303
    db.expire_all()
    found = await repository.seller_by_id(db, seller_id)
    assert found is not None and found.status == SellerStatus.SUBMITTED

    await jobs.run_until_idle()
    mails = [(subject, body) for to, subject, body in folder_bodies(settings) if to == owner_email]
    assert any("unreadable" in body and "कारण" in body for _subject, body in mails), mails


async def test_suspending_hides_every_listing_and_emits_catalog_events(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    _owner, seller = await onboarded_seller(db, settings)
    admin = await factories.user(db, role=Role.ADMIN)
    await sign_in(admin)
    seller_id = seller.id
    await post_form(client, f"/admin/sellers/{seller_id}/decision", {"decision": "approve"})
    db.expire_all()
    verified = await db.get(Seller, seller_id)
    assert verified is not None
    listings = [await factories.listing(db, verified) for _ in range(2)]
    await db.commit()
    place = await factories.district(db)
    district_page = f"/states/uttar-pradesh/{place.slug}"
    assert listings[0].title in (await client.get(district_page)).text

    suspended = await post_form(
        client, f"/admin/sellers/{seller_id}/suspend", {"reason": "Counterfeit goods reported."}
    )
    assert suspended.status_code == 303
    page = (await client.get(district_page)).text
    assert listings[0].title not in page and listings[1].title not in page
    kinds = [
        (job.kind, job.payload) for job in (await db.scalars(select(Job).order_by(Job.id))).all()
    ]
    for listing in listings:
        assert ("catalog.listing_changed", {"listing_id": listing.id}) in kinds
    assert ("catalog.seller_changed", {"seller_id": seller_id}) in kinds

    await post_form(client, f"/admin/sellers/{seller_id}/reinstate", {"reason": "Cleared."})
    assert listings[0].title in (await client.get(district_page)).text
    assert all(listing.status == ListingStatus.PUBLISHED for listing in listings)


@pytest.mark.parametrize("change", ["update", "delete"])
async def test_the_audit_log_is_append_only(
    db: AsyncSession, settings: Settings, change: str
) -> None:
    _owner, seller = await onboarded_seller(db, settings)
    entry = await db.scalar(
        select(VerificationAudit).where(VerificationAudit.seller_id == seller.id)
    )
    assert entry is not None
    if change == "update":
        entry.reason = "rewritten"
    else:
        await db.delete(entry)
    with pytest.raises(AppendOnlyError):
        await db.flush()


async def test_submitted_details_cannot_be_changed_until_reviewed(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    owner, seller = await onboarded_seller(db, settings)
    await sign_in(owner)
    response = await post_form(client, "/sell/identifiers", {"pan": "AAACF9999K"})
    assert response.status_code == 409
    seller_id = seller.id
    db.expire_all()
    found = await repository.seller_by_id(db, seller_id)
    assert found is not None and found.pan == FPO_PAN


async def test_a_slug_race_is_settled_by_the_unique_constraint(
    db: AsyncSession, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _first_owner, first = await onboarded_seller(db, settings, submit=False)

    async def never_taken(_session: AsyncSession, _slug: str) -> bool:
        return False  # as if the other request had not committed when we looked

    monkeypatch.setattr(repository, "slug_taken", never_taken)
    _second_owner, second = await onboarded_seller(db, settings, submit=False)
    assert first.slug == "firozabad-glass-fpo"
    assert second.slug == "firozabad-glass-fpo-2"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE verification_audit SET reason = 'rewritten'",
        "DELETE FROM verification_audit",
    ],
)
async def test_the_database_refuses_to_rewrite_the_audit_log(
    db: AsyncSession, settings: Settings, statement: str
) -> None:
    await onboarded_seller(db, settings)
    with pytest.raises(DBAPIError, match="append-only"):
        await db.execute(text(statement))


async def test_a_cin_is_required_only_of_producer_company_fpos(
    db: AsyncSession, settings: Settings
) -> None:
    owner, seller = await onboarded_seller(db, settings, submit=False)
    as_company = service.IdentifiersInput(
        pan=FPO_PAN,
        gstin=gstin_for(9, FPO_PAN),
        udyam_number="",
        cin="",
        nrlm_shg_id="",
        pehchan_card="",
    )
    with pytest.raises(FormErrors) as refused:
        await service.save_identifiers(db, seller, as_company)
    assert set(refused.value.errors) == {"cin"}
    cooperative_pan = "AAAAF1234K"
    as_cooperative = service.IdentifiersInput(
        pan=cooperative_pan,
        gstin=gstin_for(9, cooperative_pan),
        udyam_number="",
        cin="",
        nrlm_shg_id="",
        pehchan_card="",
    )
    await service.save_identifiers(db, seller, as_cooperative)
    assert service.identifiers_complete(seller) and owner.id == seller.owner_user_id


async def test_onboarding_pages_are_in_hindi(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    owner, _seller = await onboarded_seller(db, settings, submit=False)
    await sign_in(owner)
    client.cookies.set("odop_lang", "hi", domain="testserver.local")
    page = await client.get("/sell")
    assert '<html lang="hi">' in page.text
    assert "समीक्षा के लिए जमा करें" in page.text and "पहचान और स्थान" in page.text
    bad = await post_form(client, "/sell/identifiers", {"pan": "123"})
    assert "पैन में 10 अक्षर होते हैं" in bad.text


async def test_submitting_needs_a_confirmed_email_because_decisions_are_emailed(
    db: AsyncSession, settings: Settings
) -> None:
    unconfirmed = await factories.user(db, verified=False)
    owner, seller = await onboarded_seller(db, settings, submit=False, owner=unconfirmed)
    with pytest.raises(FormErrors) as refused:
        await service.submit(db, owner, seller)
    assert "Confirm your email address first" in refused.value.errors["form"]
    assert seller.status == SellerStatus.DRAFT
    owner.email_verified_at = utcnow()
    await service.submit(db, owner, seller)
    submitted = await repository.seller_by_id(db, seller.id)
    assert submitted is not None and submitted.status == SellerStatus.SUBMITTED
