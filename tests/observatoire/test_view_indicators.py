"""The « Indicateurs » page as data (observatoire.views.indicators.build_indicators) on the demo data: every
figure, table and text of the view is checked against the core queries run directly (the académie, one
département, a thème / niveau filter that changes or does not reach the content, a filter that empties a tab),
with the origins and illustrative flags. What the page shows of the view: tests/app/test_indicateurs.py."""

from __future__ import annotations

import json
import pickle

import pandas as pd
import pytest

from observatoire import queries, small_counts
from observatoire.figures import charts
from observatoire.filters import Filters
from observatoire.views import indicators
from observatoire.views.context import filter_lines
from observatoire.views.model import Notice

NO_LAB_BASSIN = "54-briey"  # a bassin without any laboratoire numérique


def _build(con, filters: Filters = Filters(), **params: str):  # noqa: B008 - Filters is frozen
    return indicators.build_indicators(con, filters, params)


def _drawn(figure) -> dict[tuple[str, str], float]:
    """(trace name, x) → y of a line figure."""
    return {(trace.name, x): y for trace in figure.data for x, y in zip(trace.x, trace.y)}


def _sections(view) -> list[str]:
    return [s.key for s in view.items.sections]


def test_academie_view_equals_the_core_queries(con):
    view = _build(con)
    meta = queries.indicator(con, "ent_visites")
    years = queries.school_years(con)
    assert (view.page, view.title, view.subtitle) == ("indicateurs", "Indicateurs", meta["libelle"])
    assert view.context.filters == () and view.context.filters_text == "Aucun filtre (toute l'académie)"
    assert view.items.indicateur == "ent_visites" and view.items.par == "total"
    assert (view.items.annee, view.items.de_annee, view.items.a_annee) == (years[-1], years[0], years[-1])
    # the definition block
    assert view.text("indicateur") == meta["libelle"] and view.text("definition") == meta["definition"]
    assert view.text("unite") == "visites" and view.text("source") == meta["source"]
    assert view.text("granularite") == "annuelle (année scolaire)"
    assert view.text("agregation") == "somme des territoires"
    assert view.text("periode") == f"{years[0]} à {years[-1]}"
    # four tabs, in order, each with its figure and its table
    assert _sections(view) == list(indicators.SECTION_KEYS)
    assert [s.tab for s in view.items.sections] == list(indicators.TABS)
    assert [f.key for f in view.figures] == [t.key for t in view.tables] == list(indicators.SECTION_KEYS)
    # series: the académie line, drawn and tabulated
    result = queries.series(con, "ent_visites", Filters(), by="total", annual=True)
    series = indicators.section(view, "series")
    assert series.heading == "Visites de l'ENT par année scolaire" == view.figure("series").title
    drawn = _drawn(view.figure("series").figure)
    assert len(drawn) == len(result.data) == len(years)
    for row in result.data.itertuples():
        assert drawn[("Académie de Nancy-Metz", row.periode)] == pytest.approx(row.valeur)
    expected = charts.display_table(result.data, "series", "visites", group="Territoire")
    pd.testing.assert_frame_equal(view.table("series").frame, expected)
    assert view.figure("series").alt == (
        f"Courbes : {series.heading}, {years[0]} à {years[-1]}. Valeurs dans le tableau de données."
    )
    assert series.notices == () and series.switch == "" and series.after == ()
    # months: the monthly companion, every month of every year
    monthly = queries.series(con, "ent_visites_mois", Filters()).data
    month_table = view.table("monthly").frame
    assert len(month_table) == len(monthly) and month_table["Valeur (visites)"].sum() == pytest.approx(
        monthly["valeur"].sum()
    )
    assert (
        indicators.section(view, "monthly")
        .captions[0]
        .startswith("Une courbe par année scolaire (ensemble de l'académie, filtres appliqués). ")
    )
    # ranking: the 17 bassins of the latest year
    ranking = queries.values_by_bassin(con, "ent_visites", years[-1], Filters()).data
    table = view.table("ranking").frame.merge(ranking, left_on="Bassin", right_on="nom")
    assert len(table) == 17 and (table["Rang"] == table["rang"]).all()
    assert (table["Valeur (visites)"] == table["valeur"]).all()
    # evolution: « Ensemble » is detailed by bassin, first to last year
    evolution = indicators.section(view, "evolution")
    assert evolution.heading == f"Visites de l'ENT : évolution de {years[0]} à {years[-1]}, par bassin"
    assert evolution.captions == ("Découpage « Ensemble » : l'évolution est détaillée par bassin.",)
    change = queries.evolution(con, "ent_visites", Filters(), "bassin", years[0], years[-1]).data
    table = view.table("evolution").frame.merge(change, left_on="Bassin", right_on="libelle")
    assert len(table) == 17 and (table["Évolution (%)"] - table["evolution_pct"]).abs().max() < 0.01


def test_one_departement(con):
    filters = Filters(departements=("57",))
    view = _build(con, filters, indicateur="gar_connexions")
    assert view.context.filters == ("Département : 57 — Moselle",) == filter_lines(filters, queries.labels(con))
    expected = queries.series(con, "gar_connexions", filters, annual=True).data
    table = view.table("series").frame
    assert set(table["Territoire"]) == {"Moselle"}  # « Ensemble » is the filtered territory
    assert table["Valeur (connexions)"].tolist() == expected["valeur"].tolist()
    assert {name for name, _ in _drawn(view.figure("series").figure)} == {"Moselle"}
    ranking = indicators.section(view, "ranking")
    assert ranking.captions == ("Classement : bassins des départements choisis (Moselle).",)
    assert set(view.table("ranking").frame["Département"]) == {"57"} and len(view.table("ranking").frame) == 5
    # an annual indicator: the months tab says which indicators have months, and draws nothing
    monthly = indicators.section(view, "monthly")
    assert monthly.heading == "" and monthly.figure == "" and view.figure("monthly") is None
    assert len(monthly.notices) == 1 and monthly.notices[0].kind == "info"
    assert monthly.notices[0].text.startswith("« Connexions aux ressources du GAR » est un indicateur annuel")
    assert "« Visites de l'ENT »" in monthly.notices[0].text


def test_a_theme_filter_changes_the_content(con):
    filters = Filters(thematiques=("ent", "robotique_programmation"))
    view = _build(con, filters, indicateur="accompagnement_heures", par="thematique")
    unfiltered = _build(con, indicateur="accompagnement_heures", par="thematique")
    expected = queries.series(con, "accompagnement_heures", filters, by="thematique", annual=True).data
    table = view.table("series").frame
    assert set(table["Thématique"]) == set(expected["libelle"]) and len(set(expected["libelle"])) == 2
    assert table["Valeur (heures)"].sum() == pytest.approx(expected["valeur"].sum())
    assert len(view.figure("series").figure.data) == 2
    assert len(unfiltered.figure("series").figure.data) > 2  # the filter made the difference
    assert (
        view.table("series").frame["Valeur (heures)"].sum()
        < unfiltered.table("series").frame["Valeur (heures)"].sum()
    )
    assert indicators.section(view, "series").notices == ()
    assert view.context.filters == ("Thématiques : ENT, Robotique et programmation",) or view.context.filters[
        0
    ].startswith("Thématiques : ")
    # the evolution follows the breakdown
    assert indicators.section(view, "evolution").heading.endswith(", par thématique")


def test_a_niveau_filter_that_does_not_apply_is_said_in_every_tab(con):
    view = _build(con, Filters(niveaux=("college",)), indicateur="ent_visites")
    plain = _build(con, indicateur="ent_visites")
    for section in view.items.sections:
        kinds = [n.kind for n in section.notices]
        assert kinds == ["filtre"], (section.key, section.notices)
        assert "Filtre niveau : ne s'applique pas" in section.notices[0].text
    assert view.notices == (indicators.section(view, "series").notices[0],)  # the view's notices, once each
    pd.testing.assert_frame_equal(view.table("series").frame, plain.table("series").frame)  # values shown: all


def test_a_filter_that_empties_tabs_says_why(con):
    """No lab in the bassin: the series by laboratoire is empty (the other breakdowns are offered), the
    evolution by laboratoire is empty (said); the ranking of the bassins still has its values."""
    filters = Filters(bassins=(NO_LAB_BASSIN,))
    assert queries.laboratories(con, filters).data.empty
    view = _build(con, filters, indicateur="labo_personnes", par="laboratoire")
    series = indicators.section(view, "series")
    assert series.figure == series.table == "" and view.figure("series") is None and view.table("series") is None
    (notice,) = series.notices
    assert notice.kind == "info" and notice.text.startswith("Aucun laboratoire dans les territoires choisis. ")
    assert "Découpages disponibles pour cet indicateur avec ces filtres : «\u00a0Ensemble\u00a0»" in notice.text
    assert "Laboratoire\u00a0»" not in notice.text and notice.text.endswith(
        "Choisissez-en un dans « Découper par »."
    )
    evolution = indicators.section(view, "evolution")
    assert evolution.notices == (Notice("Aucun laboratoire dans les territoires choisis.", "vide"),)
    assert view.table("evolution") is None
    assert view.table("ranking") is not None and len(view.table("ranking").frame) == 17
    # one school year: no evolution
    one_year = _build(con, Filters(periode_debut="2022-2023", periode_fin="2022-2023"))
    evolution = indicators.section(one_year, "evolution")
    assert evolution.heading == "" and [n.kind for n in evolution.notices] == ["vide"]
    assert "qu'une année scolaire" in evolution.notices[0].text
    assert one_year.items.annee == "2022-2023" and one_year.text("periode") == "2022-2023"
    # the same year twice
    same = _build(con, de_annee="2022-2023", a_annee="2022-2023")
    evolution = indicators.section(same, "evolution")
    assert evolution.notices == (
        Notice("Choisissez deux années scolaires différentes pour calculer une évolution.", "info"),
    )
    assert same.figure("evolution") is None


def test_origins_and_illustrative_flags(con):
    """Latest year only: the académie's ENT visits come from the bilan (not illustrative); the months, the
    bassins are generated (illustrative). Each element carries its own flag and source line."""
    filters = Filters(periode_debut="2023-2024")
    view = _build(con, filters)
    result = queries.series(con, "ent_visites", filters, annual=True)
    assert result.origins == ("bilan",) and not result.illustrative
    series = view.figure("series")
    assert not series.illustrative and not view.table("series").illustrative
    assert series.source == view.table("series").source == f"Source : {result.sources[0]}."
    for key in ("monthly", "ranking"):
        assert view.figure(key).illustrative and view.table(key).illustrative
        assert view.figure(key).source == "Source : données illustratives (générées)."
    assert view.illustrative
    assert dict(zip(view.sources, view.origins)) == {result.sources[0]: "bilan", "illustratif": "illustratif"}
    # every year: the académie line mixes the bilan and generated years
    mixed = _build(con)
    assert mixed.figure("series").illustrative
    assert mixed.figure("series").source.endswith(" ; autres valeurs illustratives.")
    assert mixed.table("series").indicator == "Visites de l'ENT" and mixed.table("series").unit == "visites"
    assert mixed.table("monthly").indicator == "Visites mensuelles de l'ENT"


def test_many_groups_are_limited_unless_all_are_asked_for(con):
    view = _build(con, indicateur="ent_visites", par="bassin")
    series = indicators.section(view, "series")
    assert series.switch == "Tracer les 17 courbes (sinon les 8 plus élevées)"
    assert series.switch_note.startswith(
        "Courbes tracées : les 8 valeurs les plus élevées de la dernière année. Non tracées (9) : "
    )
    assert len(view.figure("series").figure.data) == 8 and len(view.table("series").frame) == 17 * 4
    every = _build(con, indicateur="ent_visites", par="bassin", toutes_courbes="1")
    assert indicators.section(every, "series").switch == series.switch
    assert indicators.section(every, "series").switch_note == ""
    assert len(every.figure("series").figure.data) == 17


def test_small_counts_are_masked_in_the_view(con):
    rules = small_counts.policy()
    filters = Filters(departements=("88",), niveaux=("ecole",))
    view = _build(con, filters, indicateur="planetarium_eleves", par="bassin")
    shown = view.table("series").frame["Valeur (élèves)"].tolist()
    assert "< 5" in shown
    assert indicators.section(view, "series").after == (small_counts.note(rules),)
    evolution = indicators.section(view, "evolution")
    assert "(secret statistique)" in evolution.captions[0]
    # the total (département) stays exact, without the rule
    total = _build(con, filters, indicateur="planetarium_eleves")
    expected = queries.series(con, "planetarium_eleves", filters, annual=True).data
    assert total.table("series").frame["Valeur (élèves)"].tolist() == expected["valeur"].tolist()
    assert indicators.section(total, "series").after == ()


def test_unknown_choices_raise_a_french_error(con):
    with pytest.raises(ValueError, match="Indicateur inconnu"):
        _build(con, indicateur="inconnu")
    with pytest.raises(ValueError, match="Découpage inconnu"):
        _build(con, par="camembert")
    with pytest.raises(ValueError, match="Année scolaire inconnu"):
        _build(con, annee="1999-2000")


def test_the_view_is_plain_picklable_data(con):
    """`components.context.view` caches it with st.cache_data (pickled): it must survive a round trip."""
    view = _build(con, Filters(departements=("57",)), indicateur="ent_visites", par="bassin")
    copy = pickle.loads(pickle.dumps(view))
    assert copy.items.sections == view.items.sections and copy.texts == view.texts
    pd.testing.assert_frame_equal(copy.table("series").frame, view.table("series").frame)
    for figure in view.figures:
        assert json.loads(copy.figure(figure.key).figure.to_json()) == json.loads(figure.figure.to_json())
