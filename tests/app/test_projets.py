"""Page Projets (AppTest): the catalogue follows the shared filters, the search, the sources, escaping."""

from __future__ import annotations

import csv
import io

import pandas as pd

from components.common import view_about
from observatoire import exporting, queries
from observatoire.filters import Filters
from observatoire.views.projects import build_projects
from tests.helpers import md_text, open_page, texts, unexpected_errors

PAGE = "pages/projets.py"


def _table(at):
    return next(d.value for d in at.dataframe if "Intitulé" in d.value.columns)


def test_every_project_and_heure_numerique_is_listed(app, con):
    at = open_page(app, PAGE)
    table = _table(at)
    expected = queries.projects_catalogue(con, Filters()).data
    assert len(table) == len(expected)
    assert set(table["Intitulé"]) == set(expected["intitule"])
    assert any("Bilan DRANE 2023-2024" in md_text(c.value) for c in at.caption)  # its source


def test_the_shared_filters_apply(app, con):
    at = open_page(app, PAGE, dep="57", theme="sciences_numerique", niveau="college")
    filters = Filters(departements=("57",), thematiques=("sciences_numerique",), niveaux=("college",))
    expected = queries.projects_catalogue(con, filters)
    assert list(_table(at)["Intitulé"]) == list(expected.data["intitule"])
    assert "Filtre niveau" in " ".join(md_text(i.value) for i in at.info)
    at = open_page(app, PAGE, dep="57")
    assert "Filtre territoire" in " ".join(md_text(i.value) for i in at.info)  # heures numériques: no place


def test_search_ignores_case_and_accents(app):
    at = open_page(app, PAGE)
    at.text_input(key="projets_recherche").set_value("ROBOTIQUE").run()
    assert not unexpected_errors(at)
    table = _table(at)
    assert len(table) >= 2 and all(
        "robotique" in " ".join(map(str, row)).lower() for row in table.itertuples(index=False)
    )
    at.text_input(key="projets_recherche").set_value("decrochage").run()  # « décrochage » in the text
    assert len(_table(at)) == 1


def _csv_parts(data: bytes) -> tuple[dict[str, str], pd.DataFrame]:
    text = data.decode("utf-8-sig")
    block, body = text.split("\n\n", 1)
    about = {row[0].removeprefix("# "): row[1] for row in csv.reader(io.StringIO(block), delimiter=";")}
    return about, pd.read_csv(io.StringIO(body), sep=";", dtype=str, keep_default_na=False)


def test_the_page_renders_its_view_and_its_downloads_say_so(app, con, deferred):
    """Table, texts and the CSV/XLSX « À propos » come from `build_projects` (filters and search text)."""
    at = open_page(app, PAGE, dep="57")
    at.text_input(key="projets_recherche").set_value("robotique").run()
    assert not unexpected_errors(at)
    view = build_projects(con, Filters(departements=("57",)), {"recherche": "robotique"})
    table = view.table("projets")
    pd.testing.assert_frame_equal(_table(at).reset_index(drop=True), table.frame.reset_index(drop=True))
    assert texts(at.subheader) == [view.text("count")]
    assert view.text("search") in texts(at.caption) and view.text("sources") in texts(at.caption)
    files = {b.proto.id: deferred[b.proto.deferred_file_id] for b in at.get("download_button")}
    csv_name, make_csv = next(f for i, f in files.items() if "projets_dl_csv" in i)
    assert csv_name == exporting.export_file_name(table.title, view.context, "csv")
    about, body = _csv_parts(make_csv())
    assert about["Filtres"] == view.context.filters_text == "Département : 57 — Moselle"
    expected = dict(exporting.about_rows(view_about(view, table)))
    assert {k: v for k, v in about.items() if k != "Exporté le"} == {
        k: v for k, v in expected.items() if k != "Exporté le"
    } | {"À propos de ce fichier": about["À propos de ce fichier"]}
    assert about["Contenu"] == table.title and "Bilan DRANE" in about["Source"]
    assert about["Données illustratives"].startswith("non")
    assert list(body["Intitulé"]) == list(table.frame["Intitulé"])  # the searched rows, as on screen
