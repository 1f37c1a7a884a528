"""Buyers' journeys through the catalog in a real browser, in English and Hindi and in two
currencies, with an axe-core accessibility check (from npm, see package.json) on the key pages."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def assert_accessible(page: Page) -> None:
    if not AXE.exists():
        if os.environ.get("ODOP_REQUIRE_BROWSER"):
            pytest.fail("node_modules/axe-core is missing: run `make node-deps`")
        pytest.skip("axe-core is not installed (make node-deps)")
    # Evaluated through the DevTools protocol: a <script> tag would be an inline script, which
    # the page's Content-Security-Policy blocks (and the CSP watch would report).
    page.evaluate(f"() => {{ {AXE.read_text()}\n }}")
    result: dict[str, Any] = page.evaluate("async () => await axe.run(document)")
    serious = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:3]]}
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert serious == [], json.dumps(serious, indent=1)


def choose_currency(page: Page, code: str) -> None:
    page.get_by_label("Currency", exact=True).select_option(code)
    page.get_by_role("button", name="Show prices").click()


def test_place_journey_in_english_then_hindi_and_two_currencies(
    page: Page, live_server: str
) -> None:
    page.goto(live_server + "/")
    assert_accessible(page)
    page.get_by_role("link", name="Uttar Pradesh", exact=True).click()
    expect(page).to_have_url(live_server + "/states/uttar-pradesh")
    page.get_by_role("link", name="Firozabad", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Firozabad")
    assert_accessible(page)
    card = page.locator(".cards article.card").first
    expect(card.locator(".price")).to_contain_text("₹")
    card.locator("a").first.click()
    expect(page).to_have_url(re.compile(r"/products/[a-z0-9-]+$"))
    expect(page.locator(".big-price")).to_contain_text("₹")
    # The first demo listing of a district may be out of stock; either way the page says so.
    expect(
        page.get_by_role("button", name="Add to cart").or_(page.get_by_text("Out of stock")).first
    ).to_be_visible()
    assert_accessible(page)

    choose_currency(page, "USD")
    expect(page.locator(".big-price")).to_contain_text("$")
    expect(page.locator(".rate-note")).to_contain_text("per USD")

    page.get_by_role("link", name="हिन्दी").click()
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    expect(page.get_by_role("heading", name="विक्रेता")).to_be_visible()
    expect(page.locator(".big-price")).to_contain_text("$")  # the currency choice persists
    page.get_by_role("link", name="उत्तर प्रदेश").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("उत्तर प्रदेश")
    page.get_by_role("link", name="Firozabad", exact=True).click()
    expect(page.locator(".cards article.card .price").first).to_contain_text("$")


def test_gi_journey_in_hindi_and_euros(page: Page, live_server: str) -> None:
    page.goto(live_server + "/")
    page.get_by_role("link", name="हिन्दी").click()
    page.locator("#currency-select").select_option("EUR")
    page.locator(".currency-switch button").click()
    page.get_by_role("link", name="सभी जीआई टैग").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("भौगोलिक संकेत")
    page.get_by_label("वस्तु वर्ग").select_option("handicraft")
    page.get_by_label("राज्य या केंद्र शासित प्रदेश").select_option("uttar-pradesh")
    page.get_by_role("button", name="लागू करें").click()
    page.get_by_role("link", name="Firozabad Glass").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Firozabad Glass")
    assert_accessible(page)
    card = page.locator("article.card").first
    expect(card.locator(".badge-gi")).to_be_visible()
    expect(card.locator(".price")).to_contain_text("€")
    card.locator("a").first.click()
    expect(page.locator(".badges .badge-gi")).to_contain_text("Firozabad Glass")
    expect(page.locator(".big-price")).to_contain_text("€")


def test_gi_journey_in_english_from_the_home_page(page: Page, live_server: str) -> None:
    page.goto(live_server + "/")
    featured = page.locator("section", has=page.locator("#featured-gi-heading"))
    featured.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/gi/[a-z0-9-]+$"))
    page.locator("article.card a").first.click()
    expect(page.locator(".badges .badge-gi")).to_be_visible()
