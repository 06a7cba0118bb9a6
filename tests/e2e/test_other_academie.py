"""Another académie in Chromium (issue 22): the dashboard started on tests/academies/essai (`OBSERVATOIRE_DATA`;
départements 06, 2A, 2B) publishes its first version itself and shows every page with the académie's name and
its territories, the map drawing its five bassins; `?dep=2a` filters on Corse-du-Sud. Screenshots of every page
in artifacts/screenshots/autre-academie-*.png (looked at for the report)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench._server import Server, streamlit_server
from tests.e2e import _ui
from tests.e2e._ui import goto, wait_idle

ROOT = Path(__file__).resolve().parents[2]
ESSAI = ROOT / "tests" / "academies" / "essai"
PAGES = {
    "vue-ensemble": "/",
    "carte": "/carte",
    "indicateurs": "/indicateurs",
    "laboratoires": "/laboratoires",
    "projets": "/projets",
    "donnees": "/donnees",
    "presentation": "/presentation",
}
OTHER = re.compile(r"Nancy|Metz|Moselle|Meurthe|Vosges|Meuse")
BASSINS = [
    f["properties"]["code"]
    for f in json.loads((ESSAI / "reference" / "bassins.geojson").read_text(encoding="utf-8"))["features"]
]


@pytest.fixture(scope="module")
def essai(chromium_available, tmp_path_factory) -> Iterator[Server]:  # noqa: ANN001
    with streamlit_server(store_dir=tmp_path_factory.mktemp("essai-store"), data_dir=ESSAI) as server:
        yield server


def _map_paths(page, count: int = len(BASSINS)) -> int:  # noqa: ANN001
    frame = _ui.map_frame(page, timeout=60_000)
    frame.wait_for_function(
        """(n) => window.map && window.L
                               && document.querySelectorAll('path.leaflet-interactive').length >= n""",
        arg=count,
        timeout=60_000,
    )
    return frame.evaluate("() => document.querySelectorAll('path.leaflet-interactive').length")


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_of_another_academie(browser, essai, screenshots_dir, name):
    page = browser.new_page(viewport={"width": 1280, "height": 720}, locale="fr-FR")
    try:
        goto(page, essai.url + PAGES[name])
        wait_idle(page)
        assert _ui.page_problems(page) == []
        if page.locator(_ui.MAP_IFRAME).count():
            assert _map_paths(page) >= len(BASSINS)
        text = page.locator('[data-testid="stApp"]').inner_text()
        assert "Azur-Corse" in text or name == "presentation" and "Corse" in text, text[:500]
        assert not OTHER.search(text), OTHER.findall(text)
        _ui.full_screenshot(page, str(screenshots_dir / f"autre-academie-{name}.png"), width=1280)
    finally:
        page.close()


def test_a_link_with_a_corsican_departement(browser, essai, screenshots_dir):
    page = browser.new_page(viewport={"width": 1280, "height": 720}, locale="fr-FR")
    try:
        goto(page, essai.url + "/carte?dep=2a")
        wait_idle(page)
        assert _ui.page_problems(page) == []
        text = page.locator('[data-testid="stApp"]').inner_text()
        assert "Corse-du-Sud" in text and "inconnu" not in text
        assert _map_paths(page, count=2) >= 2  # the two bassins of Corse-du-Sud
        _ui.full_screenshot(page, str(screenshots_dir / "autre-academie-carte-2A.png"), width=1280)
    finally:
        page.close()
