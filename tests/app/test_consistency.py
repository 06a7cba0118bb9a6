"""One set of filters, one answer: for every département × a few thèmes (a main thème, a sub-thème) × every
niveau, the counts of labs the pages show equal ONE reference query,
`queries.laboratories(con, filters, open_in=<year of the cards>)`:
- Vue d'ensemble: the KPI « Laboratoires numériques ouverts » and « N laboratoires dans M bassins »;
- Carte (indicator `labo_nombre`): the sum of the bassins' colours (data table) and the markers;
- Laboratoires: the count of the list.

The whole grid is checked on what the pages render: the views (`build_overview`, `build_carte`,
`build_laboratories`; the overview's key figures are `queries.kpis`, what the cards show) and the Carte's folium map
built from the view's inputs, as `pages/carte.py` builds it. That each page shows its view is proved by the pages' own tests
(`test_the_page_renders_its_view` in test_vue_ensemble.py, test_carte.py, test_laboratoires.py; the cards by
`test_cards_equal_the_store`); here, an app-level sample per page sets two points of the grid (labs / no lab)
through the sidebar widgets, as a person does, and checks the screen against the same reference query.
"""

from __future__ import annotations

import json
import re

import pytest

from observatoire import published, queries
from observatoire.figures import foliummap, formatting
from observatoire.filters import Filters
from tests.helpers import component_instances, md_text, unexpected_errors

THEMES = ("sciences_numerique", "robotique_programmation")  # a main thème, a sub-thème (of Programmation et IA)
# two points of the grid set through the sidebar: two labs in two bassins, and no lab at all
SAMPLES = (
    Filters(departements=("57",), thematiques=("sciences_numerique",), niveaux=("college",)),
    Filters(departements=("54",), thematiques=("sciences_numerique",), niveaux=("ecole",)),
)
COVERAGE = re.compile(r"(\d+) laboratoires? dans (\d+) bassins?")


def _grid(con) -> list[Filters]:
    choices = queries.choices(con)
    return [
        Filters(departements=(d,), thematiques=(t,), niveaux=(n,))
        for d in choices.departements
        for t in THEMES
        for n in choices.niveaux
    ]


def _set(at, filters: Filters):
    at.multiselect(key="f_departements").set_value(list(filters.departements))
    at.multiselect(key="f_thematiques").set_value(list(filters.thematiques))
    at.multiselect(key="f_niveaux").set_value(list(filters.niveaux))
    at.run()
    assert not unexpected_errors(at), (filters, unexpected_errors(at))
    assert at.session_state["filters"] == filters
    return at


def _reference(con, filters: Filters):
    return queries.laboratories(con, filters, open_in=queries.school_years(con)[-1]).data


def _map_script(at) -> str:
    (component,) = component_instances(at)
    return json.loads(component.proto.json_args)["script"]


def _check_coverage(coverage: str, labs, filters: Filters) -> None:
    if labs.empty:
        assert "Aucun laboratoire" in coverage, (filters, coverage)
    else:
        match = COVERAGE.search(coverage)
        assert match, coverage
        assert (int(match[1]), int(match[2])) == (len(labs), labs["bassin"].nunique()), (filters, coverage)


def _lab_heading(labs) -> str:
    return f"{formatting.number(len(labs))} laboratoire" if len(labs) else "Aucun laboratoire"


def test_the_grid_has_labs_and_empty_answers(con):
    """The grid is not vacuous: some of its points have labs (several bassins), some have none; the samples are
    one of each."""
    counts = [len(_reference(con, filters)) for filters in _grid(con)]
    assert len(counts) >= 32 and 0 in counts and max(counts) >= 2
    assert [len(_reference(con, filters)) > 0 for filters in SAMPLES] == [True, False]
    assert set(SAMPLES) <= set(_grid(con))


# ------------------------------------------------------------------------------------- the whole grid, views


def test_overview_counts_equal_the_reference_query(con):
    from observatoire.views.overview import build_overview

    for filters in _grid(con):
        labs = _reference(con, filters)
        view = build_overview(con, filters, {})
        # the card's figure: `queries.kpis` of these filters (`views.presentation.key_figure`; the screen's card
        # shows the same Kpi, `test_cards_equal_the_store` and the samples below)
        figure = next(f for f in view.key_figures if f.label == "Laboratoires numériques ouverts")
        assert figure.raw == len(labs), (filters, figure.raw, len(labs))
        assert figure.value == formatting.number(len(labs)), (filters, figure.value)
        _check_coverage(view.text("coverage"), labs, filters)


def test_map_colours_and_markers_equal_the_reference_query(con):
    from observatoire.views.carte import build_carte

    bassins, departements = published.geojson(con, "bassins"), published.geojson(con, "departements")
    academie = published.academie(con)  # as pages/carte.py: the version's académie
    for filters in _grid(con):
        labs = _reference(con, filters)
        view = build_carte(con, filters, {"indicateur": "labo_nombre"})
        inputs = view.items.map
        assert inputs.indicator == "labo_nombre", filters
        table = view.table("bassins").frame
        assert table["Valeur (nombre)"].fillna(0).sum() == len(labs), filters
        # the map of the page: `foliummap.build_map` of the view's inputs (pages/carte.py, components.maps)
        drawn = foliummap.build_map(
            bassins,
            departements,
            inputs.values,
            inputs.classes,
            inputs.labs,
            indicator_label=inputs.indicator_label,
            unit=inputs.unit,
            annee=inputs.annee,
            basemap=inputs.basemap,
            departements=inputs.departements,
            chosen_bassins=inputs.chosen_bassins,
            theme_labels=inputs.theme_labels,
            niveau_labels=inputs.niveau_labels,
            figures=inputs.lab_figures,
            centre=academie.carte_centre,
            zoom=academie.carte_zoom,
        )
        assert drawn.get_root().render().count("L.marker(") == len(labs), filters


def test_lab_list_equals_the_reference_query(con):
    from observatoire.views.laboratories import build_laboratories

    for filters in _grid(con):
        labs = _reference(con, filters)
        view = build_laboratories(con, filters, {})
        assert view.text("count").startswith(_lab_heading(labs)), (filters, view.text("count"))
        assert len(view.table("laboratoires").frame) == len(view.items.labs), filters


# --------------------------------------------------------------------------- app-level samples (AppTest)


def test_overview_on_screen_equals_the_reference_query(app, con):
    at = app()
    for filters in SAMPLES:
        _set(at, filters)
        labs = _reference(con, filters)
        kpi = next(m for m in at.metric if md_text(m.label) == "Laboratoires numériques ouverts")
        assert md_text(kpi.value) == formatting.number(len(labs)), (filters, kpi.value, len(labs))
        coverage = next(
            md_text(m.value)
            for m in at.markdown
            if m.value.startswith("### ") and ("laboratoire" in m.value or "Aucun" in m.value)
        )
        _check_coverage(coverage, labs, filters)


def test_map_on_screen_equals_the_reference_query(app, con):
    at = app(query_params={"indicateur": "labo_nombre"}, page="pages/carte.py")
    for filters in SAMPLES:
        _set(at, filters)
        assert at.selectbox(key="carte_indicateur").value == "labo_nombre", filters
        labs = _reference(con, filters)
        table = next(d.value for d in at.dataframe if "Valeur (nombre)" in d.value.columns)
        assert table["Valeur (nombre)"].fillna(0).sum() == len(labs), filters
        assert _map_script(at).count("L.marker(") == len(labs), filters


@pytest.mark.parametrize("page", ["pages/laboratoires.py"])
def test_lab_list_on_screen_equals_the_reference_query(app, con, page):
    at = app(page=page)
    for filters in SAMPLES:
        _set(at, filters)
        labs = _reference(con, filters)
        heading = md_text(at.subheader[0].value)
        assert heading.startswith(_lab_heading(labs)), (filters, heading)
