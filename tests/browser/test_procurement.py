"""Procurement in a real browser (issue 12, test 2): a direct purchase under the threshold on a
purchase order. An officer registers a department, the platform admin verifies it, the officer
adds members in roles and a consignee's address; the buyer buys from a listing on a PO (the
server prices it), the seller accepts and delivers in two parts, the consignee receives and
accepts, the seller invoices (PDF, CGST+SGST), the paying authority pays, and the org admin
exports the audit trail as CSV and PDF."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.conftest import ODOP, PROJECT
from tests.browser.test_catalog import assert_accessible

pytestmark = pytest.mark.browser
ADMIN_EMAIL = "procurement-admin@example.test"
ADMIN_PASSWORD = "verify-saffron-ledger-81"


def _sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/account/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("You are signed in.")).to_be_visible()


def _read_pdf(path: object) -> str:
    with open(str(path), "rb") as handle:
        return "".join(p.extract_text() for p in PdfReader(handle).pages)


def test_a_direct_purchase_under_the_threshold_on_a_purchase_order(
    page: Page, live_server: str, live_env: dict[str, str]
) -> None:
    base = live_server
    setup = json.loads(
        subprocess.run(
            [*ODOP[:1], "-m", "tests.browser.procurement_setup"],
            env=live_env,
            cwd=PROJECT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    subprocess.run(
        [*ODOP, "admin", "create", "--email", ADMIN_EMAIL, "--name", "Procurement"],
        env={**live_env, "ODOP_ADMIN_PASSWORD": ADMIN_PASSWORD},
        cwd=PROJECT,
        check=True,
        capture_output=True,
    )
    password = str(setup["password"])

    # The org admin registers the department: it waits for verification.
    _sign_in(page, base, str(setup["admin"]), password)
    page.goto(base + "/procurement")
    page.get_by_role("link", name="Register an organisation").click()
    page.get_by_label("Name").fill("Directorate of Handlooms, Lucknow")
    page.get_by_label("Kind").select_option("department")
    page.get_by_role("button", name="Register").click()
    expect(page.locator('[data-verified="no"]')).to_be_visible()
    org_url = page.url

    _sign_in(page, base, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto(base + "/admin/procurement")
    page.get_by_role("button", name="Verify Directorate of Handlooms, Lucknow").click()
    expect(page.get_by_text("Directorate of Handlooms, Lucknow is verified.")).to_be_visible()

    _sign_in(page, base, str(setup["admin"]), password)
    page.goto(org_url)
    expect(page.locator('[data-verified="yes"]')).to_be_visible()
    for who, roles in (
        ("buyer", ["buyer"]),
        ("consignee", ["consignee"]),
        ("payer", ["paying_authority"]),
    ):
        page.get_by_label("Email of their account").fill(str(setup[who]))
        for role in roles:
            page.locator(f"#role-{role}").check()
        page.get_by_role("button", name="Add member").click()
        expect(page.get_by_text("Member added.")).to_be_visible()
    page.get_by_label("Consignee", exact=True).select_option(label="Officer Consignee")
    page.get_by_label("Name of the place (optional)").fill("Central store")
    page.get_by_label("Address", exact=True).fill("Vikas Bhawan, Civil Lines")
    page.get_by_label("Town or city").fill("Agra")
    page.get_by_label("District", exact=True).select_option(label="Agra")
    # Five digits: refused, the input is kept.
    page.get_by_label("PIN code", exact=True).fill("28200")
    page.get_by_role("button", name="Add address").click()
    expect(page.get_by_text("Enter a 6-digit PIN code").first).to_be_visible()
    expect(page.get_by_label("Town or city")).to_have_value("Agra")
    page.get_by_label("PIN code", exact=True).fill("282002")
    page.get_by_role("button", name="Add address").click()
    expect(page.get_by_text("Delivery address added.")).to_be_visible()

    # The buyer buys from the listing on a PO; the server prices it.
    _sign_in(page, base, str(setup["buyer"]), password)
    page.goto(f"{base}/products/{setup['slug']}")
    page.get_by_role("link", name=re.compile("Buy on a purchase order")).click()
    assert_accessible(page)
    page.get_by_label("Quantity").fill("10")
    page.get_by_label(re.compile("Deliver to")).select_option(index=1)
    page.get_by_label("Deliver by").fill(
        (datetime.now(UTC).date() + timedelta(days=14)).isoformat()
    )
    page.get_by_role("button", name="Show the price").click()
    quote = page.locator("[data-quote-total]")
    total = int(quote.get_attribute("data-quote-total") or "0")
    assert 0 < total <= 5_000_000
    page.get_by_role("button", name="Issue the purchase order").click()
    expect(page.get_by_text(re.compile(r"Purchase order PO-\w+ is issued"))).to_be_visible()
    po_url = page.url
    assert_accessible(page)

    _sign_in(page, base, str(setup["seller"]), password)
    page.goto(po_url)
    with page.expect_download() as po_pdf:
        page.get_by_role("link", name="PDF").first.click()
    assert "क्रय आदेश" in _read_pdf(po_pdf.value.path())  # Devanagari shaped and extractable
    page.get_by_role("button", name="Accept the purchase order").click()
    expect(page.get_by_text("You accepted the purchase order.")).to_be_visible()
    page.get_by_label(re.compile("units delivered now")).fill("4")
    page.get_by_role("button", name="Record delivery").click()
    expect(page.locator('[data-state="partly_delivered"]')).to_be_visible()
    page.get_by_label(re.compile("units delivered now")).fill("6")
    page.get_by_role("button", name="Record delivery").click()
    expect(page.locator('[data-state="delivered"]')).to_be_visible()

    _sign_in(page, base, str(setup["consignee"]), password)
    page.goto(po_url)
    page.get_by_role("button", name="Record provisional receipt").click()
    expect(page.locator('[data-state="received"]')).to_be_visible()
    page.get_by_role("button", name="Accept the goods").click()
    expect(page.locator('[data-state="goods_accepted"]')).to_be_visible()

    _sign_in(page, base, str(setup["seller"]), password)
    page.goto(po_url)
    page.get_by_role("button", name="Issue the GST invoice").click()
    expect(page.locator('[data-state="invoiced"]')).to_be_visible()
    with page.expect_download() as invoice_pdf:
        page.get_by_role("link", name="PDF").nth(1).click()
    invoice_text = _read_pdf(invoice_pdf.value.path())
    assert "CGST" in invoice_text and "SGST" in invoice_text and "IGST" not in invoice_text
    assert "कर बीजक" in invoice_text

    _sign_in(page, base, str(setup["payer"]), password)
    page.goto(po_url)
    page.get_by_label(re.compile("Payment reference")).fill("UTR20261201001")
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator('[data-state="paid"]')).to_be_visible()

    _sign_in(page, base, str(setup["admin"]), password)
    page.goto(po_url)
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Export as CSV").click()
    with open(str(csv_download.value.path()), encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["action"] for r in rows] == [
        "purchase_order.issued",
        "purchase_order.accepted_by_seller",
        "purchase_order.delivery_recorded",
        "purchase_order.delivery_recorded",
        "purchase_order.provisionally_received",
        "purchase_order.goods_accepted",
        "purchase_order.invoiced",
        "purchase_order.paid",
    ]
    assert rows[0]["actor_role"] == "buyer" and rows[-1]["actor_role"] == "paying_authority"
    assert json.loads(rows[0]["values"])["total_paise"] == total
    with page.expect_download() as trail_pdf:
        page.get_by_role("link", name="Export as PDF").click()
    trail_text = _read_pdf(trail_pdf.value.path())
    assert "purchase_order.paid" in trail_text and "UTR20261201001" in trail_text
