"""The quote journey in a real browser: an anonymous visitor asks for a quote from a product page
(signing in on the way), the seller answers from the dashboard with an offer and a file, they
exchange messages, the buyer accepts, checks out and pays in the sandbox, and the order is at
the quoted price. Each side's email arrives in the development mailbox; the thread passes axe."""

from __future__ import annotations

import json
import re
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from app.procurement.quotes.service import today_in_india
from tests.browser.conftest import ODOP, PROJECT
from tests.browser.test_catalog import assert_accessible
from tests.sellers import files

pytestmark = pytest.mark.browser


def _sign_in_here(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _sign_in(page: Page, base: str, email: str, password: str, then: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/account/sign-in?next={then}")
    _sign_in_here(page, email, password)
    page.wait_for_url(re.compile(re.escape(then) + "$"))


def test_a_quote_is_asked_for_answered_discussed_accepted_and_ordered(
    page: Page, live_server: str, live_env: dict[str, str], tmp_path: Path
) -> None:
    base = live_server
    setup = json.loads(
        subprocess.run(
            [*ODOP[:1], "-m", "tests.browser.quotes_setup"],
            env=live_env,
            cwd=PROJECT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    password = setup["password"]

    # Anonymous: the product page's button leads to sign-in, then back to the request form.
    page.goto(f"{base}/products/{setup['slug']}")
    page.get_by_role("link", name="Request a quote").click()
    expect(page).to_have_url(re.compile("/account/sign-in"))
    _sign_in_here(page, setup["buyer"], password)
    expect(page.get_by_role("heading", name="Ask for a quote")).to_be_visible()
    page.get_by_label("Quantity").fill("0")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    page.get_by_label("Quantity").fill("60")
    page.get_by_label("Specifications").fill("Packed in sixes, with a card in Hindi")
    page.get_by_label("State (India)").select_option(label="Uttar Pradesh")
    page.get_by_label("Delivery district (India)").select_option(label="Agra")
    wanted = (today_in_india() + timedelta(days=40)).isoformat()
    page.get_by_label("Wanted by").fill(wanted)
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("Your request is sent.")).to_be_visible()
    quote_url = page.url
    page.get_by_label("Your message").fill("Can you send a photo of the packing?")
    page.get_by_role("button", name="Send the message").click()
    expect(page.get_by_text("Message sent.")).to_be_visible()

    # The seller: dashboard, queue, offer, a reply with a file.
    _sign_in(page, base, setup["seller_email"], password, "/seller")
    page.get_by_role("link", name=re.compile("Quote requests from buyers")).click()
    page.get_by_role("link", name=re.compile(r"^Q-\d+$")).first.click()
    expect(page.get_by_text("Can you send a photo of the packing?")).to_be_visible()
    page.get_by_label("Price per unit in rupees, GST included").fill("700")
    page.get_by_label("Lead time: days until dispatch").fill("6")
    page.get_by_label("Valid until").fill((today_in_india() + timedelta(days=7)).isoformat())
    page.get_by_role("button", name="Send the offer").click()
    expect(page.get_by_text("Your offer is sent to the buyer.")).to_be_visible()
    sheet = tmp_path / "packing.pdf"
    sheet.write_bytes(files.pdf())
    page.get_by_label("Your message").fill("Here is the packing sheet.")
    page.get_by_label("Attach files (optional)").set_input_files(str(sheet))
    page.get_by_role("button", name="Send the message").click()
    expect(page.get_by_role("link", name="packing.pdf")).to_be_visible()

    # The buyer: sees the offer and the reply, accepts, checks out and pays.
    path = quote_url.removeprefix(base)
    _sign_in(page, base, setup["buyer"], password, path)
    expect(page.get_by_text("Here is the packing sheet.")).to_be_visible()
    expect(page.locator("[data-unit-price]")).to_contain_text("₹700.00")
    assert_accessible(page)
    page.get_by_role("button", name="Accept the offer and put it in my cart").click()
    expect(page.get_by_text("Offer accepted.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Agreed price \(Q-\d+\)"))).to_be_visible()
    page.get_by_role("link", name="Checkout").click()
    page.get_by_label("Full name").fill("Ravi Kumar")
    page.get_by_label("House, street, area").fill("9 Sanjay Place")
    page.get_by_label("Town or city").fill("Agra")
    page.get_by_label("State or Union Territory (India)").select_option(label="Uttar Pradesh")
    page.get_by_label("PIN code (India)").fill("282002")
    page.get_by_role("button", name="Place order and pay").click()
    expect(page.get_by_text("Your order is placed.")).to_be_visible()
    order_url = page.url
    expect(page.get_by_text(re.compile(r"× 60 .*₹42,000\.00"))).to_be_visible()
    page.get_by_role("button", name="Pay now").click()
    page.get_by_role("button", name="Pay (card succeeds)").click()
    for _ in range(60):
        page.goto(order_url)
        if 'data-state="paid"' in page.content():
            break
        time.sleep(0.25)
    else:
        raise AssertionError("the order was not paid")
    expect(page.get_by_text(re.compile(r"Agreed price \(Q-\d+\)"))).to_be_visible()
    page.goto(base + quote_url.removeprefix(base))
    expect(page.locator('[data-state="accepted"]')).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Order OD-"))).to_be_visible()

    # Both sides were told by email.
    page.goto(base + "/dev/mail")
    for to in (setup["buyer"], setup["seller_email"]):
        expect(
            page.locator(".mail-list li").filter(has_text=to).filter(has_text="Quote Q-").first
        ).to_be_visible()
