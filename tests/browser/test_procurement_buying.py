"""The buying modes in a real browser: (3) an L1 purchase among three competing sellers, where
the buyer first picks L2 without a reason (refused), then with a written justification, and
downloads the comparison sheet; (4) a bid with three sealed quotes (one revised), nobody seeing a
price before closing, the award to L1, and the purchase order through partial delivery, receipt,
acceptance, invoice and payment, with the audit export showing every step."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from app.db import utcnow
from tests.browser.conftest import ODOP, PROJECT
from tests.browser.test_catalog import assert_accessible

pytestmark = pytest.mark.browser


def _setup(live_env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [*ODOP[:1], "-m", "tests.browser.buying_setup", *args],
        env=live_env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/account/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("You are signed in.")).to_be_visible()


def _href(page: Page, base: str, link: str) -> str:
    return base + (page.get_by_role("link", name=link).get_attribute("href") or "")


def _fill_requirement(page: Page, base: str, setup: dict[str, Any], **values: str) -> None:
    page.goto(base + "/procurement/requirements/new")
    page.get_by_label("What you need").fill(values["title"])
    page.get_by_label("ODOP product").select_option(str(setup["product_id"]))
    page.get_by_label("Only sellers from this district").select_option(str(setup["district_id"]))
    page.get_by_label("Specifications").fill("Hand-blown, 25 cm, gift boxed")
    page.get_by_label("Quantity").fill(values["quantity"])
    page.get_by_label("Deliver by").fill((utcnow().date() + timedelta(days=30)).isoformat())


@pytest.fixture(scope="module")
def setup(live_server: str, live_env: dict[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(_setup(live_env))
    return result


def test_l1_purchase_among_three_sellers_with_a_justification(
    page: Page, live_server: str, setup: dict[str, Any]
) -> None:
    base, password = live_server, setup["password"]
    _sign_in(page, base, setup["buyer"], password)
    _fill_requirement(page, base, setup, title="Glass vases for the guest house", quantity="10")
    assert_accessible(page)
    page.get_by_role("button", name="Save requirement").click()
    expect(page.get_by_text("Your requirement is saved.")).to_be_visible()
    rows = page.locator("tr[data-offer]")
    expect(rows).to_have_count(3)
    # L1 by landed price: seller 1 (₹1,000 × 10, free shipping), not seller 2 (₹980 × 10 + ₹400).
    first, second, _third = (s["listing_id"] for s in setup["sellers"])
    expect(rows.nth(0)).to_have_attribute("data-offer", str(first))
    expect(rows.nth(0).locator("[data-landed]")).to_have_text("₹10,000.00")
    expect(rows.nth(1)).to_have_attribute("data-offer", str(second))
    expect(rows.nth(1).locator("[data-landed]")).to_have_text("₹10,200.00")
    assert_accessible(page)
    page.get_by_label("L2").check()
    page.get_by_role("button", name="Raise the purchase order").click()
    expect(
        page.get_by_text("Explain in writing why you choose an offer other than L1.").first
    ).to_be_visible()
    expect(page.locator(".error-summary")).to_be_visible()
    page.get_by_label("L2").check()
    page.get_by_label(re.compile("Justification")).fill(
        "Seller 2 alone can deliver before the inauguration on the 5th."
    )
    page.get_by_role("button", name="Raise the purchase order").click()
    expect(page.get_by_text(re.compile(r"Purchase order PO-\w+ is raised."))).to_be_visible()
    expect(page.get_by_text("Seller 2 alone can deliver")).to_be_visible()
    sheet = page.request.get(_href(page, base, "Comparison sheet (CSV)"))
    lines = sheet.text().splitlines()
    assert len(lines) == 4 and lines[2].endswith(",yes") and str(second) in lines[2]
    pdf = page.request.get(_href(page, base, "Comparison sheet (PDF)"))
    assert pdf.body().startswith(b"%PDF")


def test_bid_with_three_sealed_quotes_award_and_the_purchase_order_to_payment(
    page: Page, live_server: str, live_env: dict[str, str], setup: dict[str, Any]
) -> None:
    base, password = live_server, setup["password"]
    _sign_in(page, base, setup["buyer"], password)
    _fill_requirement(page, base, setup, title="Glass vases, sealed bid", quantity="100")
    page.get_by_label("Bid: publish the requirement").check()
    closes = (utcnow() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Bid closes at (UTC)").fill(closes)
    page.get_by_label("Sellers must send a sample").check()
    page.get_by_role("button", name="Save requirement").click()
    expect(page.get_by_text("Your bid is published; eligible sellers are told.")).to_be_visible()
    requirement_url = page.url
    requirement_id = requirement_url.rstrip("/").rsplit("/", 1)[1]

    prices = ("1047.13", "1088.77", "1103.59")  # rupees, GST included
    for n, seller in enumerate(setup["sellers"]):
        _sign_in(page, base, seller["email"], password)
        page.goto(base + "/seller/bids")
        page.get_by_role("link", name="Glass vases, sealed bid").click()
        if n == 0:
            assert_accessible(page)
        page.get_by_label("Unit price in rupees, GST included").fill(
            "1200" if n == 0 else prices[n]
        )
        page.get_by_label("Lead time in days").fill(str(10 + n))
        page.get_by_label("Quote valid until").fill(
            (utcnow().date() + timedelta(days=60)).isoformat()
        )
        page.get_by_role("button", name="Submit sealed quote").click()
        expect(page.get_by_text("Your sealed quote is submitted.")).to_be_visible()
        if n == 0:  # revised before closing
            page.get_by_label("Unit price in rupees, GST included").fill(prices[0])
            page.get_by_role("button", name="Revise sealed quote").click()
            expect(page.get_by_text("Your sealed quote is revised.")).to_be_visible()
            expect(page.locator("[data-own-bid]")).to_contain_text("₹1,047.13")
        else:  # another seller sees nothing of the first one's quote
            assert "1,047.13" not in page.content() and "1047.13" not in page.content()

    _sign_in(page, base, setup["buyer"], password)
    page.goto(requirement_url)
    expect(page.locator("[data-bid-count]")).to_have_text("3")
    content = page.content()
    assert not any(p in content or f"{float(p):,.2f}" in content for p in prices)

    _setup(live_env, "close", requirement_id)
    page.goto(requirement_url)
    rows = page.locator("tr[data-bid]")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text(setup["sellers"][0]["seller"])
    expect(rows.nth(0)).to_contain_text("₹1,047.13")
    page.get_by_label("Award quantity L1").fill("100")
    page.get_by_role("button", name="Award and raise purchase orders").click()
    awarded = page.get_by_text(re.compile(r"Awarded: purchase orders PO-\w+ are raised."))
    expect(awarded).to_be_visible()
    number = re.search(r"PO-\w+", awarded.inner_text())
    assert number is not None
    po_url = f"{base}/procurement/po/{number.group(0)}"

    # The seller accepts, then delivers 40 and later the other 60.
    _sign_in(page, base, setup["sellers"][0]["email"], password)
    page.goto(po_url)
    page.get_by_role("button", name="Accept the purchase order").click()
    expect(page.get_by_text("You accepted the purchase order.")).to_be_visible()
    for quantity in ("40", "60"):
        page.goto(po_url)
        page.get_by_label(re.compile("units delivered now")).fill(quantity)
        page.get_by_label("Delivery note (challan) number").fill(f"CH-{quantity}")
        page.get_by_role("button", name="Record delivery").click()
        expect(page.get_by_text("Delivery recorded.")).to_be_visible()
    # The consignee receives and accepts the goods.
    _sign_in(page, base, setup["consignee"], password)
    page.goto(po_url)
    page.get_by_role("button", name="Record provisional receipt").click()
    page.goto(po_url)
    page.get_by_role("button", name="Accept the goods").click()
    expect(page.get_by_text("Goods accepted. The seller may now invoice.")).to_be_visible()
    # The seller invoices; the paying authority records the payment.
    _sign_in(page, base, setup["sellers"][0]["email"], password)
    page.goto(po_url)
    page.get_by_role("button", name="Issue the GST invoice").click()
    expect(page.get_by_text("Invoice issued.")).to_be_visible()
    _sign_in(page, base, setup["payer"], password)
    page.goto(po_url)
    page.get_by_label(re.compile("Payment reference")).fill("UTR-2026-0001")
    page.get_by_role("button", name="Record payment").click()
    # The org admin's audit export shows every step, the bid's before the PO included.
    _sign_in(page, base, setup["buyer"], password)
    page.goto(po_url)
    export = page.request.get(_href(page, base, "Export as CSV"))
    trail = export.text()
    steps = [
        "demand",
        "bid_submitted",
        "bids_opened",
        "award",
        "purchase_order.issued",
        "purchase_order.accepted_by_seller",
        "purchase_order.delivery_recorded",
        "purchase_order.provisionally_received",
        "purchase_order.goods_accepted",
        "purchase_order.invoiced",
        "purchase_order.paid",
    ]
    for step in steps:
        assert step in trail, step
    assert (
        trail.count("purchase_order.delivery_recorded") == 2
    )  # the partial delivery, then the rest
    assert trail.count('""bid_submitted""') == 4  # three quotes and one revision
