"""Every file's « À propos » agrees with its content (issue 18, point 6): for every table a page offers as CSV
or XLSX, and for several sets of filters, the « Source » row and the « Données illustratives » row never
contradict each other (before: the labs list of Moselle + IA + Collège said « Source : données illustratives
(générées) » and « Données illustratives : non »), and the chosen filters that do not apply to the table are
said « non appliqué » and kept out of its name."""

from __future__ import annotations

import re

import pytest

from observatoire import exporting, queries
from observatoire.filters import Filters
from observatoire.views.carte import build_carte
from observatoire.views.context import element_context
from observatoire.views.data_sources import build_data_sources
from observatoire.views.indicators import build_indicators
from observatoire.views.laboratories import build_laboratories
from observatoire.views.projects import build_projects

CLAIM = re.compile(r"données illustratives|valeurs illustratives|laboratoires? illustratifs?|(^|[;,] )illustratif")
FILTERS = [
    Filters(),
    Filters(departements=("57",)),
    Filters(departements=("57",), thematiques=("programmation_ia",), niveaux=("college",)),
    Filters(niveaux=("college",), publics=("eleves",)),
]


def _views(con, filters: Filters):
    yield build_indicators(con, filters, {"indicateur": "ent_visites"})
    yield build_indicators(con, filters, {"indicateur": "gar_connexions"})
    yield build_carte(con, filters, {})
    yield build_laboratories(con, filters, {})
    yield build_projects(con, filters, {})
    yield build_data_sources(con, filters, {})


@pytest.mark.parametrize("filters", FILTERS, ids=["academie", "moselle", "moselle-ia-college", "college-eleves"])
def test_source_and_illustrative_rows_agree(con, filters):
    for view in _views(con, filters):
        for table in view.tables:
            about = exporting.About(
                table.title,
                element_context(view.context, table.ignored),
                table.indicator,
                table.unit,
                table.source,
                table.illustrative,
            )
            rows = dict(exporting.about_rows(about))
            source = rows["Source"].lower()
            says_illustrative = rows["Données illustratives"].startswith("oui")
            if CLAIM.search(source):  # the source says some values are illustrative: so does the other row
                assert says_illustrative, (view.page, table.key, rows)
            if says_illustrative and table.source:
                assert "illustrati" in source, (view.page, table.key, rows)


def test_the_labs_list_of_moselle_ia_college_is_not_contradictory(con):
    view = build_laboratories(con, FILTERS[2], {})
    table = view.table("laboratoires")
    labs = queries.laboratories(con, FILTERS[2]).data
    assert len(labs) >= 1
    assert table.source.startswith("Source : ") and "données illustratives (générées)" not in table.source
    assert table.illustrative == any("illustratif" in str(s).lower() for s in labs["source"])


def test_a_filter_that_does_not_apply_is_said_and_not_in_the_name(con):
    view = build_indicators(con, FILTERS[2], {"indicateur": "ent_visites"})
    table = view.table("series")
    scoped = element_context(view.context, table.ignored)
    rows = dict(exporting.about_rows(exporting.About(table.title, scoped)))
    assert rows["Filtres"] == "Département : 57 — Moselle"
    assert "Niveau : non détaillé pour cet indicateur (« Collège » non appliqué)" in rows["Filtres non appliqués"]
    assert "Thématique : non détaillé pour cet indicateur" in rows["Filtres non appliqués"]
    assert (
        exporting.export_file_name(table.title, scoped, "csv")
        == "Visites de l'ENT par année scolaire — Moselle.csv"
    )
    gar = build_indicators(con, FILTERS[2], {"indicateur": "gar_connexions"}).table("series")
    assert "Collège" in exporting.export_file_name(gar.title, element_context(view.context, gar.ignored), "csv")
