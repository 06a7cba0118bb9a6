"""Why the pages live in `app_pages/` and not in `pages/` (Streamlit 1.67), proved in Chromium.

`st.navigation` in the entrypoint does turn off the legacy auto-discovery of a `pages/` folder — but only from
the moment it has run once in the process. Streamlit decides on the FIRST script run of a process
(`PagesManager.uses_pages_directory`, set when `pages/` exists next to the entrypoint) to run it through the
legacy multipage mode, which lists every file of `pages/` and serves them by their file names. So the first
request after a (re)start that is a deep link runs that page file alone, without the router: the shared
filters do not exist (KeyError), and an unlisted file of `pages/` is served. A replica restarted during the
séminaire would show an error to the first person opening a shared link.

Each test copies the application, adds an unlisted page file, starts the copy (so the request below is the
first of its process) and opens a deep link first:
- the shipped layout (`app_pages/`): the deep link works on the first request, the unlisted file is neither
  listed nor reachable;
- the same application with its pages moved to `pages/`: the first deep link fails. When a Streamlit upgrade
  makes this test fail, the move to `pages/` becomes safe.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench._server import Server, goto, streamlit_server, wait_idle

ROOT = Path(__file__).resolve().parents[2]
SECRET_TEXT = "CONTENU DE LA PAGE NON LISTÉE"
IGNORED = shutil.ignore_patterns(".venv", ".git", "var", "artifacts", "__pycache__", ".pytest_cache",
                                 ".ruff_cache", "node_modules", ".hypothesis")


def _copy(tmp_path: Path, folder: str) -> Path:
    root = tmp_path / "observatoire"
    shutil.copytree(ROOT, root, ignore=IGNORED)
    if folder != "app_pages":
        (root / "app_pages").rename(root / folder)
        for path in [root / "dashboard.py", *(root / folder).glob("*.py"), *(root / "components").glob("*.py")]:
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace("app_pages/", f"{folder}/"), encoding="utf-8")
    (root / folder / "zz_page_non_listee.py").write_text(
        f'import streamlit as st\n\nst.title("{SECRET_TEXT}")\n', encoding="utf-8")
    return root


@pytest.fixture()
def started(tmp_path, chromium_available) -> Iterator:
    servers: list = []

    def start(folder: str, tag: str = "") -> Server:
        context = streamlit_server(app_root=_copy(tmp_path / (tag or folder), folder))
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


def test_the_shipped_layout_serves_a_deep_link_first_and_never_an_unlisted_file(browser, started):
    server = started("app_pages")
    page = _open(browser, server.url + "/carte?dep=57")  # the FIRST request of this server process
    try:
        text = page.locator("body").inner_text()
        assert "Carte des bassins" in text or "Indicateur" in text, text[:300]
        assert "erreur inattendue" not in text.lower() and "KeyError" not in server.log_tail()
        labels = _nav_labels(page)
        assert "Carte" in labels and "Présentation" in labels, labels
        assert not any("zz" in label.lower() or "non listee" in label.lower() for label in labels), labels
        # the shared filters follow a page switch
        page.locator('[data-testid="stSidebarNav"] a', has_text="Indicateurs").click()
        wait_idle(page)
        assert "dep=57" in page.url, page.url
    finally:
        page.close()
    for path in ("/zz_page_non_listee", "/page_non_listee"):
        other = _open(browser, server.url + path)
        try:
            assert SECRET_TEXT not in other.locator("body").inner_text(), path
        finally:
            other.close()


def test_with_a_pages_folder_the_first_deep_link_runs_the_page_without_the_router(browser, started):
    server = started("pages")
    page = _open(browser, server.url + "/carte?dep=57")  # the FIRST request of this server process
    try:
        log = server.log_tail()
        assert "KeyError" in log and "filters" in log, log[-2000:]  # the page ran alone: no shared filters
    finally:
        page.close()
    # and the unlisted file is served to a first request too (a fresh process)
    server = started("pages", tag="second")
    page = _open(browser, server.url + "/zz_page_non_listee")
    try:
        assert SECRET_TEXT in page.locator("body").inner_text()
    finally:
        page.close()
