"""A real server (uvicorn on a free port, its own SQLite database with reference and demo data)
and Debian's Chromium driven by Playwright. Skipped where Chromium is missing, unless
ODOP_REQUIRE_BROWSER is set (CI), where a missing browser fails the run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PROJECT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


ODOP = [sys.executable, "-m", "app.cli"]


@pytest.fixture(scope="session")
def live_env(tmp_path_factory: pytest.TempPathFactory, demo_media: Path) -> dict[str, str]:
    """The live server's environment; run `odop` commands against its database with it."""
    folder = tmp_path_factory.mktemp("live")
    return {
        **os.environ,
        "ODOP_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'live.sqlite3'}",
        "ODOP_MEDIA_DIR": str(demo_media),
        "ODOP_MAIL_DIR": str(folder / "mail"),
        "ODOP_SMS_DIR": str(folder / "sms"),
        "ODOP_LOG_LEVEL": "WARNING",
    }


@pytest.fixture(scope="session")
def live_server(live_env: dict[str, str]) -> Iterator[str]:
    env = live_env
    odop = ODOP
    steps = (["db", "upgrade"], ["seed", "reference"], ["seed", "demo"], ["search", "reindex"])
    for args in steps:
        subprocess.run([*odop, *args], env=env, cwd=PROJECT, check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen(
        [*odop, "serve", "--port", str(port)], env=env, cwd=PROJECT, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the live server did not become ready")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Module scope: Playwright's sync API runs its own event loop, which must not stay open
    # while the async database tests run (tests/conftest.py also orders browser tests last).
    if not Path(CHROMIUM).exists():
        if os.environ.get("ODOP_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing (apt-get install -y chromium)")
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


# Every page the browser tests open reports Content-Security-Policy violations back to the test
# (the securitypolicyviolation event, and Chromium's console message for the same).
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__odopCspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} on ${location.pathname}`
  );
});
"""


@pytest.fixture
def csp_violations() -> list[str]:
    return []


@pytest.fixture
def page(browser: Browser, csp_violations: list[str]) -> Iterator[Page]:
    context = browser.new_context()

    def report(violation: str) -> None:
        csp_violations.append(violation)

    context.expose_function("__odopCspViolation", report)
    context.add_init_script(CSP_REPORTER)
    opened = context.new_page()
    opened.on(
        "console",
        lambda message: (
            csp_violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield opened
    context.close()
    assert csp_violations == [], "the page broke its Content-Security-Policy"
