"""Every download button of Indicateurs, Carte, Laboratoires and Données (AppTest): a French file name with its
accents (title and filter values, `exporting.export_file_name`), files that say what they contain (XLSX sheet
« À propos », CSV `#` block: the filters set in the URL and the data version), and one PNG button per chart.

The files are deferred (generated when clicked): the test records what each button registers with Streamlit's
media file manager (its name and its callable) and calls the callables of the CSV and XLSX."""

from __future__ import annotations

import csv
import io
import re
import unicodedata

import openpyxl
import pytest

from observatoire import exporting, store
from tests.helpers import open_page

PARAMS = {"dep": "57", "niveau": "college"}
FILTER_LINES = ("Département : 57 — Moselle", "Niveau : Collège")
NOT_APPLIED = "Niveau : non détaillé pour cet indicateur (« Collège » non appliqué)"
# the Indicateurs page shows the ENT, which is not broken down by niveau: « Collège » does not apply to its files
SUFFIX = {"pages/indicateurs.py": " — Moselle"}
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
    at = (
        open_page(app, page, indicateur="ent_visites", **PARAMS)
        if "indicateurs" in page
        else open_page(app, page, **PARAMS)
    )
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
        assert (
            label
            == {
                "csv": "Télécharger (CSV)",
                "xlsx": "Télécharger (Excel)",
                "png": "Télécharger l'image (PNG)",
                "pdf": "Télécharger la fiche (PDF)",
            }[extension]
        ), (label, name)
        if extension == "pdf":  # the lab's fiche (tests/observatoire/test_fiches.py checks its content)
            assert name.startswith("Fiche laboratoire — ") and make()[:5] == b"%PDF-", name
            continue
        activity = button.proto.id and "labo_activite" in button.proto.id
        catalogue = "catalogue" in button.proto.id
        if not (
            activity or catalogue
        ):  # views of the sidebar filters: the values of those that apply end the name
            assert stem.endswith(SUFFIX.get(page, " — Moselle — Collège")), name
            assert page not in SUFFIX or "Collège" not in name, name  # a filter not applied: never in a name
        if extension == "png":
            continue
        about = _about_sheet(make()) if extension == "xlsx" else _csv_block(make())
        assert about["Version des données"].startswith(f"n° {version} du "), about
        assert about["Contenu"] and about["Exporté le"] and about["Tableau de bord"].endswith("Nancy-Metz")
        if catalogue:  # académie-wide by design (the indicator catalogue)
            assert about["Filtres"] == "Aucun filtre (toute l'académie)", about
        elif page in SUFFIX:
            assert about["Filtres"] == FILTER_LINES[0], about  # « Niveau : Collège » is NOT written as applied
            assert about["Filtres non appliqués"] == NOT_APPLIED, about
        elif activity:  # a lab of the list: its activity for the same filters (issue 18, one number per question)
            assert about["Filtres"] == " · ".join(FILTER_LINES), about
        else:
            assert about["Filtres"] in (" · ".join(FILTER_LINES), FILTER_LINES[0]), about
            assert (about["Filtres"] == FILTER_LINES[0]) == ("Filtres non appliqués" in about), about
        if extension == "csv":  # numbers in French, whole ones without decimals (never « 6.0 »)
            body = exporting.strip_about_block(make().decode("utf-8-sig"))
            cells = [c for row in csv.reader(io.StringIO(body), delimiter=";") for c in row]
            assert not [c for c in cells if re.fullmatch(r"-?\d+\.\d+", c)], name
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


def test_an_indicator_that_has_the_niveau_keeps_it_in_its_files(app, deferred):
    """GAR is broken down by niveau: « Collège » applies, is in the names and in the « Filtres » row."""
    at = open_page(app, "pages/indicateurs.py", indicateur="gar_connexions", **PARAMS)
    found = {name: make for name, make in (deferred[b.proto.deferred_file_id] for b in at.get("download_button"))}
    name = "Connexions aux ressources du GAR par année scolaire — Moselle — Collège"
    assert f"{name}.csv" in found and f"{name}.png" in found, list(found)
    about = _about_sheet(found[f"{name}.xlsx"]())
    assert about["Filtres"] == " · ".join(FILTER_LINES) and "Filtres non appliqués" not in about


def test_the_labs_list_says_one_thing_about_its_origin(app, deferred):
    """The labs CSV and XLSX: « Source » and « Données illustratives » agree with each other and with the rows
    (before: « Source : données illustratives » next to « Données illustratives : non »)."""
    at = open_page(app, "pages/laboratoires.py", **PARAMS)
    files = {
        name: make
        for name, make in (deferred[b.proto.deferred_file_id] for b in at.get("download_button"))
        if name.startswith("Laboratoires") and name.endswith((".csv", ".xlsx"))
    }
    assert files, list(files)
    for name, make in files.items():
        about = _about_sheet(make()) if name.endswith(".xlsx") else _csv_block(make())
        illustrative = about["Données illustratives"].startswith("oui")
        source = about["Source"].lower()
        assert "illustratif" in source or "illustrative" in source if illustrative else True, about
        assert not ("données illustratives" in source and not illustrative), about
        if name.endswith(".csv"):
            body = exporting.strip_about_block(make().decode("utf-8-sig"))
            rows = list(csv.DictReader(io.StringIO(body), delimiter=";"))
            partly = any("illustratif" in row["Source"].lower() for row in rows)
            assert illustrative == partly, (about, [row["Source"] for row in rows])
