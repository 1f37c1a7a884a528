from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def open_newest_mail(page: Page, base: str, subject: str) -> str:
    """Wait for the job to deliver a mail to the development mailbox; return its account link
    on the live server."""
    for _ in range(50):
        page.goto(base + "/dev/mail")
        link = page.get_by_role("link", name=subject).first
        if link.count():
            link.click()
            body = page.locator("pre.mail-body").inner_text()
            found = re.search(r"/account/(?:verify|reset)/[A-Za-z0-9_-]+", body)
            assert found, body
            return base + found.group(0)  # the mail links to ODOP_BASE_URL, not the test port
        time.sleep(0.2)
    raise AssertionError(f"no mail {subject!r} arrived")


def test_register_verify_sign_out_reset_and_sign_in(page: Page, live_server: str) -> None:
    page.set_viewport_size({"width": 360, "height": 740})  # a cheap phone
    page.goto(live_server + "/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Your name").fill("Lakshmi Weaver")
    page.get_by_label("Email").fill("lakshmi@example.test")
    page.get_by_label("Password").fill("password")  # on the common-passwords list
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("This password is too common")).to_be_visible()
    expect(page.get_by_label("Your name")).to_have_value("Lakshmi Weaver")
    page.get_by_label("Password").fill("handloom-indigo-river-5")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.get_by_text("Your email is not confirmed yet.")).to_be_visible()

    page.goto(open_newest_mail(page, live_server, "Confirm your email address"))
    expect(page.get_by_text("lakshmi@example.test is confirmed")).to_be_visible()
    expect(page.get_by_text("Your email is not confirmed yet.")).to_have_count(0)

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.get_by_role("link", name="Sign in").click()
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("lakshmi@example.test")
    page.get_by_role("button", name="Send the link").click()

    page.goto(open_newest_mail(page, live_server, "Reset your password"))
    page.get_by_label("New password").fill("saffron-shuttle-loom-8")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_text("Your password is changed.")).to_be_visible()
    page.get_by_label("Email").fill("lakshmi@example.test")
    page.get_by_label("Password").fill("saffron-shuttle-loom-8")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.get_by_role("link", name="Your account")).to_be_visible()
