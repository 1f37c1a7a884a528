from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_home_to_state_to_district(page: Page, live_server: str) -> None:
    page.goto(live_server + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("One District")
    page.get_by_role("link", name="Uttar Pradesh", exact=True).click()
    expect(page).to_have_url(live_server + "/states/uttar-pradesh")
    page.get_by_role("link", name="Firozabad", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Firozabad")
    expect(page.get_by_text("Firozabad Glass").first).to_be_visible()
    cards = page.locator("article.card")
    expect(cards.first).to_be_visible()
    image = cards.first.locator("img")
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
