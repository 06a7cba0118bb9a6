"""The pages live in `pages/` (Streamlit 1.67, `st.navigation` in the entrypoint), proved in Chromium.

With a `pages/` folder, Streamlit runs the FIRST script run of each process in its legacy multipage mode (which
lists every file of `pages/` and runs the one the URL names, alone); `st.navigation` turns that mode off once it
has run. `components.routing.leave_legacy_mode()` sends that first run back through the router
(components/routing.py). These tests start a copy of the application with an extra, unlisted file in `pages/`,
so that the request below is the first of its process:
- a deep link as the first request (the QR code of the séminaire on a replica just restarted) shows the page with
  the router's sidebar and filters, not an error;
- the navigation never lists the unlisted file, whether the first request is the home page or a deep link, and
  the file is not served once the process has left the legacy mode (every file of `pages/` is listed: see
  tests/app/test_routing.py, since the very first request of a process could still reach an unlisted one).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench._server import Server, goto, streamlit_server, wait_idle

ROOT = Path(__file__).resolve().parents[2]
SECRET_TEXT = "CONTENU DE LA PAGE NON LISTÉE"
IGNORED = shutil.ignore_patterns(
    ".venv",
    ".git",
    "var",
    "artifacts",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "node_modules",
    ".hypothesis",
)


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "observatoire"
    shutil.copytree(ROOT, root, ignore=IGNORED)
    (root / "pages" / "zz_page_non_listee.py").write_text(
        f'import streamlit as st\n\nst.title("{SECRET_TEXT}")\n', encoding="utf-8"
    )
    return root


@pytest.fixture()
def started(tmp_path, chromium_available) -> Iterator:
    servers: list = []

    def start(tag: str) -> Server:
        context = streamlit_server(app_root=_copy(tmp_path / tag))
        servers.append(context)
        return context.__enter__()

    yield start
    for context in servers:
        context.__exit__(None, None, None)


def _open(browser, url: str):  # noqa: ANN202
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    goto(page, url)
    wait_idle(page)
    page.wait_for_timeout(500)
    return page


def _nav_labels(page) -> list[str]:  # noqa: ANN001
    nav = page.locator('[data-testid="stSidebarNav"] a')
    return [nav.nth(i).inner_text().strip().splitlines()[-1].strip() for i in range(nav.count())]


def _assert_router_page(server: Server, page, title: str) -> None:  # noqa: ANN001
    text = page.locator("body").inner_text()
    assert title in text, text[:300]
    assert "erreur inattendue" not in text.lower() and "Traceback" not in server.log_tail()
    labels = _nav_labels(page)
    assert "Carte" in labels and "Présentation" in labels, labels  # the router's navigation
    assert not any("zz" in label.lower() or "non listee" in label.lower() for label in labels), labels
    assert SECRET_TEXT not in text


def test_a_deep_link_as_the_first_request_of_a_process_runs_through_the_router(browser, started):
    server = started("deep-link")
    page = _open(browser, server.url + "/carte?dep=57")  # the FIRST request of this server process
    try:
        _assert_router_page(server, page, "Carte des bassins")
        assert "KeyError" not in server.log_tail()
        # the shared filters came from the URL and follow a page switch
        page.locator('[data-testid="stSidebarNav"] a', has_text="Indicateurs").click()
        wait_idle(page)
        assert "dep=57" in page.url, page.url
    finally:
        page.close()
    other = _open(browser, server.url + "/zz_page_non_listee")  # not served once the process left legacy mode
    try:
        assert SECRET_TEXT not in other.locator("body").inner_text()
    finally:
        other.close()


def test_the_home_page_as_the_first_request_never_lists_an_unlisted_file(browser, started):
    server = started("home")
    page = _open(browser, server.url + "/")  # the FIRST request of this server process
    try:
        _assert_router_page(server, page, "Observatoire du numérique éducatif")
    finally:
        page.close()
