"""Downloads in Chromium: a chart's PNG (drawn on the server by kaleido when clicked: title, filters, source) and
a table's CSV keep their French names with accents through Streamlit's `Content-Disposition` (RFC 5987
`filename*` for non-ASCII names) and the browser's download."""

from __future__ import annotations

import csv
import io
import time

from PIL import Image, ImageStat

from tests.e2e._ui import goto, wait_idle
from tests.e2e.test_pages import _download

URL = "/indicateurs?indicateur=ent_visites&dep=57&niveau=college"
# the ENT is not broken down by niveau: « Collège » does not apply to it, so it is not in the names
STEM = "Visites de l'ENT par année scolaire — Moselle"


def test_chart_png_and_csv_keep_their_french_names(page, server, tmp_path):
    goto(page, server + URL)
    wait_idle(page)
    main = page.locator('[data-testid="stMain"]')

    button = main.get_by_role("button", name="Télécharger l'image (PNG)").first
    started = time.monotonic()
    download = _download(page, button)
    path = tmp_path / "image.png"
    download.save_as(path)
    elapsed = time.monotonic() - started
    print(f"PNG : « {download.suggested_filename} » en {elapsed:.1f} s")  # noqa: T201 - timing, shown with -s
    assert download.suggested_filename == f"{STEM}.png"
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == (1600, 900)
        grey = image.convert("L")
        low, high = grey.getextrema()
        assert high - low > 100, "image uniforme"
        dark = sum(grey.histogram()[:128]) / (1600 * 900)
        assert 0.002 < dark < 0.5, f"part de pixels sombres : {dark:.4f}"  # texts and curves, on white
        assert ImageStat.Stat(grey).mean[0] > 180  # a white background

    expander = (
        main.locator('[data-testid="stExpander"]').filter(has=page.locator("summary", has_text="Données :")).first
    )
    expander.locator("summary").click()
    csv_button = expander.get_by_role("button", name="Télécharger (CSV)")
    csv_button.wait_for()
    wait_idle(page)
    download = _download(page, csv_button)
    assert download.suggested_filename == f"{STEM}.csv"
    path = tmp_path / "table.csv"
    download.save_as(path)
    block, table = path.read_bytes().decode("utf-8-sig").split("\n\n", 1)
    about = {row[0]: row[1] for row in csv.reader(io.StringIO(block), delimiter=";")}
    assert about["# Filtres"] == "Département : 57 — Moselle"
    assert (
        about["# Filtres non appliqués"] == "Niveau : non détaillé pour cet indicateur (« Collège » non appliqué)"
    )
    assert about["# Contenu"] == "Visites de l'ENT par année scolaire"
    assert table.splitlines()[0].split(";")[0] in ("Année scolaire", "Territoire"), table[:200]


def test_map_png(page, server, tmp_path):
    """The Carte's map as an image: drawn without tiles (`observatoire.views.static_map`), same classes."""
    goto(page, server + "/carte?dep=57")
    wait_idle(page)
    button = page.locator('[data-testid="stMain"]').get_by_role("button", name="Télécharger l'image (PNG)")
    download = _download(page, button.first)
    name = download.suggested_filename
    assert name.endswith(" par bassin (2023-2024) — Moselle.png"), name
    path = tmp_path / "carte.png"
    download.save_as(path)
    with Image.open(path) as image:
        assert image.size == (1600, 900)
        colours = image.convert("RGB").resize((400, 225)).getcolors(400 * 225)
        assert colours is not None and len(colours) > 20, "carte sans couleurs"
