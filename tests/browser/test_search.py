from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_misspelt_and_hindi_queries_find_the_product_and_facets_narrow(
    page: Page, live_server: str
) -> None:
    page.goto(live_server + "/")
    page.locator("#site-search").fill("firozbad glas")
    page.locator("form:has(#site-search)").get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(r"/search\?q=firozbad\+glas"))
    first = page.locator(".search-hits .card").first
    expect(first).to_contain_text("Firozabad Glass")
    expect(first.locator("mark").first).to_have_text("Firozabad")

    page.goto(live_server + "/search?q=" + "बनारसी")
    expect(page.locator(".search-hits .card").first).to_contain_text("Varanasi")

    page.goto(live_server + "/search?q=silk")
    before = page.locator(".search-hits .card").count()
    page.get_by_role("checkbox", name=re.compile("^Karnataka")).check()  # submits by script
    expect(page).to_have_url(re.compile(r"state=karnataka"))
    cards = page.locator(".search-hits .card")
    expect(cards.first).to_contain_text("Karnataka")
    assert cards.count() <= before
    for text in cards.all_inner_texts():
        assert "Karnataka" in text
    expect(page.get_by_role("checkbox", name=re.compile("^Karnataka"))).to_be_checked()


def test_suggestions_while_typing(page: Page, live_server: str) -> None:
    page.goto(live_server + "/")
    page.locator("#site-search").press_sequentially("channa", delay=30)
    options = page.locator("#site-search-suggestions option")
    expect(options.first).to_have_attribute("value", re.compile("Channapatna"))
