"""Onboarding on a phone (issue 14): PAN errors name the character and what was expected, only
the identifiers of the seller's type are asked, members choose to be shown publicly."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.config import Settings
from app.sellers import identifiers as ids
from app.sellers import repository
from app.sellers.models import SellerType
from tests.factories import onboarded_seller
from tests.helpers import post_form

SignIn = Callable[[User], Awaitable[str]]


@pytest.mark.parametrize(
    ("pan", "message"),
    [
        ("ABCPE123", "10 characters (5 letters, 4 digits, 1 letter, like ABCPE1234F); this has 8"),
        ("AB1PE1234F", "Character 3 of a PAN must be a letter (A-Z), not 1"),
        ("ABCXE1234F", "one of A, B, C, F, G, H, J, L, P, T, not X"),
        ("ABCPE12O4F", "Character 8 of a PAN must be a digit (0-9), not O"),
        ("ABCPE12345", "Character 10 of a PAN must be a letter (A-Z), not 5"),
    ],
)
def test_pan_errors_say_which_character_was_expected(pan: str, message: str) -> None:
    with pytest.raises(ids.InvalidIdentifier) as raised:
        ids.validate_pan(pan)
    assert message in raised.value.message


def test_a_pan_of_another_holder_type_says_what_fits() -> None:
    with pytest.raises(ids.InvalidIdentifier) as raised:
        ids.validate_pan("ABCCE1234F", SellerType.ARTISAN)
    assert "it should be P" in raised.value.message


@pytest.mark.parametrize(
    ("seller_type", "asked", "not_asked"),
    [
        (SellerType.ARTISAN, ["pehchan_card"], ["cin", "udyam_number", "nrlm_shg_id"]),
        (SellerType.FPO, ["cin"], ["pehchan_card", "udyam_number", "nrlm_shg_id"]),
    ],
)
async def test_only_the_identifiers_of_the_seller_type_are_asked(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    sign_in: SignIn,
    seller_type: SellerType,
    asked: list[str],
    not_asked: list[str],
) -> None:
    owner, _seller = await onboarded_seller(db, settings, seller_type=seller_type, submit=False)
    await sign_in(owner)
    html = (await client.get("/sell/identifiers")).text
    assert 'name="pan"' in html and 'name="gstin"' in html
    for field in asked:
        assert f'name="{field}"' in html
    for field in not_asked:
        assert f'name="{field}"' not in html


async def test_members_choose_to_be_shown_publicly(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    owner, seller = await onboarded_seller(db, settings, submit=False)
    await sign_in(owner)
    form = await client.get("/sell/members")
    assert (
        'name="show_publicly"' in form.text
        and "checked" not in form.text.split('name="show_publicly"', 1)[1].split(">", 1)[0]
    )
    await post_form(client, "/sell/members", {"name": "Rani Devi", "show_publicly": "yes"})
    await post_form(client, "/sell/members", {"name": "Kamla Devi"})
    members = {m.name: m.show_publicly for m in await repository.members(db, seller.id)}
    assert members == {"Rani Devi": True, "Kamla Devi": False}


async def test_the_district_field_follows_the_state_with_or_without_javascript(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    owner, seller = await onboarded_seller(db, settings, submit=False)
    await sign_in(owner)
    page = (await client.get("/sell/profile")).text
    # The script is a static file (no inline script), and the two-step button stays in the HTML.
    assert "/static/js/district-picker.js" in page and "<script>" not in page
    assert "data-district-button" in page and 'data-districts-url="/sell/districts"' in page
    districts = (await client.get(f"/sell/districts?state_id={seller.state_id}")).json()
    assert {"id": seller.district_id, "name": "Firozabad"} in districts
    assert all(set(d) == {"id", "name"} for d in districts)
    assert (await client.get("/sell/districts?state_id=abc")).status_code == 422


async def test_review_and_submit_summarises_every_answer_with_change_links(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    owner, seller = await onboarded_seller(db, settings, submit=False)
    await sign_in(owner)
    html = (await client.get("/sell")).text
    summary = html.split('class="summary-list"', 1)[1].split("</dl>", 1)[0]
    assert "Review and submit" in html and "Submit for review" in html
    for text in (seller.legal_name, "Firozabad", seller.pan or "-", "Registration certificate"):
        assert text in summary, text
    for step in ("/sell/profile", "/sell/identifiers", "/sell/bank", "/sell/documents", "/sell/gi"):
        assert f'href="{step}"' in summary


async def test_the_documents_step_is_done_only_with_the_document_the_type_needs(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, sign_in: SignIn
) -> None:
    from app.sellers import service
    from app.sellers.models import DocumentKind, SellerDocument

    owner, seller = await onboarded_seller(db, settings, submit=False)
    gst_only = [SellerDocument(kind=DocumentKind.GST)]
    registration = [SellerDocument(kind=DocumentKind.REGISTRATION)]
    assert not service.documents_complete(seller, gst_only)  # an FPO needs its registration
    assert service.documents_complete(seller, registration)
    await sign_in(owner)
    page = (await client.get("/sell/documents")).text
    assert "upload your registration certificate" in page
