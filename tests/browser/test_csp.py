"""The browser tests' CSP watch (tests/browser/conftest.py) sees a violation when one happens."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def test_an_inline_script_is_blocked_and_reported(
    page: Page, live_server: str, csp_violations: list[str]
) -> None:
    page.goto(f"{live_server}/")
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.__inlineRan = true";
            document.body.append(script);
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.__inlineRan === undefined")  # blocked
    assert any("script-src" in v for v in csp_violations), csp_violations
    csp_violations.clear()  # seen and expected: the fixture's own check must not trip on it
