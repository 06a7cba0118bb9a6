"""Vue d'ensemble through the entrypoint (AppTest): KPI cards and labs coverage checked against the core
queries run directly on the store, for several filter combinations."""

from __future__ import annotations

import pytest

from components import cards
from observatoire import config, queries
from observatoire.filters import Filters
from tests.helpers import md_text, texts, unexpected_errors

CASES = [
    ({}, Filters()),
    ({"dep": "57"}, Filters(departements=("57",))),
    ({"dep": "55", "niveau": "lycee"}, Filters(departements=("55",), niveaux=("lycee",))),
    ({"de": "2022-2023", "a": "2022-2023"}, Filters(periode_debut="2022-2023", periode_fin="2022-2023")),
    ({"public": "parents"}, Filters(publics=("parents",))),
    ({"bassin": "57-metz,57-thionville", "theme": "webmedias"},
     Filters(bassins=("57-metz", "57-thionville"), thematiques=("webmedias",))),
]


def _check(at, con, filters: Filters) -> None:
    assert not unexpected_errors(at), unexpected_errors(at)
    expected = queries.kpis(con, filters)
    assert len(at.metric) == len(expected)
    for metric, kpi in zip(at.metric, expected):
        assert md_text(metric.label) == kpi.libelle
        assert metric.value == cards.kpi_value_text(kpi, markup=True)
        assert metric.proto.delta == (cards.kpi_delta_text(kpi) or "")
        assert list(metric.proto.chart_data) == (list(kpi.historique) if len(kpi.historique) > 1 else [])
    captions = texts(at.caption)
    for kpi in expected:
        section = queries.indicator(con, kpi.indicateur)["source"]
        assert cards.kpi_caption(kpi, section) in captions
    # the filters that don't apply: listed once, below the cards
    notes = [note for kpi in expected for note in kpi.ignored]
    info = " ".join(texts(at.info))
    for note in set(notes):
        assert info.count(note.rstrip(". ")) == 1
    # labs and bassins covered: the labs open during the year of the cards
    labs = cards.labs_open_in(queries.laboratories(con, filters).data, cards.kpi_year_text(expected))
    bassins = queries.catalogue(con, "bassins")
    text = cards.coverage_text(len(labs), labs["bassin"].nunique(),
                               cards.bassins_in_scope(bassins, filters.departements, filters.bassins))
    assert f"### {text}" in texts(at.markdown)
    if not filters.thematiques and not filters.niveaux:  # the count agrees with the « labs open » indicator
        labo_nombre = next(k for k in expected if k.indicateur == "labo_nombre")
        assert labo_nombre.valeur == len(labs)


@pytest.mark.parametrize(("params", "filters"), CASES, ids=[str(p) or "defaut" for p, _ in CASES])
def test_cards_equal_the_store(app, con, params, filters):
    at = app(query_params=params)
    _check(at, con, filters)


def test_default_view_figures(app, con):
    at = app()
    markdown = texts(at.markdown)
    acad = config.academie()
    latest = queries.school_years(con)[-1]
    assert at.title[0].value == "Observatoire du numérique éducatif"
    assert any(m.startswith(acad.nom) and latest in m for m in markdown)
    labs = queries.laboratories(con, Filters()).data
    n_bassins = len(queries.catalogue(con, "bassins"))
    assert f"### {len(labs)} laboratoires dans {labs['bassin'].nunique()} bassins sur {n_bassins}" in markdown
    assert f"Laboratoires ouverts pendant l'année scolaire {latest}." in markdown
    # at least one card is illustrative-free with the default filters (the bilan's own 2023-2024 figures)
    assert any(not k.illustratif for k in queries.kpis(con, Filters()))
    # links to the other pages
    links = {link.proto.page for link in at.get("page_link")}  # url paths of the pages
    assert {"carte", "indicateurs", "laboratoires", "donnees"} <= links


def test_filter_change_in_the_sidebar_updates_the_cards(app, con):
    at = app()
    at.multiselect(key="f_departements").set_value(["57"]).run()
    _check(at, con, Filters(departements=("57",)))
    at.multiselect(key="f_niveaux").set_value(["lycee"]).run()
    _check(at, con, Filters(departements=("57",), niveaux=("lycee",)))
    at.selectbox(key="f_debut").set_value("2021-2022").run()
    at.selectbox(key="f_fin").set_value("2022-2023").run()
    _check(at, con, Filters(departements=("57",), niveaux=("lycee",), periode_debut="2021-2022",
                            periode_fin="2022-2023"))


def test_illustrative_cards_have_the_badge(app, con):
    at = app(query_params={"dep": "57"})
    expected = queries.kpis(con, Filters(departements=("57",)))
    badges = [m for m in texts(at.markdown) if "Données illustratives" in m]
    # one badge per illustrative card, plus one for the labs coverage when a lab is illustrative
    labs_badge = int(queries.laboratories(con, Filters(departements=("57",))).illustrative)
    # and one under the small map when its values per bassin are illustrative
    year = next(k.annee for k in expected if k.annee)
    map_badge = int(queries.values_by_bassin(con, "labo_personnes", year, Filters(departements=("57",))).illustrative)
    assert len(badges) == sum(k.illustratif for k in expected) + labs_badge + map_badge
