"""End-to-end cross-filtering from the map (Chromium): a click on a bassin then « Filtrer sur ce bassin » sets
the shared bassin filter (sidebar and URL `bassin=`); a click on a lab marker opens that lab's fiche."""

from __future__ import annotations

import re

from tests.e2e import _ui
from tests.e2e._ui import goto, wait_idle


def _wait_url(page, pattern: str) -> None:  # noqa: ANN001
    """Streamlit changes the address with history.pushState (no page load): wait on location.href."""
    page.wait_for_function("(p) => new RegExp(p).test(window.location.href)", arg=pattern, timeout=30_000)


def test_filter_on_a_clicked_bassin(page, server):
    goto(page, server + "/carte")
    _ui.wait_map_drawn(page)
    code, name = "57-metz", _ui.bassins()["57-metz"]
    _ui.click_bassin(page, code)
    button = page.get_by_role("button", name="Filtrer sur ce bassin")
    button.wait_for(timeout=30_000)
    wait_idle(page)
    button.click()
    _wait_url(page, r"[?&]bassin=57-metz")
    wait_idle(page)
    assert name in _ui.multiselect_tags(page, "Bassin d'éducation et de formation")
    assert "Les filtres portent sur ce bassin" in _ui.main_text(page)
    assert _ui.page_problems(page) == []


def test_a_click_on_a_lab_marker_opens_its_fiche(page, server):
    goto(page, server + "/carte?niveau=college")  # every bassin drawn (wait_map_drawn), a filter to keep
    _ui.wait_map_drawn(page)
    wait_idle(page)
    candidates = [lab for lab in _ui.laboratoires() if "college" in lab["niveaux"].split("|")]
    lab = next((lab for lab in candidates if _ui.click_lab_marker(page, lab["code"])), None)
    assert lab, "aucun marqueur de laboratoire cliquable"
    _wait_url(page, r"/laboratoires\?.*labo=" + re.escape(lab["code"]))
    wait_idle(page)
    assert "niveau=college" in page.url  # the filters are kept
    page.locator('[data-testid="stMain"]').get_by_text("Comparaison avec l'académie").first.wait_for(
        timeout=30_000
    )
    assert lab["nom"] in _ui.main_text(page)
    assert _ui.page_problems(page) == []
