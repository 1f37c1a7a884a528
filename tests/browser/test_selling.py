"""The seller journey in a real browser, on a phone-sized screen, without shortcuts: a fresh
account onboards an FPO through every step, an admin rejects it with a reason, the seller fixes
and resubmits, the admin approves it and its GI claim, and the seller publishes a listing with
photos that then appears on its district page."""

from __future__ import annotations

import io
import subprocess

import pytest
from PIL import Image
from playwright.sync_api import FilePayload, Page, expect

from app.sellers import identifiers
from tests.browser.conftest import ODOP, PROJECT
from tests.browser.mailbox import open_newest_mail

pytestmark = pytest.mark.browser
PAN = "AAACF4321K"
ADMIN_EMAIL = "verifier@example.test"
ADMIN_PASSWORD = "stamp-ledger-ochre-91"


def _photo(name: str, color: str) -> FilePayload:
    return {"name": name, "mimeType": "image/png", "buffer": _png(color)}


def _png(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(out, "PNG")
    return out.getvalue()


def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(base + "/account/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("You are signed in.")).to_be_visible()


def _sign_out(page: Page, base: str) -> None:
    page.goto(base + "/account")
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def test_an_fpo_onboards_is_verified_and_sells_in_its_district(
    page: Page, live_server: str, live_env: dict[str, str]
) -> None:
    subprocess.run(
        [*ODOP, "admin", "create", "--email", ADMIN_EMAIL, "--name", "Verifier"],
        env={**live_env, "ODOP_ADMIN_PASSWORD": ADMIN_PASSWORD},
        cwd=PROJECT,
        check=True,
        capture_output=True,
    )
    base = live_server
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(base + "/account/register")
    page.get_by_label("Your name").fill("Meena Verma")
    page.get_by_label("Email").fill("fpo@example.test")
    page.get_by_label("Password").fill("kiln-amber-bangle-77")
    page.get_by_role("button", name="Create account").click()
    # Review decisions are emailed, so the account's address is confirmed before submitting.
    page.goto(open_newest_mail(page, base, "Confirm your email address", "fpo@example.test"))

    page.get_by_role("link", name="Sell", exact=True).click()
    page.get_by_role("link", name="Start").click()
    page.get_by_label("What kind of seller are you?").select_option(
        label="Farmer producer organisation (FPO)"
    )
    page.get_by_label("Legal name").fill("Suhag Nagari Glass Producer Company Ltd")
    page.get_by_label("Shop name shown to buyers").fill("Suhag Nagari Glass FPO")
    page.get_by_label("State", exact=True).select_option(label="Uttar Pradesh")
    page.get_by_label("District", exact=True).select_option(label="Firozabad")
    page.get_by_label("Address", exact=True).fill("Kanch Mandi, Firozabad")
    page.get_by_label("PIN code", exact=True).fill("283203")
    page.get_by_label("Mobile number", exact=True).fill("9876543210")
    page.get_by_label("Hindi", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("Saved. Next: your identifiers.")).to_be_visible()

    body = f"09{PAN}1Z"
    page.get_by_label("PAN", exact=True).fill(PAN)
    page.get_by_label("GSTIN", exact=True).fill(
        body + "0" if identifiers.gstin_check_character(body) != "0" else body + "1"
    )
    page.get_by_label("Corporate identification number (CIN)").fill("U01400UP2019PTC123456")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("check character is wrong")).to_be_visible()
    page.get_by_label("GSTIN", exact=True).fill(body + identifiers.gstin_check_character(body))
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_label("IFSC", exact=True).fill("SBIN0001234")
    page.get_by_label("Account number", exact=True).fill("123456789012")
    page.get_by_label("Account number again").fill("123456789012")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_label("What is this document?").select_option(value="registration")
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "registration.pdf", "mimeType": "application/pdf", "buffer": _pdf()}
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Document uploaded.")).to_be_visible()

    page.get_by_role("link", name="Next: GI authorisation").click()
    gi_select = page.get_by_label("GI tag", exact=True)
    gi_select.select_option(index=1)
    gi_name = gi_select.locator("option:checked").inner_text()
    page.get_by_label("Authorised user registration number").fill("AU/FZD/2021/17")
    page.get_by_label("Authorised user certificate").set_input_files(
        {"name": "certificate.png", "mimeType": "image/png", "buffer": _png("white")}
    )
    page.get_by_role("button", name="Claim this GI").click()
    expect(page.get_by_text("GI claim added.")).to_be_visible()

    page.get_by_role("link", name="Members").click()
    page.get_by_label("Name", exact=True).fill("Sunita Devi")
    page.get_by_label("Craft or produce").fill("Glass bangles")
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_text("Member added.")).to_be_visible()

    page.goto(base + "/sell")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted: waiting for review")).to_be_visible()
    _sign_out(page, base)

    # The admin rejects with a reason; the seller sees it, fixes and resubmits.
    _sign_in(page, base, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto(base + "/admin/sellers")
    page.get_by_role("link", name="Suhag Nagari Glass FPO").click()
    page.get_by_label("Reject", exact=True).check()
    page.get_by_label("Reason (the seller sees it").fill(
        "Upload the GST registration certificate too."
    )
    page.get_by_role("button", name="Save decision").click()
    expect(page.get_by_text("Decision saved for Suhag Nagari Glass FPO.")).to_be_visible()
    _sign_out(page, base)

    _sign_in(page, base, "fpo@example.test", "kiln-amber-bangle-77")
    page.goto(base + "/sell")
    expect(page.get_by_role("alert")).to_contain_text(
        "Upload the GST registration certificate too."
    )
    page.get_by_role("link", name="Documents").first.click()
    page.get_by_label("What is this document?").select_option(value="gst")
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "gst.png", "mimeType": "image/png", "buffer": _png("white")}
    )
    page.get_by_role("button", name="Upload").click()
    page.goto(base + "/sell")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted: waiting for review")).to_be_visible()
    _sign_out(page, base)

    _sign_in(page, base, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto(base + "/admin/sellers")
    page.get_by_role("link", name="Suhag Nagari Glass FPO").click()
    page.get_by_label("Approve", exact=True).check()
    page.get_by_role("button", name="Save decision").click()
    page.get_by_role("link", name="Suhag Nagari Glass FPO").first.click()
    page.get_by_role("button", name="Approve GI claim").click()
    expect(page.get_by_text("GI claim decision saved.")).to_be_visible()
    _sign_out(page, base)

    # The verified seller lists a product with photos, tagged with its verified GI.
    _sign_in(page, base, "fpo@example.test", "kiln-amber-bangle-77")
    page.goto(base + "/seller")
    page.get_by_role("link", name="Add a listing").click()
    page.get_by_label("Title", exact=True).fill("Suhag glass bangles, set of 24")
    page.get_by_label("Description", exact=True).fill("Hand-made in Firozabad furnaces.")
    page.get_by_label("GI tag (verified claims only)").select_option(label=gi_name)
    page.get_by_label("Made by member").select_option(label="Sunita Devi")
    page.get_by_label("Price per unit in rupees", exact=True).fill("450")
    page.get_by_label("Minimum order quantity").fill("1")
    page.get_by_label("Stock", exact=True).fill("30")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Listing saved as a draft.")).to_be_visible()
    page.get_by_label("Add photos").set_input_files(
        [
            _photo("front.png", "crimson"),
            _photo("side.png", "navy"),
        ]
    )
    page.get_by_role("button", name="Upload photos").click()
    expect(page.locator(".photo-list img")).to_have_count(2)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published: buyers can see this listing.")).to_be_visible()

    page.goto(base + "/states/uttar-pradesh/firozabad")
    card = page.locator(".card", has_text="Suhag glass bangles, set of 24")
    expect(card).to_be_visible()
    expect(card.locator("img")).to_have_count(1)
