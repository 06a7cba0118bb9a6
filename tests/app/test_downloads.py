"""Every download button of Indicateurs, Carte, Laboratoires and Données (AppTest): a French file name with its
accents (title and filter values, `exporting.export_file_name`), files that say what they contain (XLSX sheet
« À propos », CSV `#` block: the filters set in the URL and the data version), and one PNG button per chart.

The files are deferred (generated when clicked): the test records what each button registers with Streamlit's
media file manager (its name and its callable) and calls the callables of the CSV and XLSX."""

from __future__ import annotations

import csv
import io
import unicodedata

import openpyxl
import pytest

from observatoire import exporting, store
from tests.helpers import open_page

PARAMS = {"dep": "57", "niveau": "college"}
FILTER_LINES = ("Département : 57 — Moselle", "Niveau : Collège")
PAGES = {
    "pages/indicateurs.py": {"png": 4},  # series, months, ranking, evolution
    "pages/carte.py": {"png": 1},  # the map, drawn without tiles (observatoire.views.static_map)
    "pages/laboratoires.py": {"png": 1},  # the fiche's activity chart
    "pages/donnees.py": {"png": 0},
}


def _about_sheet(data: bytes) -> dict[str, str]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames[1:] == [exporting.ABOUT_SHEET], book.sheetnames
    return dict(list(book[exporting.ABOUT_SHEET].iter_rows(values_only=True))[1:])


def _csv_block(data: bytes) -> dict[str, str]:
    text = data.decode("utf-8-sig")
    assert text.startswith("# "), text[:80]
    block = text.split("\n\n", 1)[0]
    return {row[0].removeprefix("# "): row[1] for row in csv.reader(io.StringIO(block), delimiter=";")}


@pytest.mark.parametrize("page", list(PAGES))
def test_download_names_and_what_the_files_say(app, con, deferred, page):
    at = open_page(app, page, indicateur="ent_visites", **PARAMS) if "indicateurs" in page \
        else open_page(app, page, **PARAMS)
    version = store.data_version(con).numero
    buttons = at.get("download_button")
    assert buttons, page
    names = []
    for button in buttons:
        name, make = deferred[button.proto.deferred_file_id]
        names.append(name)
        stem, extension = name.rsplit(".", 1)
        assert extension in ("csv", "xlsx", "png", "pdf"), name
        assert unicodedata.normalize("NFC", name) == name and not set('/\\:*?"<>|') & set(name), name
        assert "-" not in stem.split(" — ")[0] or " " in stem, f"nom « slug » : {name}"  # words, not a-slug
        label = button.proto.label
        assert label == {"csv": "Télécharger (CSV)", "xlsx": "Télécharger (Excel)",
                         "png": "Télécharger l'image (PNG)", "pdf": "Télécharger la fiche (PDF)"}[extension], \
            (label, name)
        if extension == "pdf":  # the lab's fiche (tests/observatoire/test_fiches.py checks its content)
            assert name.startswith("Fiche laboratoire — ") and make()[:5] == b"%PDF-", name
            continue
        activity = button.proto.id and "labo_activite" in button.proto.id
        catalogue = "catalogue" in button.proto.id
        if not (activity or catalogue):  # views of the sidebar filters: their values end the name
            assert stem.endswith(" — Moselle — Collège"), name
        if extension == "png":
            continue
        about = _about_sheet(make()) if extension == "xlsx" else _csv_block(make())
        assert about["Version des données"].startswith(f"n° {version} du "), about
        assert about["Contenu"] and about["Exporté le"] and about["Tableau de bord"].endswith("Nancy-Metz")
        if catalogue:  # académie-wide by design (the indicator catalogue)
            assert about["Filtres"] == "Aucun filtre (toute l'académie)", about
        elif activity:  # a lab of the list: its activity for the same filters (issue 18, one number per question)
            assert about["Filtres"] == " · ".join(FILTER_LINES), about
        else:
            assert about["Filtres"] == " · ".join(FILTER_LINES), about
    assert sum(n.endswith(".png") for n in names) == PAGES[page]["png"], names
    assert sum(n.endswith(".csv") for n in names) == sum(n.endswith(".xlsx") for n in names) >= 1, names
    assert any(set(n) & set("éèàçô") for n in names), names  # accents kept (« Collège », « scolaire »…)


def test_indicateurs_names_and_about_content(app, deferred):
    at = open_page(app, "pages/indicateurs.py", indicateur="ent_visites", dep="57")
    found = {}
    for button in at.get("download_button"):
        name, make = deferred[button.proto.deferred_file_id]
        found[name] = make
    assert "Visites de l'ENT par année scolaire — Moselle.csv" in found, list(found)
    assert "Visites de l'ENT par année scolaire — Moselle.png" in found, list(found)
    about = _about_sheet(found["Visites de l'ENT par année scolaire — Moselle.xlsx"]())
    assert about["Contenu"] == "Visites de l'ENT par année scolaire"
    assert about["Indicateur"] == "Visites de l'ENT" and about["Unité"] == "visites"
    assert about["Filtres"] == "Département : 57 — Moselle"
    assert about["Source"].startswith("Bilan DRANE") or "illustratives" in about["Source"], about
    assert about["Données illustratives"].split(" ")[0] in ("oui", "non")
