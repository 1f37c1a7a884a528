"""The development mailbox (/dev/mail) of the live server, read by browser tests."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page


def open_newest_mail(page: Page, base: str, subject: str, to: str) -> str:
    """Wait for the job to deliver the newest mail with ``subject`` to ``to``; return the account
    link in it, on the live server (the mail links to ODOP_BASE_URL, not the test port)."""
    for _ in range(50):
        page.goto(base + "/dev/mail")
        row = page.locator(".mail-list li").filter(has_text=to)
        link = row.get_by_role("link", name=subject).first
        if link.count():
            link.click()
            body = page.locator("pre.mail-body").inner_text()
            found = re.search(r"/account/(?:verify|reset)/[A-Za-z0-9_-]+", body)
            assert found, body
            return base + found.group(0)
        time.sleep(0.2)
    raise AssertionError(f"no mail {subject!r} to {to} arrived")
