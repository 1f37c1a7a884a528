"""The buying journey in a real browser, without shortcuts: a buyer fills one cart from sellers
in two States, checks out, pays in the sandbox (which calls our own webhook), each seller
accepts, packs and ships from their queue, the buyer sees both parts delivered and downloads
both tax invoices (one CGST+SGST, one IGST); then an administrator refunds one part."""

from __future__ import annotations

import json
import re
import subprocess
import time

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.conftest import ODOP, PROJECT

pytestmark = pytest.mark.browser
ADMIN_EMAIL = "payments-admin@example.test"
ADMIN_PASSWORD = "ledger-tiger-saffron-64"


def _sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/account/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("You are signed in.")).to_be_visible()


def _wait_for(page: Page, url: str, text: str, times: int = 1) -> None:
    """Reload until the page shows ``text`` ``times`` times (jobs run in the server's loop)."""
    for _ in range(60):
        page.goto(url)
        if page.content().count(text) >= times:
            return
        time.sleep(0.25)
    raise AssertionError(f"{text!r} did not appear {times} times on {url}")


def test_a_cart_from_two_states_is_paid_fulfilled_invoiced_and_partly_refunded(
    page: Page, live_server: str, live_env: dict[str, str]
) -> None:
    base = live_server
    setup = json.loads(
        subprocess.run(
            [*ODOP[:1], "-m", "tests.browser.orders_setup"],
            env=live_env,
            cwd=PROJECT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    subprocess.run(
        [*ODOP, "admin", "create", "--email", ADMIN_EMAIL, "--name", "Payments"],
        env={**live_env, "ODOP_ADMIN_PASSWORD": ADMIN_PASSWORD},
        cwd=PROJECT,
        check=True,
        capture_output=True,
    )
    password = setup["password"]
    up, rj = setup["up"], setup["rj"]

    _sign_in(page, base, "buyer@example.test", password)
    for listing, quantity in ((up, "3"), (rj, "1")):
        page.goto(f"{base}/products/{listing['slug']}")
        page.get_by_label(re.compile("Quantity")).fill(quantity)
        page.get_by_role("button", name="Add to cart").click()
        expect(page.get_by_text("Added to your cart.")).to_be_visible()
    expect(page.get_by_text(f"From {up['seller']}")).to_be_visible()
    expect(page.get_by_text(f"From {rj['seller']}")).to_be_visible()
    page.get_by_role("link", name="Checkout").click()
    page.get_by_label("Full name").fill("Asha Verma")
    page.get_by_label("House, street, area").fill("14 Civil Lines")
    page.get_by_label("Town or city").fill("Agra")
    page.get_by_label("State or Union Territory (India)").select_option(label="Uttar Pradesh")
    page.get_by_label("PIN code (India)").fill("560001")  # a Bengaluru PIN: refused, input kept
    page.get_by_role("button", name="Place order and pay").click()
    expect(page.get_by_text("That PIN code is not in Uttar Pradesh.")).to_be_visible()
    expect(page.get_by_label("Town or city")).to_have_value("Agra")
    page.get_by_label("PIN code (India)").fill("282002")
    page.get_by_role("button", name="Place order and pay").click()
    expect(page.get_by_text("Your order is placed.")).to_be_visible()
    order_url = page.url
    number = order_url.rstrip("/").rsplit("/", 1)[1]

    page.get_by_role("button", name="Pay now").click()
    page.get_by_role("button", name="Pay (card succeeds)").click()
    _wait_for(page, order_url, 'data-state="paid"', 2)

    part_ids = {}
    for listing in (up, rj):
        _sign_in(page, base, listing["email"], password)
        page.goto(base + "/seller/orders")
        row = page.locator("li[data-part]").filter(has_text=number)
        part_ids[listing["seller"]] = row.get_attribute("data-part")
        row.get_by_role("button", name="Accept").click()
        expect(page.get_by_text("Order updated.")).to_be_visible()
        row = page.locator("li[data-part]").filter(has_text=number)
        row.get_by_role("button", name="Mark packed").click()
        row = page.locator("li[data-part]").filter(has_text=number)
        row.get_by_label("Carrier").fill("India Post")
        row.get_by_label("Tracking number").fill("EE123456789IN")
        row.get_by_role("button", name="Mark shipped").click()
        row = page.locator("li[data-part]").filter(has_text=number)
        row.get_by_role("button", name="Mark delivered").click()
        expect(page.get_by_text("Order updated.")).to_be_visible()

    _sign_in(page, base, "buyer@example.test", password)
    page.goto(order_url)
    expect(page.locator('[data-state="delivered"]')).to_have_count(2)
    up_part = page.locator(f'section[data-part="{part_ids[up["seller"]]}"]')
    rj_part = page.locator(f'section[data-part="{part_ids[rj["seller"]]}"]')
    with page.expect_download() as up_download:
        up_part.get_by_role("link", name="PDF").click()
    with page.expect_download() as rj_download:
        rj_part.get_by_role("link", name="PDF").click()
    up_text = _read(up_download.value.path())
    rj_text = _read(rj_download.value.path())
    assert "CGST" in up_text and "SGST" in up_text and "IGST" not in up_text
    assert "IGST" in rj_text and "CGST" not in rj_text
    assert "कर बीजक" in up_text  # Devanagari shaped and extractable

    rj_id = part_ids[rj["seller"]] or ""
    amount = rj_part.locator("[data-total]").inner_text().replace("₹", "").replace(",", "")
    _sign_in(page, base, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto(base + "/admin/payments")
    page.get_by_label("Order number").fill(number)
    page.get_by_label("Seller part (empty: the whole order)").fill(rj_id)
    page.get_by_label("Amount, in the order's currency").fill(amount)
    page.get_by_label("Reason").fill("Quilt arrived damaged")
    page.get_by_role("button", name="Refund through the payment provider").click()
    _sign_in(page, base, "buyer@example.test", password)
    _wait_for(page, order_url, 'data-state="refunded"')
    expect(page.locator('[data-state="delivered"]')).to_have_count(1)


def _read(path: object) -> str:
    with open(str(path), "rb") as handle:
        return "".join(p.extract_text() for p in PdfReader(handle).pages)
