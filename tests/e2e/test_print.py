"""Printing (Ctrl+P) in Chromium, A4 landscape, with the app's print stylesheet (components/printing.py):

- the overview fits ONE page, without the sidebar (« Réinitialiser les filtres » is not in the PDF's text),
  with its KPI values, and with the small map drawn whole (its iframe keeps its screen size);
- the Laboratoires page with a lab fiche open (`?labo=<code>`) fits two pages, its activity chart printed whole
  on one page at a readable size (not squashed by the page's zoom).

The print is what Ctrl+P does: `beforeprint` (the stylesheet's script fixes the maps' size), the print media,
then `page.pdf` in A4 landscape. PDFs: artifacts/screenshots/print-<page>.pdf.
"""

from __future__ import annotations

import csv
import io
import re

from pypdf import PdfReader

from components import printing
from tests.e2e import _ui
from tests.e2e._ui import goto, wait_idle

SIDEBAR_TEXT = "Réinitialiser les filtres"


_MAP_DRAWN = """() => [...document.querySelectorAll('[data-testid="stMain"] iframe')].some(frame => {
  try { return frame.contentDocument.querySelectorAll('.leaflet-container path').length > 0; }
  catch (error) { return false; }
})"""
"""The overview's small map (a static Leaflet page in an iframe of the app's origin) has drawn its bassins."""


def _first_lab() -> dict[str, str]:
    with (_ui.REFERENCE / "laboratoires.csv").open(encoding="utf-8") as handle:
        return next(csv.DictReader(handle, delimiter=";"))


def _print(page, path) -> tuple[int, str]:  # noqa: ANN001
    """Print the page as Ctrl+P does; (number of pages, text of the PDF)."""
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    page.emulate_media(media="print")
    data = page.pdf(format="A4", landscape=True, print_background=True)
    page.emulate_media(media="screen")
    page.evaluate("() => window.dispatchEvent(new Event('afterprint'))")
    path.write_bytes(data)
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(p.extract_text() or "" for p in reader.pages)
    return len(reader.pages), re.sub(r"\s+", " ", text.replace("\u2060", ""))


def test_the_overview_prints_on_one_a4_landscape_page(page, server, screenshots_dir):
    goto(page, server + "/")
    wait_idle(page)
    page.wait_for_function(_MAP_DRAWN, timeout=45_000)
    assert page.get_by_text(SIDEBAR_TEXT).count() >= 1  # on screen, the sidebar is there
    values = [
        re.sub(r"\s+", " ", v).strip() for v in page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    ]
    assert values
    pages, text = _print(page, screenshots_dir / "print-vue-ensemble.pdf")
    assert pages == 1, f"{pages} pages"
    assert SIDEBAR_TEXT not in text
    assert "Observatoire du numérique éducatif" in text
    flat = text.replace("\u202f", " ").replace("\xa0", " ")
    for value in values:
        assert value.replace("\u202f", " ").replace("\xa0", " ") in flat, value
    assert "Aller plus loin" not in text  # links: nothing to follow on paper


def test_the_laboratoires_page_with_a_fiche_prints_on_two_pages_at_most(page, server, screenshots_dir):
    lab = _first_lab()
    goto(page, server + f"/laboratoires?labo={lab['code']}")
    wait_idle(page)
    chart = page.locator('[class*="st-key-print_chart_labo_activite"]')
    page.wait_for_selector('[class*="st-key-print_chart_labo_activite"] .main-svg')
    screen = chart.bounding_box()
    # the activity chart on paper: at least 0.8 × its screen size (the page's zoom alone, 0.52, left its texts
    # 7 px high), never wider than A4 landscape's printable width
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    page.emulate_media(media="print")
    printed = chart.bounding_box()
    page.emulate_media(media="screen")
    page.evaluate("() => window.dispatchEvent(new Event('afterprint'))")
    assert printed["height"] >= 0.8 * screen["height"], (printed, screen)
    assert printed["width"] <= printing.PAPER_WIDTH_PX, (printed, screen)
    assert chart.bounding_box() == screen  # back to its screen size after printing
    pages, text = _print(page, screenshots_dir / "print-laboratoires.pdf")
    assert pages <= 2, f"{pages} pages"
    assert SIDEBAR_TEXT not in text
    assert lab["nom"] in text  # the fiche
    assert "Comparaison avec l'académie" in text
    # the whole chart on one page: its title and its x-axis title are printed on the same page
    reader = PdfReader(screenshots_dir / "print-laboratoires.pdf")
    with_chart = [
        i for i, p in enumerate(reader.pages) if f"— {lab['nom']}" in re.sub(r"\s+", " ", p.extract_text() or "")
    ]
    with_axis = [i for i, p in enumerate(reader.pages) if "Année scolaire" in (p.extract_text() or "")]
    assert with_chart and with_chart == with_axis, (with_chart, with_axis)
