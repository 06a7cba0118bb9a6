"""`observatoire.views.projects.build_projects` on the demo data: the table of projects and « heures
numériques » follows the shared filters (académie, a département, a thème, a filter that empties it), the search
text (param `recherche`) is searched in the core without case nor accents, notices and sources say what the
page says. (What the page renders from it, and its downloads: tests/app/test_projets.py.)"""

from __future__ import annotations

import pandas as pd
import pytest

from observatoire import queries
from observatoire.filters import Filters
from observatoire.views.context import filter_lines
from observatoire.views.projects import (
    COLUMNS,
    NOT_FOUND,
    SEARCH_PARAM,
    build_projects,
    fold,
    projects_table,
    search,
)

ACADEMIE = Filters()
MOSELLE = Filters(departements=("57",))
THEME = Filters(thematiques=("programmation_ia",))
EMPTY = Filters(bassins=("88-remiremont",))  # no lab there: no project, and no « heure numérique » (no place)


def _row_text(row) -> str:
    return " ".join(str(v) for k, v in row.items() if k != "Source")


@pytest.mark.parametrize("filters", [ACADEMIE, MOSELLE, THEME], ids=["academie", "moselle", "theme"])
def test_the_table_is_the_filtered_catalogue(con, filters):
    view = build_projects(con, filters, {})
    expected = queries.projects_catalogue(con, filters)
    table = view.table("projets")
    assert table is not None and tuple(table.frame.columns) == COLUMNS
    assert list(table.frame["Intitulé"]) == list(expected.data["intitule"])
    assert list(table.frame["Type"]) == list(expected.data["type"])
    n_projects = int((expected.data["type"] == "Projet").sum())
    n_hn = int((expected.data["type"] == "Heure numérique").sum())
    total = len(queries.projects_catalogue(con, Filters()).data)
    assert view.text("count").startswith(f"{n_projects} projet")
    assert f" et {n_hn} thème" in view.text("count") and view.text("count").endswith(
        f"({len(expected.data)} sur {total})"
    )
    assert [n.text for n in view.notices if n.kind == "filtre"] == list(expected.ignored)
    assert not [n for n in view.notices if n.kind == "vide"]
    assert view.text("sources") == "Sources : " + " ; ".join(expected.sources) + "."
    assert "Bilan DRANE 2023-2024" in view.text("sources")
    # origins: the catalogue is cited by the bilan, nothing in it is generated
    assert table.source == "Source : " + " ; ".join(expected.sources) + "."
    assert not table.illustrative and not view.illustrative
    assert view.context.filters == filter_lines(filters, queries.labels(con))
    assert view.text("search") == ""


def test_filters_change_the_content(con):
    everything = build_projects(con, ACADEMIE, {}).table("projets").frame
    moselle = build_projects(con, MOSELLE, {})
    theme = build_projects(con, THEME, {}).table("projets").frame
    assert 0 < len(moselle.table("projets").frame) < len(everything)
    assert "Filtre territoire" in " ".join(n.text for n in moselle.notices)  # heures numériques: no place
    assert 0 < len(theme) < len(everything)
    assert set(theme["Thème principal"]) == {queries.labels(con).of("thematique", "programmation_ia")}


def test_a_filter_that_empties_it(con):
    view = build_projects(con, EMPTY, {"recherche": "robotique"})
    expected = queries.projects_catalogue(con, EMPTY)
    assert expected.data.empty
    assert view.table("projets") is None and view.text("search") == "" and view.text("sources") == ""
    assert [n.text for n in view.notices if n.kind == "vide"] == [expected.empty_reason]
    assert view.text("count").endswith(f"(0 sur {len(queries.projects_catalogue(con, Filters()).data)})")


def test_publics_and_period_do_not_change_the_table_but_are_said(con):
    base = build_projects(con, ACADEMIE, {})
    other = build_projects(con, Filters(publics=("parents",), periode_debut="2022-2023"), {})
    assert base.table("projets").frame.equals(other.table("projets").frame)
    assert other.context.filters != base.context.filters  # the files say which filters were set


def test_search_ignores_case_and_accents(con):
    everything = build_projects(con, ACADEMIE, {}).table("projets").frame
    view = build_projects(con, ACADEMIE, {SEARCH_PARAM: "  ROBOTIQUE "})
    found = view.table("projets").frame
    assert len(found) >= 2 and all("robotique" in fold(_row_text(r)) for r in found.to_dict("records"))
    expected = [r["Intitulé"] for r in everything.to_dict("records") if "robotique" in fold(_row_text(r))]
    assert list(found["Intitulé"]) == expected
    assert view.text("search") == f"{len(found)} résultats pour « ROBOTIQUE »."
    assert view.items.search == "ROBOTIQUE"
    accents = build_projects(con, ACADEMIE, {SEARCH_PARAM: "decrochage"}).table("projets").frame
    assert len(accents) == 1 and "décrochage" in _row_text(accents.iloc[0].to_dict()).lower()


def test_search_reads_every_column_but_the_source(con):
    everything = build_projects(con, ACADEMIE, {}).table("projets").frame
    assert everything["Source"].str.contains("DRANE").all()
    expected = sum("drane" in fold(_row_text(r)) for r in everything.to_dict("records"))
    assert len(search(everything, "drane")) == expected < len(everything)


def test_a_search_that_finds_nothing(con):
    view = build_projects(con, MOSELLE, {SEARCH_PARAM: "zzz introuvable"})
    assert view.table("projets").frame.empty
    assert view.text("search") == "0 résultat pour « zzz introuvable »."
    assert [n.text for n in view.notices if n.kind == "vide"] == [NOT_FOUND]
    assert view.text("sources")  # the catalogue still has its sources


def test_fold():
    assert fold("Décrochage SCOLAIRE — Œuvre") == "decrochage scolaire — œuvre"
    empty = projects_table(pd.DataFrame())
    assert tuple(empty.columns) == COLUMNS and search(empty, "x").empty
