from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.mailbox import open_newest_mail

EMAIL = "lakshmi@example.test"

pytestmark = pytest.mark.browser


def test_register_verify_sign_out_reset_and_sign_in(page: Page, live_server: str) -> None:
    page.set_viewport_size({"width": 360, "height": 740})  # a cheap phone
    page.goto(live_server + "/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Your name").fill("Lakshmi Weaver")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill("password")  # on the common-passwords list
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("This password is too common")).to_be_visible()
    expect(page.get_by_label("Your name")).to_have_value("Lakshmi Weaver")
    page.get_by_label("Password").fill("handloom-indigo-river-5")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.get_by_text("Your email is not confirmed yet.")).to_be_visible()

    page.goto(open_newest_mail(page, live_server, "Confirm your email address", EMAIL))
    expect(page.get_by_text("lakshmi@example.test is confirmed")).to_be_visible()
    expect(page.get_by_text("Your email is not confirmed yet.")).to_have_count(0)

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.get_by_role("link", name="Sign in").click()
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_role("button", name="Send the link").click()

    page.goto(open_newest_mail(page, live_server, "Reset your password", EMAIL))
    page.get_by_label("New password").fill("saffron-shuttle-loom-8")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_text("Your password is changed.")).to_be_visible()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill("saffron-shuttle-loom-8")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.get_by_role("link", name="Your account")).to_be_visible()
