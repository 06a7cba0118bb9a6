"""Browser fixtures: ONE Streamlit server and ONE Chromium per test session, a fresh context + page per test.

The server is started as users start it (`python -m components.server_guard run dashboard.py`) on a free loopback
port with a fresh `OBSERVATOIRE_STORE` folder (the app publishes the first data version on first use). Chromium is Debian's
(/usr/bin/chromium), never a Playwright download. When it is missing: outside CI the browser tests are
skipped with the install command; in CI (`CI=true`) they FAIL, so a green CI always means "tested in a real
browser".
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench._server import (
    Server,
    chromium_missing_message,
    launch_chromium,
    streamlit_server,
)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
VIEWPORT = {"width": 1600, "height": 1000}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: browser end-to-end test (Streamlit server + Debian's Chromium)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def chromium_available() -> None:
    """Explicit CI policy: missing Chromium FAILS in CI, skips (with the install command) elsewhere."""
    message = chromium_missing_message()
    if message is None:
        return
    if _in_ci():
        pytest.fail(f"CI=true mais {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def streamlit_app(chromium_available: None) -> Iterator[Server]:
    """The running dashboard (process, port, log). Stopped (process group killed) at the end."""
    with streamlit_server() as server:
        yield server


@pytest.fixture(scope="session")
def server(streamlit_app: Server) -> str:
    """Base URL of the running dashboard: http://127.0.0.1:<port> (no trailing slash)."""
    return streamlit_app.url


@pytest.fixture(scope="session")
def browser(chromium_available: None):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def context(browser):
    ctx = browser.new_context(viewport=VIEWPORT, locale="fr-FR", accept_downloads=True, service_workers="block")
    ctx.set_default_timeout(30_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture()
def page(context):
    """A fresh page; `page.errors` collects uncaught JS errors of the app (not asserted everywhere)."""
    pg = context.new_page()
    pg.errors = []  # type: ignore[attr-defined]
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))  # type: ignore[attr-defined]
    return pg


@pytest.fixture()
def outside(context) -> list[tuple[str, str]]:
    """Every browser request that is not to 127.0.0.1 is aborted; the list of (url, page url) that tried."""
    from tests.e2e._oidc import guard_loopback

    return guard_loopback(context)


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
