"""The Laboratoires page as data (`observatoire.views.laboratories.build_laboratories`) on the demo data: the
list, its table, the notices and the lab fiche (facts, projects, comparison with the académie, activity cards,
chart and table) are the store's queries, for the académie, one département, a thème that changes the list and
filters that empty it; origins and illustrative flags follow the `origine` column. What the page shows of this
view is checked through the entrypoint in tests/app/test_laboratoires.py."""

from __future__ import annotations

import pandas as pd

from observatoire import config, queries, small_counts
from observatoire.figures import cards
from observatoire.filters import Filters
from observatoire.views.laboratories import NO_ACTIVITY, LabFiche, build_laboratories
from observatoire.views.model import ILLUSTRATIVE
from observatoire.views.model import source_line as source_text

LAB_CITED, LAB_ILLUSTRATIVE = "lab-cirey", "lab-woippy"


def _check_list(con, filters: Filters):
    view = build_laboratories(con, filters)
    labs = queries.laboratories(con, filters)
    total = len(queries.laboratories(con, Filters()).data)
    assert view.page == "laboratoires" and view.title == "Laboratoires numériques"
    assert view.text("count") == cards.count_text(len(labs.data), total)
    assert list(view.items.labs["code"]) == list(labs.data["code"])
    table = view.table("laboratoires")
    pd.testing.assert_frame_equal(table.frame, cards.labs_table(labs.data, queries.labels(con)))
    # one answer about the origin of the list (before: « Source : données illustratives (générées) » beside
    # « Données illustratives : non » when every listed lab was cited by the bilan)
    partly = any(cards.is_illustrative_source(s) for s in labs.data["source"])
    assert table.source == (
        cards.labs_source_text(labs.data["source"], config.academie().bilan) if not labs.empty else ""
    )
    assert table.illustrative == view.illustrative == (bool(labs.illustrative) or partly)
    assert (view.sources, view.origins) == (tuple(labs.sources), tuple(labs.origins))
    assert [n.text for n in view.notices if n.kind == "filtre"] == list(labs.ignored)
    assert len(view.items.names) == total and view.items.fiche is None
    if not labs.empty:
        assert view.text("labs_source") == cards.labs_source_text(labs.data["source"], config.academie().bilan)
    return view, labs


def test_academie_list(con):
    view, labs = _check_list(con, Filters())
    assert len(labs.data) == 16 and view.context.filters == () and not view.notices


def test_one_departement(con):
    view, labs = _check_list(con, Filters(departements=("57",)))
    assert 0 < len(labs.data) < 16 and set(labs.data["departement"]) == {"57"}
    assert view.context.filters == ("Département : 57 — Moselle",)


def test_a_theme_changes_the_list_and_a_public_filter_is_said(con):
    view, labs = _check_list(con, Filters(thematiques=("webmedias",)))
    assert 0 < len(labs.data) < 16
    public, _ = _check_list(con, Filters(publics=("parents",)))
    assert public.notices and public.notices[0].kind == "filtre" and "Filtre public" in public.notices[0].text


def test_filters_that_empty_the_list(con):
    view, labs = _check_list(con, Filters(departements=("55",), niveaux=("lycee",)))
    assert labs.empty and view.text("count") == cards.count_text(0, 16)
    assert [n.kind for n in view.notices] == ["vide"]
    assert "Aucun laboratoire ne correspond à ces filtres." in view.notices[0].text


def test_fiche_of_a_lab_cited_by_the_bilan(con):
    year = queries.school_years(con)[-1]
    view = build_laboratories(con, Filters(), {"labo": LAB_CITED})
    fiche = view.items.fiche
    assert isinstance(fiche, LabFiche) and fiche.code == LAB_CITED and fiche.in_filters
    lab = queries.laboratories(con, Filters()).data.set_index("code").loc[LAB_CITED]
    assert fiche.name == lab["nom"] and fiche.source == f"Source : {lab['source']}"
    assert fiche.origin == cards.lab_origin(lab["source"]) != "illustratif"
    assert list(fiche.facts) == [
        (str(k), str(v)) for k, v in cards.lab_facts({"code": LAB_CITED, **lab}, queries.labels(con))
    ]
    projects = queries.projects(con, LAB_CITED)
    assert not projects.empty
    pd.testing.assert_frame_equal(fiche.projects, projects)
    assert all(s in fiche.projects_source for s in projects["source"])
    # the comparison with the académie, the last year of the period
    assert fiche.comparison_year == fiche.year == year
    profile = queries.lab_profile(con, LAB_CITED, year)
    pd.testing.assert_frame_equal(fiche.profile, profile[profile["valeur"].notna()])
    # the activity: its own context (the period only), one card per labo_* indicator with data
    activity = fiche.activity
    assert activity.context.filters == ()
    series = queries.series(con, "labo_personnes", Filters(), by="laboratoire", annual=True)
    mine = cards.lab_rows(series.data, LAB_CITED)
    kpi = next(k for k in activity.items.kpis if k.indicateur == "labo_personnes")
    assert kpi == cards.lab_activity_kpi(queries.indicator(con, "labo_personnes"), mine)
    chart = activity.figure("activite")
    assert chart is not None and list(chart.figure.data[0].y) == list(mine.sort_values("periode")["valeur"])
    assert chart.title == f"{queries.indicator(con, 'labo_personnes')['libelle']} — {fiche.name}"
    table = activity.table("activite")
    assert table.title == f"Activité — {fiche.name}" and activity.text("table_label") == f"activité {fiche.name}"
    assert list(table.frame["Année scolaire"]) == sorted(set(mine["periode"]))
    # origins: the demo activity is generated: illustrative, said by the chart, the table and the source line
    assert activity.illustrative == bool(mine["illustratif"].any())
    assert chart.illustrative == table.illustrative == activity.illustrative
    assert chart.source == table.source == source_text(activity.sources, activity.origins)
    if activity.illustrative:
        assert ILLUSTRATIVE in activity.origins
    assert activity.text("small_counts") == small_counts.note(small_counts.policy())


def test_fiche_filters_and_period(con):
    years = queries.school_years(con)
    # a lab outside the filters keeps its fiche (a shared link), said by `in_filters`
    fiche = build_laboratories(con, Filters(departements=("57",)), {"labo": LAB_CITED}).items.fiche
    assert fiche is not None and not fiche.in_filters
    # the period chooses the comparison year and the activity's years; the fiche's context says the period
    first = build_laboratories(
        con, Filters(periode_debut=years[0], periode_fin=years[0]), {"labo": LAB_CITED}
    ).items.fiche
    assert first.comparison_year == first.year == years[0]
    assert first.activity.context.filters == (f"Années scolaires : {years[0]} à {years[0]}",)
    assert first.activity.items.kpis == ()  # lab-cirey: no activity that year (below)
    # an unknown lab: no fiche
    assert build_laboratories(con, Filters(), {"labo": "lab-inconnu"}).items.fiche is None


def test_illustrative_lab(con):
    fiche = build_laboratories(con, Filters(), {"labo": LAB_ILLUSTRATIVE}).items.fiche
    assert fiche.origin == "illustratif" and fiche.projects.empty and fiche.projects_source == ""
    assert fiche.source == "Source : laboratoire illustratif (lieu plausible, non cité par le bilan)."
    assert (
        queries.laboratories(con, Filters()).data.set_index("code").loc[LAB_ILLUSTRATIVE, "source"]
        == config.ILLUSTRATIVE
    )


def test_no_activity_is_a_notice(con):
    """lab-cirey has no activity in the first school year of the demo data: no card, no chart, no table, the
    « Aucune activité » notice (the page renders it as an empty state)."""
    first = queries.school_years(con)[0]
    fiche = build_laboratories(
        con, Filters(periode_debut=first, periode_fin=first), {"labo": LAB_CITED}
    ).items.fiche
    assert cards.lab_rows(
        queries.series(
            con, "labo_personnes", Filters(periode_debut=first, periode_fin=first), by="laboratoire", annual=True
        ).data,
        LAB_CITED,
    ).empty
    activity = fiche.activity
    assert activity.items.kpis == () and not activity.figures and not activity.tables
    assert [(n.kind, n.text) for n in activity.notices] == [("vide", NO_ACTIVITY)]
