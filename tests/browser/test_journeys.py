"""The journeys of issue 14 in a real browser, at a phone's 390 px and a desktop's 1280 px, with
axe-core at 0 serious/critical on every page type, and screenshots kept as test artifacts in
test-artifacts/browser/ (gitignored):

* a buyer: home -> State -> district (ODOP product cards) -> product -> seller page;
* a foreign buyer: GI index -> GI page;
* an artisan: sign-up by mobile code -> onboarding -> a listing whose first save fails (error
  summary) -> fixed -> admin approval (review page on a phone) -> published, public.
"""

from __future__ import annotations

import io
import re
import subprocess
import time
from collections.abc import Iterator

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.browser.conftest import ODOP, PROJECT
from tests.browser.test_catalog import assert_accessible

pytestmark = pytest.mark.browser
ARTIFACTS = PROJECT / "test-artifacts" / "browser"
VIEWPORTS: dict[str, ViewportSize] = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 800},
}
ADMIN_EMAIL = "journeys-admin@example.test"
ADMIN_PASSWORD = "saffron-ledger-kiln-42"


@pytest.fixture(params=list(VIEWPORTS))
def sized_page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[str, Page]]:
    name = str(request.param)
    context = browser.new_context(
        viewport=VIEWPORTS[name], is_mobile=name == "phone", has_touch=name == "phone"
    )
    page = context.new_page()
    yield name, page
    context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def check_page(page: Page, name: str) -> None:
    """Screenshot, axe at 0 serious/critical, and 44 x 44 px tap targets in the header."""
    shot(page, name)
    assert_accessible(page)
    small = page.evaluate(
        """() => [...document.querySelectorAll(
                '.site-header a, .site-header button, .site-header select, .site-header input')]
            .filter(el => el.offsetParent !== null)
            .map(el => [el.outerHTML.slice(0, 60), el.getBoundingClientRect()])
            .filter(([, box]) => box.width < 44 || box.height < 44)
            .map(([html, box]) => `${html} ${Math.round(box.width)}x${Math.round(box.height)}`)"""
    )
    assert small == [], small


def test_buyer_home_state_district_product_seller(
    sized_page: tuple[str, Page], live_server: str
) -> None:
    size, page = sized_page
    page.goto(live_server + "/")
    # One search box, labelled, and first in the page content.
    expect(page.locator("input[type=search]")).to_have_count(1)
    expect(page.get_by_label("Search products, districts and GI tags")).to_be_visible()
    if size == "phone":
        states_top = page.locator("#states-heading").bounding_box()
        assert states_top is not None and states_top["y"] < 900, states_top
    expect(page.locator(".featured-districts img").first).to_be_visible()
    check_page(page, f"{size}-1-home")

    page.get_by_role("link", name="Uttar Pradesh", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Uttar Pradesh")
    check_page(page, f"{size}-2-state")

    page.get_by_role("link", name="Firozabad", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Firozabad")
    odop_card = page.locator("article.odop-card").first
    expect(odop_card).to_contain_text("Verified sellers:")
    expect(odop_card.locator("img")).to_be_visible()
    expect(odop_card.locator(".badge-gi")).to_contain_text("Handicraft")
    check_page(page, f"{size}-3-district")

    card = page.locator(".cards article.card").first
    expect(card).to_contain_text("Min. order")
    card.locator("h3").click()
    expect(page).to_have_url(re.compile(r"/products/[a-z0-9-]+$"))
    expect(page.get_by_text("Dispatched within")).to_be_visible()
    expect(page.locator(".description")).not_to_contain_text("ARTISAN")
    check_page(page, f"{size}-4-product")

    page.locator(".seller-box a").first.click()
    expect(page).to_have_url(re.compile(r"/sellers/[a-z0-9-]+$"))
    expect(page.get_by_text("Verified since")).to_be_visible()
    expect(page.locator(".cards article.card").first).to_be_visible()
    check_page(page, f"{size}-5-seller")


def test_foreign_buyer_gi_index_to_gi_page(sized_page: tuple[str, Page], live_server: str) -> None:
    size, page = sized_page
    page.goto(live_server + "/")
    page.locator("#currency-select").select_option("USD")
    page.locator(".currency-switch button").click()
    page.goto(live_server + "/gi")
    expect(page.get_by_role("heading", level=1)).to_have_text("Geographical Indications")
    # GIs with listings by default, most products first.
    expect(page.locator(".grid li").first).to_contain_text("Products:")
    check_page(page, f"{size}-6-gi-index")
    page.get_by_label("Goods class").select_option("handicraft")
    page.get_by_role("button", name="Apply").click()
    page.locator(".grid li a").first.click()
    expect(page).to_have_url(re.compile(r"/gi/[a-z0-9-]+$"))
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("Handicraft")
    expect(facts).not_to_contain_text("Handicraft (Handicraft)")
    expect(facts).to_contain_text("Registered GI")
    expect(page.locator(".cards article.card .price").first).to_contain_text("$")
    check_page(page, f"{size}-7-gi")


def _png(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(out, "PNG")
    return out.getvalue()


def _code_for(page: Page, base: str, number: str) -> str:
    for _ in range(50):
        page.goto(base + "/dev/sms")
        item = page.locator(".sms-list li").filter(has_text=number).first
        if item.count():
            found = re.search(r"\b(\d{6})\b", item.inner_text().split("·", 1)[-1])
            assert found, item.inner_text()
            return found.group(1)
        time.sleep(0.2)
    raise AssertionError(f"no text to {number} arrived")


def test_artisan_signs_up_by_mobile_onboards_lists_and_is_approved(
    browser: Browser, live_server: str, live_env: dict[str, str]
) -> None:
    base = live_server
    subprocess.run(
        [*ODOP, "admin", "create", "--email", ADMIN_EMAIL, "--name", "Journeys admin"],
        env={**live_env, "ODOP_ADMIN_PASSWORD": ADMIN_PASSWORD},
        cwd=PROJECT,
        check=True,
        capture_output=True,
    )
    context = browser.new_context(viewport=VIEWPORTS["phone"], is_mobile=True, has_touch=True)
    page = context.new_page()

    # Signed out, /sell offers both ways in and keeps next=/sell.
    page.goto(base + "/sell")
    expect(page).to_have_url(re.compile(r"/sell/start\?next=/sell$"))
    check_page(page, "artisan-01-sell-start")
    page.get_by_role("link", name="Create an account with your mobile number").click()
    page.get_by_label("Your name").fill("Kamla Bai")
    page.get_by_label("Mobile number").fill("98765 00011")
    page.get_by_role("button", name="Text me a code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code we texted you")
    check_page(page, "artisan-02-code")
    code_page = page.url
    code = _code_for(context.new_page(), base, "+919876500011")
    assert page.url == code_page
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(base + "/sell")
    expect(page.get_by_text("Your mobile number is confirmed")).to_be_visible()

    # Onboarding as an artisan.
    page.get_by_role("link", name="Start").click()
    page.get_by_label("What kind of seller are you?").select_option(value="artisan")
    page.get_by_label("Legal name").fill("Kamla Bai")
    page.get_by_label("State", exact=True).select_option(label="Uttar Pradesh")
    page.get_by_label("District", exact=True).select_option(label="Firozabad")
    page.get_by_label("Address", exact=True).fill("Gali 4, Kanch Mandi, Firozabad")
    page.get_by_label("PIN code", exact=True).fill("283203")
    expect(page.get_by_label("Mobile number", exact=True)).to_have_value("9876500011")
    page.get_by_label("Hindi", exact=True).check()
    check_page(page, "artisan-03-profile")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_label("Corporate identification number (CIN)")).to_have_count(0)
    page.get_by_label("PAN", exact=True).fill("ABCPE12O4F")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("Character 8 of a PAN must be a digit (0-9), not O")).to_be_visible()
    check_page(page, "artisan-04-identifiers-error")
    page.get_by_label("PAN", exact=True).fill("ABCPE1204F")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_label("Account holder name").fill("Kamla Bai")
    page.get_by_label("IFSC", exact=True).fill("SBIN0001234")
    page.get_by_label("Account number", exact=True).fill("123456789012")
    page.get_by_label("Account number again").fill("123456789012")
    check_page(page, "artisan-05-bank")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_label("What is this document?").select_option(value="identity")
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "id.png", "mimeType": "image/png", "buffer": _png("white")}
    )
    check_page(page, "artisan-06-documents")
    page.get_by_role("button", name="Upload").click()
    page.goto(base + "/sell")
    check_page(page, "artisan-07-overview")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted: waiting for review")).to_be_visible()

    # A listing whose first save fails, then is fixed; Publish waits for verification.
    page.goto(base + "/seller/listings/new")
    page.get_by_label("Title", exact=True).fill("Kamla's glass bangles, set of 12")
    page.get_by_label("Price per unit in rupees", exact=True).fill("two hundred")
    page.get_by_label("From quantity (row 1)").fill("50")
    page.get_by_role("button", name="Save", exact=True).click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    check_page(page, "artisan-08-listing-error-summary")
    summary.get_by_role("link").first.click()
    page.get_by_label("Price per unit in rupees", exact=True).fill("200")
    page.get_by_label("Price per unit in rupees (row 1)").fill("180")
    page.get_by_label("Add photos (optional)").set_input_files(
        {"name": "bangles.png", "mimeType": "image/png", "buffer": _png("navy")}
    )
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Listing saved as a draft with its photos.")).to_be_visible()
    expect(page.locator(".photo-list img")).to_have_count(1)
    expect(page.get_by_role("button", name="Publish")).to_be_disabled()
    expect(page.get_by_text("You can publish once we have verified")).to_be_visible()
    check_page(page, "artisan-09-listing-draft")
    listing_url = page.url

    # The admin approves on a phone; the decision has no default.
    admin = browser.new_context(viewport=VIEWPORTS["phone"], is_mobile=True, has_touch=True)
    admin_page = admin.new_page()
    admin_page.goto(base + "/account/sign-in")
    admin_page.get_by_label("Email").fill(ADMIN_EMAIL)
    admin_page.get_by_label("Password").fill(ADMIN_PASSWORD)
    admin_page.get_by_role("button", name="Sign in").click()
    admin_page.goto(base + "/admin/sellers")
    admin_page.get_by_role("link", name="Kamla Bai").first.click()
    for choice in ("Approve", "Request changes", "Reject"):
        expect(admin_page.get_by_label(choice, exact=True)).not_to_be_checked()
    value = admin_page.locator("dl.facts dd").first.bounding_box()
    assert value is not None and value["width"] > 250, value  # not squeezed into a column
    check_page(admin_page, "artisan-10-admin-review")
    admin_page.get_by_label("Approve", exact=True).check()
    admin_page.get_by_role("button", name="Save decision").click()
    expect(admin_page.get_by_text("Decision saved for Kamla Bai.")).to_be_visible()
    admin.close()

    # The approval text says the draft is waiting; publishing makes the listing public.
    outbox = context.new_page()
    outbox.goto(base + "/dev/sms")
    expect(outbox.locator(".sms-list li").filter(has_text="draft listings (1)")).to_have_count(1)
    page.goto(listing_url)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published: buyers can see this listing.")).to_be_visible()
    page.goto(base + "/states/uttar-pradesh/firozabad")
    card = page.locator(".cards article.card", has_text="Kamla's glass bangles, set of 12")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Kamla Bai")
    shot(page, "artisan-11-public")
    context.close()
